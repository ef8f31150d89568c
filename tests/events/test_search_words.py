"""Search's word list: in step with every write to tweetups, so a typo finds a tweetup the
moment it is created or edited, and no longer once it is cancelled; and read by index."""

import dataclasses
import json
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.urls import reverse

from events.models import SearchWord, Tweetup
from events.models.words import NEAR_SQL
from events.services import tweetup_cancel, tweetup_create, tweetup_update
from tests.factories import HARBOUR_WALK_STARTS, TweetupFactory, UserFactory, harbour_walk

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

SEARCH = reverse("events:search")
START = HARBOUR_WALK_STARTS


def words(*among: str) -> dict[str, int]:
    """How many tweetups use each of `among` (words no tweetup uses are absent)."""
    return dict(SearchWord.objects.filter(word__in=among).values_list("word", "tweetups"))


def found(client, q: str) -> list[str]:
    response = client.get(SEARCH, {"q": q})
    assert response.status_code == 200
    return [t.title for t in response.context["page"].object_list]


@pytest.fixture
def fresh(settings):
    settings.PAGE_CACHE_SECONDS = 0  # the same address asked again, rendered again


def test_a_typo_finds_a_tweetup_from_its_creation_to_its_cancellation(client, berlin, fresh):
    organizer = UserFactory()
    details = harbour_walk(berlin)
    walk = tweetup_create(organizer=organizer, details=details)
    assert words("harbour", "photo", "walk", "camera", "landwehrkanal", "harbourphotos") == {
        "harbour": 1,
        "photo": 1,
        "walk": 1,
        "camera": 1,
        "landwehrkanal": 1,
        "harbourphotos": 1,
    }
    assert found(client, "Harbor Photo Wakl") == ["Harbour Photo Walk"]

    details = dataclasses.replace(details, title="Harbour Sketch Walk")
    tweetup_update(tweetup=walk, actor=organizer, details=details)
    assert words("photo", "sketch") == {"sketch": 1}
    assert found(client, "Harbour Skecth Walk") == ["Harbour Sketch Walk"]

    tweetup_cancel(tweetup=walk, actor=organizer, reason="Rain.")
    assert words("harbour", "sketch", "walk", "camera") == {}
    assert found(client, "Harbour Skecth Walk") == []


def test_a_word_stays_while_a_tweetup_still_uses_it(berlin):
    first = TweetupFactory(city=berlin, title="Quokka spotting")
    second = TweetupFactory(city=berlin, title="Quokka feeding")
    assert words("quokka", "spotting", "feeding") == {"quokka": 2, "spotting": 1, "feeding": 1}

    Tweetup.objects.filter(pk=first.pk).update(status=Tweetup.Status.CANCELLED)
    assert words("quokka", "spotting") == {"quokka": 1}

    Tweetup.objects.filter(pk=first.pk).update(status=Tweetup.Status.SCHEDULED)
    assert words("quokka", "spotting") == {"quokka": 2, "spotting": 1}

    second.rsvps.all().delete()
    second.delete()
    assert words("quokka", "feeding") == {"quokka": 1}


def test_updates_that_change_no_words_leave_the_list_alone(berlin):
    TweetupFactory(city=berlin, title="Quokka spotting")
    before = dict(SearchWord.objects.values_list("word", "tweetups"))
    Tweetup.objects.update(going_count=2, capacity=None, revision=3)
    assert dict(SearchWord.objects.values_list("word", "tweetups")) == before


def test_bulk_writes_and_truncation_keep_it_in_step(berlin):
    organizer = UserFactory()
    Tweetup.objects.bulk_create(
        Tweetup(
            city=berlin,
            organizer=organizer,
            title=f"Quokka club {n}",
            slug=f"quokka-{n}",
            venue_name="Zoo",
            starts_at=START,
            ends_at=START + timedelta(hours=1),
            hashtag=f"quokka{n}",
        )
        for n in range(3)
    )
    assert words("quokka", "club", "zoo", "quokka0") == {
        "quokka": 3,
        "club": 3,
        "zoo": 3,
        "quokka0": 1,
    }
    Tweetup.objects.filter(title__startswith="Quokka").update(title="Wombat club")
    assert words("quokka", "wombat", "club") == {"wombat": 3, "club": 3}

    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # TRUNCATE waits for no check
        cursor.execute("TRUNCATE events_tweetup CASCADE")
    assert not SearchWord.objects.exists()


def test_words_are_split_as_full_text_search_splits_them(berlin):
    TweetupFactory(
        city=berlin,
        title="Café-Treff: 100% vegan, 2030 edition",
        description="Ask @jonas about e-mail lists",
        hashtag="Vegan_Brunch",
        venue_name="Zum Zoo",
        venue_address="Straße 5",
    )
    listed = set(SearchWord.objects.values_list("word", flat=True))
    assert {"café-treff", "café", "treff", "vegan", "edition", "e-mail", "mail", "straße"} <= listed
    assert {"100", "2030", "5", "zum", "zoo"} & listed == {"zum", "zoo"}  # no bare numbers
    assert {"brunch", "lists", "jonas"} <= listed


