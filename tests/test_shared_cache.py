"""The site behind a real shared HTTP cache: nginx with the repository's own configuration
(deploy/nginx/tweetups.conf.template, as docker-compose.yml runs it) in front of the live
server. Visitor pages are kept and served by nginx; signed-in people and htmx go past it."""

import os
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings as django_settings

from events.models import Rsvp
from events.rsvps import rsvp_set
from tests.conftest import skip_or_fail
from tweetups import page_cache

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "deploy" / "nginx" / "tweetups.conf.template"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"

pytestmark = pytest.mark.django_db(transaction=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def proxy(live_server, tmp_path):
    if not os.path.exists(NGINX):
        skip_or_fail("needs nginx (apt-get install nginx-light)")
    port = free_port()
    upstream = live_server.url.removeprefix("http://")
    site = TEMPLATE.read_text()
    site = site.replace("${TWEETUPS_PROXY_PORT}", f"127.0.0.1:{port}")
    site = site.replace("${TWEETUPS_UPSTREAM}", upstream)
    site = site.replace("/var/cache/nginx/tweetups", str(tmp_path / "cache"))
    (tmp_path / "tweetups.conf").write_text(site)
    user = "user root;\n" if os.geteuid() == 0 else ""
    (tmp_path / "nginx.conf").write_text(
        f"{user}worker_processes 1;\npid {tmp_path}/nginx.pid;\n"
        f"error_log {tmp_path}/error.log warn;\nevents {{}}\n"
        f"http {{ access_log off; include {tmp_path}/tweetups.conf; }}\n"
    )
    process = subprocess.Popen(
        [NGINX, "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf"), "-g", "daemon off;"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"nginx did not start: {process.stderr.read().decode()}")
                time.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)


def fetch(url: str, **headers: str):
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read().decode()


def test_nginx_keeps_visitor_pages_and_serves_them_without_django(proxy, tweetup, settings):
    url = proxy + tweetup.get_absolute_url()
    status, headers, first = fetch(url)
    assert status == 200 and headers["X-Cache-Status"] == "MISS"
    status, headers, second = fetch(url)
    assert status == 200 and headers["X-Cache-Status"] == "HIT"
    assert second == first and tweetup.title in second
    assert "public" in headers["Cache-Control"]
    # A browser asking again with its ETag gets a 304 from nginx too.
    status, headers, _ = fetch(url, **{"If-None-Match": headers["ETag"]})
    assert status == 304


def test_signed_in_people_and_htmx_go_past_the_cache(proxy, client, tweetup, other_user):
    url = proxy + tweetup.get_absolute_url()
    fetch(url)
    assert fetch(url)[1]["X-Cache-Status"] == "HIT"
    client.force_login(other_user)
    session = client.cookies[django_settings.SESSION_COOKIE_NAME].value
    cookie = f"csrftoken=abc; {django_settings.SESSION_COOKIE_NAME}={session}"
    status, headers, body = fetch(url, Cookie=cookie)
    assert status == 200 and headers["X-Cache-Status"] == "BYPASS"
    assert f"@{other_user.x_username}" in body and "private" in headers["Cache-Control"]
    status, headers, body = fetch(url, **{"HX-Request": "true"})
    assert headers["X-Cache-Status"] == "BYPASS" and "<html" not in body
    # The signed-in page was not stored: visitors still get the visitor's page.
    status, headers, body = fetch(url)
    assert headers["X-Cache-Status"] == "HIT" and f"@{other_user.x_username}" not in body


def until(check, seconds: float = 10):
    """Poll nginx until `check(fetch result)` holds: its cache updates in the background."""
    deadline = time.monotonic() + seconds
    while True:
        result = check()
        if result or time.monotonic() > deadline:
            return result
        time.sleep(0.1)


def test_after_s_maxage_nginx_asks_again_and_a_change_shows(
    proxy, tweetup, other_user, settings, monkeypatch
):
    settings.PAGE_CACHE_SHARED_SECONDS = 1
    url = proxy + tweetup.get_absolute_url()
    _, _, before = fetch(url)
    assert f"@{other_user.x_username}" not in before
    answers = []
    real_call = page_cache.VisitorPages.__call__

    def call(self, request):
        answered = real_call(self, request)
        answers.append(answered.status_code)
        return answered

    monkeypatch.setattr(page_cache.VisitorPages, "__call__", call)
    time.sleep(2.1)  # s-maxage passing is the behaviour under test (nginx counts whole seconds)
    status, headers, body = fetch(url)  # served stale while nginx asks Django in the background
    assert status == 200 and headers["X-Cache-Status"] in ("STALE", "UPDATING", "REVALIDATED")
    assert until(lambda: answers == [304])  # nginx sent If-None-Match; Django rendered nothing
    assert fetch(url)[2] == before

    rsvp_set(user=other_user, tweetup=tweetup, status=Rsvp.Status.GOING)
    time.sleep(2.1)
    assert until(lambda: f"@{other_user.x_username}" in fetch(url)[2])
    assert answers[-1] == 200
