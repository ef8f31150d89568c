"""Sign in with X, end to end: Django's test client for the site, the live emulator for X.

allauth's real code does the token and profile calls over HTTP; the test plays the browser's
part on X's consent screen (`x_consent`).
"""

from urllib.parse import parse_qs, urlsplit

import pytest
from allauth.socialaccount.models import SocialAccount, SocialToken
from django.conf import settings
from django.shortcuts import resolve_url
from django.test import Client
from django.urls import reverse

from accounts.models import User
from tests.factories import UserFactory
from tests.fixtures_x import html_forms, start_x_sign_in, x_consent, x_sign_in

LUCIA = "1460000000000000004"
JONAS = "1460000000000000002"
PROVIDER_LOGIN = "/accounts/twitter_oauth2/login/"


@pytest.fixture
def browser(db):
    return Client(enforce_csrf_checks=True)


def signed_in_user(client: Client) -> User | None:
    user_id = client.session.get("_auth_user_id")
    return User.objects.get(pk=user_id) if user_id else None


def sign_out(client: Client):
    # After sign-in Django rotated the CSRF token; the cookie holds the current secret.
    return client.post(
        reverse("account_logout"), {"csrfmiddlewaretoken": client.cookies["csrftoken"].value}
    )


def test_provider_login_url_is_the_one_the_site_links_to():
    assert reverse("twitter_oauth2_login") == PROVIDER_LOGIN


def test_sign_in_page_offers_one_x_button_and_no_password(browser):
    response = browser.get(reverse("account_login"), {"next": "/cities/berlin/"})

    assert response.status_code == 200
    html = response.content.decode()
    # Anonymous: the header has no sign-out form, only the search box (a GET).
    (form,) = [f for f in html_forms(html) if f.method == "post"]
    assert (form.method, form.action) == ("post", PROVIDER_LOGIN)
    assert form.fields["next"] == "/cities/berlin/"
    assert form.fields["csrfmiddlewaretoken"]
    assert [text for _, _, text in form.buttons] == ["Sign in with X"]
    assert "<h1" in html
    assert "password" not in html.lower()


def test_sign_in_creates_the_user_from_the_x_profile(browser, x_emulator_settings):
    response = x_sign_in(browser, user_id=LUCIA)

    assert response.status_code == 302
    assert response["Location"] == resolve_url(settings.LOGIN_REDIRECT_URL)
    user = User.objects.get()
    assert signed_in_user(browser) == user
    assert (user.x_id, user.x_username, user.display_name) == (
        LUCIA,
        "luciafdez",
        "Lucía Fernández",
    )
    assert user.avatar_url == f"https://pbs.twimg.com/profile_images/{LUCIA}/luciafdez_normal.jpg"
    account = SocialAccount.objects.get(user=user)
    assert (account.provider, account.uid) == ("twitter_oauth2", LUCIA)
    # X sent an access and a refresh token (offline.access); nothing uses them, so none is kept.
    assert not SocialToken.objects.exists()


def test_sign_in_talks_to_x_as_a_confidential_client_with_pkce(browser, x_emulator_settings):
    authorize_url = start_x_sign_in(browser)
    query = parse_qs(urlsplit(authorize_url).query)

    assert authorize_url.startswith(x_emulator_settings.base_url + "/i/oauth2/authorize?")
    assert query["code_challenge_method"] == ["S256"]
    assert set(query["scope"][0].split()) == {"users.read", "tweet.read", "offline.access"}
    browser.get(x_consent(authorize_url, user_id=LUCIA))
    (token_call,) = x_emulator_settings.control.requests("/2/oauth2/token")
    assert token_call["authorization"] == "basic"
    assert token_call["form"]["code_verifier"] == "[redacted]"  # sent, and kept out of the log
    (profile_call,) = x_emulator_settings.control.requests("/2/users/me")
    assert {"id", "name", "username", "profile_image_url"} <= set(
        profile_call["query"]["user.fields"].split(",")
    )


def test_signing_in_again_follows_handle_changes_on_the_same_account(browser, x_emulator_settings):
    x_sign_in(browser, user_id=LUCIA)
    first = signed_in_user(browser)
    sign_out(browser)
    x_emulator_settings.control.update_user(
        LUCIA,
        username="lucia_madrid",
        name="Lucía F.",
        profile_image_url="https://pbs.twimg.com/profile_images/9/new_normal.jpg",
    )

    response = x_sign_in(browser, user_id=LUCIA)

    assert response.status_code == 302
    assert User.objects.count() == 1
    user = User.objects.get()
    assert signed_in_user(browser) == user == first
    assert (user.x_username, user.display_name) == ("lucia_madrid", "Lucía F.")
    assert user.avatar_url == "https://pbs.twimg.com/profile_images/9/new_normal.jpg"
    assert SocialAccount.objects.get().extra_data["username"] == "lucia_madrid"


def test_two_x_accounts_are_two_users(browser, x_emulator_settings):
    x_sign_in(browser, user_id=LUCIA)
    sign_out(browser)

    x_sign_in(browser, user_id=JONAS)

    assert signed_in_user(browser).x_id == JONAS
    assert sorted(User.objects.values_list("x_id", flat=True)) == sorted([LUCIA, JONAS])