@pytest.mark.parametrize(
    ("q", "title"),
    [
        ("Bokk Club", "Book Club"),  # one letter off a short word (trigram similarity 0.25)
        ("book clbu", "Book Club"),  # two letters swapped
        ("Book Culb", "Book Club"),  # ...in the middle of a four-letter word
        ("Runing Club", "Running Club"),  # one dropped
        ("Book Club", "Book Club"),  # spelled right: the close words are not looked for
    ],
)
def test_a_word_a_letter_off_finds_the_word_it_meant(client, berlin, fresh, q, title):
    for name in ("Book Club", "Running Club", "Books and Bikes"):
        TweetupFactory(city=berlin, title=name)
    assert found(client, q) == [title]


def near(text: str) -> list[tuple[str, list[str]]]:
    return SearchWord.objects.near(text, most=12)


def test_close_words_are_the_known_ones_nearest_first(berlin):
    for name in ("Tech Drinks", "Tech drink", "Tech drinkers", "Tech drinks 2"):
        TweetupFactory(city=berlin, title=name)
    close = dict(near("Drinsk tehc"))
    assert close["tehc"] == ["tech"]  # two letters swapped
    assert close["drinsk"][:2] == ["drink", "drinks"]  # one letter off first
    assert dict(near("drinks"))["drinks"] == ["drink", "drinkers"]  # never the word itself


def test_two_letters_swapped_in_the_middle_of_a_short_word_find_it(berlin):
    """Typed "wlak" keeps neither the first two letters of "walk" nor its last two, and shares
    one trigram with it: it is found as "walk" with two neighbours swapped back."""
    for name in ("Photo Walk", "Wall Art", "Lake Swim"):
        TweetupFactory(city=berlin, title=name)
    close = dict(near("wlak tihs swmi"))
    assert close["wlak"] == ["walk"]
    assert close["swmi"] == ["swim"]  # the last two swapped, as before
    assert close["tihs"] == []  # no word is "tihs" with two letters swapped back


@pytest.mark.parametrize(
    "text",
    ["%", "_", "b%kk", "\\", "'; DROP TABLE events_searchword; --", "🍻🎉", "שלום", "‮abc‏", ""],
)
def test_odd_text_gets_close_words_or_none_never_an_error(berlin, text):
    TweetupFactory(city=berlin, title="Book Club")
    for _, close in near(text):
        assert close in ([], ["book"], ["club"])  # wildcards match themselves only
    assert SearchWord.objects.filter(word="book").exists()


def test_the_words_are_looked_up_by_index(berlin):
    """No scan of the whole word list, however long it grows: with only bitmap scans
    allowed (each needs an index condition), nothing reads it whole."""
    TweetupFactory(city=berlin, title="Book Club")
    with transaction.atomic(), connection.cursor() as cursor:
        for kind in ("seqscan", "indexscan", "indexonlyscan"):
            cursor.execute(f"SET LOCAL enable_{kind} = off")
        cursor.execute(f"EXPLAIN (FORMAT JSON) {NEAR_SQL}", ["Bokk clbu drinsk", 12])
        plan = cursor.fetchone()[0]
    plan = plan if isinstance(plan, list) else json.loads(plan)

    def scans(node):
        if node["Node Type"] in ("Seq Scan", "Index Scan", "Index Only Scan"):
            yield f"{node['Node Type']} on {node.get('Relation Name')}"
        for child in node.get("Plans", []):
            yield from scans(child)

    assert list(scans(plan[0]["Plan"])) == []


def test_a_handle_comes_before_words_close_to_it(client, berlin, fresh):
    TweetupFactory(
        city=berlin,
        title="Picnic",
        organizer=UserFactory(x_username="friend12"),
        starts_at=START + timedelta(days=1),
    )
    TweetupFactory(city=berlin, title="Board games", description="Bring friends.", starts_at=START)
    assert found(client, "@friend12") == ["Picnic"]  # a handle: nothing is close to it
    assert found(client, "friend12") == ["Picnic", "Board games"]  # "friends" is close


@pytest.mark.parametrize("q", ['"Bokk Club"', "Tehc -drinks"])
def test_words_with_operators_are_meant_as_typed(client, berlin, fresh, q):
    """A phrase or a -word is not corrected: "-drinks" never brings in tweetups with drinks."""
    TweetupFactory(city=berlin, title="Book Club")
    TweetupFactory(city=berlin, title="Tech Drinks")
    assert found(client, q) == []
