"""Redis is an accelerator, never a single point of failure: with it down (a closed port) or
hung (a server that accepts connections and never answers) every page renders, people sign
in and RSVP, and mail waits in the outbox until the broker is back."""

import logging
import os
import runpy
import uuid
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from allauth.account.models import EmailAddress, EmailConfirmationHMAC
from celery.app.defaults import DEFAULTS as CELERY_DEFAULTS
from django.contrib.sessions.backends.cached_db import KEY_PREFIX as SESSION_CACHE_PREFIX
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import timezone

import tweetups
from events.models import Rsvp
from notifications.models import CityFollow, MessageKind, OutgoingMessage
from notifications.sweep import outbox_sweep
from notifications.tokens import rsvp_token_make
from tests.factories import MailableUserFactory, TweetupFactory, UserFactory
from tests.fixtures_x import x_sign_in
from tests.redis_faults import FaultyRedis, closed_port_url
from tests.test_security import site_urls  # noqa: F401  (a fixture: every URL, filled in)
from tweetups import cache as soft_cache
from tweetups import celery as site_celery
from tweetups.celery import app as celery_app

pytestmark = pytest.mark.django_db

LUCIA = "1460000000000000004"  # a user the X emulator knows


@pytest.fixture(params=["down", "hung"])
def redis_outage(request, settings, monkeypatch):
    """The site's cache at a Redis that is down, or hung."""
    monkeypatch.setattr(soft_cache, "LOG_SECONDS", 3600)  # however slow the machine
    hole = FaultyRedis() if request.param == "hung" else None
    url = hole.url() if hole else closed_port_url()
    settings.CACHES = {"default": {"BACKEND": "tweetups.cache.RedisCache", "LOCATION": url}}
    settings.PAGE_CACHE_SECONDS = 60  # as in production
    yield request.param
    if hole:
        hole.close()
        assert not hole.gave_up, "a request waited on the hung Redis until the test gave up"


def server_errors(responses) -> list:
    return [(url, r.status_code) for url, r in responses if r.status_code >= 500]


def outage_warnings(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "tweetups.cache"]


@pytest.mark.parametrize("who", ["anonymous", "organizer"])
def test_every_page_answers(
    redis_outage,
    site_urls,  # noqa: F811  (the fixture imported above)
    tweetup,
    who,
    caplog,
    django_capture_on_commit_callbacks,
):
    client = Client(raise_request_exception=False)
    if who == "organizer":
        client.force_login(tweetup.organizer)
    responses = []
    for _name, url in site_urls:
        for headers in ({}, {"HX-Request": "true"}):
            responses.append((url, client.get(url, headers=headers)))
            responses.append((url, client.head(url, headers=headers)))
    if who == "organizer":
        assert client.get(reverse("notifications:settings")).status_code == 200  # signed in
    with django_capture_on_commit_callbacks(execute=True):
        for name, url in site_urls:
            if name != "account_logout":  # last, so the other POSTs are signed in
                responses.append((url, client.post(url, {"status": "going", "reason": "x"})))
        responses.append(("logout", client.post(reverse("account_logout"))))

    assert server_errors(responses) == []
    (warning,) = outage_warnings(caplog)  # once, not once per request
    assert "Redis cache unreachable" in warning


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
def test_rsvps_are_taken_and_the_rate_limit_lets_people_through(
    redis_outage, client, tweetup, other_user, settings, htmx, django_capture_on_commit_callbacks
):
    settings.RSVP_RATE_LIMIT = 1  # with Redis up, the second RSVP would be refused (429)
    client.force_login(other_user)
    url = reverse("events:rsvp", args=[tweetup.slug])
    headers = {"HX-Request": "true"} if htmx else {}
    with django_capture_on_commit_callbacks(execute=True):
        statuses = [
            client.post(url, {"status": status}, headers=headers).status_code
            for status in ("maybe", "going", "going")
        ]
    assert statuses == [200] * 3 if htmx else [302] * 3
    assert tweetup.rsvps.get(user=other_user).status == Rsvp.Status.GOING
    page = client.get(tweetup.get_absolute_url())
    assert page.status_code == 200 and "You're going" in page.text


