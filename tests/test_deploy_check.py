"""Django's deployment checklist passes with the environment a production deployment sets.

Settings are read once per process, so each case runs `manage.py check` in a fresh one.
"""

import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

PRODUCTION = {
    "DJANGO_DEBUG": "false",
    "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),  # 67 characters
    "DJANGO_ALLOWED_HOSTS": "tweetups.example",
    "EMAIL_URL": "smtp+tls://mailer:password@smtp.tweetups.example:587",
}


def deploy_check(**overrides: str) -> subprocess.CompletedProcess:
    # Start from the defaults: drop what this shell or CI set for development and tests.
    environment = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("DJANGO_", "EMAIL_", "X_", "CSP_"))
    }
    environment.update({**PRODUCTION, **overrides})
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_settings_pass_the_deployment_checklist():
    result = deploy_check()

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_debug_fails_the_deployment_checklist():
    result = deploy_check(DJANGO_DEBUG="true")

    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert "security.W018" in output  # DEBUG on
    assert "security.W008" in output  # no HTTPS redirect, as DEBUG turns it off
