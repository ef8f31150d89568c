"""Indexes that exist as such on PostgreSQL only."""

from django.contrib.postgres.indexes import GinIndex
from django.db import models


class PostgresGinIndex(GinIndex):
    """A GIN index (full text, trigrams) on PostgreSQL; elsewhere a plain index of the same
    column, under the same name.

    SQLite (`make run`, a fresh `make test`) has neither GIN nor operator classes, and it
    rebuilds a table with every index its model state names whenever a migration alters
    that table (adding a column does): a plain GinIndex there is a syntax error.
    """

    def create_sql(self, model, schema_editor, using="", **kwargs):
        if schema_editor.connection.vendor == "postgresql":
            return super().create_sql(model, schema_editor, using=using, **kwargs)
        columns = list(self.fields) or [
            expression.get_source_expressions()[0].name for expression in self.expressions
        ]
        plain = models.Index(fields=columns, name=self.name)
        return plain.create_sql(model, schema_editor, using=using, **kwargs)
