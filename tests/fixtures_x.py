"""Fixtures and helpers for tests that talk to the X emulator over real HTTP.

- `x_emulator`: the emulator (one server per test session, reset before each test); use
  `x_emulator.base_url`, `x_emulator.control` (the /_emulator/ API: add_user, update_user,
  add_fault, requests, advance_clock, configure, post_tweet, post_tweets, generate_tweets,
  tweets, clear_tweets, delete_tweet, rate_limit, set_rate_limit, ...). Recent search and
  post lookup take the site's X_BEARER_TOKEN.
- `x_emulator_settings`: the same emulator, with X_AUTHORIZE_URL and X_API_BASE_URL pointing
  the site at it.
- `x_consent(authorize_url, ...)`: plays the browser on the consent screen and returns the
  URL X sends the browser back to.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urljoin

import pytest
import requests
from django.conf import settings as django_settings
from django.test import Client
from django.urls import reverse

from xemulator.server import EmulatorServer
from xemulator.state import EmulatorConfig


@dataclass
class HtmlForm:
    action: str
    method: str
    fields: dict[str, str] = field(default_factory=dict)
    buttons: list[tuple[str, str, str]] = field(default_factory=list)  # (name, value, text)
    radios: dict[str, list[str]] = field(default_factory=dict)


class _FormParser(HTMLParser):
    def __init__(self):
        super().__init__()
        self.forms: list[HtmlForm] = []
        self._button: list | None = None

    def handle_starttag(self, tag, attrs):
        attrs = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.forms.append(HtmlForm(attrs.get("action", ""), attrs.get("method", "get").lower()))
        elif not self.forms:
            return
        elif tag == "input" and attrs.get("name"):
            form = self.forms[-1]
            if attrs.get("type") == "radio":
                form.radios.setdefault(attrs["name"], []).append(attrs.get("value", ""))
                if "checked" in attrs:
                    form.fields[attrs["name"]] = attrs.get("value", "")
            else:
                form.fields[attrs["name"]] = attrs.get("value", "")
        elif tag == "button":
            self._button = [attrs.get("name", ""), attrs.get("value", ""), ""]

    def handle_data(self, data):
        if self._button is not None:
            self._button[2] += data

    def handle_endtag(self, tag):
        if tag == "button" and self._button is not None and self.forms:
            name, value, text = self._button
            self.forms[-1].buttons.append((name, value, text.strip()))
            self._button = None


def html_forms(html: str) -> list[HtmlForm]:
    """The forms on a page, with their hidden and text inputs' values and their buttons."""
    parser = _FormParser()
    parser.feed(html)
    return parser.forms


def x_consent(
    authorize_url: str,
    *,
    user_id: str | None = None,
    new_username: str = "",
    decision: str = "authorize",
) -> str:
    """Open the consent screen, pick an account and press a button; return the redirect URL.

    The browser's half of the sign-in: the test does it with requests, then hands the
    returned URL to Django's test client. `user_id=None` keeps the preselected account.
    """
    page = requests.get(authorize_url, timeout=10)
    assert page.status_code == 200, page.text
    (form,) = html_forms(page.text)
    data = dict(form.fields)
    if user_id is not None:
        assert user_id in form.radios["user_id"], f"no account {user_id} on the consent screen"
        data["user_id"] = user_id
    data["new_username"] = new_username
    data["decision"] = decision
    answer = requests.post(
        urljoin(authorize_url, form.action), data=data, allow_redirects=False, timeout=10
    )
    assert answer.status_code == 302, answer.text
    return answer.headers["Location"]


def start_x_sign_in(client: Client, *, next_url: str | None = None, **overrides) -> str:
    """Open the sign-in page and press "Sign in with X"; return the authorize URL it leads to.

    `overrides` replace fields of the page's form (e.g. a hostile `next`).
    """
    page = client.get(reverse("account_login"), {"next": next_url} if next_url is not None else {})
    assert page.status_code == 200
    (form,) = [
        f for f in html_forms(page.content.decode()) if ("", "", "Sign in with X") in f.buttons
    ]
    assert form.method == "post"
    response = client.post(form.action, {**form.fields, **overrides})
    assert response.status_code == 302, response.content
    return response["Location"]


def x_sign_in(client: Client, *, user_id: str | None = None, next_url: str | None = None, **kw):
    """The whole sign-in as a browser does it; returns the site's answer to X's redirect."""
    authorize_url = start_x_sign_in(client, next_url=next_url)
    return client.get(x_consent(authorize_url, user_id=user_id, **kw))


@pytest.fixture(scope="session")
def _x_emulator_server():
    # The credentials the site is configured with (X_CLIENT_ID / X_CLIENT_SECRET, and the
    # app-only X_BEARER_TOKEN recent search takes).
    config = EmulatorConfig(
        client_id=django_settings.X_CLIENT_ID,
        client_secret=django_settings.X_CLIENT_SECRET,
        bearer_token=getattr(django_settings, "X_BEARER_TOKEN", EmulatorConfig.bearer_token),
    )
    server = EmulatorServer(port=0, config=config).start()
    yield server
    server.stop()


@pytest.fixture
def x_emulator(_x_emulator_server):
    """The X emulator on a free port, reset to its demo users before the test."""
    _x_emulator_server.control.reset()
    return _x_emulator_server


@pytest.fixture
def x_emulator_settings(settings, x_emulator):
    """The X emulator, with the site's X settings pointing at it."""
    settings.X_AUTHORIZE_URL = x_emulator.base_url + "/i/oauth2/authorize"
    settings.X_API_BASE_URL = x_emulator.base_url
    return x_emulator
