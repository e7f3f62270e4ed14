"""An often-missed step, sent to its procedure's owner as feedback: in their inbox like any
feedback, which they can turn into a revision. The quality team or a manager sends it from the
dashboard; at most one waits on a step at a time."""

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.template.defaultfilters import floatformat
from django.utils.translation import gettext as _

from procedures import feedback, selectors
from procedures.models import Feedback, Procedure, User

from . import analytics, permissions
from .records import QualityRefused


@transaction.atomic
def suggest(*, actor: User, procedure: Procedure, step_key: str, weeks: int) -> Feedback:
    """Feedback on the step of the revision in force, with the figures of the last `weeks`;
    refused when the step is not missed often enough or feedback on it already waits."""
    if not permissions.can_suggest_changes(actor):
        raise PermissionDenied(_("Suggestions are sent by the quality team and managers."))
    procedure = Procedure.objects.select_for_update().get(pk=procedure.pk)  # one at a time
    scope = analytics.Scope(weeks=weeks, procedure=procedure)
    step = next(
        (m for m in analytics.missed_steps(scope, limit=1000) if m.step_key == step_key), None
    )
    revision = selectors.revision_in_force(procedure)
    if step is None or revision is None or not step.worth_a_suggestion:
        raise QualityRefused(_("There is nothing to suggest for this step now."))
    if Feedback.objects.unresolved().filter(procedure=procedure, step_key=step_key).exists():
        raise QualityRefused(
            _("Feedback on this step already waits for its owner: nothing was sent.")
        )
    body = _(
        "Step %(number)s of %(code)s (“%(text)s”) was missed in %(share)s %% of %(calls)d "
        "evaluated calls in the last %(weeks)d weeks. Could the step be clearer, or is it "
        "still needed?"
    ) % {
        "number": step.step_number, "code": step.code, "text": step.text,
        "share": floatformat(step.share, -1), "calls": step.checked, "weeks": weeks,
    }  # fmt: skip
    try:
        return feedback.send(author=actor, revision=revision, body=body, step_key=step_key)
    except feedback.FeedbackRefused as refusal:
        raise QualityRefused(refusal.message) from refusal
