"""Queries run on every request, built by the ORM once per process and run as plain SQL after.

Compiling a QuerySet costs more than running a primary-key or unique lookup on PostgreSQL (the
person who signs a request in, an integration's API key: bench/api.py). `Prebuilt` compiles the
query once with a stand-in where the looked-up value goes, then swaps in the value; the rows come
back as model objects through `Manager.raw`, with the query's annotations as attributes.
"""

import functools
from collections.abc import Callable

from django.db.models import Model, QuerySet


class Prebuilt:
    def __init__(self, build: Callable[[object], QuerySet], stand_in):
        """`build(stand_in)`: the QuerySet, filtered on the stand-in value (of the looked-up
        field's type, and a value no row has)."""
        self._build = build
        self._stand_in = stand_in

    @functools.cached_property
    def _sql(self) -> tuple[str, tuple, type[Model]]:
        query = self._build(self._stand_in)
        sql, params = query.query.sql_with_params()
        if params.count(self._stand_in) != 1:
            raise ValueError("The stand-in must appear once in the query's parameters.")
        return sql, params, query.model

    def first(self, value) -> Model | None:
        sql, params, model = self._sql
        found = list(
            model._default_manager.raw(
                sql, tuple(value if p == self._stand_in else p for p in params)
            )
        )
        return found[0] if found else None
