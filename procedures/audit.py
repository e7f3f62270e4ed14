"""Writing the audit trail: one append-only event per act, in the transaction of the act.

A record is kept in the organisation's language (LANGUAGE_CODE), whoever acted and in whatever
language they work: the reasons SOP Desk writes itself are passed as lazy texts (`texts.later`,
`gettext_lazy`) and composed here in that language. A reader in another language sees those
that are one of SOP Desk's messages in theirs (`as_read`); what people typed stays as typed.
"""

import functools
import re
from typing import Any

from django.conf import settings
from django.utils.translation import gettext, gettext_noop, override

from . import freshness
from .models import AuditEvent, Procedure, Revision, User


def in_record_language(text) -> str:
    """A text (perhaps lazy) as the record keeps it: in the organisation's language."""
    with override(settings.LANGUAGE_CODE):
        return str(text or "")


# The reasons SOP Desk records with a value in them: recorded in the organisation's language,
# read in the reader's (as_read) when the organisation's language is English.
REVISION_STARTED = gettext_noop("Revision started from revision %(number)d")
SUPERSEDED_BY = gettext_noop("Superseded by revision %(number)d")
REVISION_EFFECTIVE = gettext_noop("Revision %(number)d effective")
FROM_TEMPLATE = gettext_noop("First draft created from the template %(name)s")
IMPORTED_FROM = gettext_noop("Imported from %(file)s")
FEEDBACK_ABOUT = gettext_noop("Feedback #%(pk)d: %(about)s")
FEEDBACK = gettext_noop("Feedback #%(pk)d")
WITH_VALUES = [
    REVISION_STARTED, SUPERSEDED_BY, REVISION_EFFECTIVE, FROM_TEMPLATE, IMPORTED_FROM,
    FEEDBACK_ABOUT, FEEDBACK,
]  # fmt: skip


@functools.cache
def _patterns() -> list[tuple[re.Pattern, str]]:
    def pattern(message: str) -> re.Pattern:
        parts = re.split(r"%\((\w+)\)([sd])", message)
        regex = ""
        for i, part in enumerate(parts):
            if i % 3 == 0:
                regex += re.escape(part)
            elif i % 3 == 1:
                regex += f"(?P<{part}>\\d+)" if parts[i + 1] == "d" else f"(?P<{part}>.+)"
        return re.compile(f"^{regex}$", re.S)

    return [(pattern(message), message) for message in WITH_VALUES]


def as_read(text: str) -> str:
    """A recorded text for the reader: in their language when it is one of SOP Desk's own
    messages as an English-speaking organisation recorded it; otherwise as recorded."""
    if not text:
        return text
    translated = gettext(text)
    if translated != text:
        return translated
    for pattern, message in _patterns():
        found = pattern.match(text)
        if found:
            values = {k: int(v) if v.isdigit() else v for k, v in found.groupdict().items()}
            return gettext(message) % values
    return text


def record(
    *,
    action: str,
    actor: User | None,
    procedure: Procedure | None = None,
    revision: Revision | None = None,
    from_status: str = "",
    to_status: str = "",
    changes: dict[str, Any] | None = None,
    reason: str = "",
    target: str = "",
) -> AuditEvent:
    """Append one event. Call it inside the transaction that makes the change it records."""
    if revision is not None and procedure is None:
        procedure = revision.procedure
    event = AuditEvent.objects.create(
        action=action,
        actor=actor,
        actor_name=actor.display_name if actor else "",
        procedure=procedure,
        revision=revision,
        from_status=from_status,
        to_status=to_status,
        changes=changes or {},
        reason=in_record_language(reason),
        target=in_record_language(target),
    )
    freshness.changed()
    return event


def describe(value: Any) -> Any:
    """A value as it is kept in `changes`: JSON-friendly, readable."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


HISTORY_REASON_LENGTH = 100  # django-simple-history's history_change_reason column


def history_reason(text: str) -> str:
    """A reason short enough for the change history (the audit event keeps it whole)."""
    text = " ".join(in_record_language(text).split())
    if len(text) <= HISTORY_REASON_LENGTH:
        return text
    return text[: HISTORY_REASON_LENGTH - 1] + "…"
