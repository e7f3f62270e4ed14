"""Read and acknowledge: the agent's "To read" list and acknowledgement, and the teams' status
for supervisors (their teams) and managers (every team), with a CSV export."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.generic import TemplateView, View

from .. import permissions, reading, services
from ..csv_export import csv_response
from .manual import ManualMixin, _procedure, _published_revision
from .mixins import DeskMixin


class ToReadView(ManualMixin, TemplateView):
    template_name = "manual/to_read.html"

    def get_context_data(self, **kwargs):
        items = reading.to_read(self.request.user)
        return super().get_context_data(
            items=items,
            overdue=sum(item.overdue for item in items),
            is_agent=permissions.is_agent(self.request.user),
            **kwargs,
        )


def recorded(request, acknowledgement) -> None:
    """The message after an acknowledgement, in the manual and in the panel alike."""
    revision = acknowledgement.revision
    messages.success(
        request,
        _("Recorded: you read and understood %(code)s revision %(number)d (%(when)s).")
        % {
            "code": revision.procedure.code,
            "number": revision.number,
            "when": date_format(
                timezone.localtime(acknowledgement.acknowledged_at), "DATETIME_FORMAT"
            ),
        },
    )


class AcknowledgeView(ManualMixin, View):
    def post(self, request, code, number):
        procedure = _procedure(code)
        revision = _published_revision(procedure, number)
        try:
            acknowledgement = services.acknowledge(agent=request.user, revision=revision)
        except services.NotAllowed as refusal:
            raise PermissionDenied(str(refusal)) from refusal
        recorded(request, acknowledgement)
        if request.POST.get("next") == "to-read":
            return redirect("manual:to_read")
        return redirect("manual:procedure", code=procedure.code)


class ReadingDashboardView(DeskMixin, TemplateView):
    """/desk/reading/: a team's status per revision in force and per agent."""

    template_name = "procedures/reading.html"

    def check_permission(self, user) -> None:
        if not permissions.can_follow_reading(user):
            raise PermissionDenied(
                _("Supervisors, managers and document controllers follow reading.")
            )

    def get(self, request, *args, **kwargs):
        teams = list(reading.teams_for(request.user))
        chosen = request.GET.get("team", "")
        team = next((t for t in teams if str(t.pk) == chosen), None)
        if chosen and team is None:
            raise Http404(_("There is no such team among yours."))
        team = team or (teams[0] if teams else None)
        status = reading.team_status(team) if team else None
        if status and request.GET.get("format") == "csv":
            return self.csv(status)
        return self.render_to_response(
            self.get_context_data(teams=teams, team=team, status=status, now=timezone.now())
        )

    @staticmethod
    def csv(status: reading.TeamStatus):
        labels = {
            reading.ACKNOWLEDGED: _("Acknowledged"),
            reading.OUTSTANDING: _("Outstanding"),
            reading.OVERDUE: _("Overdue"),
        }
        header = [
            _("Team"), _("Agent"), _("Procedure"), _("Revision"), _("Title"), _("Effective"),
            _("Due"), _("Status"), _("Acknowledged at"),
        ]  # fmt: skip
        rows = (
            [
                status.team.name,
                agent.display_name,
                row.revision.procedure.code,
                row.revision.number,
                row.revision.title,
                timezone.localtime(row.revision.effective_at).date().isoformat(),
                timezone.localtime(cell.due_at).date().isoformat(),
                labels[cell.status],
                timezone.localtime(cell.acknowledged_at).isoformat()
                if cell.acknowledged_at
                else "",
            ]
            for row in status.revisions
            for agent, cell in zip(status.agents, row.cells, strict=True)
            if cell.status != reading.NOT_THEIRS
        )
        return csv_response(f"sopdesk-reading-{status.team.pk}.csv", header, rows)
