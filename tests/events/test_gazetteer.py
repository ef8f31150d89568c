"""The gazetteer: names in any spelling, biggest first, and ambiguity kept visible."""

import pytest

from events.gazetteer import MAX_QUERY_CHARS, gazetteer, normalize

REYKJAVIK, MUNICH = 3413829, 2867714
PORTLAND_OR, PORTLAND_ME = 5746545, 4975802


def ids(places):
    return [place.geoname_id for place in places]


@pytest.mark.parametrize(
    ("typed", "folded"),
    [
        ("München", "munchen"),
        ("  St. Lōuis ", "st louis"),
        ("Łódź", "lodz"),
        ("REYKJAVÍK", "reykjavik"),
        ("São_Paulo%", "sao paulo"),
        ("\x00\u200f😀", ""),
    ],
)
def test_normalize_folds_case_accents_and_punctuation(typed, folded):
    assert normalize(typed) == folded


@pytest.mark.parametrize("typed", ["München", "munchen", "MUNCHEN", "Muenchen", "Munich"])
def test_alternate_names_and_accents_find_munich(typed):
    assert ids(gazetteer().search(typed))[0] == MUNICH


def test_prefix_matches_rank_by_population():
    places = gazetteer().search("ber")
    assert places[0].name == "Berlin"
    populations = [p.population for p in places if p.name.lower().startswith("ber")]
    assert populations == sorted(populations, reverse=True)


def test_a_name_beats_a_bigger_city_that_only_begins_with_it():
    # Bath (~90,000) before Bathinda (~285,000): the typed word is its whole name.
    assert gazetteer().search("Bath")[0].name == "Bath"


def test_portland_lists_both_with_their_states():
    places = gazetteer().search("Portland")
    assert ids(places)[:2] == [PORTLAND_OR, PORTLAND_ME]
    assert [p.label for p in places[:2]] == [
        "Portland, Oregon, United States",
        "Portland, Maine, United States",
    ]


def test_exact_needs_the_region_to_tell_portlands_apart():
    g = gazetteer()
    assert {PORTLAND_OR, PORTLAND_ME} <= set(ids(g.exact("Portland")))
    assert ids(g.exact("Portland, Maine")) == [PORTLAND_ME]
    assert ids(g.exact("portland, oregon, united states")) == [PORTLAND_OR]
    assert ids(g.exact("Portland, OR")) == [PORTLAND_OR]
    assert g.exact("Portland, Bavaria") == []


def test_qualifiers_narrow_suggestions_as_you_type():
    assert ids(gazetteer().search("Portland, Mai")) == [PORTLAND_ME]


def test_reykjavik_has_its_zone_and_point():
    place = gazetteer().get(REYKJAVIK)
    assert (place.name, place.country, place.timezone) == (
        "Reykjavík",
        "Iceland",
        "Atlantic/Reykjavik",
    )
    assert round(place.latitude) == 64 and round(place.longitude) == -22
    assert ids(gazetteer().exact("Reykjavik")) == [REYKJAVIK]


def test_names_in_other_scripts():
    assert gazetteer().search("東京")[0].name == "Tokyo"


@pytest.mark.parametrize(
    "junk",
    ["", "   ", "\x00", "%", "_", "%_%", "😀" * 50, "\u202e\u200f", "zzzzqqqq", "x" * 10_000],
)
def test_junk_finds_nothing(junk):
    assert gazetteer().search(junk) == []
    assert gazetteer().exact(junk) == []


def test_long_input_is_cut_before_any_work():
    # The same answer for the first MAX_QUERY_CHARS characters and for a huge string.
    assert gazetteer().search("Berlin" + " " * MAX_QUERY_CHARS + "junk")[0].name == "Berlin"


def test_slug_needs():
    g = gazetteer()
    assert g.slug_needs(g.get(REYKJAVIK)) == "name"
    assert g.slug_needs(g.get(PORTLAND_ME)) == "region"
