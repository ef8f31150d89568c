"""Your X network on listings (issue 12): each person's badge of how many people they
follow are going, and ?sort=network, on home, city, topic and search pages. Personal parts
of cached pages: never in a visitor's bytes or in the frame everyone signed in shares."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import FollowedXId
from events.models import Rsvp
from tests.factories import TopicFactory, TweetupFactory, UserFactory, going, opt_in
from tests.pages import signed_in

pytestmark = pytest.mark.django_db

BADGE = re.compile(r'<span class="pill pill-network">(\d+) (?:person|people) you follow')


def badges(html: str) -> dict[str, int]:
    """{tweetup title: badge count} for each row of a listing that has a badge."""
    found = {}
    for row in html.split('<li class="card tweetup-row">')[1:]:
        title = re.search(r'<h3><a href="[^"]+">([^<]+)</a>', row).group(1)
        if match := BADGE.search(row):
            found[title] = int(match.group(1))
    return found


def titles(html: str) -> list[str]:
    return re.findall(r'<h3><a href="[^"]+">([^<]+)</a>', html)


def days_ahead(days: float, **kwargs):
    starts_at = timezone.now() + timedelta(days=days)
    return TweetupFactory(starts_at=starts_at, ends_at=starts_at + timedelta(hours=3), **kwargs)


@pytest.fixture
def friends():
    return [UserFactory(x_username=f"friend{n}") for n in range(5)]


@pytest.fixture
def listing(berlin, friends):
    """Three Berlin tweetups, soonest first: A (1 friend going), B (3 going, one more said
    maybe, one is waitlisted), C (nobody the viewer follows)."""
    a = days_ahead(1, city=berlin, title="A soonest")
    b = days_ahead(2, city=berlin, title="B busiest")
    c = days_ahead(3, city=berlin, title="C strangers")
    going(a, friends[0])
    going(b, friends[0], friends[1], friends[2])
    going(b, friends[3], status=Rsvp.Status.MAYBE)
    Rsvp.objects.create(
        tweetup=b, user=friends[4], status=Rsvp.Status.WAITLISTED, waitlist_position=1
    )
    going(c, UserFactory(), UserFactory())
    return a, b, c


def test_the_badge_counts_only_followed_people_going(berlin, listing, friends):
    viewer = UserFactory()
    opt_in(viewer, *friends)
    going(listing[2], viewer)  # one's own RSVP is not "someone you follow"

    html = signed_in(viewer).get(berlin.get_absolute_url()).text

    assert badges(html) == {"A soonest": 1, "B busiest": 3}
    assert "1 person you follow is going" in html
    assert "<!--network:" not in html


def test_a_second_viewer_gets_their_own_badges_from_the_shared_frame(berlin, listing, friends):
    first, second = UserFactory(), UserFactory()
    opt_in(first, *friends)
    opt_in(second, friends[1])
    signed_in(first).get(berlin.get_absolute_url())

    response = signed_in(second).get(berlin.get_absolute_url())

    assert response["X-Cache"] == "frame-hit"
    assert badges(response.text) == {"B busiest": 1}


def test_visitors_get_no_badge_and_no_mark_in_the_cached_bytes(berlin, listing, friends):
    viewer = UserFactory()
    opt_in(viewer, *friends)
    signed_in(viewer).get(berlin.get_absolute_url())  # their badges rendered first

    first = Client().get(berlin.get_absolute_url())
    again = Client().get(berlin.get_absolute_url())
    sorted_ = Client().get(berlin.get_absolute_url() + "?sort=network")

    assert first["X-Cache"] == "miss" and again["X-Cache"] == "hit"
    for response in (first, again, sorted_):
        html = response.text
        assert "pill-network" not in html and "<!--network:" not in html
        assert "Most people you follow going" not in html
        assert "Cache-Control" in response and "public" in response["Cache-Control"]
    assert titles(sorted_.text) == ["A soonest", "B busiest", "C strangers"]


def test_people_who_did_not_opt_in_get_no_badge_and_no_sort(berlin, listing, friends):
    viewer = UserFactory()
    FollowedXId.objects.create(user=viewer, x_id=friends[1].x_id)  # no consent row

    html = signed_in(viewer).get(berlin.get_absolute_url() + "?sort=network").text

    assert badges(html) == {} and "<!--network:" not in html
    assert "Most people you follow going" not in html
    assert titles(html) == ["A soonest", "B busiest", "C strangers"]


def test_sorting_by_network_puts_the_most_followed_first_and_keeps_filters(
    berlin, listing, friends
):
    viewer = UserFactory()
    opt_in(viewer, *friends)
    client = signed_in(viewer)

    plain = client.get(berlin.get_absolute_url()).text
    by_network = client.get(berlin.get_absolute_url() + "?sort=network&seats=1").text

    assert titles(plain) == ["A soonest", "B busiest", "C strangers"]
    assert titles(by_network) == ["B busiest", "A soonest", "C strangers"]
    assert badges(by_network) == {"A soonest": 1, "B busiest": 3}
    # The order stays with the filter form (a field of it, outside it) and a way back.
    assert '<input type="hidden" name="sort" value="network" form="listing-filters">' in by_network
    assert 'id="listing-filters"' in by_network
    assert 'href="?seats=1">Soonest first</a>' in by_network
    assert 'href="?sort=network">Most people you follow going</a>' in plain


def test_sorted_pages_keep_the_sort_in_their_links(berlin, friends, settings):
    settings.TWEETUPS_PER_PAGE = 2
    viewer = UserFactory()
    opt_in(viewer, friends[0])
    for n in range(3):
        going(days_ahead(1 + n, city=berlin, title=f"T{n}"), *([friends[0]] if n == 2 else []))

    first = signed_in(viewer).get(berlin.get_absolute_url() + "?sort=network").text
    second = signed_in(viewer).get(berlin.get_absolute_url() + "?sort=network&page=2").text

    assert titles(first) == ["T2", "T0"]
    assert "sort=network&amp;page=2" in first or "page=2&amp;sort=network" in first
    assert titles(second) == ["T1"]


def test_htmx_results_carry_badges_and_the_sort(berlin, listing, friends):
    viewer = UserFactory()
    opt_in(viewer, *friends)
    client = signed_in(viewer)
    url = berlin.get_absolute_url() + "?sort=network"

    fragment = client.get(url, headers={"HX-Request": "true"}).text

    assert "<html" not in fragment
    assert titles(fragment) == ["B busiest", "A soonest", "C strangers"]
    assert badges(fragment) == {"A soonest": 1, "B busiest": 3}


def test_search_topic_and_home_listings_have_badges_too(berlin, friends):
    topic = TopicFactory(slug="books", name="Books")
    tweetup = days_ahead(1, city=berlin, title="Book club drinks")
    tweetup.topics.add(topic)
    going(tweetup, friends[0], friends[1])
    viewer = UserFactory()
    opt_in(viewer, *friends)
    client = signed_in(viewer)

    urls = {
        "search": reverse("events:search") + "?q=book",
        "topic": topic.get_absolute_url(),
        "home": reverse("events:home"),
    }

    for name, url in urls.items():
        html = client.get(url).text
        assert badges(html) == {"Book club drinks": 2}, name
        assert "<!--network:" not in html, name
        visitor = Client().get(url).text
        assert "Book club drinks" in visitor, name
        assert "pill-network" not in visitor and "<!--network:" not in visitor, name


def last_city_week(html: str) -> str:
    return html.split('id="last-city-title"', 1)[1].split("</section>", 1)[0]


@pytest.mark.parametrize("sort", ["", "?sort=network"])
def test_homes_week_in_the_city_looked_at_last_has_badges_too(berlin, friends, sort):
    tweetup = days_ahead(1, city=berlin, title="Spree drinks")
    going(tweetup, friends[0], friends[1])
    viewer, other = UserFactory(), UserFactory()
    opt_in(viewer, *friends)

    for person, expected in ((viewer, 2), (other, None)):
        client = signed_in(person)
        client.get(berlin.get_absolute_url())  # the city looked at last
        week = last_city_week(client.get(reverse("events:home") + sort).text)
        assert "Spree drinks" in week
        assert "<!--network:" not in week
        assert badges(week).get("Spree drinks") == expected


def test_home_sorted_by_network(berlin, friends):
    soon = days_ahead(1, city=berlin, title="Soon")
    later = days_ahead(4, city=berlin, title="Later")
    going(later, friends[0])
    viewer = UserFactory()
    opt_in(viewer, *friends)

    html = signed_in(viewer).get(reverse("events:home") + "?sort=network").text

    assert "most people you follow going first" in html
    assert html.index(">Later<") < html.index(">Soon<")
    assert badges(html) == {"Later": 1}
    assert soon.title in html


@pytest.mark.parametrize("sort", ["", "?sort=network"])
def test_signed_in_listings_run_the_same_queries_at_any_graph_size(berlin, friends, sort):
    for n in range(6):
        going(days_ahead(1 + n, city=berlin), *friends[: n % 4])
    small, big = UserFactory(), UserFactory()
    opt_in(small, friends[0])
    opt_in(big, *friends, generated=3000)
    url = berlin.get_absolute_url() + sort
    signed_in(small).get(url)  # warm the shared parts and the frame

    counts = {}
    for name, viewer in (("small", small), ("big", big)):
        client = signed_in(viewer)
        client.get(url)  # their session and consent in the cache
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response["X-Cache"] == "frame-hit"
        counts[name] = len(queries)

    assert counts["small"] == counts["big"]
    # The user, and one aggregate for the badges; sorted, the results are this person's
    # own: the city and the topics the filters check, and one page sorted with its counts.
    assert counts["big"] == (4 if sort else 2)


@pytest.mark.parametrize("path", ["city", "city?sort=network", "home", "home?sort=network"])
def test_a_frame_hit_is_what_a_whole_render_gives(berlin, listing, friends, path, settings):
    first, second = UserFactory(), UserFactory()
    opt_in(first, friends[0])
    opt_in(second, *friends)
    page, _, query = path.partition("?")
    url = (berlin.get_absolute_url() if page == "city" else reverse("events:home")) + (
        f"?{query}" if query else ""
    )
    signed_in(first).get(url)
    client = signed_in(second)

    framed = client.get(url)
    settings.PAGE_CACHE_SECONDS = 0
    whole = client.get(url)

    assert framed["X-Cache"] == "frame-hit" and "X-Cache" not in whole
    csrf = re.compile(r'(name="csrfmiddlewaretoken" value="|"X-CSRFToken": ")[^"]+')
    assert csrf.sub("", framed.text) == csrf.sub("", whole.text)
    assert badges(framed.text)["B busiest"] == 3


def test_a_private_rsvp_is_never_counted_among_people_you_follow(berlin, friends):
    tweetup = days_ahead(1, city=berlin, title="Quiet one")
    going(tweetup, friends[0])
    Rsvp.objects.create(tweetup=tweetup, user=friends[1], status=Rsvp.Status.GOING, private=True)
    viewer = UserFactory()
    opt_in(viewer, *friends)
    client = signed_in(viewer)

    listing = client.get(berlin.get_absolute_url()).text
    network_page = client.get(reverse("events:network")).text

    assert badges(listing) == {"Quiet one": 1}
    assert "@friend0" in network_page and "@friend1" not in network_page
