"""Search: the fields it looks in, typos, hashtags, bad input, htmx and query counts."""

import json
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from events.models import Tweetup
from events.search import MAX_QUERY_LENGTH, SearchText
from tests.factories import CityFactory, TweetupFactory, UserFactory

pytestmark = pytest.mark.django_db

SEARCH = reverse("events:search")


@pytest.fixture
def drinks(berlin):
    return TweetupFactory(
        city=berlin,
        organizer=UserFactory(x_username="jonasweber"),
        title="Kreuzberg Tech Drinks",
        description="Beers and code talk.",
        venue_name="Café Kotti",
        venue_address="Adalbertstraße 96",
        hashtag="KreuzbergDrinks",
    )


@pytest.fixture
def other(db):
    tokyo = CityFactory(name="Tokyo", country="Japan", timezone="Asia/Tokyo")
    return TweetupFactory(
        city=tokyo,
        organizer=UserFactory(x_username="kenji_sato"),
        title="Shibuya Night Out",
        description="Ramen, then karaoke.",
        venue_name="Hachiko",
        venue_address="",
        hashtag="ShibuyaNight",
    )


def titles(response) -> list[str]:
    """The titles listed, in order (the results are rendered: each test's cache is new)."""
    assert response.status_code == 200
    return [t.title for t in response.context["page"].object_list]


def found(client, q: str, **params) -> list[str]:
    return titles(client.get(SEARCH, {"q": q, **params}))


@pytest.mark.parametrize(
    "q",
    [
        "Kreuzberg",  # title
        "kreuzberg tech",  # title, any case
        "code talk",  # description
        "Kotti",  # venue
        "Adalbertstraße",  # address
        "#KreuzbergDrinks",  # hashtag with its #
        "KreuzbergDrinks",  # and without
        "#kreuzbergdrinks",  # in any case
        "Berlin",  # the city
        "@jonasweber",  # the organizer's handle
        "JonasWeber",  # without the @, in any case
    ],
)
def test_search_finds_a_tweetup_by_each_of_its_fields(client, drinks, other, q):
    assert found(client, q) == ["Kreuzberg Tech Drinks"]


@pytest.mark.postgres
def test_a_typo_still_finds_it(client, drinks, other):
    assert found(client, "Kreuzberg Tech Drinsk") == ["Kreuzberg Tech Drinks"]
    assert found(client, "Shibuya Nigth Out") == ["Shibuya Night Out"]
    assert found(client, "#KreuzbergDrnks") == ["Kreuzberg Tech Drinks"]  # a hashtag's


@pytest.mark.postgres
def test_a_title_match_ranks_above_a_description_match(client, berlin):
    TweetupFactory(city=berlin, title="Coffee morning", description="Then a run by the canal.")
    TweetupFactory(
        city=berlin,
        title="Canal run",
        description="An easy 5k.",
        starts_at=timezone.now() + timedelta(days=20),
    )
    response = client.get(SEARCH, {"q": "canal run"})
    assert titles(response) == ["Canal run", "Coffee morning"]  # the later one first


def test_search_leaves_out_past_and_cancelled_tweetups_unless_asked(client, berlin):
    now = timezone.now()
    TweetupFactory(
        city=berlin,
        title="Kreuzberg past",
        starts_at=now - timedelta(days=5),
        ends_at=now - timedelta(days=5) + timedelta(hours=2),
    )
    TweetupFactory(city=berlin, title="Kreuzberg cancelled", status="cancelled")
    TweetupFactory(city=berlin, title="Kreuzberg soon")
    assert titles(client.get(SEARCH, {"q": "kreuzberg"})) == ["Kreuzberg soon"]
    assert titles(client.get(SEARCH, {"q": "kreuzberg", "when": "past"})) == ["Kreuzberg past"]


def test_no_words_lists_every_upcoming_tweetup_soonest_first(client, drinks, other):
    Tweetup.objects.filter(pk=other.pk).update(starts_at=drinks.starts_at - timedelta(hours=5))
    response = client.get(SEARCH)
    assert response.status_code == 200
    assert titles(response) == ["Shibuya Night Out", "Kreuzberg Tech Drinks"]


BAD = [
    '"unclosed quote',
    '"Kreuzberg Tech" -Drinks OR (tech & !drinks) | <-> :* \\',
    "%",
    "_",
    "%%%___",
    "🍻🎉",
    "مرحبا بالعالم",  # Arabic, right to left
    "שלום \u202e Kreuzberg",  # Hebrew and a right-to-left override
    "x" * 10_000,
    "'; DROP TABLE events_tweetup; --",
    "<script>alert(1)</script>",
    "   ",
    "a" * 100 + " " + "b " * 500,
]


@pytest.mark.parametrize("q", BAD)
def test_bad_search_strings_get_an_answer_never_an_error(client, drinks, q):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(SEARCH, {"q": q})
    assert response.status_code == 200
    assert "<script>alert(1)</script>" not in response.text  # escaped
    page_queries = [x["sql"] for x in ctx.captured_queries if "events_tweetup" in x["sql"]]
    assert all("LIMIT" in sql for sql in page_queries), page_queries
    results = response.text.split('id="results"')[1]
    if q in ("%", "_", "%%%___", "🍻🎉", "   "):
        # Wildcards match themselves, not everything; nothing searchable lists all.
        assert ("Kreuzberg Tech Drinks" in results) == (q.strip("\x00 ") == "")


@pytest.mark.parametrize(
    ("raw", "status"),
    [("q=%ED%A0%80", 200), ("q&q=a&q=b", 200), ("q=%FF%FE%00", 400), ("q=%25%00%5F", 400)],
)
def test_broken_encodings_get_an_answer(client, drinks, raw, status):
    # A NUL byte anywhere in a query string is a 400 in the site's look, site-wide
    # (tweetups.middleware.reject_nul_in_query): no real link carries one.
    response = client.get(f"{SEARCH}?{raw}")
    assert response.status_code == status
    assert "Tweetups" in response.text


