"""A stand-in for the few X API endpoints Tweetups uses, built on the standard library only.

Run it with `python -m xemulator --port 8010`, or in tests with `xemulator.server.EmulatorServer`.
"""
