"""The day a post names (events/found/dates.py) and the query it is found with
(events/found/query.py)."""

import zoneinfo
from datetime import UTC, date, datetime

import pytest

from events.found.dates import named_day
from events.found.query import city_of, city_terms, is_talk, talk_query
from events.models import City
from xemulator import query as x_query

LISBON = zoneinfo.ZoneInfo("Europe/Lisbon")
# Monday 30 November 2026, 23:30 in Lisbon; already Tuesday in Tokyo.
POSTED = datetime(2026, 11, 30, 23, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    "text,day",
    [
        ("Who's around Lisbon on Friday?", date(2026, 12, 4)),
        ("lisbon TWEETUP  friday!", date(2026, 12, 4)),
        ("Lisbon meetup on Monday", date(2026, 11, 30)),  # today
        ("Lisbon meetup next Monday", date(2026, 12, 7)),
        ("tweetup tomorrow in Lisbon", date(2026, 12, 1)),
        ("tweetup tonight", date(2026, 11, 30)),
        ("meetup on Dec 12", date(2026, 12, 12)),
        ("meetup on December 12th", date(2026, 12, 12)),
        ("meetup 3rd of January", date(2027, 1, 3)),  # the next one
        ("meetup Nov 2", date(2027, 11, 2)),  # passed this year
        ("tomorrow or Friday?", date(2026, 12, 1)),  # the first named
        ("meetup Feb 30", None),
        ("meetup 12/11", None),  # month first or day first: not read
        ("meetup soon!", None),
    ],
)
def test_named_day(text, day):
    assert named_day(text, POSTED, LISBON) == day


def test_days_are_counted_in_the_citys_time_zone():
    tokyo = zoneinfo.ZoneInfo("Asia/Tokyo")
    assert named_day("tweetup tomorrow", POSTED, tokyo) == date(2026, 12, 2)


def test_the_query_is_one_x_accepts_and_names_each_city():
    cities = [city_terms(City(name=n)) for n in ("Lisbon", "São Paulo", 'The "Big" Apple')]
    query = talk_query(cities)
    assert query == (
        '(tweetup OR tweetups OR meetup OR "who\'s around") '
        '("Lisbon" OR #lisbon OR "São Paulo" OR #sãopaulo OR "The Big Apple" OR #thebigapple)'
        " -is:retweet"
    )
    x_query.parse(query)  # raises what X would refuse
    assert city_of("Tweetup in são paulo?", frozenset(), cities).city.name == "São Paulo"
    assert city_of("Tweetup!", frozenset({"lisbon"}), cities).city.name == "Lisbon"
    assert city_of("Tweetup in Paulo", frozenset(), cities) is None
    assert is_talk("Who’s around tonight?") and not is_talk("Lisbon on Friday")
