"""Pages without a COUNT: a city's list reads one page plus one row, however many rows
match, so its cost does not grow with the table."""

from dataclasses import dataclass

from django.db.models import QuerySet
from django.http import Http404

MAX_PAGE = 10_000  # deeper than anyone pages; keeps OFFSET within the database's integers


@dataclass
class Page:
    object_list: list
    number: int
    has_next: bool

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_other_pages(self) -> bool:
        return self.has_next or self.has_previous

    @property
    def next_page_number(self) -> int:
        return self.number + 1

    @property
    def previous_page_number(self) -> int:
        return self.number - 1


def page_number(value: str | int | None) -> int:
    """The page a ?page= value asks for: 1 for nonsense, 404 past MAX_PAGE."""
    try:
        number = max(int(value or 1), 1)
    except (TypeError, ValueError):
        number = 1
    if number > MAX_PAGE:
        raise Http404("No such page.")
    return number


def page_of(queryset: QuerySet, *, number: str | int | None, per_page: int) -> Page:
    number = page_number(number)
    start = (number - 1) * per_page
    rows = list(queryset[start : start + per_page + 1])
    return Page(object_list=rows[:per_page], number=number, has_next=len(rows) > per_page)
