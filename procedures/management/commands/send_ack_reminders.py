"""E-mail agents whose acknowledgements are overdue, and each team's supervisor a summary."""

from django.conf import settings
from django.core.management.base import BaseCommand
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

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
            lines = [
                _("%(code)s rev. %(number)d, %(title)s: due %(date)s")
                % {
                    "code": item.revision.procedure.code,
                    "number": item.revision.number,
                    "title": item.revision.title,
                    "date": timezone.localtime(item.due_at).strftime("%d %b %Y"),
                }
                for item in overdue
            ]
            notifications.notify(
                [agent],
                _("Please read and acknowledge: %(count)d overdue") % {"count": len(overdue)},
                "\n".join(lines) + "\n\n" + link,
            )
        summaries = 0
        for team in Team.objects.select_related("supervisor").order_by("name"):
            status = reading.team_status(team, now)
            late = [row for row in status.by_agent if row.overdue]
            if not late:
                continue
            summaries += 1
            lines = [
                _("%(name)s: %(codes)s")
                % {
                    "name": row.agent.display_name,
                    "codes": ", ".join(r.procedure.code for r in row.overdue),
                }
                for row in late
            ]
            dashboard = settings.SOPDESK_BASE_URL.rstrip("/") + reverse("desk:reading")
            notifications.notify(
                [team.supervisor],
                _("%(team)s: %(count)d agent(s) with overdue acknowledgements")
                % {"team": team.name, "count": len(late)},
                "\n".join(lines) + f"\n\n{dashboard}?team={team.pk}",
            )
        self.stdout.write(
            self.style.SUCCESS(f"{reminded} agent(s) reminded, {summaries} team summary(ies) sent.")
        )
