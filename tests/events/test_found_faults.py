"""Tweetups found in posts when X misbehaves: logged and skipped, never a crashed run."""

import logging
from datetime import timedelta

import pytest
from django.utils import timezone

from events import periodic
from events.found.scan import tweetups_find
from events.models import CityPostScan, TweetupDraft
from tests.factories import CityFactory, TweetupFactory
from tests.fixtures_sync import statuses

pytestmark = pytest.mark.django_db
Status = CityPostScan.Status


def active(name: str, tz: str = "Europe/Lisbon"):
    city = CityFactory(name=name, country="Somewhere", timezone=tz)
    TweetupFactory(city=city)
    return city


@pytest.fixture
def lisbon(db):
    return active("Lisbon")


def test_429_puts_the_cities_back_until_the_reset_then_reads_them(x_search, lisbon, monkeypatch):
    rescheduled = []
    monkeypatch.setattr(
        periodic.find_tweetups_in_posts, "apply_async", lambda **o: rescheduled.append(o)
    )
    x_search.rewind()
    x_search.post("Lisbon tweetup on Friday?", "ana")
    x_search.fault(status=429, reset_seconds=600)

    result = periodic.find_tweetups_in_posts.apply().get()

    assert statuses(x_search) == [429]
    scan = CityPostScan.objects.get()
    assert (scan.status, scan.attempts, scan.claimed_at) == (Status.PENDING, 0, None)
    assert scan.not_before is not None
    (options,) = rescheduled
    assert options["eta"] == scan.not_before
    assert result["retry_at"] == scan.not_before.isoformat()
    # X's reset is 600 s away on its clock (set 20 s back by rewind()): then, no sooner.
    wait = (scan.not_before - timezone.now()).total_seconds()
    assert 570 <= wait <= 605

    # Beat firing before the reset asks X nothing.
    assert tweetups_find(now=scan.not_before - timedelta(seconds=30)).requests == 0
    assert statuses(x_search) == [429]

    after = tweetups_find(now=scan.not_before + timedelta(seconds=1))
    assert after.requests == 1
    # (Past midnight UTC that is the next day's scan: either way, one read done.)
    assert CityPostScan.objects.filter(status=Status.DONE).count() == 1
    assert TweetupDraft.objects.count() == 1


def test_hostile_posts_are_skipped_and_the_rest_used(x_search, lisbon, caplog):
    good = x_search.post("Lisbon tweetup on Friday?", "ana")
    user = {"id": good["author_id"], "username": "ana", "name": "Ana"}
    body = {
        "data": [
            good,
            "not a post",
            {"id": "123", "text": "Lisbon tweetup tomorrow", "author_id": "999"},  # no author
            {"id": "1" * 30, "text": 5, "author_id": good["author_id"]},
            {**good, "id": str(int(good["id"]) + 1), "created_at": "yesterday-ish"},
        ],
        "includes": {"users": [user, {"id": "nope"}, "junk"]},
        "meta": {"result_count": "many", "next_token": {"not": "a token"}},
    }
    x_search.fault("json", body=body)

    with caplog.at_level(logging.WARNING):
        report = tweetups_find(now=x_search.cycle_time())

    assert report.failed == 0
    scan = CityPostScan.objects.get()
    assert scan.status == Status.DONE
    assert scan.posts_read == 5  # X bills every post it sent, readable or not
    assert [d.author_username for d in TweetupDraft.objects.all()] == ["ana"]
    assert "Skipping malformed post" in caplog.text


@pytest.mark.parametrize("kind", ["malformed", "status"])
def test_an_unreadable_or_failed_answer_fails_that_query_only(x_search, lisbon, settings, kind):
    active("Tokyo", "Asia/Tokyo")
    settings.X_SEARCH_QUERY_MAX_CHARS = 90  # one city a query
    x_search.post("Tokyo meetup tomorrow!", "kenta")
    x_search.fault(kind, status=503 if kind == "status" else None, query_contains="Lisbon")

    report = tweetups_find(now=x_search.cycle_time())

    by_city = {s.city.name: s for s in CityPostScan.objects.select_related("city")}
    assert by_city["Lisbon"].status == Status.FAILED
    assert by_city["Lisbon"].last_error
    assert by_city["Tokyo"].status == Status.DONE
    assert report.failed == 1
    assert [d.author_username for d in TweetupDraft.objects.all()] == ["kenta"]
    if kind == "malformed":  # billed all the same, at the size asked
        assert by_city["Lisbon"].posts_read == 100

    # A later run that day tries the failed city again (at most FOUND_MAX_ATTEMPTS times).
    again = tweetups_find(now=x_search.cycle_time())
    assert again.cities == 1
    assert CityPostScan.objects.get(city=lisbon).status == Status.DONE


def test_a_failing_city_is_tried_at_most_max_attempts_a_day(x_search, lisbon, settings):
    settings.FOUND_MAX_ATTEMPTS = 2
    x_search.fault(status=500, count=5)

    asked = []
    for _ in range(4):
        tweetups_find(now=x_search.cycle_time())
        asked.append(len(x_search.requests()))

    assert asked == [1, 2, 2, 2]
    assert CityPostScan.objects.get().attempts == 2


def test_every_request_ends_within_its_timeout(x_search, lisbon, settings):
    settings.X_API_TIMEOUT_SECONDS = 0.5
    x_search.fault("slow", delay_seconds=5)

    report = tweetups_find(now=x_search.cycle_time())

    assert report.failed == 1
    assert CityPostScan.objects.get().last_error == "X did not answer in time"


def test_a_run_stops_at_its_deadline_and_leaves_the_rest_for_the_next(x_search, lisbon, settings):
    active("Tokyo", "Asia/Tokyo")
    settings.X_SEARCH_QUERY_MAX_CHARS = 90
    settings.FOUND_RUN_SECONDS = 1
    x_search.fault("slow", delay_seconds=3, query_contains="Lisbon")

    report = tweetups_find(now=x_search.cycle_time())

    assert report.stopped == "the cycle's time is up"
    assert set(CityPostScan.objects.values_list("status", flat=True)) == {Status.PENDING}
    assert tweetups_find(now=x_search.cycle_time()).cities == 2
