"""What the scores say: compliance over time, the steps most often missed (and a suggestion to
their owner), calls evaluated per agent against the target, agents under the threshold; and the
evaluations as CSV."""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import formats
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from procedures import page_cache
from procedures.csv_export import csv_response
from procedures.models import Feedback, Procedure, Team

from .. import analytics, charts, permissions, suggestions
from ..forms import DashboardForm
from ..models import ScorecardSource
from ..records import QualityRefused
from .scorecards import QualityMixin


def _choices(user):
    teams = permissions.dashboard_teams(user)
    team_choices = Team.objects.order_by("name")
    agents = permissions.active_agents()
    if teams is not None:
        team_choices = team_choices.filter(pk__in=teams)
        agents = agents.filter(team__in=teams)
    procedures = Procedure.objects.filter(
        pk__in=ScorecardSource.objects.values("procedure")
    ).order_by("code")
    return team_choices, agents, procedures


def scope_from(request) -> tuple[DashboardForm, analytics.Scope]:
    teams, agents, procedures = _choices(request.user)
    form = DashboardForm(request.GET or None, teams=teams, agents=agents, procedures=procedures)
    data = form.cleaned_data if form.is_valid() else {}
    scope = analytics.Scope(
        weeks=data.get("weeks") or 12,
        team=data.get("team"),
        agent=data.get("agent"),
        procedure=data.get("procedure"),
        teams=permissions.dashboard_teams(request.user),
    )
    return form, scope


class DashboardView(QualityMixin, TemplateView):
    """/quality/dashboard/: one aggregate query per figure over the kept sums, whatever the
    number of calls; the page is kept per person until a figure can have changed."""

    template_name = "quality/dashboard.html"

    def get(self, request, *args, **kwargs):
        """Kept like the manual's pages (page_cache): built again when an evaluation is shared or
        corrected (the quality state), the person's own state or the manual's changes, or the
        minute turns."""
        page_key = page_cache.key(
            request, "quality-dashboard", request.get_full_path(), analytics.state()
        )
        build = super().get
        return page_cache.serve(request, page_key, lambda: build(request, *args, **kwargs))

    def get_context_data(self, **kwargs):
        form, scope = scope_from(self.request)
        _teams, agents, _procedures = _choices(self.request.user)
        if scope.team is not None:
            agents = agents.filter(team=scope.team)
        if scope.agent is not None:
            agents = agents.filter(pk=scope.agent.pk)
        weeks = analytics.weekly(scope)
        missed = analytics.missed_steps(scope)
        open_feedback = set(
            Feedback.objects.unresolved()
            .filter(procedure__in={m.procedure_id for m in missed})
            .exclude(step_key="")
            .values_list("procedure_id", "step_key")
        )
        for step in missed:
            step.has_open_feedback = (step.procedure_id, step.step_key) in open_feedback
        threshold = settings.SOPDESK_QUALITY_THRESHOLD
        chart = charts.line_chart(
            [
                charts.Point(formats.date_format(week.starts_on, "j b"), week.compliance)
                for week in weeks
            ],
            title=_("Compliance per week"),
            description=_(
                "The weighted share of the checked steps that agents did, week by week; "
                "the same figures are in the table below."
            ),  # fmt: skip
        )  # no threshold line: the threshold is for the average score, which critical failures lower
        figures = analytics.per_agent(scope, agents)
        return super().get_context_data(
            form=form,
            scope=scope,
            summary=analytics.summary(scope),
            weeks=weeks,
            chart=chart,
            missed=missed,
            agents=figures,
            teams=analytics.per_team(scope),
            under_threshold=[f for f in figures if f.below_threshold],
            target=settings.SOPDESK_QUALITY_CALLS_PER_WEEK,
            threshold=threshold,
            can_suggest=permissions.can_suggest_changes(self.request.user),
            export_query=self.request.GET.urlencode(),
            **kwargs,
        )


class SuggestView(QualityMixin, View):
    """POST /quality/dashboard/suggest/: an often-missed step becomes feedback for the owner of
    its procedure, in their inbox like any feedback, which they can turn into a revision."""

    http_method_names = ["post"]

    def post(self, request):
        chosen = request.POST.get("procedure", "")
        if not (chosen.isascii() and chosen.isdecimal()):
            raise Http404(_("There is no such procedure."))
        procedure = get_object_or_404(Procedure, pk=int(chosen))
        _form, scope = scope_from(request)
        try:
            suggestions.suggest(
                actor=request.user,
                procedure=procedure,
                step_key=request.POST.get("step", ""),
                weeks=scope.weeks,
            )
        except QualityRefused as refusal:
            messages.error(request, refusal.message)
        else:
            messages.success(
                request,
                _("Sent to %(owner)s, who owns %(code)s: it is in their feedback inbox.")
                % {"owner": procedure.owner.display_name, "code": procedure.code},
            )
        return redirect(f"{reverse('quality:dashboard')}?{request.GET.urlencode()}")


class ExportView(QualityMixin, View):
    """GET /quality/dashboard/evaluations.csv: the evaluations of the dashboard's scope, one row
    per call (cells that a spreadsheet would run as formulas are kept as text)."""

    def get(self, request):
        if not permissions.can_export_evaluations(request.user):
            raise PermissionDenied(_("You may not export evaluations."))
        _form, scope = scope_from(request)
        teams = dict(Team.objects.values_list("pk", "name"))  # the team when shared
        rows = (
            scope.evaluations()
            .select_related("agent", "evaluator", "scorecard_version__scorecard")
            .order_by("call_at", "pk")
            .distinct()
        )
        header = [
            _("Call reference"), _("Call date and time"), _("Agent"), _("Team"), _("Evaluator"),
            _("Scorecard"), _("Version"), _("Score (%)"), _("Points earned"), _("Points possible"),
            _("Critical failure"), _("Shared at"), _("Corrects"),
        ]  # fmt: skip
        return csv_response(
            "evaluations.csv",
            header,
            (
                [
                    e.call_reference,
                    e.call_at.isoformat(),
                    e.agent.display_name,
                    teams.get(e.team_key, ""),
                    e.evaluator.display_name,
                    e.scorecard_version.scorecard.name,
                    e.scorecard_version.number,
                    e.score,
                    e.points_earned,
                    e.points_possible,
                    _("yes") if e.critical_failed else _("no"),
                    e.shared_at.isoformat(),
                    e.replaces_id or "",
                ]  # fmt: skip
                for e in rows.iterator(chunk_size=500)
            ),
        )
