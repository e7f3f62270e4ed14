"""What the revision and procedure pages show about review and approval, for one user."""

from django.core.cache import cache
from django.utils.text import Truncator
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from .. import permissions, render_checks, review_rules
from ..content import canonical_hash, step_rows, steps_of
from ..forms import CommentForm, FeedbackForm, ReturnForm, SignForm, SubmitForm
from ..models import Feedback, Revision, Signature

Meaning = Signature.Meaning


def workflow_context(revision: Revision, user, **forms) -> dict:
    """Everything the revision page shows about review and approval, for this user."""
    editors = permissions.editors_of(revision)
    content_hash = canonical_hash(revision)
    rows = step_rows(steps_of(revision))
    step_number = {row.step.key: row.number for row in rows}
    step_choices = [(row.step.key, _("Step %(number)s") % {"number": row.number}) for row in rows]
    rule = review_rules.rule_for(revision)
    signatures = [
        (s, s.is_valid_for(content_hash))
        for s in revision.signatures.select_related("signer").order_by("signed_at")
    ]
    comments = [
        (c, step_number.get(c.step_key, ""))
        for c in revision.comments.select_related("author").order_by("created_at")
    ]
    meanings = permissions.signable_meanings(user, revision, editors)
    can_submit = permissions.can_submit(user, revision)
    context = {
        "signatures": signatures,
        "approvals": sum(1 for s, valid in signatures if valid and s.meaning == Meaning.APPROVED),
        "rule": rule,
        "comments": comments,
        "last_return": next((c for c, _n in reversed(comments) if c.returned), None),
        "can_submit": can_submit,
        "missing": review_rules.missing_elements(revision) if can_submit else [],
        "render_check": render_checks.current(revision) if can_submit else None,
        "can_return": permissions.can_return(user, revision, editors),
        "can_comment": permissions.can_comment(user, revision),
        "meanings": meanings,
    }
    if can_submit:
        context["submit_form"] = forms.get("submit_form") or SubmitForm(
            eligible=permissions.eligible_signers(revision),
            initial={"approvers": list(revision.approvers.all())},
        )
    if meanings:
        context["sign_form"] = forms.get("sign_form") or SignForm(
            meanings=meanings,
            initial={"seen_status": revision.status, "seen_hash": content_hash},
        )
    if context["can_return"]:
        context["return_form"] = forms.get("return_form") or ReturnForm(step_choices=step_choices)
    if context["can_comment"]:
        context["comment_form"] = forms.get("comment_form") or CommentForm(
            step_choices=step_choices
        )
    return context


STEP_CHOICES_CACHE_SECONDS = 3600


def step_choices(revision: Revision) -> list[tuple[str, str]]:
    """A published revision's steps as (key, "Step 1.2 — text…") choices. A published revision
    never changes, so they are cached by its id."""
    return cache.get_or_set(
        f"sopdesk:step-choices:{revision.pk}:{get_language()}",
        lambda: [
            (
                row.step.key,
                _("Step %(number)s: %(text)s")
                % {"number": row.number, "text": Truncator(row.step.text).chars(60)},
            )
            for row in step_rows(steps_of(revision))
        ],
        STEP_CHOICES_CACHE_SECONDS,
    )


def feedback_panel(user, procedure, revision: Revision, form: FeedbackForm | None = None) -> dict:
    """The feedback part of a manual page: the reader's own feedback on this procedure (nobody
    else's) and, unless they own it, the form to send more."""
    mine = list(
        Feedback.objects.filter(procedure=procedure, author=user).order_by("-created_at")[:20]
    )
    if not permissions.can_send_feedback(user, procedure):
        return {"mine": mine, "form": None}
    return {"mine": mine, "form": form or FeedbackForm(step_choices=step_choices(revision))}


def addressed_feedback(revision: Revision) -> list[Feedback]:
    """The feedback a revision was started from (shown on the draft and its editor)."""
    return list(
        revision.feedback_addressed.select_related("author", "revision").order_by("created_at")
    )
