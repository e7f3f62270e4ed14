"""The desk: lists of procedures, creating one, a procedure's revisions, reading a revision."""

import datetime
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.generic import FormView, TemplateView, View

from quality import analytics
from quality import permissions as quality_permissions
from quality.analytics import Scope

from .. import (
    audit,
    feedback,
    integrations,
    manual_pdf,
    permissions,
    render_checks,
    selectors,
    services,
    serving,
    tasks,
)
from ..content import snapshot_of, template_content
from ..diff import compare
from ..document_data import gather
from ..forms import CallReasonsForm, ProcedureCreateForm, WithdrawalForm
from ..models import (
    Category,
    Feedback,
    Procedure,
    ProcedureTemplate,
    RenderCheck,
    Revision,
)
from ..models.documents import site_language
from ..rendering.document import desk_body
from ..texts import later
from . import manual as manual_views
from .mixins import DeskMixin, ProcedureMixin, RevisionMixin
from .panels import addressed_feedback, workflow_context
from .params import int_param


def home(request):
    """Where a login lands: the desk for the people who write; agents are told where to go."""
    if not request.user.is_authenticated:
        return redirect("login")
    if permissions.can_use_desk(request.user):
        return redirect("desk:index")
    if quality_permissions.is_evaluator(request.user):
        return redirect("quality:evaluations")
    return redirect("manual:toc")


class DeskIndexView(DeskMixin, TemplateView):
    template_name = "procedures/desk_index.html"
    page_size = 50

    def get_context_data(self, **kwargs):
        user = self.request.user
        sees_all = permissions.sees_all_procedures_on_desk(user)
        procedures = Procedure.objects.all() if sees_all else Procedure.objects.owned_by(user)
        query = self.request.GET.get("q", "").strip()
        category = int_param(self.request.GET.get("category"), default=0, invalid=-1)
        if query:
            procedures = procedures.matching(query)
        if category:
            procedures = procedures.filter(category_id=category)
        page = Paginator(
            procedures.with_desk_columns().order_by("category__order", "code"), self.page_size
        ).get_page(self.request.GET.get("page"))
        filters = {"q": query} | ({"category": category} if category else {})
        today = timezone.localdate()
        due = Procedure.objects.review_due_by(today + datetime.timedelta(days=30))
        return super().get_context_data(
            awaiting_review=permissions.revisions_to_sign(user),
            left_out=manual_pdf.left_out_now() if permissions.is_document_controller(user) else [],
            reviews_due=(due if sees_all else due.owned_by(user)).select_related("owner")[:50],
            open_feedback=feedback.visible_to(user)
            .filter(status=Feedback.Status.OPEN)
            .order_by("created_at")[:10],
            today=today,
            page=page,
            rows=[(p, p.latest_revision()) for p in page.object_list],
            drafts=Revision.objects.drafts()
            .filter(procedure__owner=user)
            .select_related("procedure")
            .order_by("-updated_at")[:20],
            translations_due=selectors.translations_due(user),
            sees_all=sees_all,
            query=query,
            category=category,
            categories=Category.objects.order_by("order", "name"),
            filter_query=urlencode(filters) if query or category else "",
            can_create=permissions.can_create_procedure(user),
            **kwargs,
        )


class ProcedureCreateView(DeskMixin, FormView):
    template_name = "procedures/procedure_create.html"
    form_class = ProcedureCreateForm

    def check_permission(self, user) -> None:
        if not permissions.can_create_procedure(user):
            raise PermissionDenied(
                _("Only supervisors and document controllers create procedures.")
            )

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        # the templates in the reader's language (else the site's); the others folded away
        active = list(ProcedureTemplate.objects.filter(is_active=True).order_by("order", "name"))
        offered = {t.language for t in active}
        language = get_language() if get_language() in offered else site_language()
        self.templates = [t for t in active if t.language == language]
        self.other_templates = [t for t in active if t.language != language]
        chosen = request.POST.get("template") or request.GET.get("template") or ""
        self.template = next((t for t in active if str(t.pk) == chosen), None)

    def get_initial(self):
        source = Procedure.objects.by_code(self.request.GET.get("translate", "")[:40]).first()
        if source is not None:  # "Translate" on a procedure's desk page: into the reader's
            reader = get_language()  # language, unless that is the source's
            return {
                "translation_of": source,
                "category": source.category_id,
                "language": reader if reader != source.language else "",
            }
        if self.template is None:
            return {}
        return {
            "template": self.template,
            "title": self.template.title,
            "step_format": self.template.step_format,
            "language": self.template.language,
        }

    def get_form_kwargs(self):
        return super().get_form_kwargs() | {"user": self.request.user}

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            templates=self.templates,
            other_templates=self.other_templates,
            chosen=self.template,
            **kwargs,
        )

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            # a translation starts from its source's text, not from a template's guidance
            template = None if data.get("translation_of") else data.get("template")
            revision = services.create_procedure(
                content=template_content(template) if template else None,
                reason=later(lambda: _(audit.FROM_TEMPLATE) % {"name": template.name})
                if template
                else "",
                code=data["code"],
                title=data["title"],
                category=data["category"],
                owner=data.get("owner") or self.request.user,
                step_format=data["step_format"],
                review_interval_months=data["review_interval_months"],
                created_by=self.request.user,
                language=data["language"],
                translation_of=data.get("translation_of"),
            )
        except services.ServiceError as error:
            form.add_error(None, error.message)
            return self.form_invalid(form)
        messages.success(
            self.request,
            _("%(code)s is created. Write its first draft below.")
            % {"code": revision.procedure.code},
        )
        if permissions.can_edit(self.request.user, revision):
            return redirect("desk:edit", code=revision.procedure.code, number=revision.number)
        return redirect(revision.procedure)


