"""Every way sign-in with X can go wrong ends on a friendly page, signed out, with no new user."""

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import User
from tests.fixtures_x import html_forms, start_x_sign_in, x_consent, x_sign_in

LUCIA = "1460000000000000004"
PROVIDER_LOGIN = "/accounts/twitter_oauth2/login/"
X_TROUBLE = "X couldn't confirm who you are"
STALE_LINK = "This sign-in link has expired or was already used"


@pytest.fixture
def browser(db):
    return Client(enforce_csrf_checks=True)


def with_param(url: str, name: str, value: str) -> str:
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    query[name] = value
    return urlunsplit(parts._replace(query=urlencode(query)))


def assert_friendly_failure(response, client: Client, *, says: str, users_before: int = 0):
    assert response.status_code == 401
    assert "socialaccount/authentication_error.html" in [t.name for t in response.templates]
    html = response.content.decode()
    assert says in html
    assert "tweetups-dev-secret" not in html
    forms = [f for f in html_forms(html) if ("", "", "Try again") in f.buttons]
    assert [(f.method, f.action) for f in forms] == [("post", PROVIDER_LOGIN)]
    assert forms[0].fields["csrfmiddlewaretoken"]
    assert "_auth_user_id" not in client.session
    assert User.objects.count() == users_before


def test_denied_consent(browser, x_emulator_settings):
    response = x_sign_in(browser, decision="cancel")

    assert response.status_code == 302
    page = browser.get(response["Location"])
    assert page.status_code == 200
    assert "socialaccount/login_cancelled.html" in [t.name for t in page.templates]
    html = page.content.decode()
    assert "X shared nothing with Tweetups" in html
    (try_again,) = [f for f in html_forms(html) if ("", "", "Try again") in f.buttons]
    assert try_again.action == PROVIDER_LOGIN
    assert "_auth_user_id" not in browser.session
    assert not User.objects.exists()
    assert x_emulator_settings.control.requests("/2/oauth2/token") == []


def test_forged_state(browser, x_emulator_settings):
    callback = x_consent(start_x_sign_in(browser), user_id=LUCIA)

    response = browser.get(with_param(callback, "state", "forged-by-someone-else"))

    assert_friendly_failure(response, browser, says=STALE_LINK)
    assert x_emulator_settings.control.requests("/2/oauth2/token") == []


def test_a_callback_from_another_browser_session(browser, x_emulator_settings):
    # Login CSRF: someone else's valid code and state, replayed in this browser.
    attacker = Client()
    callback = x_consent(start_x_sign_in(attacker), user_id=LUCIA)

    response = browser.get(callback)

    assert_friendly_failure(response, browser, says=STALE_LINK)


def test_reused_state(browser, x_emulator_settings):
    callback = x_consent(start_x_sign_in(browser), user_id=LUCIA)
    assert browser.get(callback).status_code == 302
    browser.post(
        reverse("account_logout"), {"csrfmiddlewaretoken": browser.cookies["csrftoken"].value}
    )

    response = browser.get(callback)

    assert_friendly_failure(response, browser, says=STALE_LINK, users_before=1)
    assert len(x_emulator_settings.control.requests("/2/oauth2/token")) == 1


def test_expired_state(browser, x_emulator_settings, monkeypatch):
    import time
    from types import SimpleNamespace

    from allauth.socialaccount.internal import statekit

    callback = x_consent(start_x_sign_in(browser), user_id=LUCIA)
    later = time.time() + statekit.STATE_TTL + 1
    # The person comes back after allauth's state has expired (only allauth's clock moves).
    monkeypatch.setattr(statekit, "time", SimpleNamespace(time=lambda: later))

    response = browser.get(callback)

    assert_friendly_failure(response, browser, says=STALE_LINK)
    assert x_emulator_settings.control.requests("/2/oauth2/token") == []


def test_expired_code(browser, x_emulator_settings):
    callback = x_consent(start_x_sign_in(browser), user_id=LUCIA)
    x_emulator_settings.control.advance_clock(31)

    response = browser.get(callback)

    assert_friendly_failure(response, browser, says=X_TROUBLE)
    (token_call,) = x_emulator_settings.control.requests("/2/oauth2/token")
    assert token_call["status"] == 400


