from contextlib import contextmanager
from datetime import timedelta
from unittest import mock
from urllib.parse import urlsplit

import pytest
from allauth.account.models import EmailAddress
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from events.models import Rsvp, Tweetup
from events.services import TweetupDetails, tweetup_cancel, tweetup_create
from notifications.broadcast_tasks import expand_broadcast
from notifications.models import Broadcast, CityFollow, EmailPreferences, OutgoingMessage
from notifications.preferences import city_follow
from notifications.tasks import send_outgoing_message
from tests.factories import CityFactory, MailableUserFactory, OutgoingMessageFactory
from tests.fixtures_mail import mail_links


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


# The outbox (test_outbox_rows.py, test_outbox_sending.py, test_outbox_sweep.py).


@pytest.fixture
def queued(berlin_tweetup, guest):
    """A confirmation in the outbox whose send task was never run (as if Redis lost it)."""
    return OutgoingMessageFactory(recipient=guest, tweetup=berlin_tweetup)


def later(seconds: int):
    return timezone.now() + timedelta(seconds=seconds)


# Links in mails (test_email_links.py, test_email_rsvp.py, test_unsubscribe.py,
# test_digest.py).


def link_path(token: str) -> str:
    return reverse("notifications:rsvp_link", args=[token])


def writes(ctx) -> list[str]:
    return [
        q["sql"]
        for q in ctx.captured_queries
        if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE", "REPLACE"))
    ]


def open_every_link(mails, client: Client) -> int:
    """GET and HEAD every link on this site in the mails, following redirects."""
    opened = 0
    for mail in mails:
        for url in mail_links(mail):
            parts = urlsplit(url)
            if parts.netloc != "127.0.0.1:8000":
                continue  # Google Calendar, X
            for method in (client.get, client.head):
                response = method(parts.path, follow=True)
                assert response.status_code < 500, (url, response.status_code)
                opened += 1
    return opened


def snapshot() -> dict:
    """Everything a link could change."""
    return {
        "rsvps": sorted(
            Rsvp.objects.values_list("tweetup_id", "user_id", "status", "waitlist_position")
        ),
        "rsvp_times": sorted(Rsvp.objects.values_list("pk", "updated_at")),
        "tweetups": sorted(
            Tweetup.objects.values_list("pk", "status", "revision", "going_count", "updated_at")
        ),
        "messages": sorted(OutgoingMessage.objects.values_list("pk", "status", "attempts")),
        "broadcasts": sorted(Broadcast.objects.values_list("pk", "expanded_at")),
        "preferences": sorted(EmailPreferences.objects.values_list()),
        "follows": sorted(CityFollow.objects.values_list("user_id", "city_id")),
        "addresses": sorted(EmailAddress.objects.values_list("email", "verified", "primary")),
    }


# The weekly digest (test_digest.py, test_digest_network.py).


def days_ahead(days: float):
    """The moment `days` from now."""
    return timezone.now() + timedelta(days=days)


@pytest.fixture
def tokyo(db):
    return CityFactory(name="Tokyo", country="Japan", timezone="Asia/Tokyo")


@pytest.fixture
def week(send_now, organizer, berlin, tokyo):
    """Tweetups in Berlin and Tokyo: two in the coming week, one further out, one cancelled."""

    def create(city, days, hashtag, title):
        return send_now(
            tweetup_create,
            organizer=organizer,
            details=details(city, starts_at=days_ahead(days), hashtag=hashtag, title=title),
        )

    tweetups = {
        "berlin": create(berlin, 2, "BerlinSoon", "Berlin: drinks on Wednesday"),
        "tokyo": create(tokyo, 4, "TokyoSoon", "Tokyo: ramen on Friday"),
        "later": create(berlin, 9, "BerlinLater", "Berlin: next month"),
        "cancelled": create(berlin, 3, "BerlinOff", "Berlin: called off"),
    }
    send_now(tweetup_cancel, tweetup=tweetups["cancelled"], actor=organizer, reason="Flu.")
    return tweetups


@pytest.fixture
def fan(berlin, tokyo):
    """Follows Berlin and Tokyo, with a verified address."""
    person = MailableUserFactory(display_name="Fran Fan")
    city_follow(user=person, city=berlin)
    city_follow(user=person, city=tokyo)
    return person


def digests(smtp) -> list:
    """The weekly digests among the mails the SMTP server received."""
    return [m for m in smtp.messages if "<digest." in m["List-Id"]]
