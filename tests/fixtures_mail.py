"""Fixtures for the mail tests (filled in by its issue's work)."""
