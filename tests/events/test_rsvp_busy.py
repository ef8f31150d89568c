"""Bounded waits: an RSVP that can't get its tweetup's row lock in time answers 503 with
Retry-After, in the site's look, and changes nothing."""

import psycopg2
import pytest
from django.db import connection, connections

from events.models import Rsvp
from tests.factories import TweetupFactory, UserFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def short_lock_timeout():
    """The web's lock_timeout, shortened: the test waits 100 ms, not the configured seconds."""
    with connection.cursor() as cursor:
        cursor.execute("SET lock_timeout = '100ms'")
    yield
    with connection.cursor() as cursor:
        cursor.execute("RESET lock_timeout")


@pytest.fixture
def row_locked_elsewhere():
    """Lock a tweetup's row from another connection, as a long admin transaction would."""
    holders = []

    def lock(tweetup):
        other = psycopg2.connect(**connection.get_connection_params())
        holders.append(other)
        with other.cursor() as cursor:  # psycopg2 opens a transaction: held until rollback
            cursor.execute("SELECT 1 FROM events_tweetup WHERE id = %s FOR UPDATE", [tweetup.pk])

    yield lock
    for other in holders:
        other.rollback()
        other.close()


def test_web_connections_bound_lock_and_statement_waits(settings):
    new = connections.create_connection("default")
    try:
        with new.cursor() as cursor:
            cursor.execute("SHOW lock_timeout")
            lock_timeout = cursor.fetchone()[0]
            cursor.execute("SHOW statement_timeout")
            statement_timeout = cursor.fetchone()[0]
    finally:
        new.close()
    assert lock_timeout == f"{settings.DB_LOCK_TIMEOUT_MS // 1000}s"
    assert statement_timeout == f"{settings.DB_STATEMENT_TIMEOUT_MS // 1000}s"


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
def test_an_rsvp_waiting_on_a_locked_tweetup_answers_503_and_changes_nothing(
    client, short_lock_timeout, row_locked_elsewhere, htmx
):
    tweetup = TweetupFactory(capacity=2)
    person = UserFactory()
    client.force_login(person)
    row_locked_elsewhere(tweetup)

    response = client.post(
        f"/t/{tweetup.slug}/rsvp/",
        {"status": "going"},
        headers={"HX-Request": "true"} if htmx else {},
    )

    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert "try again" in response.text
    if htmx:  # the RSVP panel, swapped in place, with the message in it
        assert response.text.lstrip().startswith('<aside id="rsvp-panel"')
        assert "HX-Reswap" not in response
    else:  # a whole page in the site's look
        assert "<nav" in response.text or "<header" in response.text
        assert "<title>Busy" in response.text
    assert not Rsvp.objects.filter(user=person).exists()
    tweetup.refresh_from_db()
    assert tweetup.going_count == 1


def test_a_full_tweetup_locked_elsewhere_also_answers_503(
    client, short_lock_timeout, row_locked_elsewhere
):
    """The waitlist path locks the row before it decides: the same bound applies."""
    tweetup = TweetupFactory(capacity=1)
    person = UserFactory()
    client.force_login(person)
    row_locked_elsewhere(tweetup)

    response = client.post(f"/t/{tweetup.slug}/rsvp/", {"status": "going"})

    assert response.status_code == 503
    assert not Rsvp.objects.filter(user=person).exists()


def test_celery_workers_allow_longer_waits(settings):
    from tweetups.celery import _longer_database_waits

    options = settings.DATABASES["default"]["OPTIONS"]
    web = options["options"]
    try:
        _longer_database_waits()
        worker = options["options"]
    finally:
        options["options"] = web  # the dict is the live connection's settings: put it back
    assert worker == (
        f"-c lock_timeout={settings.DB_WORKER_LOCK_TIMEOUT_MS}"
        f" -c statement_timeout={settings.DB_WORKER_STATEMENT_TIMEOUT_MS}"
    )
    assert settings.DB_WORKER_LOCK_TIMEOUT_MS > settings.DB_LOCK_TIMEOUT_MS
