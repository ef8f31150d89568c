"""The search for tweetup talk: the sync's query grammar, several cities a query within
X's query length, and which city (if any) a post is about."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.conf import settings

from events.models import City
from events.sync.parsing import hashtag_key

# What tweetup talk looks like: any of these, with a city's name or hashtag.
TALK_TERMS = ("tweetup", "tweetups", "meetup", '"who\'s around"')
TALK = re.compile(r"\b(?:tweetups?|meetup|who['’]?s around)\b")
_WORD = re.compile(r"\w+")
_NOT_TAG = re.compile(r"\W+")


@dataclass(frozen=True)
class CityTerms:
    city: City
    words: tuple[str, ...]  # the name as X tokenizes it: "New York" -> ("new", "york")
    tag: str | None  # #NewYork, as hashtag_key(): "newyork"

    @property
    def clause(self) -> str:
        name = " ".join(self.city.name.replace('"', " ").split())
        terms = [f'"{name}"'] + ([f"#{self.tag}"] if self.tag else [])
        return " OR ".join(terms)


def city_terms(city: City) -> CityTerms | None:
    """A city's name and hashtag as search terms; None when its name gives no words."""
    words = tuple(_WORD.findall(city.name.casefold()))
    if not words:
        return None
    tag = _NOT_TAG.sub("", city.name)
    return CityTerms(
        city=city, words=words, tag=hashtag_key(tag) if tag and not tag.isdigit() else None
    )


def talk_query(cities: list[CityTerms]) -> str:
    """`(tweetup OR … OR "who's around") ("Lisbon" OR #Lisbon OR …) -is:retweet`."""
    talk = f"({' OR '.join(TALK_TERMS)})"
    places = " OR ".join(c.clause for c in cities)
    return f"{talk} ({places}) -is:retweet"


def pack_cities(cities: list[CityTerms]) -> tuple[list[list[CityTerms]], list[CityTerms]]:
    """Cities packed into queries that fit X_SEARCH_QUERY_MAX_CHARS, in order; and the
    cities whose terms alone don't fit (left out)."""
    limit = settings.X_SEARCH_QUERY_MAX_CHARS
    batches: list[list[CityTerms]] = []
    too_long: list[CityTerms] = []
    current: list[CityTerms] = []
    for city in cities:
        if len(talk_query([city])) > limit:
            too_long.append(city)
            continue
        if current and len(talk_query([*current, city])) > limit:
            batches.append(current)
            current = []
        current.append(city)
    if current:
        batches.append(current)
    return batches, too_long


def is_talk(text: str) -> bool:
    return bool(TALK.search(" ".join(text.casefold().split())))


def city_of(text: str, hashtags: frozenset[str], cities: list[CityTerms]) -> CityTerms | None:
    """The first of `cities` the post names (its name in the text, or its hashtag)."""
    words = _WORD.findall(text.casefold())
    for city in cities:
        if city.tag and city.tag in hashtags:
            return city
        size = len(city.words)
        if any(tuple(words[i : i + size]) == city.words for i in range(len(words) - size + 1)):
            return city
    return None
