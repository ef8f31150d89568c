"""Fixtures for the celery tests (filled in by its issue's work)."""