def test_follow_a_city(redis_outage, client, user, berlin, django_capture_on_commit_callbacks):
    client.force_login(user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("notifications:city_follow", args=[berlin.slug]), {"follow": "1"}
        )
    assert response.status_code == 302
    assert CityFollow.objects.filter(user=user, city=berlin).exists()
    assert f"Following {berlin.name}" in client.get(berlin.get_absolute_url()).text


def test_verify_an_email_address(redis_outage, client, user):
    address = EmailAddress.objects.create(user=user, email="me@example.com", verified=False)
    client.force_login(user)
    link = reverse("account_confirm_email", args=[EmailConfirmationHMAC(address).key])
    assert client.get(link).status_code == 200
    response = client.post(link)
    assert response.status_code == 302
    address.refresh_from_db()
    assert address.verified


def test_rsvp_from_an_email_link(redis_outage, client, django_capture_on_commit_callbacks):
    tweetup, guest = TweetupFactory(), UserFactory()
    token = rsvp_token_make(user_id=guest.pk, tweetup_id=tweetup.pk, choice="going")
    assert client.get(reverse("notifications:rsvp_link", args=[token])).status_code == 302
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("notifications:rsvp_confirm"), {"token": token})
    assert response.status_code == 302
    assert tweetup.rsvps.get(user=guest).status == Rsvp.Status.GOING


def test_sign_in_with_x_and_stay_signed_in(redis_outage, x_emulator_settings):
    browser = Client(enforce_csrf_checks=True)
    assert x_sign_in(browser, user_id=LUCIA).status_code == 302
    assert browser.session.get("_auth_user_id")
    page = browser.get(reverse("notifications:settings"))  # sign-in required
    assert page.status_code == 200


@pytest.mark.redis
def test_a_sign_out_during_an_outage_holds_once_redis_is_back(settings, user, monkeypatch):
    # Redis is tried on every call, so the test needn't wait out the pause after a failure.
    monkeypatch.setattr(soft_cache, "RETRY_SECONDS", 0)
    redis = FaultyRedis(upstream=os.environ["REDIS_URL"])
    db = int(urlsplit(os.environ["REDIS_URL"]).path.strip("/") or 0)
    settings.CACHES = {
        "default": {
            "BACKEND": "tweetups.cache.RedisCache",
            "LOCATION": redis.url(db),
            "KEY_PREFIX": uuid.uuid4().hex,
        }
    }
    try:
        client = Client()
        client.force_login(user)
        assert client.get(reverse("notifications:settings")).status_code == 200
        session_key = client.cookies[settings.SESSION_COOKIE_NAME].value
        assert cache.has_key(SESSION_CACHE_PREFIX + session_key)  # served from Redis

        redis.hang()
        assert client.post(reverse("account_logout")).status_code == 302
        redis.heal()

        # Someone who kept the cookie: Redis still held the session, but not for long.
        thief = Client()
        thief.cookies[settings.SESSION_COOKIE_NAME] = session_key
        page = thief.get(reverse("notifications:settings"))
        assert page.status_code == 302 and page["Location"].startswith(reverse("account_login"))
        assert not cache.has_key(SESSION_CACHE_PREFIX + session_key)
    finally:
        redis.close()


@pytest.mark.redis
def test_with_redis_up_every_call_reaches_it(settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "tweetups.cache.RedisCache",
            "LOCATION": os.environ["REDIS_URL"],
            "KEY_PREFIX": uuid.uuid4().hex,
        }
    }
    assert cache.add("n", 1) is True and cache.add("n", 2) is False
    assert cache.incr("n") == 2
    cache.set_many({"a": "A", "b": ["B"]})
    assert cache.get_many(["a", "b", "c"]) == {"a": "A", "b": ["B"]}
    assert cache.touch("a", 60) is True and cache.has_key("a")
    assert cache.delete("a") is True and cache.get("a", "gone") == "gone"
    cache.delete_many(["b", "n"])
    assert cache.get_many(["b", "n"]) == {}
    with pytest.raises(ValueError):
        cache.incr("n")


