"""Cities from the gazetteer (events/gazetteer.py): which city a person means by what they
typed, and the `City` row made the first time someone organizes there.

A choice is either a `City` row or a gazetteer place that has none yet. Rows made from the
gazetteer carry its GeoNames id and are that place; older rows without one (made by hand,
or by tests) stand for the gazetteer place of the same name and country.
"""

import zoneinfo
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q

from events.gazetteer import MAX_QUERY_CHARS, SUGGESTIONS, Place, gazetteer, normalize, slug_base
from events.models import City
from tweetups import page_cache

SLUG_MAX = City._meta.get_field("slug").max_length


def city_label(city: City) -> str:
    """ "Portland, Oregon, United States", "Berlin, Germany": what the city field shows."""
    return ", ".join(part for part in (city.name, city.region, city.country) if part)


@dataclass(frozen=True)
class CityChoice:
    """A city someone may mean: a row, or a gazetteer place with no row yet."""

    city: City | None = None
    place: Place | None = None

    @property
    def value(self) -> str:
        """The form value that names it again: "g<GeoNames id>", or "c<pk>" for a row without."""
        if self.city is not None and self.city.geoname_id is None:
            return f"c{self.city.pk}"
        return f"g{self.place.geoname_id if self.place else self.city.geoname_id}"

    @property
    def label(self) -> str:
        return city_label(self.city) if self.city else self.place.label

    @property
    def where(self) -> str:
        """Its region and country: "Oregon, United States"."""
        row = self.city or self.place
        return ", ".join(part for part in (row.region, row.country) if part)

    @property
    def name(self) -> str:
        return self.city.name if self.city else self.place.name

    @property
    def timezone(self) -> str:
        return self.city.timezone if self.city else self.place.timezone

    @property
    def tzinfo(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)

    @property
    def population(self) -> int:
        return self.place.population if self.place else self.city.population

    @property
    def point(self) -> tuple[float, float] | None:
        """(latitude, longitude) of its centre, if known: where a map of it starts."""
        row = self.city or self.place
        if row.latitude is None or row.longitude is None:
            return None
        return (row.latitude, row.longitude)


def choices_from_places(places: list[Place], *, typed_name: str = "") -> list[CityChoice]:
    """The places as choices, each with its row if it has one: one query."""
    if not places and not typed_name:
        return []
    ids = [p.geoname_id for p in places]
    names = {p.name for p in places} | ({typed_name} if typed_name else set())
    rows = City.objects.filter(Q(geoname_id__in=ids) | Q(geoname_id__isnull=True, name__in=names))[
        : 4 * SUGGESTIONS
    ]
    by_id, by_name = {}, {}
    for row in rows:
        if row.geoname_id is not None:
            by_id[row.geoname_id] = row
        else:
            by_name[(normalize(row.name), normalize(row.country))] = row
    choices, seen = [], set()
    for place in places:
        row = by_id.get(place.geoname_id) or by_name.pop(
            (normalize(place.name), normalize(place.country)), None
        )
        choice = CityChoice(city=row, place=place)
        if choice.value not in seen:
            seen.add(choice.value)
            choices.append(choice)
    # Rows of the typed name that match no place (made by hand): still choosable.
    choices += [CityChoice(city=row) for row in by_name.values()]
    return choices


def city_choices(text: str, *, limit: int = SUGGESTIONS) -> list[CityChoice]:
    """Suggestions for what someone is typing, best first."""
    return choices_from_places(gazetteer().search(text, limit=limit))


def resolve_city(text: str) -> tuple[CityChoice | None, list[CityChoice]]:
    """The one city `text` names, or (None, the candidates to choose from).

    The text names one city when exactly one city is called that ("Reykjavik", "München",
    "Portland, Maine", "Portland, Oregon, United States"), or when only one city's name
    begins with it. "Portland" names three: the person chooses. No candidates: no city.
    """
    text = text[:MAX_QUERY_CHARS]
    typed_name = text.split(",")[0].strip()
    exact = choices_from_places(gazetteer().exact(text), typed_name=typed_name)
    qualifiers = [q for q in map(normalize, text.split(",")[1:]) if q]
    exact = [c for c in exact if c.place or _row_matches(c.city, typed_name, qualifiers)]
    if len(exact) == 1:
        return exact[0], []
    if exact:
        return None, exact
    suggestions = city_choices(text)
    if len(suggestions) == 1:
        return suggestions[0], []
    return None, suggestions


