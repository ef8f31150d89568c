"""Tweetups found in posts: the daily search on the X emulator (events/found/scan.py)."""

from datetime import timedelta

import pytest
from django.conf import settings as django_settings

from events import periodic
from events.found.scan import tweetups_find
from events.models import CityPostScan, PostReadUsage, TweetupDraft
from tests.factories import CityFactory, TweetupFactory

pytestmark = pytest.mark.django_db
TALK = '(tweetup OR tweetups OR meetup OR "who\'s around")'


def active(city):
    """A city with a tweetup coming up: active."""
    TweetupFactory(city=city)
    return city


@pytest.fixture
def lisbon(db):
    return active(CityFactory(name="Lisbon", country="Portugal", timezone="Europe/Lisbon"))


def queries(x_search) -> list[str]:
    return [r["query"]["query"] for r in x_search.requests()]


def drafts() -> list[tuple[str, str, str]]:
    return sorted(
        (d.author_username, d.city.name, d.date.isoformat())
        for d in TweetupDraft.objects.select_related("city")
    )


def next_weekday(day, weekday: int):
    return day + timedelta(days=(weekday - day.weekday()) % 7)


def test_one_query_for_the_active_cities_and_a_draft_per_post_with_a_day(x_search, lisbon):
    active(CityFactory(name="New York", country="USA", timezone="America/New_York"))
    CityFactory(name="Quiet Town", country="Nowhere", timezone="UTC")  # no tweetups: not read
    post = x_search.post("Who's around Lisbon on Friday? Thinking of a tweetup 🍷", "ana")
    x_search.post("Meetup in New York, anyone?", "bo")  # no day named: no draft
    x_search.post("Tweetup talk about Porto on Friday", "cy")  # not a city being read

    now = x_search.cycle_time()
    report = tweetups_find(now=now)

    assert queries(x_search) == [
        f'{TALK} ("Lisbon" OR #lisbon OR "New York" OR #newyork) -is:retweet'
    ]
    (request,) = x_search.requests()
    assert request["query"]["until_id"] and request["query"]["since_id"]
    assert report.requests == 1 and report.drafts_created == 1
    draft = TweetupDraft.objects.get()
    friday = next_weekday(now.astimezone(lisbon.tzinfo).date(), 4)
    assert (draft.author_username, draft.city, draft.date) == ("ana", lisbon, friday)
    assert draft.post_x_id == int(post["id"])
    assert draft.author_x_id == post["author_id"]
    assert draft.hashtag == "LisbonTweetup"
    figures = {
        s.city.name: (s.posts_read, s.requests, s.candidates, s.drafts_created, s.status)
        for s in CityPostScan.objects.all()
    }
    assert figures == {"Lisbon": (1, 1, 1, 1, "done"), "New York": (1, 1, 0, 0, "done")}
    assert PostReadUsage.objects.get().posts_read == 2
    # Nobody is contacted on X: the job's only requests are searches.
    assert [(r["method"], r["path"]) for r in x_search.control.requests()] == [
        ("GET", x_search.path)
    ]


def test_cities_beyond_the_query_length_go_in_another_query(x_search, lisbon, settings):
    for name in ("Porto", "Madrid", "Paris", "Rome"):
        active(CityFactory(name=name, country="Europe", timezone="Europe/Paris"))
    settings.X_SEARCH_QUERY_MAX_CHARS = 120

    tweetups_find(now=x_search.cycle_time())

    sent = queries(x_search)
    assert len(sent) == 3
    assert all(len(q) <= 120 and q.endswith(" -is:retweet") for q in sent)
    named = sorted(
        n for q in sent for n in ("Lisbon", "Porto", "Madrid", "Paris", "Rome") if n in q
    )
    assert named == ["Lisbon", "Madrid", "Paris", "Porto", "Rome"]


def test_grouped_by_author_and_day_and_retweets_left_out(x_search, lisbon):
    first = x_search.post("Lisbon tweetup on Friday?", "ana")
    x_search.post("Still planning that Lisbon meetup Friday", "ana")  # same author, same day
    x_search.post("Or a Lisbon tweetup tomorrow too", "ana")  # same author, another day
    x_search.post("Lisbon meetup Friday, count me in", "bo")  # another author
    x_search.control.post_tweet("cy", retweet_of=first["id"])
    x_search.post("RT @ana: Lisbon tweetup on Friday?", "dee", is_retweet=True)

    now = x_search.cycle_time()
    tweetups_find(now=now)

    local = now.astimezone(lisbon.tzinfo).date()
    friday = next_weekday(local, 4).isoformat()
    tomorrow = (local + timedelta(days=1)).isoformat()
    assert drafts() == sorted(
        [("ana", "Lisbon", friday), ("ana", "Lisbon", tomorrow), ("bo", "Lisbon", friday)]
    )
    assert CityPostScan.objects.get().posts_read == 4  # X left the retweets out


def test_a_second_run_the_same_day_reads_nothing_and_the_next_day_only_whats_new(x_search, lisbon):
    x_search.post("Lisbon tweetup on Friday?", "ana")
    now = x_search.cycle_time()
    tweetups_find(now=now)
    assert len(x_search.requests()) == 1

    again = tweetups_find(now=now)  # beat again at once: the same UTC day, whatever the hour
    assert (again.cities, again.requests) == (0, 0)
    assert len(x_search.requests()) == 1

    x_search.post("Lisbon meetup on Friday, who's in?", "ana")  # the same draft again
    x_search.post("Lisbon tweetup tomorrow!", "bo")
    tomorrow = x_search.cycle_time(after_seconds=24 * 3600)
    report = tweetups_find(now=tomorrow)

    assert report.requests == 1 and report.posts_read == 2  # not the first post again
    sent = x_search.requests()[-1]["query"]
    assert int(sent["since_id"]) == CityPostScan.objects.filter(day=now.date()).get().until_id
    assert TweetupDraft.objects.count() == 2
    assert CityPostScan.objects.count() == 2  # one a day