def test_a_very_long_query_is_cut_and_the_page_says_so(client, drinks):
    response = client.get(SEARCH, {"q": "Kreuzberg " + "x" * 10_000})
    assert response.status_code == 200
    assert f"its first {MAX_QUERY_LENGTH} characters" in response.text
    assert len(SearchText.parse("y" * 10_000).text) == MAX_QUERY_LENGTH


def test_a_word_said_again_is_searched_for_once(client, drinks):
    assert SearchText.parse("tech Tech drinks TECH").words == ["tech", "drinks"]
    assert SearchText.parse('"tech tech" talk').words == ['"tech', 'tech"', "talk"]  # a phrase
    assert found(client, "kreuzberg " * 30 + "drinks") == ["Kreuzberg Tech Drinks"]


def test_wildcards_are_literal(client, berlin):
    TweetupFactory(city=berlin, title="100% vegan brunch", hashtag="VeganBrunch")
    TweetupFactory(city=berlin, title="Cheese night", hashtag="Cheese_Night")
    assert titles(client.get(SEARCH, {"q": "100%"})) == ["100% vegan brunch"]
    assert titles(client.get(SEARCH, {"q": "#Cheese_Night"})) == ["Cheese night"]


def test_htmx_gets_the_results_and_no_javascript_gets_the_whole_page(client, drinks):
    whole = client.get(SEARCH, {"q": "kreuzberg"})
    assert "<html" in whole.text and 'id="results"' in whole.text
    assert 'hx-get="/search/"' in whole.text and 'method="get"' in whole.text
    assert 'value="kreuzberg"' in whole.text  # what was typed stays in the box
    part = client.get(SEARCH, {"q": "kreuzberg"}, headers={"HX-Request": "true"})
    assert "<html" not in part.text and "Kreuzberg Tech Drinks" in part.text
    assert "public" not in part.get("Cache-Control", "")  # never kept by a shared cache
    back = client.get(
        SEARCH,
        {"q": "kreuzberg"},
        headers={"HX-Request": "true", "HX-History-Restore-Request": "true"},
    )
    assert "<html" in back.text  # the back button restores a whole page


def test_htmx_results_bring_the_heading_for_their_words_out_of_band(client, drinks):
    whole = client.get(SEARCH, {"q": "kreuzberg"})
    assert whole.text.count('id="search-heading"') == 1 and "hx-swap-oob" not in whole.text

    part = client.get(SEARCH, {"q": "<b>kreuz</b>"}, headers={"HX-Request": "true"})
    assert '<div id="search-heading" hx-swap-oob="true">' in part.text
    assert "Tweetups matching “&lt;b&gt;kreuz&lt;/b&gt;”" in part.text  # escaped
    assert "/search/calendar.ics?q=%3Cb%3Ekreuz%3C/b%3E" in part.text

    cleared = client.get(SEARCH, {"q": ""}, headers={"HX-Request": "true"})
    assert (
        "<h1>Find a tweetup</h1>" in cleared.text and "Subscribe to this search" not in cleared.text
    )


def test_every_page_has_the_search_box(client, drinks):
    html = client.get("/").text
    assert 'action="/search/"' in html and 'name="q"' in html


@pytest.mark.parametrize("rows", [3, 30])
# Spelled right, and a typo (PostgreSQL's: SQLite's simpler search takes words as typed).
@pytest.mark.parametrize("q", ["kreuzberg", pytest.param("kreuzbreg", marks=pytest.mark.postgres)])
def test_search_query_count_is_fixed(client, berlin, rows, settings, q):
    settings.PAGE_CACHE_SECONDS = 0
    for n in range(rows):
        TweetupFactory(city=berlin, title=f"Kreuzberg meetup {n}")
    client.force_login(UserFactory())
    client.get("/")
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(SEARCH, {"q": q, "seats": "1", "when": "week"})
    assert len(titles(response)) == min(rows, 20)
    # user, topics for the filter form, one page of results (with their city and organizer),
    # and on PostgreSQL the known words close to the query's (typos)
    assert len(ctx.captured_queries) == (4 if connection.vendor == "postgresql" else 3)


def unbounded_scans(queryset) -> list[str]:
    """Tables the plan reads whole. Test tables are tiny, so the planner would read them
    whole anyway: with only bitmap scans allowed (each needs an index condition) it reads
    a table whole only when no index condition can serve the query."""
    with transaction.atomic(), connection.cursor() as cursor:
        for kind in ("seqscan", "indexscan", "indexonlyscan"):
            cursor.execute(f"SET LOCAL enable_{kind} = off")
        plan = json.loads(queryset.explain(format="json"))

    def walk(node):
        if node["Node Type"] in ("Seq Scan", "Index Scan", "Index Only Scan"):
            yield f"{node['Node Type']} on {node.get('Relation Name')}"
        for child in node.get("Plans", []):
            yield from walk(child)

    return list(walk(plan[0]["Plan"]))


@pytest.mark.postgres
@pytest.mark.parametrize(
    "q", ["Kreuzberg Tech Drinsk", "#KreuzbergDrinks", "@jonasweber", "Berlin", "x" * 300]
)
def test_search_is_served_by_indexes(drinks, q):
    """Every table is read through an index condition: none is read whole, however big
    it grows. (Without the listing's joins: on tables this small the planner hashes all
    of users and cities for them, which says nothing about a big site.)"""
    query = Tweetup.objects.scheduled().upcoming().search(SearchText.parse(q))
    assert unbounded_scans(query[:21]) == []