def _row_matches(city: City, name: str, qualifiers: list[str]) -> bool:
    known = {normalize(city.region), normalize(city.country), city.country_code.casefold()}
    return normalize(city.name) == normalize(name) and set(qualifiers) <= known - {""}


def choice_from_value(value: str) -> CityChoice | None:
    """The choice a form value ("g2643743", "c12") names, if it names one."""
    kind, number = value[:1], value[1:]
    if not number.isdigit() or len(number) > 12:
        return None
    if kind == "c":
        city = City.objects.filter(pk=int(number)).first()
        return CityChoice(city=city) if city else None
    if kind == "g":
        place = gazetteer().get(int(number))
        if place is None:
            return None
        row = City.objects.filter(geoname_id=place.geoname_id).first()
        return CityChoice(city=row, place=place)
    return None


def place_fields(place: Place) -> dict:
    """A City's fields as the gazetteer has them (the slug aside)."""
    return {
        "name": place.name,
        "country": place.country,
        "country_code": place.country_code,
        "region": place.region,
        "timezone": place.timezone,
        "latitude": place.latitude,
        "longitude": place.longitude,
        "population": place.population,
    }


def city_slug(place: Place) -> str:
    """The slug a city made from `place` asks for. It depends only on the gazetteer, not on
    which cities exist yet, so it is the same whoever organizes there first:

    - name and country code, when the gazetteer has no other city of that name in that
      country: "reykjavik-is", "munich-de";
    - name, region and country code, when it has and the region tells them apart:
      "portland-oregon-us", "portland-maine-us" (outside the US the region is GeoNames'
      admin1 code: "san-fernando-51-es");
    - name, country code and GeoNames id otherwise.

    `city_from_gazetteer` adds "-2", "-3"… only if an older row (made by hand, before the
    gazetteer) holds that slug. A slug is never changed once made: links keep working.
    """
    name = slug_base(place.name) or "city"
    code = place.country_code.lower()
    needs = gazetteer().slug_needs(place)
    if needs == "name":
        tail = code
    elif needs == "region":
        tail = f"{slug_base(place.region) or place.admin1.lower()}-{code}"
    else:
        tail = f"{code}-{place.geoname_id}"
    return f"{name[: SLUG_MAX - len(tail) - 4].strip('-')}-{tail}"


def city_from_gazetteer(*, geoname_id: int) -> City:
    """The city for a gazetteer place, made the first time it is asked for (race-safe: the
    GeoNames id is unique, and a request that loses the race reads the winner's row)."""
    if city := City.objects.filter(geoname_id=geoname_id).first():
        return city
    place = gazetteer().get(geoname_id)
    if place is None:
        raise ValidationError("We don't know that city. Please type its name again.")
    base = city_slug(place)
    for attempt in range(1, 20):
        slug = base if attempt == 1 else f"{base}-{attempt}"
        if City.objects.filter(slug=slug).exists():
            continue
        try:
            with transaction.atomic():
                city = City.objects.create(geoname_id=geoname_id, slug=slug, **place_fields(place))
        except IntegrityError:
            if city := City.objects.filter(geoname_id=geoname_id).first():
                return city  # someone else made it just now
            continue  # the slug was taken just now
        page_cache.forget("home")  # its lists name every city
        return city
    raise ValidationError("We couldn't add that city just now. Please try again.")


def city_for_choice(choice: CityChoice) -> City:
    """The row for a choice, made from the gazetteer if it has none yet."""
    if choice.city is not None:
        return choice.city
    return city_from_gazetteer(geoname_id=choice.place.geoname_id)
