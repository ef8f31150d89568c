"""One person, one X account, and no allauth page or link that works against them."""

import re

import pytest
from allauth.account.models import EmailAddress, EmailConfirmationHMAC
from allauth.socialaccount.models import SocialAccount
from django.test import Client
from django.urls import get_resolver, reverse

from accounts.models import User
from tests.factories import UserFactory
from tests.fixtures_x import html_forms, x_consent, x_sign_in

LUCIA = "1460000000000000004"
JONAS = "1460000000000000002"
PROVIDER_LOGIN = "/accounts/twitter_oauth2/login/"


@pytest.fixture
def browser(db):
    return Client(enforce_csrf_checks=True)


def signed_in_user(client: Client) -> User | None:
    user_id = client.session.get("_auth_user_id")
    return User.objects.get(pk=user_id) if user_id else None


def csrf(client: Client) -> dict:
    return {"csrfmiddlewaretoken": client.cookies["csrftoken"].value}


class TestOneXAccountPerPerson:
    def connect(self, browser, *, user_id: str, next_url: str = "/cities/"):
        # allauth's "connect" process, as a hand-made form would start it while signed in.
        started = browser.post(f"{PROVIDER_LOGIN}?process=connect&next={next_url}", csrf(browser))
        assert started.status_code == 302, started.content
        return browser.get(x_consent(started["Location"], user_id=user_id))

    def test_a_second_x_account_is_not_attached(self, browser, x_emulator_settings):
        x_sign_in(browser, user_id=LUCIA)
        lucia = signed_in_user(browser)

        response = self.connect(browser, user_id=JONAS)

        assert response.status_code == 302
        assert response["Location"] == "/cities/"
        page = browser.get("/", follow=True)
        assert "one X account per person" in page.content.decode()
        assert signed_in_user(browser) == lucia
        lucia.refresh_from_db()
        assert (lucia.x_id, lucia.x_username) == (LUCIA, "luciafdez")
        assert list(SocialAccount.objects.values_list("user", "uid")) == [(lucia.pk, LUCIA)]

    def test_the_refused_x_account_signs_in_as_its_own_person(self, browser, x_emulator_settings):
        x_sign_in(browser, user_id=LUCIA)
        self.connect(browser, user_id=JONAS)
        browser.post(reverse("account_logout"), csrf(browser))

        x_sign_in(browser, user_id=JONAS)

        jonas = signed_in_user(browser)
        assert jonas.x_id == JONAS
        assert User.objects.count() == 2
        assert SocialAccount.objects.get(uid=JONAS).user == jonas

    def test_connecting_the_same_x_account_again_changes_nothing(
        self, browser, x_emulator_settings
    ):
        x_sign_in(browser, user_id=LUCIA)

        response = self.connect(browser, user_id=LUCIA)

        assert response.status_code == 302
        page = browser.get("/")
        assert "already the X account you sign in with" in page.content.decode()
        assert SocialAccount.objects.count() == 1


class TestEmailLinks:
    def test_opening_someone_elses_link_keeps_you_signed_in(self, browser, user, other_user):
        address = EmailAddress.objects.create(user=other_user, email="other@example.com")
        key = EmailConfirmationHMAC(address).key
        browser.force_login(user)

        page = browser.get(reverse("account_confirm_email", args=[key]))

        assert page.status_code == 200
        assert signed_in_user(browser) == user
        (form,) = [f for f in html_forms(page.content.decode()) if "confirm-email" in f.action]
        confirmed = browser.post(form.action, form.fields)

        assert confirmed.status_code == 302
        assert signed_in_user(browser) == user
        address.refresh_from_db()
        assert address.verified

    def test_a_link_with_a_bad_key_keeps_you_signed_in(self, browser, user):
        browser.force_login(user)

        page = browser.get(reverse("account_confirm_email", args=["nope:nope"]))

        assert page.status_code == 200
        assert "This link has expired" in page.content.decode()
        assert signed_in_user(browser) == user


def allauth_page_paths() -> list[str]:
    """A GET path for every URL allauth routes, with made-up values for its parameters."""
    paths = set()
    resolver = get_resolver()
    for callback, entries in resolver.reverse_dict.lists():
        if not callable(callback) or not callback.__module__.startswith("allauth"):
            continue
        for possibilities, _pattern, _defaults, _converters in entries:
            for format_string, params in possibilities:
                paths.add("/" + format_string % {name: "1-abc" for name in params})
    return sorted(paths)


ALLAUTH_PAGES = allauth_page_paths()


def test_the_walk_sees_allauths_pages():
    for path in ["/accounts/logout/", "/accounts/inactive/", "/accounts/3rdparty/"]:
        assert path in ALLAUTH_PAGES


@pytest.mark.parametrize("signed_in", [False, True], ids=["visitor", "signed-in"])
@pytest.mark.parametrize("path", ALLAUTH_PAGES)
def test_every_allauth_page_is_in_the_sites_look_or_not_found(browser, user, path, signed_in):
    if signed_in:
        browser.force_login(user)

    response = browser.get(path)

    allauths_own = [t.origin.name for t in response.templates if "/allauth/" in t.origin.name]
    assert allauths_own == []
    if response.status_code == 200:
        html = response.content.decode()
        assert "base.html" in [t.name for t in response.templates]
        assert not re.search(r"password", html, re.IGNORECASE)


def test_the_connected_accounts_page_is_gone(browser, user):
    browser.force_login(user)

    assert browser.get("/accounts/3rdparty/").status_code == 404


def test_the_sign_out_page_signs_out_with_its_button(browser, user):
    browser.force_login(user)

    page = browser.get(reverse("account_logout"))

    assert page.status_code == 200
    assert signed_in_user(browser) == user  # a GET signs no one out
    (form,) = [
        f for f in html_forms(page.content.decode()) if ("", "", "Yes, sign out") in f.buttons
    ]
    assert (form.method, form.action) == ("post", reverse("account_logout"))
    browser.post(form.action, form.fields)
    assert signed_in_user(browser) is None


def test_a_switched_off_account_lands_on_a_page_that_says_so(browser, x_emulator_settings):
    UserFactory(x_id=LUCIA, is_active=False)

    response = x_sign_in(browser, user_id=LUCIA)

    assert response.status_code == 302
    page = browser.get(response["Location"])
    assert page.status_code == 200
    assert "This account is switched off" in page.content.decode()
    assert signed_in_user(browser) is None
