from contextlib import contextmanager
from datetime import timedelta
from unittest import mock

import pytest
from django.utils import timezone

from events.services import TweetupDetails, tweetup_create
from notifications.broadcast_tasks import expand_broadcast
from notifications.tasks import send_outgoing_message
from tests.factories import MailableUserFactory


@pytest.fixture
def send_now(django_capture_on_commit_callbacks, celery_eager, smtp_mailer):
    """Run a service and then its on-commit tasks (in-process), delivering over SMTP."""

    def run(function, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return function(**kwargs)

    return run


@contextmanager
def tasks_lost():
    """Every notification task enqueued meanwhile is lost, as if Redis had been flushed."""
    with (
        mock.patch.object(send_outgoing_message, "delay"),
        mock.patch.object(expand_broadcast, "delay"),
    ):
        yield


@pytest.fixture
def organizer(db):
    return MailableUserFactory(display_name="Olga Organizer")


@pytest.fixture
def guest(db):
    return MailableUserFactory(display_name="Gus Guest")


def winter_evening(days_ahead: int = 10):
    """19:30 Berlin time (CET, UTC+1) on a winter day at least `days_ahead` days out."""
    import zoneinfo
    from datetime import datetime

    day = (timezone.now() + timedelta(days=days_ahead)).date()
    while day.month not in (12, 1, 2):
        day += timedelta(days=1)
    return datetime(day.year, day.month, day.day, 19, 30, tzinfo=zoneinfo.ZoneInfo("Europe/Berlin"))


def details(city, **overrides) -> TweetupDetails:
    starts = overrides.pop("starts_at", None) or winter_evening()
    values = {
        "city": city,
        "title": "Berlin X friends: winter drinks",
        "venue_name": "Café Kreuzberg",
        "venue_address": "Oranienstraße 1",
        "starts_at": starts,
        "ends_at": starts + timedelta(hours=2, minutes=30),
        "hashtag": "BerlinWinterDrinks",
        "capacity": None,
        "description": "Mulled wine and good people.",
    }
    values.update(overrides)
    return TweetupDetails(**values)


@pytest.fixture
def berlin_tweetup(organizer, berlin, django_capture_on_commit_callbacks):
    """A tweetup made through the service (its new-tweetup notice has no followers yet)."""
    with django_capture_on_commit_callbacks(execute=False):
        return tweetup_create(organizer=organizer, details=details(berlin))
