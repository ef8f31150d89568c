"""A dead beat is loud: sync cycles leave a heartbeat, and /readyz says when they stop."""

from datetime import timedelta
from unittest import mock

import pytest
from django.db import OperationalError, connection
from django.urls import reverse
from django.utils import timezone

from events.tasks import sync_cycle
from tweetups import heartbeat

pytestmark = pytest.mark.django_db


def readyz(client):
    response = client.get(reverse("readyz"))
    assert response["Content-Type"] == "application/json"
    assert "no-store" in response["Cache-Control"]
    return response.status_code, response.json()


def intervals(count: float, settings) -> timedelta:
    return timedelta(seconds=settings.X_SYNC_INTERVAL_SECONDS * count)


def test_a_sync_cycle_leaves_a_heartbeat_that_readyz_reports(client):
    sync_cycle()

    status, body = readyz(client)
    assert status == 200
    assert (body["status"], body["database"], body["cache"]) == ("ok", "ok", "ok")
    assert body["sync"]["status"] == "ok"
    assert body["sync"]["seconds_since_last_cycle"] < body["sync"]["interval_seconds"]
    assert body["sync"]["detail"].startswith("last sync cycle ")


def test_readyz_is_503_once_no_cycle_ran_for_several_intervals(client, settings):
    heartbeat.sync_cycle_ran(timezone.now() - intervals(2, settings))
    assert readyz(client)[0] == 200

    heartbeat.sync_cycle_ran(
        timezone.now() - intervals(heartbeat.STALLED_AFTER_INTERVALS + 1, settings)
    )
    status, body = readyz(client)
    assert status == 503
    assert body["status"] == "unavailable" and body["sync"]["status"] == "stalled"
    assert body["database"] == "ok"


def test_a_beat_that_never_ran_is_reported_after_several_intervals(client, settings):
    started = timezone.now()
    # A fresh deployment: no cycle yet, and that is fine for a few intervals.
    assert not heartbeat.sync_pulse(started).stalled
    assert not heartbeat.sync_pulse(started + intervals(2, settings)).stalled
    later = started + intervals(heartbeat.STALLED_AFTER_INTERVALS, settings) + timedelta(seconds=1)
    pulse = heartbeat.sync_pulse(later)
    assert pulse.stalled and pulse.last_cycle_at is None

    # The first cycle puts it right.
    heartbeat.sync_cycle_ran(later)
    assert not heartbeat.sync_pulse(later + timedelta(seconds=5)).stalled


def test_readyz_is_503_when_the_database_is_away(client):
    sync_cycle()
    with mock.patch.object(connection, "cursor", side_effect=OperationalError("gone")):
        status, body = readyz(client)
    assert status == 503
    assert body["database"] == "unavailable"


def test_readyz_reports_a_cache_outage_without_failing(client, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens there
        }
    }
    # Recording the heartbeat never takes a cycle down with it.
    sync_cycle()

    status, body = readyz(client)
    assert status == 200
    assert body["cache"] == "unavailable"
    assert body["sync"]["status"] == "unknown"