class ProcedureDetailView(ProcedureMixin, TemplateView):
    """A procedure's page on the desk: its revisions and the form to compare two of them."""

    template_name = "procedures/procedure_detail.html"

    def get_context_data(self, **kwargs):
        revisions = list(
            self.procedure.revisions.select_related("author", "updated_by").order_by("-number")
        )
        user = self.request.user
        open_revision = next((r for r in revisions if r.status in r.OPEN_STATUSES), None)
        in_force = selectors.revision_in_force(self.procedure)
        effective = next((r for r in revisions if in_force and r.pk == in_force.pk), None)
        can_withdraw = (
            effective is not None
            and not self.procedure.withdrawal_requested_at
            and permissions.can_request_withdrawal(user, self.procedure)
        )
        if can_withdraw and "withdrawal_form" not in kwargs:
            kwargs["withdrawal_form"] = WithdrawalForm(procedure=self.procedure)
        call_reasons = sorted(self.procedure.call_reasons.all(), key=lambda r: r.code.lower())
        if permissions.can_map_call_reasons(user) and "call_reasons_form" not in kwargs:
            kwargs["call_reasons_form"] = CallReasonsForm(
                initial={"codes": "\n".join(r.code for r in call_reasons)}
            )
        return super().get_context_data(
            revisions=revisions,
            effective=effective,
            today=timezone.localdate(),
            open_revision=open_revision,
            can_start_revision=open_revision is None
            and bool(revisions)
            and permissions.can_start_revision(user, self.procedure),
            can_edit_open=open_revision is not None and permissions.can_edit(user, open_revision),
            can_translate=effective is not None
            and self.procedure.translation_of_id is None
            and permissions.can_create_procedure(user),
            translations=list(self.procedure.translations.order_by("language")),
            translated=revisions[0].source_revision if revisions else None,
            source_now=selectors.source_moved_on(revisions[0]) if revisions else None,
            call_reasons=call_reasons,
            # what quality evaluations say about its steps, whoever's calls they were
            missed_steps=analytics.missed_steps(Scope(weeks=12, procedure=self.procedure), limit=5),
            **kwargs,
        )


class CallReasonsView(ProcedureDetailView):
    """POST only: the call reasons the procedure answers, as the document controller typed them."""

    http_method_names = ["post"]

    def check_permission(self, user) -> None:
        super().check_permission(user)
        if not permissions.can_map_call_reasons(user):
            raise PermissionDenied(_("Only a document controller maps call reasons to procedures."))

    def post(self, request, *args, **kwargs):
        form = CallReasonsForm(request.POST)
        if form.is_valid():
            try:
                codes = integrations.parse_reason_codes(form.cleaned_data["codes"])
                reasons = integrations.set_call_reasons(
                    procedure=self.procedure, codes=codes, actor=request.user
                )
            except integrations.IntegrationRefused as refusal:
                form.add_error("codes", refusal.message)
            else:
                if reasons:
                    messages.success(
                        request,
                        _("%(code)s is linked to these call reasons: %(codes)s.")
                        % {
                            "code": self.procedure.code,
                            "codes": ", ".join(r.code for r in reasons),
                        },
                    )
                else:
                    messages.success(
                        request,
                        _("%(code)s is linked to no call reason.") % {"code": self.procedure.code},
                    )
                return redirect(self.procedure.get_absolute_url() + "#call-reasons")
        messages.error(
            request, _("The call reasons were not saved: please correct what is marked.")
        )
        return self.render_to_response(self.get_context_data(call_reasons_form=form), status=400)


