"""follows_refresh and the read_follows task against the X emulator (real tweepy): pages,
the per-person cap, token refresh with rotation, a 429 that reschedules, the monthly budget,
and faults that keep what was read before."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.crypto import token_decrypt
from accounts.models import FollowedXId, XNetworkConsent, XUserReadMonth
from accounts.network import (
    BUDGET_MESSAGE,
    REVOKED_MESSAGE,
    Outcome,
    follows_refresh,
    network_consent_grant,
    users_read_this_month,
)
from accounts.tasks import read_due_follows, read_follows
from tests.factories import UserFactory
from tests.xemulator.conftest import MAYA, XApp

JONAS = "1460000000000000002"
PATH = f"/2/users/{MAYA}/following"


@pytest.fixture(autouse=True)
def _multi_page_reads(settings):
    """Reads of several pages (a cap above the default 1,000) and lists due after 3 days."""
    settings.NETWORK_MAX_FOLLOWS_READ = 5000
    settings.NETWORK_REFRESH_DAYS = 3


def followed(user) -> set[str]:
    return set(FollowedXId.objects.filter(user=user).values_list("x_id", flat=True))


def test_2500_follows_read_over_three_pages(maya, x_emulator_settings):
    x_emulator_settings.control.set_following(MAYA, [JONAS], generate=2499)

    result = follows_refresh(user=maya)

    assert (result.outcome, result.read) == (Outcome.DONE, 2500)
    assert len(followed(maya)) == 2500 and JONAS in followed(maya)
    sent = [r["query"]["max_results"] for r in x_emulator_settings.control.requests(PATH)]
    assert sent == ["1000", "1000", "1000"]
    consent = XNetworkConsent.objects.get(user=maya)
    assert consent.last_read_at and consent.status == XNetworkConsent.Status.READY
    assert users_read_this_month() == 2500


def test_the_per_person_cap_bounds_what_is_read_and_billed(maya, x_emulator_settings, settings):
    settings.NETWORK_MAX_FOLLOWS_READ = 1200
    x_emulator_settings.control.set_following(MAYA, generate=5000)

    result = follows_refresh(user=maya)

    assert (result.outcome, result.read) == (Outcome.DONE, 1200)
    assert len(followed(maya)) == 1200


def test_a_refresh_is_not_due_for_a_few_days_unless_asked(maya, x_emulator_settings):
    follows_refresh(user=maya)
    x_emulator_settings.control.clear_requests()

    assert follows_refresh(user=maya).outcome == Outcome.NOT_DUE
    assert x_emulator_settings.control.requests(PATH) == []
    assert follows_refresh(user=maya, force=True).outcome == Outcome.DONE


def test_a_new_read_replaces_the_set(maya, x_emulator_settings):
    follows_refresh(user=maya)
    x_emulator_settings.control.set_following(MAYA, [JONAS])

    follows_refresh(user=maya, force=True)

    assert followed(maya) == {JONAS}


def test_an_expired_token_is_refreshed_and_the_rotated_refresh_token_kept(
    maya, x_emulator_settings
):
    consent = XNetworkConsent.objects.get(user=maya)
    old_access = token_decrypt(consent.access_token_enc)
    old_refresh = token_decrypt(consent.refresh_token_enc)
    XNetworkConsent.objects.filter(pk=consent.pk).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )

    assert follows_refresh(user=maya).outcome == Outcome.DONE

    consent.refresh_from_db()
    assert token_decrypt(consent.access_token_enc) != old_access
    assert token_decrypt(consent.refresh_token_enc) not in ("", old_refresh)
    assert consent.expires_at > timezone.now()
    # X rotated it: the old refresh token no longer works.
    answer = XApp(x_emulator_settings).token(grant_type="refresh_token", refresh_token=old_refresh)
    assert answer.status_code == 400


def test_a_429_mid_way_reschedules_the_task_at_the_reset_and_resumes(
    maya, x_emulator_settings, monkeypatch
):
    x_emulator_settings.control.set_following(MAYA, [JONAS], generate=2499)
    follows_refresh(user=maya)  # what was read before
    x_emulator_settings.control.set_following(MAYA, generate=2500, seed=7)
    x_emulator_settings.control.add_fault(PATH, status=429, after=1, reset_seconds=600)
    scheduled = []
    monkeypatch.setattr(
        read_follows, "apply_async", lambda args, **options: scheduled.append((args, options))
    )

    assert read_follows(maya.pk, force=True) == Outcome.RATE_LIMITED

    ((args, options),) = scheduled
    consent = XNetworkConsent.objects.get(user=maya)
    assert args == (maya.pk,) and options["eta"] == consent.resume_at
    assert consent.resume_at > timezone.now() + timedelta(seconds=500)
    assert consent.resume_token and len(consent.partial_ids) == 1000
    assert consent.message  # told in plain words
    assert JONAS in followed(maya) and len(followed(maya)) == 2500  # previous set intact
    # Before the reset, a run (a duplicate task) asks X nothing.
    x_emulator_settings.control.clear_requests()
    assert follows_refresh(user=maya).outcome == Outcome.RATE_LIMITED
    assert x_emulator_settings.control.requests(PATH) == []
    # After it, the read goes on from the resume token and completes.
    XNetworkConsent.objects.filter(pk=consent.pk).update(resume_at=timezone.now())
    result = follows_refresh(user=maya)
    assert (result.outcome, result.read) == (Outcome.DONE, 1500)
    (resumed, *_) = x_emulator_settings.control.requests(PATH)
    assert resumed["query"]["pagination_token"] == consent.resume_token
    assert len(followed(maya)) == 2500 and JONAS not in followed(maya)
    assert XNetworkConsent.objects.get(user=maya).resume_token == ""


def test_a_revoked_token_keeps_the_previous_data_and_says_so(maya, x_emulator_settings):
    follows_refresh(user=maya)
    before = followed(maya)
    x_emulator_settings.control.revoke_tokens(MAYA)

    assert follows_refresh(user=maya, force=True).outcome == Outcome.FAILED

    assert followed(maya) == before and before
    consent = XNetworkConsent.objects.get(user=maya)
    assert consent.message == REVOKED_MESSAGE
    assert consent.status == XNetworkConsent.Status.FAILED


@pytest.mark.parametrize("fault", ["malformed", "gone"])
def test_a_malformed_page_or_a_deleted_account_keeps_the_previous_data(
    maya, x_emulator_settings, fault
):
    follows_refresh(user=maya)
    before = followed(maya)
    if fault == "gone":
        x_emulator_settings.control.delete_user(MAYA)
    else:
        x_emulator_settings.control.add_fault(PATH, "malformed")

    assert follows_refresh(user=maya, force=True).outcome == Outcome.FAILED

    assert followed(maya) == before and before
    assert "kept what we had" in XNetworkConsent.objects.get(user=maya).message


def test_the_monthly_budget_makes_refreshes_wait_and_says_so(maya, x_emulator_settings, settings):
    settings.NETWORK_MONTHLY_USER_READ_BUDGET = 10
    XUserReadMonth.objects.create(month=timezone.now().date().replace(day=1), users_read=10)

    assert follows_refresh(user=maya).outcome == Outcome.OVER_BUDGET

    assert x_emulator_settings.control.requests(PATH) == []
    assert XNetworkConsent.objects.get(user=maya).message == BUDGET_MESSAGE


def test_without_consent_nothing_is_read(db, x_emulator_settings):
    user = UserFactory(x_id=MAYA)

    assert follows_refresh(user=user).outcome == Outcome.NO_CONSENT
    assert read_follows(user.pk) == Outcome.NO_CONSENT
    assert x_emulator_settings.control.requests(PATH) == []


def test_beat_queues_the_lists_due_and_skips_fresh_failed_and_paused_ones(
    maya, x_emulator_settings, monkeypatch
):
    now = timezone.now()
    fresh, failed, paused, stale = (UserFactory() for _ in range(4))
    for person, fields in (
        (fresh, {"last_read_at": now}),
        (failed, {"status": XNetworkConsent.Status.FAILED}),
        (paused, {"resume_token": "t", "resume_at": now + timedelta(minutes=5)}),
        (stale, {"last_read_at": now - timedelta(days=4)}),
    ):
        network_consent_grant(user=person, access_token="a", refresh_token="r", expires_at=None)
        XNetworkConsent.objects.filter(user=person).update(**fields)
    queued = []
    monkeypatch.setattr(read_follows, "delay", queued.append)

    assert read_due_follows() == 2

    assert queued == [maya.pk, stale.pk]  # never read first, then the oldest
