from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.network import network_consent_grant
from tests.factories import UserFactory
from tests.xemulator.conftest import MAYA, XApp

# What "See who you follow" asks X for (accounts/network.py).
NETWORK_SCOPE = "users.read tweet.read follows.read offline.access"


@pytest.fixture
def maya(db, x_emulator_settings):
    """Maya, opted in with a real token pair from the emulator."""
    app = XApp(x_emulator_settings)
    tokens = app.exchange(app.code(user_id=MAYA, scope=NETWORK_SCOPE)).json()
    user = UserFactory(x_id=MAYA, x_username="maya")
    network_consent_grant(
        user=user,
        access_token=tokens["access_token"],
        refresh_token=tokens["refresh_token"],
        expires_at=timezone.now() + timedelta(seconds=tokens["expires_in"]),
    )
    return user
