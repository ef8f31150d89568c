"""What the site keeps from X: no tokens, and avatars that the CSP lets load."""

from importlib import import_module

import pytest
from allauth.socialaccount.models import SocialAccount, SocialToken
from django.apps import apps
from django.test import Client

from accounts.models import User
from tests.factories import UserFactory
from tests.fixtures_x import x_sign_in

LUCIA = "1460000000000000004"

forget_x_tokens = import_module("accounts.migrations.0002_forget_x_tokens").forget_x_tokens
upgrade_avatars = import_module("accounts.migrations.0003_https_avatars").upgrade_avatars


@pytest.fixture
def browser(db):
    return Client(enforce_csrf_checks=True)


def test_signing_in_again_keeps_no_token(browser, x_emulator_settings):
    x_sign_in(browser, user_id=LUCIA)
    browser.post("/accounts/logout/", {"csrfmiddlewaretoken": browser.cookies["csrftoken"].value})

    x_sign_in(browser, user_id=LUCIA)

    assert SocialAccount.objects.count() == 1
    assert not SocialToken.objects.exists()


@pytest.mark.django_db
def test_the_migration_forgets_the_tokens_kept_before(user):
    account = SocialAccount.objects.create(user=user, provider="twitter_oauth2", uid=user.x_id)
    SocialToken.objects.create(account=account, token="access", token_secret="refresh")

    forget_x_tokens(apps, None)

    assert not SocialToken.objects.exists()
    assert SocialAccount.objects.get() == account  # the identity stays


def test_an_http_avatar_from_x_is_kept_as_https(browser, x_emulator_settings):
    x_emulator_settings.control.update_user(
        LUCIA, profile_image_url="http://pbs.twimg.com/profile_images/1/lucia_normal.jpg"
    )

    x_sign_in(browser, user_id=LUCIA)

    user = User.objects.get()
    assert user.avatar_url == "https://pbs.twimg.com/profile_images/1/lucia_normal.jpg"


@pytest.mark.django_db
def test_the_migration_upgrades_stored_http_avatars():
    old = UserFactory(avatar_url="http://pbs.twimg.com/profile_images/1/a_normal.jpg")
    shouting = UserFactory(avatar_url="HTTP://pbs.twimg.com/profile_images/2/b_normal.jpg")
    secure = UserFactory(avatar_url="https://pbs.twimg.com/profile_images/3/c_normal.jpg")
    too_long = UserFactory(avatar_url="http://pbs.twimg.com/" + "a" * 479)
    none = UserFactory(avatar_url="")

    upgrade_avatars(apps, None)

    for user in (old, shouting, secure, too_long, none):
        user.refresh_from_db()
    assert old.avatar_url == "https://pbs.twimg.com/profile_images/1/a_normal.jpg"
    assert shouting.avatar_url == "https://pbs.twimg.com/profile_images/2/b_normal.jpg"
    assert secure.avatar_url == "https://pbs.twimg.com/profile_images/3/c_normal.jpg"
    assert too_long.avatar_url == ""
    assert none.avatar_url == ""