def test_a_handle_typed_on_the_consent_screen_becomes_a_new_user(browser, x_emulator_settings):
    x_sign_in(browser, new_username="fresh_face")

    user = signed_in_user(browser)
    assert user.x_username == "fresh_face"
    assert user.x_id == x_emulator_settings.control.users()[-1]["id"]


def test_a_user_already_holding_the_x_id_signs_in_as_themselves(browser, x_emulator_settings):
    existing = UserFactory(x_id=LUCIA, x_username="old_handle")

    x_sign_in(browser, user_id=LUCIA)

    assert signed_in_user(browser) == existing
    assert User.objects.count() == 1
    existing.refresh_from_db()
    assert existing.x_username == "luciafdez"
    assert SocialAccount.objects.get().user == existing


def test_sign_out(browser, x_emulator_settings):
    x_sign_in(browser, user_id=LUCIA)
    assert signed_in_user(browser) is not None

    response = sign_out(browser)

    assert response.status_code == 302
    assert signed_in_user(browser) is None
    assert browser.get(reverse("account_login")).status_code == 200  # not bounced as signed in


def test_a_get_on_the_provider_url_asks_before_leaving_for_x(browser, x_emulator_settings):
    response = browser.get(PROVIDER_LOGIN, {"next": "/cities/berlin/"})

    assert response.status_code == 200
    assert "socialaccount/login.html" in [t.name for t in response.templates]
    # The one POST form (the header's search box is a GET).
    (form,) = [f for f in html_forms(response.content.decode()) if f.method == "post"]
    assert [text for _, _, text in form.buttons] == ["Continue to X"]
    assert x_emulator_settings.control.requests() == []
    assert "socialaccount_states" not in browser.session

    # The button posts back to the same URL, ?next= included, and that starts the flow.
    started = browser.post(f"{PROVIDER_LOGIN}?next=/cities/berlin/", form.fields)
    assert started.status_code == 302
    assert started["Location"].startswith(x_emulator_settings.base_url)
    landed = browser.get(x_consent(started["Location"], user_id=LUCIA))
    assert landed["Location"] == "/cities/berlin/"


def test_starting_sign_in_needs_the_csrf_token(browser, x_emulator_settings):
    response = browser.post(PROVIDER_LOGIN, {"next": "/"})

    assert response.status_code == 403
    assert x_emulator_settings.control.requests() == []


def test_next_is_carried_through_sign_in(browser, x_emulator_settings):
    response = x_sign_in(browser, user_id=LUCIA, next_url="/cities/berlin/?when=week")

    assert response["Location"] == "/cities/berlin/?when=week"


def test_the_form_action_policy_lets_the_sign_in_form_redirect_to_x(browser):
    # Browsers apply CSP form-action to the redirects after a form post: the POST to
    # /accounts/twitter_oauth2/login/ answers with a redirect to X's authorize URL.
    authorize = urlsplit(settings.X_AUTHORIZE_URL)
    response = browser.get(reverse("account_login"))

    policy = dict(
        directive.strip().split(" ", 1)
        for directive in response["Content-Security-Policy"].split(";")
    )
    assert f"{authorize.scheme}://{authorize.netloc}" in policy["form-action"].split()


# Django's own unsafe redirect targets (tests/utils_tests/test_http.py) plus a few more.
UNSAFE_NEXT = [
    "http://example.com",
    "http:///example.com",
    "https://example.com",
    "ftp://example.com",
    r"\\example.com",
    r"\\\example.com",
    r"/\\/example.com",
    r"\\//example.com",
    r"/\/example.com",
    r"\/example.com",
    r"/\example.com",
    r"http:/\//example.com",
    r"http:\/example.com",
    r"http:/\example.com",
    'javascript:alert("XSS")',
    "\njavascript:alert(x)",
    "java\nscript:alert(x)",
    "\x08//example.com",
    r"http://otherserver\@example.com",
    r"http:\\testserver\@example.com",
    r"http://testserver\me:pass@example.com",
    r"http://testserver\@example.com",
    r"http:\\testserver\confirm\me@example.com",
    "http:999999999",
    "ftp:9999999999",
    "\n",
    "http://[2001:cdba:0000:0000:0000:0000:3257:9652/",
    "http://2001:cdba:0000:0000:0000:0000:3257:9652]/",
    "//evil.com",
    "///evil.com",
    "////evil.com",
    r"/\evil.com",
    "\\\\evil.com",
    "javascript:alert(1)",
    "http://evil.com",
    "https://testserver.evil.com/",
    "http://testserver@evil.com/",
]


@pytest.mark.parametrize("next_url", UNSAFE_NEXT)
@pytest.mark.parametrize("route", ["sign-in page", "posted form"])
def test_an_unsafe_next_lands_on_the_site(browser, x_emulator_settings, next_url, route):
    if route == "sign-in page":
        authorize_url = start_x_sign_in(browser, next_url=next_url)
    else:
        authorize_url = start_x_sign_in(browser, next=next_url)

    response = browser.get(x_consent(authorize_url, user_id=LUCIA))

    assert response.status_code == 302
    assert signed_in_user(browser) is not None
    assert response["Location"] == resolve_url(settings.LOGIN_REDIRECT_URL)
