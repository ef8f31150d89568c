"""'See who you follow' offered after sign-in (a banner until the person chooses, never again
after "Not now"); a protected X account noted at sign-in; and one read of a person's follows
at a time (the read lease), so two refreshes at once never both call X."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts import network
from accounts.models import User, XNetworkConsent
from accounts.network import Outcome, follows_refresh, network_consent_grant
from accounts.x.follows import FollowingPage
from tests.factories import UserFactory
from tests.fixtures_x import x_sign_in

KENJI = "1460000000000000006"  # protected, in the emulator's demo accounts
LUCIA = "1460000000000000004"
OFFER = 'class="wrap card network-offer"'
DECLINE = "/x-network/not-now/"


@pytest.fixture
def browser(db):
    return Client(enforce_csrf_checks=True)


def csrf(client: Client) -> str:
    return client.cookies["csrftoken"].value


# --- Offered after sign-in ----------------------------------------------------------------------


def test_the_not_now_address():
    assert reverse("accounts:network_offer_decline") == DECLINE


def test_first_sign_in_offers_see_who_you_follow_until_not_now(browser, x_emulator_settings):
    x_sign_in(browser, user_id=LUCIA)
    page = browser.get(reverse("events:home")).text
    assert OFFER in page and reverse("accounts:network") in page
    assert OFFER in browser.get(reverse("events:city_pick")).text  # until they choose
    assert OFFER not in browser.get(reverse("accounts:network")).text  # the offer itself

    response = browser.post(DECLINE, {"csrfmiddlewaretoken": csrf(browser), "next": "/cities/"})
    assert response.status_code == 302 and response["Location"] == "/cities/"
    assert OFFER not in browser.get(reverse("events:home")).text
    user = User.objects.get(x_id=LUCIA)
    assert user.network_offer_declined_at is not None

    # Signing in again does not ask again; the account page still offers it.
    browser.post(reverse("account_logout"), {"csrfmiddlewaretoken": csrf(browser)})
    x_sign_in(browser, user_id=LUCIA)
    assert OFFER not in browser.get(reverse("events:home")).text
    assert "See who you follow" in browser.get(reverse("accounts:network")).text


def test_no_offer_to_someone_who_already_agreed(browser, x_emulator_settings):
    user = UserFactory(x_id=LUCIA, x_username="luciafdez")
    network_consent_grant(user=user, access_token="a", refresh_token="r", expires_at=None)
    x_sign_in(browser, user_id=LUCIA)
    assert User.objects.get(x_id=LUCIA) == user
    assert OFFER not in browser.get(reverse("events:home")).text


def test_visitors_never_get_the_offer_and_cannot_decline_for_anyone(db):
    visitor = Client()
    assert OFFER not in visitor.get(reverse("events:home")).text
    response = visitor.post(DECLINE, {"next": "/"})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert not User.objects.filter(network_offer_declined_at__isnull=False).exists()


def test_not_now_is_one_persons_own_and_needs_a_csrf_token(db):
    me, other = UserFactory(), UserFactory()
    client = Client(enforce_csrf_checks=True)
    client.force_login(me)
    assert client.post(DECLINE).status_code == 403
    client = Client()
    client.force_login(me)
    response = client.post(DECLINE, {"next": "https://evil.example/"})
    assert response.status_code == 302 and response["Location"] == "/"
    me.refresh_from_db()
    other.refresh_from_db()
    assert me.network_offer_declined_at is not None
    assert other.network_offer_declined_at is None


def test_the_offer_costs_no_query(db):
    user = UserFactory()
    client = Client()
    client.force_login(user)
    session = client.session
    session[network.NETWORK_OFFER_SESSION_KEY] = True
    session.save()
    url = reverse("events:home")
    client.get(url)  # warm the frame
    with CaptureQueriesContext(connection) as with_offer:
        assert OFFER in client.get(url).text
    client.post(DECLINE)
    with CaptureQueriesContext(connection) as without:
        assert OFFER not in client.get(url).text
    assert len(with_offer) == len(without)


# --- Protected accounts are noted at sign-in ---------------------------------------------------


def test_signing_in_with_a_protected_account_notes_it(browser, x_emulator_settings):
    x_sign_in(browser, user_id=KENJI)
    assert User.objects.get(x_id=KENJI).x_protected is True
    browser.post(reverse("account_logout"), {"csrfmiddlewaretoken": csrf(browser)})
    x_sign_in(browser, user_id=LUCIA)
    assert User.objects.get(x_id=LUCIA).x_protected is False


# --- One read at a time ------------------------------------------------------------------------


@pytest.fixture
def opted_in(db, settings):
    settings.NETWORK_MONTHLY_USER_READ_BUDGET = 10_000
    user = UserFactory(x_id="1460000000000000001")
    network_consent_grant(
        user=user,
        access_token="token",
        refresh_token="refresh",
        expires_at=timezone.now() + timedelta(hours=2),
    )
    return user


def page(*ids: str) -> FollowingPage:
    return FollowingPage(
        ids=ids,
        protected_ids=frozenset(),
        next_token=None,
        rate_limit_remaining=14,
        rate_limit_reset=None,
    )


def test_a_second_refresh_while_one_reads_does_not_call_x(opted_in, monkeypatch):
    calls, inner = [], []

    def reading(access_token, x_user_id, **kwargs):
        calls.append(x_user_id)
        # While this read talks to X, another one for the same person starts (a second
        # worker, "Refresh now"): it must find the lease and leave X alone.
        inner.append(follows_refresh(user=opted_in, force=True))
        yield page("11", "12")

    monkeypatch.setattr(network, "following_ids", reading)

    result = follows_refresh(user=opted_in, force=True)

    assert result.outcome == Outcome.DONE
    assert [r.outcome for r in inner] == [Outcome.BUSY]
    assert len(calls) == 1
    consent = XNetworkConsent.objects.get(user=opted_in)
    assert consent.reading_until is None  # released: the next read may start
    assert set(opted_in.followed_x_ids.values_list("x_id", flat=True)) == {"11", "12"}


def test_the_lease_is_released_when_a_read_fails_unexpectedly(opted_in, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("a bug")
        yield  # a generator, like the real one

    monkeypatch.setattr(network, "following_ids", broken)
    with pytest.raises(RuntimeError):
        follows_refresh(user=opted_in, force=True)
    assert XNetworkConsent.objects.get(user=opted_in).reading_until is None


def test_a_lease_left_by_a_dead_worker_runs_out(opted_in, monkeypatch):
    monkeypatch.setattr(network, "following_ids", lambda *a, **k: iter([page("21")]))
    held = timezone.now() + timedelta(minutes=5)
    XNetworkConsent.objects.filter(user=opted_in).update(reading_until=held)
    assert follows_refresh(user=opted_in, force=True).outcome == Outcome.BUSY
    XNetworkConsent.objects.filter(user=opted_in).update(
        reading_until=timezone.now() - timedelta(seconds=1)
    )
    assert follows_refresh(user=opted_in, force=True).outcome == Outcome.DONE


def test_a_read_whose_lease_was_taken_over_keeps_nothing(opted_in, monkeypatch):
    def slow(*args, **kwargs):
        # This read outlived its lease and another took it over meanwhile.
        XNetworkConsent.objects.filter(user=opted_in).update(
            reading_until=timezone.now() + timedelta(minutes=10)
        )
        yield page("31")

    monkeypatch.setattr(network, "following_ids", slow)
    assert follows_refresh(user=opted_in, force=True).outcome == Outcome.BUSY
    assert not opted_in.followed_x_ids.exists()
    assert XNetworkConsent.objects.get(user=opted_in).reading_until is not None  # theirs


def test_no_offer_once_they_agreed_in_another_browser(browser, x_emulator_settings):
    x_sign_in(browser, user_id=LUCIA)
    assert OFFER in browser.get(reverse("events:home")).text

    # On their phone, meanwhile, they said yes.
    network_consent_grant(
        user=User.objects.get(x_id=LUCIA), access_token="a", refresh_token="r", expires_at=None
    )

    assert OFFER not in browser.get(reverse("events:home")).text
