"""Starting Sign in with X and guessing admin passwords are both bounded per client."""

import pytest
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse

from tests.factories import UserFactory
from tests.fixtures_x import html_forms

LIMIT = 5


@pytest.fixture
def sign_in_limit(settings):
    settings.SIGN_IN_RATE_LIMIT = LIMIT
    # Long enough that the whole test falls in one or at most two of the limiter's windows.
    settings.SIGN_IN_RATE_WINDOW_SECONDS = 3600


def press_sign_in_with_x(remote_addr: str = "127.0.0.1"):
    """A fresh client (no cookies, as a script would send it) presses the X button."""
    client = Client(enforce_csrf_checks=True, REMOTE_ADDR=remote_addr)
    page = client.get(reverse("account_login"))
    (form,) = [
        f for f in html_forms(page.content.decode()) if ("", "", "Sign in with X") in f.buttons
    ]
    return client.post(form.action, form.fields)


@pytest.mark.django_db
def test_sign_in_starts_from_one_client_are_bounded(sign_in_limit, settings):
    sessions_before = Session.objects.count()

    answers = [press_sign_in_with_x() for _ in range(2 * LIMIT + 1)]

    statuses = [a.status_code for a in answers]
    assert statuses[:LIMIT] == [302] * LIMIT
    # However the limiter's window falls, 2 × LIMIT + 1 starts can't all be let through.
    refused = [a for a in answers if a.status_code == 429]
    assert refused, statuses
    assert set(statuses) == {302, 429}
    for answer in refused:
        assert "429.html" in [t.name for t in answer.templates]
        assert "Slow down a little" in answer.content.decode()
        assert answer["Retry-After"] == str(settings.SIGN_IN_RATE_WINDOW_SECONDS)
    # A refused start writes no session.
    assert Session.objects.count() - sessions_before == statuses.count(302)


@pytest.mark.django_db
def test_another_client_still_starts_signing_in(sign_in_limit):
    for _ in range(2 * LIMIT + 1):
        press_sign_in_with_x("192.0.2.1")

    assert press_sign_in_with_x("192.0.2.2").status_code == 302


@pytest.mark.django_db
def test_the_sign_in_confirm_page_is_not_counted(sign_in_limit):
    client = Client(enforce_csrf_checks=True)
    for _ in range(2 * LIMIT + 1):
        assert client.get("/accounts/twitter_oauth2/login/").status_code == 200

    assert press_sign_in_with_x().status_code == 302


ADMIN_LOGIN = "/admin/login/?next=/admin/"


@pytest.fixture
def admin_user(db, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast
    user = UserFactory(username="admin", is_staff=True, is_superuser=True)
    user.set_password("correct horse battery staple")
    user.save()
    return user


def admin_log_in(client: Client, password: str):
    return client.post(ADMIN_LOGIN, {"username": "admin", "password": password})


def test_admin_login_locks_after_the_failure_limit(admin_user, settings):
    guesser = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert admin_log_in(guesser, "guess").status_code == 200  # the form, with its error

    locked = admin_log_in(guesser, "guess")
    right_too_late = admin_log_in(guesser, "correct horse battery staple")

    for answer in (locked, right_too_late):
        assert answer.status_code == 429
        assert "Slow down a little" in answer.content.decode()
    assert "_auth_user_id" not in guesser.session


def test_admin_login_works_below_the_limit(admin_user, settings):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT - 2):
        admin_log_in(client, "typo")

    response = admin_log_in(client, "correct horse battery staple")

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(admin_user.pk)


def test_an_admin_lockout_leaves_sign_in_with_x_alone(admin_user, settings, sign_in_limit):
    guesser = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        admin_log_in(guesser, "guess")

    assert press_sign_in_with_x().status_code == 302
    assert Client().get("/").status_code == 200
