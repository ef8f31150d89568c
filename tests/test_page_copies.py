"""A process's copies of cached pages and parts (tweetups/page_copies.py): used while the
versions read from the shared cache say they are current, never longer than the shared
cache keeps them, and few."""

import time

import pytest
from django.core.cache import cache, caches
from django.test import Client

from tests.pages import signed_in
from tweetups import page_cache
from tweetups.page_copies import copies

pytestmark = pytest.mark.django_db


@pytest.fixture
def asked(monkeypatch):
    """The keys each request asks the shared cache for."""
    rounds = []
    backend = caches["default"]  # this test's (the proxy `cache` moves on at teardown)
    real = backend.get_many

    def get_many(keys, *args, **kwargs):
        rounds.append(list(keys))
        return real(keys, *args, **kwargs)

    monkeypatch.setattr(backend, "get_many", get_many)
    return rounds


def counting(made: list, name: str, value):
    def make():
        made.append(name)
        return value

    return make


def test_a_signed_in_page_reads_only_versions_and_its_persons_keys_once_copied(
    other_user, tweetup, asked
):
    client = signed_in(other_user)  # not the organizer, whose page is never framed
    url = tweetup.get_absolute_url()
    for _ in range(3):
        client.get(url)  # the parts, the frame, then the person's panel: made and copied
    asked.clear()

    page = client.get(url)

    assert page["X-Cache"] == "frame-hit" and tweetup.title in page.text
    shared = [key for keys in asked for key in keys if key.startswith(("part:", "frame:"))]
    assert shared == []  # the copies served, checked against the versions read with them
    assert any(key.startswith("page-version:tweetup:") for keys in asked for key in keys)


def test_a_visitor_page_is_served_from_its_copy_and_a_write_shows_at_once(
    tweetup, asked, django_capture_on_commit_callbacks
):
    visitor = Client()
    url = tweetup.get_absolute_url()
    visitor.get(url)
    asked.clear()
    assert visitor.get(url)["X-Cache"] == "hit"
    assert not any(key.startswith("visitor-page:") for keys in asked for key in keys)

    tweetup.title = "Renamed drinks"
    tweetup.save()
    with django_capture_on_commit_callbacks(execute=True):
        page_cache.forget_tweetup(tweetup)
    page = visitor.get(url)
    assert page["X-Cache"] == "miss" and "Renamed drinks" in page.text


def test_a_copy_older_than_the_versions_is_read_again_from_the_shared_cache(
    django_capture_on_commit_callbacks,
):
    """Another process made the part anew after a write: this one's copy is old, and the
    shared cache has the new one, which is used rather than made a third time."""
    made = []
    page_cache.parts("tweetup:x", facts=counting(made, "old", "old facts"))
    with_the_old = dict(copies._entries)
    with django_capture_on_commit_callbacks(execute=True):
        page_cache.forget("tweetup:x")
    page_cache.parts("tweetup:x", facts=counting(made, "new", "new facts"))  # "elsewhere"
    copies._entries.clear()
    copies._entries.update(with_the_old)  # this process still has the old copy

    parts = page_cache.parts("tweetup:x", facts=counting(made, "third", "third facts"))

    assert parts["facts"] == "new facts"
    assert made == ["old", "new"]


def test_without_the_shared_cache_no_copy_is_served(monkeypatch):
    made = []
    page_cache.parts("tweetup:x", facts=counting(made, "first", "first facts"))
    backend = caches["default"]
    monkeypatch.setattr(backend, "get_many", lambda keys, *a, **k: {})  # Redis away
    monkeypatch.setattr(backend, "add", lambda *a, **k: False)
    monkeypatch.setattr(backend, "get", lambda *a, **k: None)

    parts = page_cache.parts("tweetup:x", facts=counting(made, "again", "fresh facts"))

    assert parts["facts"] == "fresh facts"  # versions unknown: nothing is known current
    assert made == ["first", "again"]


def test_a_copy_lasts_no_longer_than_the_shared_cache_keeps_its_entry(monkeypatch, settings):
    settings.PAGE_CACHE_SECONDS = 60
    made = []
    page_cache.parts("tweetup:x", facts=counting(made, "first", "first facts"))
    later = time.time() + 61
    monkeypatch.setattr(time, "time", lambda: later)
    cache.delete("part:tweetup:x:facts")  # expired there as well

    page_cache.parts("tweetup:x", facts=counting(made, "again", "fresh facts"))

    assert made == ["first", "again"]


def test_copies_are_few_the_least_recently_used_go_first(settings):
    settings.PAGE_CACHE_LOCAL_ENTRIES = 2
    now = time.time()
    copies.put_many({"a": 1, "b": 2}, made_at={"a": now, "b": now})
    assert copies.get_many(["a"]) == {"a": 1}  # used: b is now the oldest
    copies.put_many({"c": 3}, made_at={"c": now})
    assert copies.get_many(["a", "b", "c"]) == {"a": 1, "c": 3}
    settings.PAGE_CACHE_LOCAL_ENTRIES = 0
    copies.put_many({"d": 4}, made_at={"d": now})
    assert "d" not in copies.get_many(["d"])
