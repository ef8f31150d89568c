"""How views find the tweetup a URL names, and who may change it."""

from django.core.exceptions import PermissionDenied
from django.db import connection
from django.http import Http404
from django.shortcuts import get_object_or_404

from events.models import City, Tweetup


def tweetup_or_404(slug: str) -> Tweetup:
    """The tweetup, its city and its organizer."""
    return get_object_or_404(Tweetup.objects.select_related("city", "organizer"), slug=slug)


class _CompiledLookup:
    """`Tweetup.objects.select_related("city").get(slug=…)`, with its SQL compiled once per
    process: the RSVP views' read of their tweetup. Everyone RSVPing to a popular tweetup
    makes this request, and compiling the same query every time cost more than running it
    (about half a millisecond of a few). Rows become models as the ORM makes them
    (Model.from_db): where a column needs converting on its way from the database (every
    date on SQLite), this is the ORM's lookup again."""

    _SLUG = "<slug>"  # the placeholder the SQL is compiled with

    def __init__(self):
        self._compiled = None

    def _compile(self):
        fields = [[f.attname for f in model._meta.concrete_fields] for model in (Tweetup, City)]
        converters = [
            f
            for model in (Tweetup, City)
            for f in model._meta.concrete_fields
            if f.get_db_converters(connection) or connection.ops.get_db_converters(f.cached_col)
        ]
        query = Tweetup.objects.select_related("city").filter(slug=self._SLUG).query
        sql, params = query.sql_with_params()
        if converters or params != (self._SLUG,):
            return False  # the ORM's way, every time
        return sql, fields

    def __call__(self, slug: str) -> Tweetup:
        if self._compiled is None:
            self._compiled = self._compile()
        if not self._compiled:
            return get_object_or_404(Tweetup.objects.select_related("city"), slug=slug)
        sql, (tweetup_fields, city_fields) = self._compiled
        with connection.cursor() as cursor:
            cursor.execute(sql, [slug])
            row = cursor.fetchone()
        if row is None:
            raise Http404("No tweetup with that address.")
        split = len(tweetup_fields)
        tweetup = Tweetup.from_db(connection.alias, tweetup_fields, row[:split])
        tweetup.city = City.from_db(connection.alias, city_fields, row[split:])
        return tweetup


tweetup_with_city_or_404 = _CompiledLookup()


def organized_tweetup_or_403(request, slug: str) -> Tweetup:
    """The tweetup, if the signed-in person organizes it."""
    tweetup = tweetup_or_404(slug)
    if not tweetup.is_organized_by(request.user):
        raise PermissionDenied
    return tweetup
