"""Fixtures for the sync tests (filled in by its issue's work)."""
