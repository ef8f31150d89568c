"""The "See who you follow" opt-in, end to end through the X emulator (real allauth, real
tweepy): the follows.read scope, tokens kept encrypted, disconnect deleting everything."""

from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from accounts.crypto import token_decrypt
from accounts.models import FollowedXId, User, XNetworkConsent
from accounts.x.follows import following_ids
from tests.fixtures_x import html_forms, x_consent, x_sign_in

MAYA, JONAS = "1460000000000000001", "1460000000000000002"


@pytest.fixture
def browser(db):
    return Client(enforce_csrf_checks=True)


def network_page(client: Client) -> str:
    response = client.get(reverse("accounts:network"))
    assert response.status_code == 200
    return response.content.decode()


def start_opt_in(client: Client) -> str:
    """Press "See who you follow"; return the X authorize URL it leads to."""
    (form,) = [
        f for f in html_forms(network_page(client)) if ("", "", "See who you follow") in f.buttons
    ]
    response = client.post(form.action, form.fields)
    assert response.status_code == 302, response.content
    return response["Location"]


def opt_in(client: Client, *, user_id: str = MAYA):
    return client.get(x_consent(start_opt_in(client), user_id=user_id))


def test_the_header_links_to_the_opt_in_page(browser, x_emulator_settings):
    x_sign_in(browser, user_id=MAYA)

    html = browser.get(reverse("notifications:settings")).content.decode()

    assert f'href="{reverse("accounts:network")}"' in html
    assert "Not connected" in network_page(browser)


def test_opt_in_asks_x_for_follows_read_and_keeps_the_tokens_encrypted(
    browser, x_emulator_settings
):
    x_sign_in(browser, user_id=MAYA)
    assert not XNetworkConsent.objects.exists()  # signing in alone keeps no token

    authorize_url = start_opt_in(browser)
    scopes = parse_qs(urlsplit(authorize_url).query)["scope"][0].split()
    assert "follows.read" in scopes and "offline.access" in scopes
    response = browser.get(x_consent(authorize_url, user_id=MAYA))

    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:network")
    consent = XNetworkConsent.objects.get(user__x_id=MAYA)
    access_token = token_decrypt(consent.access_token_enc)
    refresh_token = token_decrypt(consent.refresh_token_enc)
    assert access_token and refresh_token and consent.expires_at
    # The raw token is nowhere in the row as the database holds it.
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM accounts_xnetworkconsent WHERE id = %s", [consent.pk])
        row = repr(cursor.fetchone())
    assert access_token not in row and refresh_token not in row
    # It is X's real token, with follows.read: it reads Maya's following list.
    (page,) = following_ids(access_token, MAYA, max_ids=100)
    assert JONAS in page.ids


def test_an_opt_in_with_another_x_account_keeps_nothing(browser, x_emulator_settings):
    x_sign_in(browser, user_id=MAYA)

    response = opt_in(browser, user_id=JONAS)

    assert response.status_code == 302
    assert not XNetworkConsent.objects.exists()
    assert User.objects.get(pk=browser.session["_auth_user_id"]).x_id == MAYA


def test_a_plain_sign_in_keeps_no_token_even_when_opted_in_before(browser, x_emulator_settings):
    x_sign_in(browser, user_id=MAYA)
    opt_in(browser)
    before = XNetworkConsent.objects.get().access_token_enc

    x_sign_in(Client(), user_id=MAYA)

    assert bytes(XNetworkConsent.objects.get().access_token_enc) == bytes(before)


def test_the_page_needs_a_signed_in_person(browser):
    response = browser.get(reverse("accounts:network"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_disconnect_deletes_the_tokens_and_what_was_read(browser, x_emulator_settings):
    x_sign_in(browser, user_id=MAYA)
    opt_in(browser)
    user = User.objects.get(x_id=MAYA)
    FollowedXId.objects.bulk_create([FollowedXId(user=user, x_id=JONAS)])
    other = User.objects.create(username="other", x_id="99")
    FollowedXId.objects.create(user=other, x_id=JONAS)
    (form,) = [
        f
        for f in html_forms(network_page(browser))
        if ("", "", "Disconnect and delete") in f.buttons
    ]

    response = browser.post(form.action, form.fields)

    assert response.status_code == 302
    assert not XNetworkConsent.objects.filter(user=user).exists()
    assert not FollowedXId.objects.filter(user=user).exists()
    assert FollowedXId.objects.filter(user=other).exists()
    assert "Not connected" in network_page(browser)


def test_disconnect_takes_a_post(browser, x_emulator_settings):
    x_sign_in(browser, user_id=MAYA)
    opt_in(browser)

    assert browser.get(reverse("accounts:network_disconnect")).status_code == 405
    assert XNetworkConsent.objects.exists()


def test_opting_in_reads_the_follows_and_refresh_now_is_rate_limited(
    browser, x_emulator_settings, celery_eager, django_capture_on_commit_callbacks, settings
):
    settings.NETWORK_REFRESH_NOW_LIMIT = 1
    x_sign_in(browser, user_id=MAYA)
    with django_capture_on_commit_callbacks(execute=True):
        opt_in(browser)
    user = User.objects.get(x_id=MAYA)
    assert JONAS in set(FollowedXId.objects.filter(user=user).values_list("x_id", flat=True))
    assert "accounts you follow" in network_page(browser)
    (form,) = [f for f in html_forms(network_page(browser)) if ("", "", "Refresh now") in f.buttons]
    reads = len(x_emulator_settings.control.requests(f"/2/users/{MAYA}/following"))

    with django_capture_on_commit_callbacks(execute=True):
        browser.post(form.action, form.fields)
        browser.post(form.action, form.fields)

    after = len(x_emulator_settings.control.requests(f"/2/users/{MAYA}/following"))
    assert after == reads + 1  # the second press was refused
    assert "try again in an hour" in network_page(browser)


def test_opting_in_thanks_the_person_instead_of_signing_them_in_again(browser, x_emulator_settings):
    x_sign_in(browser, user_id=MAYA)
    browser.get("/")  # "Successfully signed in" shown once, at sign-in

    opt_in(browser)
    html = network_page(browser)

    assert "We are reading who you follow on X" in html
    assert "Successfully signed in" not in html
    # A sign-in afterwards still says so.
    browser.logout()
    x_sign_in(browser, user_id=MAYA)
    assert "Successfully signed in" in browser.get("/").content.decode()
