"""The demo's clock: the workflow run as if it were another moment."""

import contextlib
import datetime
import itertools
from contextlib import contextmanager
from unittest import mock


@contextmanager
def as_of(start: datetime.datetime):
    """Run the workflow as if it were `start` (seconds passing with each call): consistent history."""
    ticks = itertools.count()
    with mock.patch(
        "django.utils.timezone.now",
        side_effect=lambda: start + datetime.timedelta(seconds=next(ticks)),
    ):
        yield


def days_before(days: int):
    """`as_of` that many days ago; the real clock for 0 (a clock that ticks with each call would
    run ahead of the real one, and "in force now" would not yet be)."""
    if not days:
        return contextlib.nullcontext()
    real_now = datetime.datetime.now(datetime.UTC)  # not the clock of an `as_of` around this one
    return as_of(real_now - datetime.timedelta(days=days))