def test_an_outage_is_logged_once_not_once_per_call(settings, caplog, monkeypatch):
    settings.CACHES = {
        "default": {"BACKEND": "tweetups.cache.RedisCache", "LOCATION": closed_port_url()}
    }
    monkeypatch.setattr(soft_cache, "RETRY_SECONDS", 0)  # every call tries Redis, and fails
    monkeypatch.setattr(soft_cache, "LOG_SECONDS", 3600)  # however slow the machine
    with caplog.at_level(logging.WARNING, logger="tweetups.cache"):
        for _ in range(20):
            assert cache.get("k", "missed") == "missed"
            assert cache.add("k", 1) is False
            cache.set("k", 1)
    assert len(outage_warnings(caplog)) == 1


# --- The broker -------------------------------------------------------------------------
BROKER_SETTINGS = [
    "broker_url",
    "broker_transport_options",
    "broker_connection_timeout",
    "task_publish_retry",
    "task_publish_retry_policy",
    "task_always_eager",
]


@pytest.fixture(params=["down", "hung"])
def broker_outage(request, monkeypatch):
    """Celery configured as the settings configure it for a Redis broker that is down or
    hung (tweetups/settings/redis_celery.py read again with that REDIS_URL); the cache stays
    up. Yields the hung broker, if it is one."""
    hole = FaultyRedis(give_up_after=20) if request.param == "hung" else None
    url = hole.url() if hole else closed_port_url()
    settings_file = Path(tweetups.__file__).with_name("settings") / "redis_celery.py"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("REDIS_URL", url)
        patch.setenv("CELERY_TASK_ALWAYS_EAGER", "false")
        configured = runpy.run_path(str(settings_file))
    saved = {name: celery_app.conf[name] for name in BROKER_SETTINGS}
    celery_app.conf.update(
        {
            name: configured.get(f"CELERY_{name.upper()}", CELERY_DEFAULTS[name])
            for name in BROKER_SETTINGS
        }
    )
    celery_app._after_fork()  # forget pooled connections to the old broker
    monkeypatch.setattr(site_celery, "_broker", {"skip_until": 0.0, "logged_at": None})
    monkeypatch.setattr(site_celery, "BROKER_RETRY_SECONDS", 3600)  # however slow the machine
    yield hole
    celery_app.conf.update(saved)
    celery_app._after_fork()
    if hole:
        hole.close()


def test_rsvps_with_the_broker_away_keep_their_mail_for_later(
    broker_outage, client, berlin, django_capture_on_commit_callbacks, smtp_mailer, caplog
):
    guest = MailableUserFactory()
    tweetups = TweetupFactory.create_batch(2, city=berlin)
    client.force_login(guest)
    tried = []  # connections the broker took by the end of each RSVP
    for tweetup in tweetups:
        with django_capture_on_commit_callbacks(execute=True):  # the publish fails here
            response = client.post(reverse("events:rsvp", args=[tweetup.slug]), {"status": "going"})
        assert response.status_code == 302
        tried.append(broker_outage.accepted if broker_outage else None)
    if broker_outage:
        assert not broker_outage.gave_up, "an RSVP waited on the hung broker"
        assert tried[0] > 0 and tried[1] == tried[0]  # the second RSVP didn't wait on it
    messages = OutgoingMessage.objects.filter(recipient=guest, kind=MessageKind.CONFIRMATION)
    assert [m.status for m in messages] == [OutgoingMessage.Status.QUEUED] * 2
    # Logged once, without a traceback per request.
    assert [(r.name, r.levelname) for r in caplog.records if r.levelno >= logging.WARNING] == [
        ("tweetups.celery", "WARNING")
    ]

    # The broker is back (tasks run in-process), and the sweep finds the mail.
    celery_app.conf.task_always_eager = True
    later = timezone.now() + timedelta(hours=1)
    assert outbox_sweep(now=later)["messages"] == 2
    assert {m.status for m in messages.all()} == {OutgoingMessage.Status.SENT}
    assert len(smtp_mailer.messages) == 2
