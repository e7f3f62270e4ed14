"""Scorecards: the list, building one from procedures, a version's lines and its life."""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import TemplateView

from .. import permissions, scorecards, selectors, workflow
from ..forms import LinesForm, ReasonForm, ScorecardCreateForm
from ..models import Scorecard, ScorecardVersion
from ..records import QualityRefused


class QualityMixin(LoginRequiredMixin):
    """The quality area is for quality evaluators, supervisors and managers."""

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        if not permissions.can_use_quality(request.user):
            raise PermissionDenied(
                _("Quality monitoring is for quality evaluators, supervisors and managers.")
            )
        return super().dispatch(request, *args, **kwargs)


class ScorecardListView(QualityMixin, TemplateView):
    template_name = "quality/scorecards.html"

    def get_context_data(self, **kwargs):
        versions = (
            ScorecardVersion.objects.select_related("scorecard", "created_by")
            .annotate(line_count=Count("lines"))
            .order_by("scorecard__name", "-number")
        )
        by_scorecard: dict[int, list] = {}
        for version in versions:
            by_scorecard.setdefault(version.scorecard_id, []).append(version)
        return super().get_context_data(
            scorecards=[(vs[0].scorecard, vs) for vs in by_scorecard.values()],
            can_build=permissions.can_build_scorecards(self.request.user),
            **kwargs,
        )


class ScorecardCreateView(QualityMixin, TemplateView):
    template_name = "quality/scorecard_create.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not permissions.can_build_scorecards(request.user):
            raise PermissionDenied(_("You may not build scorecards."))
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        kwargs.setdefault("form", ScorecardCreateForm())
        return super().get_context_data(**kwargs)

    def post(self, request):
        form = ScorecardCreateForm(request.POST)
        if form.is_valid():
            chosen = {p.pk: p for p in form.cleaned_data["procedures"]}
            ordered = [chosen[pk] for pk in sorted(chosen, key=lambda pk: chosen[pk].code)]
            try:
                version = scorecards.create_scorecard(
                    name=form.cleaned_data["name"],
                    description=form.cleaned_data["description"],
                    procedures=ordered,
                    actor=request.user,
                )
            except QualityRefused as refusal:
                form.add_error(None, refusal.message)
            else:
                messages.success(
                    request,
                    _("Scorecard created with %(count)d lines from the steps. Set the weights, "
                      "mark the critical lines and add general lines, then submit it.")
                    % {"count": version.lines.count()},
                )  # fmt: skip
                return redirect(version.get_absolute_url())
        messages.error(
            request, _("The scorecard was not created: please see what is marked below.")
        )
        return self.render_to_response(self.get_context_data(form=form), status=400)


def _version(pk: int, number: int) -> ScorecardVersion:
    return get_object_or_404(
        ScorecardVersion.objects.select_related("scorecard", "created_by", "approved_by"),
        scorecard_id=pk,
        number=number,
    )


class ScorecardView(QualityMixin, View):
    """/quality/scorecards/<pk>/: its version in use, else its latest."""

    def get(self, request, pk):
        shown = selectors.version_shown(get_object_or_404(Scorecard, pk=pk))
        if shown is None:
            raise Http404(_("This scorecard has no version."))
        return redirect(shown.get_absolute_url())


class VersionView(QualityMixin, TemplateView):
    template_name = "quality/version.html"

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self.version = _version(kwargs["pk"], kwargs["number"])

    def get_context_data(self, **kwargs):
        user = self.request.user
        version = self.version
        lines = list(version.lines.select_related("procedure").order_by("position", "pk"))
        if permissions.can_edit_scorecard(user, version):
            kwargs.setdefault("form", LinesForm(lines=lines))
        return super().get_context_data(
            version=version,
            scorecard=version.scorecard,
            lines=lines,
            sources=version.sources.select_related("procedure", "revision").order_by("pk"),
            moved_on=scorecards.moved_on(version) if not version.is_retired else [],
            versions=version.scorecard.versions.order_by("-number"),
            events=version.events.order_by("-at", "-pk")[:20],
            may={
                "submit": permissions.can_submit_scorecard(user, version),
                "approve": permissions.can_approve_scorecard(user, version),
                "put_in_use": permissions.can_put_scorecard_in_use(user, version),
                "retire": permissions.can_retire_scorecard(user, version),
                "revise": permissions.can_revise_scorecard(user, version)
                and not selectors.has_version_being_prepared(version.scorecard_id),
            },
            reason_form=kwargs.pop("reason_form", ReasonForm()),
            **kwargs,
        )

    def post(self, request, pk, number):
        lines = list(self.version.lines.order_by("position", "pk"))
        form = LinesForm(request.POST, lines=lines)
        if form.is_valid():
            try:
                scorecards.save_lines(
                    version=self.version,
                    actor=request.user,
                    edits=form.edits(),
                    new_general=form.new_general(),
                    change_note=form.cleaned_data["change_note"],
                )
            except QualityRefused as refusal:
                form.add_error(None, refusal.message)
            else:
                messages.success(request, _("Lines saved."))
                return redirect(self.version.get_absolute_url())
        messages.error(request, _("Nothing was saved: please see what is marked below."))
        return self.render_to_response(self.get_context_data(form=form), status=400)


def _page_with(request, version: ScorecardVersion, reason_form: ReasonForm):
    page = VersionView()
    page.setup(request, pk=version.scorecard_id, number=version.number)
    return page.render_to_response(page.get_context_data(reason_form=reason_form), status=400)


ACTIONS = {
    "submit": (workflow.submit, gettext_lazy("Submitted: a manager approves it."), False),
    "approve": (
        workflow.approve,
        gettext_lazy("Approved. Put it in use when evaluators should use it."),
        False,
    ),
    "return": (
        workflow.return_for_changes,
        gettext_lazy("Returned to draft, with your reason."),
        True,
    ),
    "put_in_use": (
        workflow.put_in_use,
        gettext_lazy("In use: new evaluations are scored on it."),
        False,
    ),
    "retire": (workflow.retire, gettext_lazy("Retired: no new evaluation uses it."), False),
}


class VersionActionView(QualityMixin, View):
    """POST /quality/scorecards/<pk>/v/<number>/<action>/: one step of the version's life,
    or the next version (`revise`)."""

    http_method_names = ["post"]

    def refused(self, request, version, form, message: str):
        """The version's page again, with the reason as typed (nothing typed is lost)."""
        messages.error(request, message)
        return _page_with(request, version, form)

    def post(self, request, pk, number, action):
        version = _version(pk, number)
        try:
            if action == "revise":
                draft = scorecards.start_next_version(version=version, actor=request.user)
                messages.success(
                    request,
                    _("Version %(number)d started from the revisions in force.")
                    % {"number": draft.number},
                )
                return redirect(draft.get_absolute_url())
            if action not in ACTIONS:
                raise PermissionDenied(_("There is no such action."))
            act, done, needs_reason = ACTIONS[action]
            if needs_reason:
                form = ReasonForm(request.POST)
                if not form.is_valid():
                    return self.refused(request, version, form, _("Say what should change."))
                act(version=version, actor=request.user, reason=form.cleaned_data["reason"])
            else:
                act(version=version, actor=request.user)
        except QualityRefused as refusal:
            if action in ACTIONS and ACTIONS[action][2]:
                return self.refused(request, version, ReasonForm(request.POST), refusal.message)
            messages.error(request, refusal.message)
        else:
            messages.success(request, done)
        return redirect(version.get_absolute_url())