class RevisionDetailView(RevisionMixin, TemplateView):
    template_name = "procedures/revision_detail.html"

    def get_context_data(self, **kwargs):
        revision = self.revision
        return super().get_context_data(
            # the body as the manual will show it (one template), cached by what it shows
            body=desk_body(gather(revision)),
            can_edit=permissions.can_edit(self.request.user, revision),
            addressed_feedback=addressed_feedback(revision),
            # the panel's forms: those in kwargs (refused, as typed) or fresh ones
            **(workflow_context(revision, self.request.user, **kwargs) | kwargs),
        )


class StartRevisionView(ProcedureMixin, TemplateView):
    """POST only: copy the latest revision into a new draft."""

    http_method_names = ["post"]

    def check_permission(self, user) -> None:
        super().check_permission(user)
        if not permissions.can_start_revision(user, self.procedure):
            raise PermissionDenied(
                _("Only the owner of %(code)s can start a revision.")
                % {"code": self.procedure.code}
            )

    def post(self, request, *args, **kwargs):
        try:
            draft = services.start_revision(procedure=self.procedure, author=request.user)
        except services.ServiceError as error:
            messages.error(request, error.message)
            return redirect(self.procedure)
        messages.success(
            request,
            _("Revision %(number)d is a new draft, copied from revision %(previous)d.")
            % {"number": draft.number, "previous": draft.number - 1},
        )
        return redirect("desk:edit", code=self.procedure.code, number=draft.number)


class CompareView(ProcedureMixin, TemplateView):
    """The redline between two revisions; by default the newest and its predecessor."""

    template_name = "procedures/compare.html"

    def get_context_data(self, **kwargs):
        revisions = {
            r.number: r
            for r in self.procedure.revisions.prefetch_related("steps", "measures").order_by(
                "number"
            )
        }
        numbers = sorted(revisions)
        new_number = int_param(self.request.GET.get("to"), default=numbers[-1], invalid=-1)
        old_number = int_param(self.request.GET.get("from"), default=new_number - 1, invalid=-1)
        context = {"numbers": numbers, "old_number": old_number, "new_number": new_number}
        if old_number not in revisions or new_number not in revisions:
            context["problem"] = _(
                "Choose two revisions of %(code)s to compare: it has revisions %(numbers)s."
            ) % {"code": self.procedure.code, "numbers": ", ".join(map(str, numbers))}
        elif old_number == new_number:
            context["problem"] = _("Choose two different revisions to compare.")
        else:
            old, new = revisions[old_number], revisions[new_number]
            context |= {
                "old": old,
                "new": new,
                "sections": compare(snapshot_of(old), snapshot_of(new)),
            }
        return super().get_context_data(**context, **kwargs)


class RevisionPdfView(RevisionMixin, View):
    """A revision's PDF from the desk: a draft's or a review's is the one its render check made
    in the background (watermarked on every page; never rendered in the request), with a
    progress page until it is ready; an approved revision's stored PDF."""

    def check_permission(self, user) -> None:
        super().check_permission(user)
        if not permissions.can_preview_pdf(user, self.revision):
            raise PermissionDenied(_("You may not see this revision's PDF."))

    def get(self, request, *args, **kwargs):
        revision = self.revision
        if not selectors.is_being_written(revision):
            return manual_views.pdf_response(request, revision.procedure, revision)
        check = render_checks.current(revision)
        if check is not None and check.status == RenderCheck.Status.PASSED and not check.file:
            tasks.queue_render_check(revision)  # back to earlier text: made again
            check = render_checks.current(revision)
        if check is not None and check.status == RenderCheck.Status.PASSED:
            return serving.stored_file(
                request,
                check.file.name,
                content_type="application/pdf",
                filename=f"{revision.procedure.code}-rev{revision.number}-draft.pdf",
                cache_control="private, no-cache",
                sandbox=False,
            )
        if check is not None and check.status == RenderCheck.Status.FAILED:
            messages.error(request, check.message)
            return redirect(revision)
        response = render(
            request, "procedures/draft_pdf_preparing.html", {"revision": revision, "check": check}
        )
        response.status_code = 503
        response["Retry-After"] = "3"
        return response

    def post(self, request, *args, **kwargs):
        """Prepare the PDF of the revision as it is now (when nothing has asked for it yet)."""
        tasks.queue_render_check(self.revision)
        return redirect("desk:revision_pdf", code=self.procedure.code, number=self.revision.number)
