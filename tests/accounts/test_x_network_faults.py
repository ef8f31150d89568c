"""Issue 12's bad input and faults, from X to the person's page: a following list of none and
of 100,000, a revoked token, a 429 in the middle, an account deleted on X, malformed pages,
X down. Each keeps what was read before (or honestly replaces it), says what happened in
plain words on the page, logs it, never answers 500 and never leaves a read stuck."""

import time
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import XNetworkConsent
from accounts.network import (
    REVOKED_MESSAGE,
    Outcome,
    follows_refresh,
    network_user_ids_due,
    users_read_this_month,
)
from accounts.tasks import MAX_RETRIES, read_follows
from accounts.x.follows import NOT_FOUND_TYPE, FollowsUserGone
from tests.accounts.test_x_network_refresh import JONAS, PATH, followed
from tests.xemulator.conftest import MAYA

pytestmark = pytest.mark.usefixtures("no_sleeping")


@pytest.fixture
def no_sleeping(monkeypatch):
    """Nothing in a read may wait for X: a 429 is rescheduled, never slept through."""

    def refuse(seconds):
        raise AssertionError(f"slept {seconds} s in a read")

    monkeypatch.setattr(time, "sleep", refuse)


def page_of(client, user) -> str:
    client.force_login(user)
    response = client.get(reverse("accounts:network"))
    assert response.status_code == 200
    return response.text


def released(user) -> bool:
    return XNetworkConsent.objects.get(user=user).reading_until is None


def test_following_nobody_is_a_complete_read_of_none(maya, x_emulator_settings, client):
    x_emulator_settings.control.set_following(MAYA, [])

    result = follows_refresh(user=maya)

    assert (result.outcome, result.read) == (Outcome.DONE, 0)
    assert followed(maya) == set()
    assert len(x_emulator_settings.control.requests(PATH)) == 1
    assert "We know 0 accounts you follow" in page_of(client, maya)


def test_following_100000_reads_only_the_default_cap_in_one_request(
    maya,
    x_emulator_settings,
    settings,
    client,
):
    settings.NETWORK_MAX_FOLLOWS_READ = 1000  # the default, whatever this module's neighbours say
    x_emulator_settings.control.set_following(MAYA, [JONAS], generate=99_999)

    result = follows_refresh(user=maya)

    assert (result.outcome, result.read) == (Outcome.DONE, 1000)
    assert len(followed(maya)) == 1000 and JONAS in followed(maya)
    (request,) = x_emulator_settings.control.requests(PATH)
    assert request["query"]["max_results"] == "1000"
    assert users_read_this_month() == 1000  # billed: what was kept, no more
    assert "We know 1000 accounts you follow" in page_of(client, maya)


def test_a_429_in_a_100000_list_keeps_the_previous_set_and_resumes_at_the_reset(
    maya,
    x_emulator_settings,
    settings,
    monkeypatch,
    client,
):
    settings.NETWORK_MAX_FOLLOWS_READ = 5000
    follows_refresh(user=maya)
    before = followed(maya)
    x_emulator_settings.control.set_following(MAYA, generate=100_000, seed=3)
    x_emulator_settings.control.add_fault(PATH, status=429, after=2, reset_seconds=900)
    scheduled = []
    monkeypatch.setattr(
        read_follows, "apply_async", lambda args, **options: scheduled.append(options["eta"])
    )

    assert read_follows(maya.pk, force=True) == Outcome.RATE_LIMITED

    consent = XNetworkConsent.objects.get(user=maya)
    assert scheduled == [consent.resume_at] and released(maya)
    assert len(consent.partial_ids) == 2000
    assert followed(maya) == before  # intact until a read completes
    assert "X asked us to slow down" in page_of(client, maya)
    XNetworkConsent.objects.filter(user=maya).update(resume_at=timezone.now())
    assert read_follows(maya.pk) == Outcome.DONE
    assert len(followed(maya)) == 5000 and not followed(maya) & before


@pytest.mark.parametrize(
    ("fault", "said"),
    [
        ("revoked", REVOKED_MESSAGE),
        ("deleted", REVOKED_MESSAGE),  # X kills a deleted account's tokens: a 401
        ("not found", FollowsUserGone.message),  # or says so in a 200's `errors`
        ("malformed", "X sent an answer we could not read."),
        ("not an object", "X sent an answer we could not read."),
        ("truncated", "X sent an answer we could not read."),
    ],
)
def test_a_fault_keeps_the_previous_set_says_so_and_logs_it(
    maya,
    x_emulator_settings,
    client,
    caplog,
    fault,
    said,
):
    follows_refresh(user=maya)
    before = followed(maya)
    control = x_emulator_settings.control
    if fault == "revoked":
        control.revoke_tokens(MAYA)
    elif fault == "deleted":
        control.delete_user(MAYA)
    elif fault == "not found":
        control.add_fault(PATH, "json", body={"errors": [{"type": NOT_FOUND_TYPE, "detail": "x"}]})
    elif fault == "not an object":
        control.add_fault(PATH, "json", body=["not", "a", "page"])
    else:
        control.add_fault(PATH, fault)

    with caplog.at_level("WARNING", logger="accounts.network"):
        assert read_follows(maya.pk, force=True) == Outcome.FAILED

    assert followed(maya) == before and before
    assert released(maya)
    html = page_of(client, maya)
    assert said in html
    assert "Connect again" in html
    assert f"user {maya.pk} follows" in caplog.text
    # The token stays out of the logs, whatever went wrong.
    assert "Bearer" not in caplog.text


def test_x_down_retries_with_backoff_then_gives_up_keeping_the_set(
    maya,
    x_emulator_settings,
    client,
):
    follows_refresh(user=maya)
    before = followed(maya)
    x_emulator_settings.control.add_fault(PATH, status=503, count=100)

    # Run eagerly, the retries run at once, one inside the other; the last one gives up.
    result = read_follows.apply(args=(maya.pk,), kwargs={"force": True}, throw=False)

    assert result.successful() and result.result == Outcome.UNAVAILABLE
    assert len(x_emulator_settings.control.requests(PATH)) == 1 + 1 + MAX_RETRIES
    assert followed(maya) == before and released(maya)
    html = page_of(client, maya)
    assert "X could not be reached just now. We kept what we had." in html
    assert "Connect again" not in html  # nothing the person needs to do
    # Not given up on: the hourly fan-out reads it again once it is due.
    consent = XNetworkConsent.objects.get(user=maya)
    assert consent.status == XNetworkConsent.Status.WAITING
    XNetworkConsent.objects.filter(user=maya).update(last_read_at=None)
    assert network_user_ids_due(limit=10) == [maya.pk]


def test_a_read_that_died_holding_the_lease_is_taken_over_once_it_runs_out(
    maya,
    x_emulator_settings,
):
    XNetworkConsent.objects.filter(user=maya).update(
        reading_until=timezone.now() + timedelta(minutes=5)
    )
    assert follows_refresh(user=maya).outcome == Outcome.BUSY

    XNetworkConsent.objects.filter(user=maya).update(
        reading_until=timezone.now() - timedelta(seconds=1)
    )
    assert follows_refresh(user=maya).outcome == Outcome.DONE
    assert released(maya)


def test_the_page_says_when_the_list_was_read(maya, x_emulator_settings, client):
    follows_refresh(user=maya)

    assert "just now</time>" in page_of(client, maya)

    XNetworkConsent.objects.filter(user=maya).update(
        last_read_at=timezone.now() - timedelta(hours=3, minutes=1)
    )
    html = page_of(client, maya)
    assert "3\xa0hours, 1\xa0minute ago</time>" in html and "just now" not in html
