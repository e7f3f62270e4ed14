"""Review and approval on a revision's page: submit, comment, return, sign; withdrawal.

Each action is a POST to its own URL, one form and one call into workflow/. A refused
action shows the revision page again with the form as it was typed and the reason.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from .. import permissions, services, workflow
from ..content import canonical_hash, step_rows, steps_of
from ..forms import CommentForm, ReturnForm, SignForm, SubmitForm, WithdrawalForm
from ..models import Signature
from .desk import ProcedureDetailView, RevisionDetailView

Meaning = Signature.Meaning


class RevisionActionView(RevisionDetailView):
    """POST only. On refusal, the revision page again, with the typed form and the reason."""

    http_method_names = ["post"]
    form_name = ""

    def refuse(self, form, message: str):
        form.add_error(None, message)
        messages.error(self.request, message)
        return self.render_to_response(self.get_context_data(**{self.form_name: form}), status=400)

    def done(self, message: str):
        messages.success(self.request, message)
        return redirect(self.revision)

    def step_choices(self):
        return [
            (row.step.key, _("Step %(number)s") % {"number": row.number})
            for row in step_rows(steps_of(self.revision))
        ]


class SubmitView(RevisionActionView):
    form_name = "submit_form"

    def check_permission(self, user) -> None:
        super().check_permission(user)
        if not permissions.is_author_or_owner(user, self.revision):
            raise PermissionDenied(_("Only the author or the owner submits a draft for review."))

    def post(self, request, *args, **kwargs):
        form = SubmitForm(request.POST, eligible=permissions.eligible_signers(self.revision))
        if not form.is_valid():
            return self.refuse(form, _("Choose the approvers among the managers listed."))
        try:
            workflow.submit(
                revision=self.revision,
                actor=request.user,
                approvers=list(form.cleaned_data["approvers"]),
            )
        except workflow.TransitionNotAllowed as refusal:
            return self.refuse(form, refusal.message)
        return self.done(
            _("Submitted for review. The content is now frozen; the approvers have been notified.")
        )


def check_reviewer(user, revision) -> None:
    """Role refusals are a 403; refusals that depend on the revision's state are the workflow's."""
    editors = permissions.editors_of(revision)
    if permissions.can_review(user, revision, editors):
        return
    if user.pk in editors:
        raise PermissionDenied(
            _("You wrote or edited this revision: another manager must review it.")
        )
    raise PermissionDenied(_("Only managers review, sign and return revisions."))


class SignView(RevisionActionView):
    form_name = "sign_form"

    def check_permission(self, user) -> None:
        super().check_permission(user)
        check_reviewer(user, self.revision)

    def refuse(self, form, message: str):
        """The page again for the revision as it is now: the meanings it can be signed with,
        its current state as the one seen, and the typed comment kept."""
        self.revision.refresh_from_db()
        meanings = permissions.signable_meanings(self.request.user, self.revision)
        comment = form.data.get("comment", "").strip()
        if comment and not meanings:
            # The form is gone from the page: give the comment back rather than lose it.
            message = _("%(message)s Your comment, not recorded: “%(comment)s”") % {
                "message": message,
                "comment": comment,
            }
        form.data = form.data.copy()
        form.data["seen_status"] = self.revision.status
        form.data["seen_hash"] = canonical_hash(self.revision)
        form.fields["meaning"].choices = meanings
        if "effective_on" in form.fields and Meaning.APPROVED not in dict(meanings):
            del form.fields["effective_on"]
        return super().refuse(form, message)

    def post(self, request, *args, **kwargs):
        # Every meaning validates here: the workflow says why one is not possible now.
        form = SignForm(request.POST, meanings=[(m.value, m.label) for m in Meaning])
        if not form.is_valid():
            return self.refuse(
                form, _("The signature was not recorded: please correct what is marked.")
            )
        data = form.cleaned_data
        try:
            signature = workflow.sign(
                revision=self.revision,
                signer=request.user,
                password=data["password"],
                meaning=data["meaning"],
                seen_status=data["seen_status"],
                seen_hash=data["seen_hash"],
                comment=data["comment"],
                effective_at=form.effective_at(),
            )
        except workflow.TransitionNotAllowed as refusal:
            return self.refuse(form, refusal.message)
        self.revision.refresh_from_db()
        return self.done(
            _("Signed “%(meaning)s” as %(name)s. The revision is now %(status)s.")
            % {
                "meaning": signature.get_meaning_display(),
                "name": signature.signer_name,
                "status": self.revision.get_status_display().lower(),
            }
        )


class CommentingView(RevisionActionView):
    """A comment about an element or a step, posted to `act` (a return, or a plain comment)."""

    form_class = CommentForm
    refused_form = ""
    done_message = ""

    def act(self, **comment) -> None:
        raise NotImplementedError

    def post(self, request, *args, **kwargs):
        form = self.form_class(request.POST, step_choices=self.step_choices())
        if not form.is_valid():
            return self.refuse(form, self.refused_form)
        data = form.cleaned_data
        try:
            self.act(body=data["body"], element=data["element"], step_key=data["step_key"])
        except (workflow.TransitionNotAllowed, services.ServiceError) as refusal:
            return self.refuse(form, refusal.message)
        return self.done(self.done_message)


class ReturnView(CommentingView):
    form_name = "return_form"
    form_class = ReturnForm
    refused_form = _lazy("Say what needs to change: a return needs a comment.")
    done_message = _lazy("Returned to the author for changes, with your comment.")

    def check_permission(self, user) -> None:
        super().check_permission(user)
        check_reviewer(user, self.revision)

    def act(self, *, body, element, step_key) -> None:
        workflow.return_for_changes(
            revision=self.revision,
            actor=self.request.user,
            comment=body,
            element=element,
            step_key=step_key,
        )


class CommentView(CommentingView):
    form_name = "comment_form"
    refused_form = _lazy("The comment was not added: please correct what is marked.")
    done_message = _lazy("Comment added.")

    def act(self, *, body, element, step_key) -> None:
        services.add_comment(
            revision=self.revision,
            author=self.request.user,
            body=body,
            element=element,
            step_key=step_key,
        )


class RequestWithdrawalView(ProcedureDetailView):
    http_method_names = ["post"]

    def check_permission(self, user) -> None:
        super().check_permission(user)
        if not permissions.can_request_withdrawal(user, self.procedure):
            raise PermissionDenied(
                _("Only the owner or a document controller asks for a withdrawal.")
            )

    def post(self, request, *args, **kwargs):
        form = WithdrawalForm(request.POST, procedure=self.procedure)
        if form.is_valid():
            try:
                workflow.request_withdrawal(
                    procedure=self.procedure,
                    actor=request.user,
                    reason=form.cleaned_data["reason"],
                    replaced_by=form.cleaned_data["replaced_by"],
                )
            except workflow.TransitionNotAllowed as refusal:
                form.add_error(None, refusal.message)
            else:
                messages.success(
                    request, _("Withdrawal requested: a manager must approve it with a signature.")
                )
                return redirect(self.procedure)
        messages.error(
            request, _("The withdrawal was not requested: please correct what is marked.")
        )
        return self.render_to_response(self.get_context_data(withdrawal_form=form), status=400)
