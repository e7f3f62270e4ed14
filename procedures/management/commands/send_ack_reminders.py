"""E-mail agents whose acknowledgements are overdue, and each team's supervisor a summary."""

from django.conf import settings
from django.core.management.base import BaseCommand
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, override

from procedures import notifications, permissions, reading
from procedures.models import Team, User


class Command(BaseCommand):
    help = "E-mail agents their overdue acknowledgements and supervisors their team's summary."

    def handle(self, *args, **options):
        now = timezone.now()
        link = settings.SOPDESK_BASE_URL.rstrip("/") + reverse("manual:to_read")
        agents = User.objects.filter(groups__name=permissions.AGENT, is_active=True)
        reminded = 0
        for agent in agents.order_by("pk"):
            overdue = [item for item in reading.to_read(agent, now) if item.overdue]
            if not overdue:
                continue
            reminded += 1
            with override(notifications.language_of(agent)):
                lines = [
                    _("%(code)s rev. %(number)d, %(title)s: due %(date)s")
                    % {
                        "code": item.revision.procedure.code,
                        "number": item.revision.number,
                        "title": item.revision.title,
                        "date": notifications.day(item.due_at),
                    }
                    for item in overdue
                ]
                subject = _("Please read and acknowledge: %(count)d overdue") % {
                    "count": len(overdue)
                }
            notifications.notify([agent], subject, "\n".join(lines) + "\n\n" + link)
        summaries = 0
        for team in Team.objects.select_related("supervisor").order_by("name"):
            status = reading.team_status(team, now)
            late = [row for row in status.by_agent if row.overdue]
            if not late:
                continue
            summaries += 1
            with override(notifications.language_of(team.supervisor)):
                lines = [
                    _("%(name)s: %(codes)s")
                    % {
                        "name": row.agent.display_name,
                        "codes": ", ".join(r.procedure.code for r in row.overdue),
                    }
                    for row in late
                ]
                subject = ngettext(
                    "%(team)s: %(count)d agent with overdue acknowledgements",
                    "%(team)s: %(count)d agents with overdue acknowledgements",
                    len(late),
                ) % {"team": team.name, "count": len(late)}
            dashboard = settings.SOPDESK_BASE_URL.rstrip("/") + reverse("desk:reading")
            notifications.notify(
                [team.supervisor], subject, "\n".join(lines) + f"\n\n{dashboard}?team={team.pk}"
            )
        self.stdout.write(
            self.style.SUCCESS(
                ngettext("%(count)d agent reminded", "%(count)d agents reminded", reminded)
                % {"count": reminded}
                + ", "
                + ngettext(
                    "%(count)d team summary sent", "%(count)d team summaries sent", summaries
                )
                % {"count": summaries}
                + "."
            )
        )
