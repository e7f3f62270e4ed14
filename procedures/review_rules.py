"""The questions the workflow asks about content before it acts: which rule applies, what a draft
still lacks, which signatures still hold, whether a signer is locked out. Questions about people
(who wrote a revision and so may not sign it, who may) are permissions.py's. Reads only: every
write is in workflow/."""

import datetime

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from . import files, lockout
from .content import canonical_hash, step_rows, steps_of
from .models import ApprovalRule, Revision, Signature, User
from .services import element_labels, picture_problems, unrenderable
from .steps import StepData, validate_steps


def rule_for(revision: Revision) -> ApprovalRule:
    """The category's approval rule, or the default (one approval, no review first)."""
    rule = ApprovalRule.objects.filter(category_id=revision.procedure.category_id).first()
    return rule or ApprovalRule(category_id=revision.procedure.category_id)


def missing_elements(revision: Revision) -> list[str]:
    """What submission needs and the revision lacks, element by element."""
    missing = []
    for name, label in (
        ("title", _("a title")),
        ("purpose", _("1. Purpose")),
        ("scope", _("2. Scope")),
        ("responsibilities", _("3. Responsibilities")),
    ):
        if not getattr(revision, name).strip():
            missing.append(label)
    steps = steps_of(revision)
    if not steps:
        missing.append(_("4. Procedure: at least one step"))
    elif validate_steps(revision.step_format, steps):
        missing.append(_("4. Procedure: the steps need attention (open the editor)"))
    if not revision.measures.exists():
        missing.append(_("5. Performance measures: at least one measure with a target"))
    if not revision.training.strip():
        missing.append(_("7. Training"))
    if not revision.procedure.review_interval_months:
        missing.append(_("8. Review interval"))
    if revision.number > 1 and not revision.change_summary.strip():
        missing.append(_("a change summary (what changed and why)"))
    fields = {name: getattr(revision, name) for name, _label in element_labels()}
    return (
        missing
        + guidance_left(revision, steps)
        + foreign_images(revision, steps)
        + unrenderable(fields, steps)
        + picture_problems(fields, steps)
    )


def first_guidance(text: str) -> str | None:
    """A template's guidance: the first text between [[ and ]] that the author is to replace.

    Two `str.find` calls, not a regular expression: a pattern like `\\[\\[(.+?)\\]\\]` takes
    quadratic time on a text of many "[" (300,000 of them held a worker for minutes)."""
    start = text.find("[[")
    if start == -1:
        return None
    end = text.find("]]", start + 3)
    return None if end == -1 else text[start + 2 : end]


def _guidance_message(where: str, text: str) -> str:
    first = " ".join((first_guidance(text) or "").split())
    if len(first) > 80:
        first = first[:79] + "…"
    return _(
        "%(where)s still holds the template's guidance “%(guidance)s”: replace it with your own text."
    ) % {
        "where": where,
        "guidance": first,
    }


def guidance_left(revision: Revision, steps: list[StepData] | None = None) -> list[str]:
    """One message per element, step or measure that still holds a template's guidance
    (`steps`: the revision's steps when the caller has already read them)."""
    found = []
    for name, label in element_labels():
        text = getattr(revision, name) or ""
        if first_guidance(text) is not None:
            found.append(_guidance_message(label, text))
    for row in step_rows(steps if steps is not None else steps_of(revision)):
        if first_guidance(row.step.text) is not None:
            where = _("4. Procedure, step %(number)s") % {"number": row.number}
            found.append(_guidance_message(where, row.step.text))
    for measure in revision.ordered_measures():
        text = " ".join([measure.name, measure.target, measure.method, measure.frequency])
        if first_guidance(text) is not None:
            where = _("5. Performance measures, “%(name)s”") % {"name": measure.name[:60]}
            found.append(_guidance_message(where, text))
    return found


def foreign_images(revision: Revision, steps: list[StepData]) -> list[str]:
    """Images the text shows that belong to another procedure: its readers could not see them."""
    texts = [getattr(revision, name) or "" for name in Revision.MARKDOWN_FIELDS]
    texts += [s.text for s in steps]
    return [
        _("an image that belongs to another procedure (%(name)s): upload it here again")
        % {"name": name}
        for name in files.foreign_images(revision, texts)
    ]


def valid_signatures(
    revision: Revision, meaning: str, content_hash: str | None = None
) -> list[Signature]:
    content_hash = content_hash or canonical_hash(revision)
    return [s for s in revision.signatures.filter(meaning=meaning) if s.is_valid_for(content_hash)]


def signing_locked_until(user: User) -> datetime.datetime | None:
    """When signing (and signing in) opens again for a user locked out by wrong passwords."""
    return lockout.locked_until(user)


def what_happened(revision: Revision) -> str:
    event = revision.audit_events.exclude(to_status="").order_by("-at", "-pk").first()
    if event is None:
        return revision.get_status_display().lower()
    return _("%(what)s by %(name)s at %(time)s") % {
        "what": event.get_action_display().lower(),
        "name": event.actor_name or _("SOP Desk"),
        "time": date_format(timezone.localtime(event.at), "DATETIME_FORMAT"),
    }


def months_later(day: datetime.date, months: int) -> datetime.date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return datetime.date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise ValueError(day)
