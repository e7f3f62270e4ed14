"""Queries run on every request, built by the ORM once per process and run as plain SQL after.

Compiling a QuerySet costs more than running a primary-key or unique lookup on PostgreSQL (the
person who signs a request in, an integration's API key: bench/api.py). `Prebuilt` compiles the
query once with a stand-in where the looked-up value goes, then swaps in the value, applies the
converters Django would (found once too) and makes the model object from the row, with the
query's annotations as attributes. On the site's PostgreSQL backend the statement is prepared
once per connection as well (sopdesk/postgresql/base.py).
"""

import functools
from collections.abc import Callable

from django.db import connections
from django.db.models import Model, QuerySet


class Prebuilt:
    def __init__(self, build: Callable[[object], QuerySet], stand_in):
        """`build(stand_in)`: the QuerySet, filtered on the stand-in value (of the looked-up
        field's type, and a value no row has)."""
        self._build = build
        self._stand_in = stand_in

    @functools.cached_property
    def _shape(self) -> tuple:
        query = self._build(self._stand_in)
        compiler = query.query.get_compiler(using=query.db)
        sql, params = compiler.as_sql()
        if params.count(self._stand_in) != 1:
            raise ValueError("The stand-in must appear once in the query's parameters.")
        converters = compiler.get_converters([col for col, _sql, _alias in compiler.select])
        fields = [col.target.attname for col, _sql, alias in compiler.select if alias is None]
        annotations = [alias for _col, _sql, alias in compiler.select if alias is not None]
        return sql, params, query.model, query.db, fields, annotations, list(converters.items())

    def first(self, value) -> Model | None:
        sql, params, model, alias, fields, annotations, converters = self._shape
        args = tuple(value if p == self._stand_in else p for p in params)
        connection = connections[alias]
        cursor_of = getattr(connection, "prepared_cursor", connection.cursor)
        with cursor_of() as cursor:
            cursor.execute(sql, args)
            row = cursor.fetchone()
        if row is None:
            return None
        row = list(row)
        for position, (functions, expression) in converters:
            for convert in functions:
                row[position] = convert(row[position], expression, connection)
        found = model.from_db(alias, fields, row[: len(fields)])
        for name, extra in zip(annotations, row[len(fields) :], strict=True):
            setattr(found, name, extra)
        return found
