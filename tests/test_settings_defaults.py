"""Defaults that have to agree with each other, read in a fresh process as a clone has them."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EMULATOR = "http://127.0.0.1:8010"


def fresh_settings(*names: str, **environment: str) -> dict:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("X_", "DJANGO_"))}
    script = (
        "import json; from tweetups import settings as s; "
        f"print(json.dumps({{n: getattr(s, n) for n in {names!r}}}, default=str))"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env={**clean, **environment},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(done.stdout)


def test_with_the_emulators_credentials_every_process_talks_to_the_emulator():
    # `manage.py sync_hashtags` in a second terminal has none of bin/dev's environment.
    assert fresh_settings("X_API_BASE_URL", "X_AUTHORIZE_URL") == {
        "X_API_BASE_URL": EMULATOR,
        "X_AUTHORIZE_URL": f"{EMULATOR}/i/oauth2/authorize",
    }


def test_with_your_own_x_app_the_urls_are_xs():
    own_app = {"X_CLIENT_ID": "abc", "X_CLIENT_SECRET": "s3cret", "X_BEARER_TOKEN": "AAAA"}

    assert fresh_settings("X_API_BASE_URL", "X_AUTHORIZE_URL", **own_app) == {
        "X_API_BASE_URL": "https://api.x.com",
        "X_AUTHORIZE_URL": "https://x.com/i/oauth2/authorize",
    }
    assert (
        fresh_settings("X_API_BASE_URL", **own_app, X_API_BASE_URL="http://xemulator:8010/")[
            "X_API_BASE_URL"
        ]
        == "http://xemulator:8010"
    )


def test_the_outbox_sweep_is_configured_from_the_environment():
    found = fresh_settings(
        "CELERY_BEAT_SCHEDULE",
        "NOTIFICATIONS_SWEEP_GRACE_SECONDS",
        "CELERY_TASK_ANNOTATIONS",
        NOTIFICATIONS_SWEEP_INTERVAL_SECONDS="45",
        NOTIFICATIONS_SWEEP_GRACE_SECONDS="100",
        NOTIFICATIONS_SEND_LEASE_SECONDS="200",
    )

    assert found["CELERY_BEAT_SCHEDULE"]["notifications-sweep-outbox"]["schedule"] == 45
    assert found["NOTIFICATIONS_SWEEP_GRACE_SECONDS"] == 100
    send = found["CELERY_TASK_ANNOTATIONS"]["notifications.tasks.send_outgoing_message"]
    assert send["time_limit"] < 200


def test_a_lease_too_short_for_a_send_is_refused():
    with pytest.raises(subprocess.CalledProcessError) as refused:
        fresh_settings("NOTIFICATIONS_SEND_LEASE_SECONDS", NOTIFICATIONS_SEND_LEASE_SECONDS="20")

    assert "NOTIFICATIONS_SEND_LEASE_SECONDS must be at least 45" in refused.value.stderr
