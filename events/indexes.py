"""Indexes that exist as such on PostgreSQL only, and the expressions they index."""

from django.contrib.postgres.indexes import GinIndex, GistIndex
from django.db import models
from django.db.models import F, Func


def _columns(expression) -> list[str]:
    """The columns an index expression reads, in order (`OpClass("title")`: title;
    `LlToEarth("latitude", "longitude")`: latitude, longitude)."""
    if isinstance(expression, F):
        return [expression.name]
    columns = []
    for source in expression.get_source_expressions():
        columns += [c for c in _columns(source) if c not in columns]
    return columns


class PostgresOnlyIndex:
    """An index of a PostgreSQL kind (GIN, GiST) on PostgreSQL; elsewhere a plain index
    of the same columns, under the same name.

    SQLite (`make run`, a fresh `make test`) has neither GIN, GiST nor operator classes,
    and it rebuilds a table with every index its model state names whenever a migration
    alters that table (adding a column does): a plain GinIndex there is a syntax error.
    """

    def create_sql(self, model, schema_editor, using="", **kwargs):
        if schema_editor.connection.vendor == "postgresql":
            return super().create_sql(model, schema_editor, using=using, **kwargs)
        columns = list(self.fields)
        for expression in self.expressions:
            columns += [c for c in _columns(expression) if c not in columns]
        plain = models.Index(fields=columns, name=self.name)
        return plain.create_sql(model, schema_editor, using=using, **kwargs)


class PostgresGinIndex(PostgresOnlyIndex, GinIndex):
    """A GIN index (full text, trigrams) on PostgreSQL; a plain one elsewhere."""


class PostgresGistIndex(PostgresOnlyIndex, GistIndex):
    """A GiST index (points on the Earth: `LlToEarth`) on PostgreSQL; a
    plain one elsewhere."""


class LlToEarth(Func):
    """earthdistance's point on the Earth (a 3-D `cube`) at a latitude and longitude. The
    GiST indexes on venues and cities are of exactly this expression."""

    function = "ll_to_earth"
    output_field = models.Field()

    def __init__(self, latitude, longitude, **extra):
        super().__init__(latitude, longitude, **extra)
