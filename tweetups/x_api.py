"""tweepy's real Client pointed at X_API_BASE_URL (the emulator in development and tests,
https://api.x.com in production), for the app's token (the hashtag sync) and for one
person's (their following list).

tweepy builds every URL from https://api.twitter.com with no option to change it; as its
maintainers advise, the Client's `session` gets an adapter that sends those requests to
X_API_BASE_URL, each ending within X_API_TIMEOUT_SECONDS, body included.
"""

from __future__ import annotations

import logging
import re

import requests
import tweepy
from django.conf import settings

from tweetups.x_deadline import DeadlineHTTPAdapter

logger = logging.getLogger(__name__)
# tweepy logs every request's headers at DEBUG, tokens among them.
logging.getLogger("tweepy.client").setLevel(logging.INFO)

X_HOSTS = ("https://api.twitter.com", "https://api.x.com")
RATE_LIMIT_HEADERS = ("x-rate-limit-limit", "x-rate-limit-remaining", "x-rate-limit-reset")
RATE_HEADER_RE = re.compile(r"^[0-9]{1,12}$")  # a count, or a Unix time in seconds


class BaseURLAdapter(DeadlineHTTPAdapter):
    """Sends requests for X's API hosts to `base_url` instead, each ending within `timeout`
    seconds, body included (tweetups/x_deadline.py)."""

    def __init__(self, base_url: str, *, timeout: float):
        # Retries are the caller's decision, with backoff.
        super().__init__(seconds=timeout, max_retries=0)
        self.base_url = base_url.rstrip("/")

    def send(self, request, **kwargs):
        for host in X_HOSTS:
            if request.url == host or request.url.startswith(host + "/"):
                request.url = self.base_url + request.url[len(host) :]
                # Proxies were picked for X's host; pick again for where it really goes.
                kwargs["proxies"] = requests.utils.get_environ_proxies(request.url)
                break
        response = super().send(request, **kwargs)
        # tweepy reads a 429's x-rate-limit-reset with int(), and a ValueError would escape
        # every handler: a header that is not a plain number goes before tweepy sees it.
        for name in RATE_LIMIT_HEADERS:
            value = response.headers.get(name)
            if value is not None and not RATE_HEADER_RE.match(value):
                logger.warning("X sent a malformed %s header: %r", name, value[:40])
                del response.headers[name]
        return response


def tweepy_client(token: str) -> tweepy.Client:
    """tweepy's Client with a bearer token (the app's, or a person's OAuth 2.0 token).

    It returns raw `requests` responses: callers read the rate-limit headers and parse the
    JSON themselves. It never sleeps on a 429 (a worker reschedules instead). Close
    `client.session` when done.
    """
    client = tweepy.Client(
        bearer_token=token, return_type=requests.Response, wait_on_rate_limit=False
    )
    adapter = BaseURLAdapter(settings.X_API_BASE_URL, timeout=settings.X_API_TIMEOUT_SECONDS)
    for host in X_HOSTS:
        client.session.mount(host, adapter)
    return client


def header_int(response: requests.Response, name: str) -> int | None:
    """A header of X's answer as a whole number (the rate-limit ones), or None."""
    try:
        return int(response.headers[name])
    except (KeyError, ValueError):
        return None
