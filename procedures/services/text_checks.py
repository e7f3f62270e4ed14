"""Whether an author's text can be shown: checked before it is saved, imported or submitted."""

import hashlib
import json
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.utils.translation import gettext as _

from ..rendering import markdown, sandbox
from ..steps import StepData, step_numbers


def element_labels() -> list[tuple[str, str]]:
    """The Markdown elements of a revision with the names an author sees."""
    return [
        ("title", _("the title")),
        ("change_summary", _("the change summary")),
        ("purpose", _("1. Purpose")),
        ("scope", _("2. Scope")),
        ("responsibilities", _("3. Responsibilities")),
        ("procedure_notes", _("4. Procedure, notes on the steps")),
        ("measures_notes", _("5. Performance measures, notes")),
        ("documentation", _("6. Documentation")),
        ("training", _("7. Training")),
        ("review_and_approval", _("8. Review and approval")),
    ]


def _items(fields: dict[str, Any], steps: Sequence[StepData]) -> list[tuple[str, str]]:
    items = [(label, fields.get(name) or "") for name, label in element_labels()]
    numbers = step_numbers([step.level for step in steps])
    items += [
        (_("4. Procedure, step %(number)s") % {"number": number}, step.text)
        for number, step in zip(numbers, steps, strict=True)
    ]
    return [(label, text) for label, text in items if isinstance(text, str) and text.strip()]


def _checked(check, items: list[tuple[str, str]]) -> list[str]:
    """`check(items)` in a child process with a time limit; the same text gives the same
    answer, so a revision page, a save and a submission ask once."""
    key = (
        f"sopdesk:{check.__name__}:"
        + hashlib.sha256(
            json.dumps(
                [items, settings.SOPDESK_MAX_ELEMENT_CHARS, settings.SOPDESK_MAX_NESTING]
            ).encode()
        ).hexdigest()
    )
    cached = cache.get(key)
    if cached is not None:
        return cached
    try:
        problems = sandbox.run(check, items, timeout=settings.SOPDESK_CHECK_TIMEOUT)
    except sandbox.RenderRefused:
        return [
            _("The text is too complex to check in %(seconds)s seconds: shorten or simplify it.")
            % {"seconds": settings.SOPDESK_CHECK_TIMEOUT}
        ]
    cache.set(key, problems, timeout=24 * 3600)
    return problems


def unrenderable(fields: dict[str, Any], steps: Sequence[StepData]) -> list[str]:
    """What in this content no page or PDF could render in bounded time ([] when all can), each
    message naming the element or step. Checked in a child process with a time limit."""
    return _checked(markdown.content_problems, _items(fields, steps))


def picture_problems(fields: dict[str, Any], steps: Sequence[StepData]) -> list[str]:
    """What stops this content from being published as agents would need it: a picture with
    no description, or a picture's Markdown shown as text ("![…](…)" that did not become a
    picture). Asked at submission, each message naming the element or step."""
    return _checked(markdown.picture_problems, _items(fields, steps))