def test_pkce_mismatch(browser, x_emulator_settings):
    # An attacker's code_challenge on the authorize URL: the site's verifier no longer fits.
    authorize_url = start_x_sign_in(browser)
    tampered = with_param(authorize_url, "code_challenge", "A" * 43)

    response = browser.get(x_consent(tampered, user_id=LUCIA))

    assert_friendly_failure(response, browser, says=X_TROUBLE)
    (token_call,) = x_emulator_settings.control.requests("/2/oauth2/token")
    assert token_call["status"] == 400


def test_wrong_client_secret(browser, x_emulator_settings, settings):
    settings.SOCIALACCOUNT_PROVIDERS = {
        "twitter_oauth2": {
            **settings.SOCIALACCOUNT_PROVIDERS["twitter_oauth2"],
            "APPS": [{"client_id": settings.X_CLIENT_ID, "secret": "not-the-secret", "key": ""}],
        }
    }

    response = x_sign_in(browser, user_id=LUCIA)

    assert_friendly_failure(response, browser, says=X_TROUBLE)
    (token_call,) = x_emulator_settings.control.requests("/2/oauth2/token")
    assert token_call["status"] == 401


X_OUTAGES = {
    "token 503": ("/2/oauth2/token", "status", 503, None),
    "token 500": ("/2/oauth2/token", "status", 500, None),
    "token truncated JSON": ("/2/oauth2/token", "malformed", None, None),
    "token without access_token": ("/2/oauth2/token", "json", 200, {"token_type": "bearer"}),
    "token as a list": ("/2/oauth2/token", "json", 200, [{"access_token": "x"}]),
    "token with a garbled expiry": (
        "/2/oauth2/token",
        "json",
        200,
        {"token_type": "bearer", "access_token": "x", "expires_in": "soon", "scope": ""},
    ),
    "profile 503": ("/2/users/me", "status", 503, None),
    "profile 500": ("/2/users/me", "status", 500, None),
    "profile truncated JSON": ("/2/users/me", "malformed", None, None),
    "profile without data": ("/2/users/me", "json", 200, {"errors": [{"title": "Oops"}]}),
    "profile as a list": ("/2/users/me", "json", 200, ["data"]),
    "profile without id": ("/2/users/me", "json", 200, {"data": {"name": "A", "username": "a"}}),
    "profile with a bad handle": (
        "/2/users/me",
        "json",
        200,
        {"data": {"id": "123", "name": "A", "username": "<script>"}},
    ),
    "profile with a numeric name": (
        "/2/users/me",
        "json",
        200,
        {"data": {"id": "123", "name": 7, "username": "a"}},
    ),
}


@pytest.mark.parametrize(("path", "kind", "status", "body"), X_OUTAGES.values(), ids=X_OUTAGES)
def test_x_outage_or_garbage(browser, x_emulator_settings, path, kind, status, body):
    authorize_url = start_x_sign_in(browser, next_url="/cities/berlin/")
    x_emulator_settings.control.add_fault(path, kind, status=status, body=body)

    response = browser.get(x_consent(authorize_url, user_id=LUCIA))

    assert_friendly_failure(response, browser, says=X_TROUBLE)
    assert [r["fault"] for r in x_emulator_settings.control.requests(path)] == [kind]
    # "Try again" keeps where the person was going.
    (try_again,) = [f for f in html_forms(response.content.decode()) if f.action == PROVIDER_LOGIN]
    assert try_again.fields["next"] == "/cities/berlin/"


def test_x_too_slow(browser, x_emulator_settings, settings):
    settings.SOCIALACCOUNT_REQUESTS_TIMEOUT = 0.5
    authorize_url = start_x_sign_in(browser)
    x_emulator_settings.control.add_fault("/2/users/me", "slow", delay_seconds=30)

    response = browser.get(x_consent(authorize_url, user_id=LUCIA))

    assert_friendly_failure(response, browser, says=X_TROUBLE)


def test_try_again_starts_a_fresh_sign_in(browser, x_emulator_settings):
    authorize_url = start_x_sign_in(browser, next_url="/cities/berlin/")
    x_emulator_settings.control.add_fault("/2/oauth2/token")
    failed = browser.get(x_consent(authorize_url, user_id=LUCIA))
    (try_again,) = [f for f in html_forms(failed.content.decode()) if f.action == PROVIDER_LOGIN]

    restarted = browser.post(try_again.action, try_again.fields)
    response = browser.get(x_consent(restarted["Location"], user_id=LUCIA))

    assert response["Location"] == "/cities/berlin/"
    assert User.objects.get().x_id == LUCIA
