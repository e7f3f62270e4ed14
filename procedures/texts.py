"""Texts composed when they are read, in the language active then: an e-mail in each
recipient's language (notifications.py), a record in the organisation's (audit.py)."""

from collections.abc import Callable

from django.utils.functional import lazy


def later(compose: Callable[[], str]):
    """`compose()`'s text, composed when it is read (str())."""
    return lazy(compose, str)()