def test_runs_once_even_if_beat_fires_twice(x_search, lisbon):
    entry = django_settings.CELERY_BEAT_SCHEDULE["find-tweetups-in-posts"]
    assert entry["task"] == "events.periodic.find_tweetups_in_posts"
    x_search.rewind()  # the task runs at the real time
    x_search.post("Lisbon tweetup on Friday?", "ana")

    first = periodic.find_tweetups_in_posts.apply().get()
    second = periodic.find_tweetups_in_posts.apply().get()

    assert (first["requests"], first["drafts_created"]) == (1, 1)
    assert (second["cities"], second["requests"]) == (0, 0)
    assert len(x_search.requests()) == 1
    assert TweetupDraft.objects.count() == 1


def test_the_daily_cap_is_never_passed(x_search, lisbon, settings):
    settings.FOUND_DAILY_POST_READ_CAP = 25
    x_search.control.post_tweets(
        [{"username": f"fan{i}", "text": f"Lisbon tweetup Friday {i}"} for i in range(60)]
    )

    report = tweetups_find(now=x_search.cycle_time())

    asked = [int(r["query"]["max_results"]) for r in x_search.requests()]
    assert asked == [25]  # the most the cap had left; then it stops (X's least is 10)
    scan = CityPostScan.objects.get()
    assert scan.posts_read == 25
    assert scan.status == CityPostScan.Status.CAPPED
    assert "cap of 25 posts" in report.stopped
    # Later runs that day read nothing more.
    assert tweetups_find(now=x_search.cycle_time()).requests == 0


def test_the_emulators_demo_posts_make_drafts_for_make_run(x_search):
    from events.demo_data import EMULATOR_X_USERS
    from events.found.drafts import drafts_to_show
    from tests.factories import UserFactory
    from xemulator.demo import post_demo_talk

    for name, tz in [
        ("Berlin", "Europe/Berlin"),
        ("London", "Europe/London"),
        ("Austin", "America/Chicago"),
        ("Lagos", "Africa/Lagos"),
    ]:
        active(CityFactory(name=name, country="Demo", timezone=tz))
    post_demo_talk(x_search.emulator.state)

    tweetups_find(now=x_search.cycle_time())

    assert [(a, c) for a, c, _ in drafts()] == [
        ("jonasweber", "Berlin"),
        ("luciafdez", "London"),
        ("samcarter", "Austin"),
    ]
    assert TweetupDraft.objects.get(author_username="samcarter").hashtag == "AustinTacoTweetup"
    # Signed in as the demo account, the site's user (seed_demo) is shown theirs.
    jonas_id = next(x_id for x_id, handle, _ in EMULATOR_X_USERS if handle == "jonasweber")
    jonas = UserFactory(x_id=jonas_id, x_username="jonasweber")
    assert [d.city.name for d in drafts_to_show(jonas)] == ["Berlin"]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_run_skips_the_cities_another_run_holds():
    import threading

    from django.db import connection, transaction
    from django.utils import timezone

    from events.found.scan import scans_claim

    for name in ("Lisbon", "Porto", "Faro"):
        active(CityFactory(name=name, country="Portugal", timezone="Europe/Lisbon"))
    now = timezone.now()
    scans_claim(now)  # today's rows, claimed
    CityPostScan.objects.update(status=CityPostScan.Status.PENDING, claimed_at=None)
    locked, release = threading.Event(), threading.Event()

    def other_run():  # holds Porto's row, as a run claiming it at this moment would
        try:
            with transaction.atomic():
                list(CityPostScan.objects.select_for_update().filter(city__name="Porto"))
                locked.set()
                release.wait(timeout=30)
        finally:
            connection.close()

    thread = threading.Thread(target=other_run)
    thread.start()
    try:
        assert locked.wait(timeout=30)
        taken = sorted(s.city.name for s in scans_claim(now))  # never waits for it
    finally:
        release.set()
        thread.join(timeout=30)

    assert taken == ["Faro", "Lisbon"]
    assert sorted(s.city.name for s in scans_claim(now)) == ["Porto"]
    assert scans_claim(now) == []


def test_the_figures_are_in_the_admin(x_search, lisbon, client):
    from django.urls import reverse

    from tests.factories import UserFactory

    x_search.control.post_tweets(
        [{"username": f"fan{i}", "text": f"Lisbon tweetup Friday {i}"} for i in range(3)]
    )
    tweetups_find(now=x_search.cycle_time())
    client.force_login(UserFactory(is_staff=True, is_superuser=True))

    response = client.get(reverse("admin:events_citypostscan_changelist"), {"q": "Lisb"})

    assert response.status_code == 200
    row = response.text.split('class="field-posts_read">')[1]
    assert row.startswith("3<")
    drafts = client.get(reverse("admin:events_tweetupdraft_changelist"), {"status": "suggested"})
    assert drafts.status_code == 200 and drafts.text.count("fan") >= 3
