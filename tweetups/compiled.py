"""Reads made on every hot request, with their SQL compiled once per process.

Django compiles a QuerySet's SQL each time it runs. For a tweetup looked up by its slug,
with its city, organizer and counts, compiling cost more than running the query (about
half a millisecond to a millisecond), and everyone RSVPing to a popular tweetup makes that
read. `CompiledGet` compiles the query once, then runs the same SQL with the value given
and makes the models as the ORM would: the row's columns converted as the ORM converts
them, related objects set from select_related, annotations as attributes.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import connections
from django.db.models import Model, QuerySet
from django.db.models.query import ModelIterable
from django.http import Http404

_PLACEHOLDER = "<compiled-get-value>"


@dataclass(frozen=True)
class _Shape:
    """Where each model's columns and each annotation sit in a row."""

    model: type[Model]
    fields: list[str]
    span: tuple[int, int]
    pk_at: int  # the primary key's place among `fields`
    related: list[tuple["_Shape", Callable[[Model, Model | None], None]]]


@dataclass(frozen=True)
class _Compiled:
    sql: str
    params: list  # the query's own (a status it counts), with the value's place
    value_at: int
    db: str
    shape: _Shape
    annotations: dict[str, int]
    converters: list[tuple[int, list, Any]]


def _shape(klass_info: dict, select: list) -> _Shape | None:
    start, end = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
    related = []
    for info in klass_info.get("related_klass_infos", []):
        if info.get("reverse") or info.get("related_klass_infos"):
            return None  # one level of forward relations only: the ORM does the rest
        inner = _shape(info, select)
        if inner is None:
            return None
        related.append((inner, info["local_setter"]))
    model = klass_info["model"]
    fields = [column[0].target.attname for column in select[start:end]]
    return _Shape(model, fields, (start, end), fields.index(model._meta.pk.attname), related)


class CompiledGet:
    """`queryset().get(<field>=value)`, raising Http404 with `missing` when nothing matches.

    The queryset is made (and compiled) on first use, in the process that uses it."""

    def __init__(self, queryset: Callable[[], QuerySet], field: str, *, missing: str):
        self._queryset, self._field, self._missing = queryset, field, missing
        self._compiled: _Compiled | None | bool = None

    def _compile(self) -> _Compiled | bool:
        queryset = self._queryset().filter(**{self._field: _PLACEHOLDER})
        if queryset._prefetch_related_lookups or queryset._iterable_class is not ModelIterable:
            return False  # more than a row's models: the ORM's way
        compiler = queryset.query.get_compiler(using=queryset.db)
        sql, params = compiler.as_sql()
        shape = _shape(compiler.klass_info, compiler.select)
        if list(params).count(_PLACEHOLDER) != 1 or shape is None:
            return False  # the ORM's way, every time
        converters = compiler.get_converters([column[0] for column in compiler.select])
        return _Compiled(
            sql=sql,
            params=list(params),
            value_at=list(params).index(_PLACEHOLDER),
            db=queryset.db,
            shape=shape,
            annotations=dict(compiler.annotation_col_map or {}),
            converters=[(pos, convs, expr) for pos, (convs, expr) in converters.items()],
        )

    def __call__(self, value: str) -> Model:
        if self._compiled is None:
            self._compiled = self._compile()
        if not self._compiled:
            queryset = self._queryset()
            try:
                return queryset.get(**{self._field: value})
            except queryset.model.DoesNotExist:
                raise Http404(self._missing) from None
        compiled = self._compiled
        connection = connections[compiled.db]
        params = compiled.params.copy()
        params[compiled.value_at] = value
        with connection.cursor() as cursor:
            cursor.execute(compiled.sql, params)
            row = cursor.fetchone()
        if row is None:
            raise Http404(self._missing)
        row = list(row)
        for pos, convs, expression in compiled.converters:
            for convert in convs:
                row[pos] = convert(row[pos], expression, connection)
        found = _make(compiled.shape, compiled.db, row)
        for name, pos in compiled.annotations.items():
            setattr(found, name, row[pos])
        return found


def _make(shape: _Shape, db: str, row: list) -> Model | None:
    start, end = shape.span
    if row[start + shape.pk_at] is None:
        return None  # a nullable relation, unset
    made = shape.model.from_db(db, shape.fields, row[start:end])
    for inner, set_on in shape.related:
        set_on(made, _make(inner, db, row))
    return made
