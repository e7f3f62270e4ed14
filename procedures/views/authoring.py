"""The draft editor and the live Markdown preview."""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from .. import permissions, services
from ..content import Snapshot, snapshot_of, step_rows, steps_of
from ..diff import compare
from ..forms import DraftEditor
from ..models import Revision, Step
from ..rendering import sandbox
from ..rendering.markdown import render_markdown
from .mixins import DeskMixin, RevisionMixin
from .panels import addressed_feedback

PREVIEW_MAX_CHARS = 100_000


class RevisionEditView(RevisionMixin, TemplateView):
    template_name = "procedures/revision_edit.html"

    def check_permission(self, user) -> None:
        super().check_permission(user)
        if not permissions.can_edit(user, self.revision):
            if not self.revision.is_draft:
                raise PermissionDenied(
                    _("Revision %(number)d is %(status)s: it can no longer be changed.")
                    % {
                        "number": self.revision.number,
                        "status": self.revision.get_status_display().lower(),
                    }
                )
            raise PermissionDenied(
                _("Only %(owner)s, the owner of %(code)s, edits its drafts.")
                % {
                    "owner": self.procedure.owner.display_name,
                    "code": self.procedure.code,
                }
            )

    def get(self, request, *args, **kwargs):
        editor = DraftEditor(revision=self.revision, snapshot=snapshot_of(self.revision))
        return self.render_to_response(self.get_context_data(editor=editor))

    def post(self, request, *args, **kwargs):
        editor = DraftEditor(request.POST, revision=self.revision)
        if not editor.is_valid():
            messages.error(request, _("The draft was not saved: please correct what is marked."))
            return self.render_to_response(self.get_context_data(editor=editor))
        content = editor.content()
        try:
            services.save_draft(
                revision=self.revision,
                editor=request.user,
                content=content,
                lock_version=editor.lock_version,
            )
        except services.EditConflict as conflict:
            return self._conflict(editor, content, conflict.current, conflict.message)
        except services.StepsInvalid as invalid:
            messages.error(request, _("The draft was not saved: the steps need attention."))
            return self.render_to_response(
                self.get_context_data(editor=editor, step_errors=invalid.errors)
            )
        except services.TextRefused as refused:
            for problem in refused.problems:
                messages.error(request, problem)
            return self.render_to_response(self.get_context_data(editor=editor))
        except services.ServiceError as error:
            messages.error(request, error.message)
            return redirect(self.procedure)
        messages.success(request, _("Draft saved."))
        return redirect("desk:edit", code=self.procedure.code, number=self.revision.number)

    def _conflict(self, editor, content, current: Revision, message: str):
        """Keep the editor's text, show theirs beside it, and let the next save merge."""
        current = Revision.objects.prefetch_related("steps", "measures").get(pk=current.pk)
        data = self.request.POST.copy()
        data["lock_version"] = str(current.lock_version)
        merged = DraftEditor(data, revision=self.revision)
        merged.is_valid()
        theirs = snapshot_of(current)
        yours = Snapshot(
            fields=content.fields, steps=list(content.steps), measures=list(content.measures)
        )
        messages.warning(self.request, message)
        return self.render_to_response(
            self.get_context_data(
                editor=merged,
                conflict={
                    "by": current.updated_by,
                    "at": current.updated_at,
                    "sections": [s for s in compare(theirs, yours) if s.changed],
                },
            ),
            status=409,
        )

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            step_kinds=Step.Kind.choices,
            step_formats=Revision.StepFormat,
            comments=_comments_by_element(self.revision),
            addressed_feedback=addressed_feedback(self.revision),
            attachments=list(self.revision.attachments.order_by("position", "pk")),
            upload_limit=settings.SOPDESK_UPLOAD_MAX_BYTES,
            **kwargs,
        )


def _comments_by_element(revision: Revision) -> dict[str, list]:
    """Review comments grouped by the element they concern, for the editor's margins."""
    number_of = {row.step.key: row.number for row in step_rows(steps_of(revision))}
    grouped: dict[str, list] = {}
    for comment in revision.comments.select_related("author").order_by("created_at"):
        grouped.setdefault(comment.element, []).append(
            (comment, number_of.get(comment.step_key, ""))
        )
    return grouped


class MarkdownPreviewView(DeskMixin, View):
    """POST text → the HTML the manual would show, through the same sanitizing renderer."""

    http_method_names = ["post"]

    def check_permission(self, user) -> None:
        if not permissions.can_preview_markdown(user):
            raise PermissionDenied(_("Only authors can preview drafts."))

    def post(self, request, *args, **kwargs):
        text = request.POST.get("text", "")
        if len(text) > PREVIEW_MAX_CHARS:
            return HttpResponseBadRequest(
                _("The text is too long to preview."), content_type="text/plain; charset=utf-8"
            )
        try:  # in a child process with a time limit: no text can hold this worker
            html = sandbox.run(render_markdown, text, timeout=settings.SOPDESK_CHECK_TIMEOUT)
        except sandbox.RenderRefused as refused:
            return HttpResponseBadRequest(refused.message, content_type="text/plain; charset=utf-8")
        return HttpResponse(html, content_type="text/html; charset=utf-8")
