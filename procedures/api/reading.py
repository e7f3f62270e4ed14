"""Reading through the API: an agent's To-read list and acknowledgements, each team's reading
status, and the two acts an integration does for an agent — acknowledge the revision in force
and send feedback on a step — through the same services as the manual's buttons."""

from django.db import transaction
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.views import APIView

from .. import feedback, permissions, reading, services
from ..content import step_rows, steps_of
from ..models import Acknowledgement, Team, User
from . import serializers as s
from .access import acting_agent, may_see_reading_of
from .auth import key_of
from .common import ERRORS, PAGE_PARAMETERS, Pages, paginated, problems
from .manual import published

USERNAME = OpenApiParameter("username", str, OpenApiParameter.PATH)


def _person(request, username: str) -> User:
    person = User.objects.filter(username=username, is_active=True).first()
    if person is None or not may_see_reading_of(request, person):
        # one answer for "nobody" and "not yours to see": the API tells no more than the web
        raise exceptions.NotFound(
            _("There is no agent %(username)s whose reading you may see.") % {"username": username}
        )
    return person


class ToReadView(APIView):
    @extend_schema(
        operation_id="agent_to_read",
        summary="What an agent has still to read",
        description="Overdue first, then soonest due; one version of each text, in their language.",
        parameters=[USERNAME],
        responses={200: s.ToReadSerializer(many=True), **ERRORS},
    )
    def get(self, request, username):
        person = _person(request, username)
        items = reading.to_read(person)
        return Response(
            [
                {
                    "code": item.revision.procedure.code,
                    "title": item.revision.title,
                    "revision": item.revision.number,
                    "language": item.revision.procedure.language,
                    "effective_at": item.revision.effective_at,
                    "due_at": item.due_at,
                    "overdue": item.overdue,
                    "api_url": reverse(
                        "api:procedure",
                        kwargs={"code": item.revision.procedure.code},
                        request=request,
                    ),
                }
                for item in items
            ]
        )


def _acknowledgement(ack: Acknowledgement) -> dict:
    return {
        "code": ack.revision.procedure.code,
        "title": ack.revision.title,
        "revision": ack.revision.number,
        "agent": ack.agent.username,
        "acknowledged_at": ack.acknowledged_at,
    }


class AcknowledgementsView(APIView):
    @extend_schema(
        operation_id="agent_acknowledgements",
        summary="What an agent has acknowledged",
        description="Newest first.",
        parameters=[USERNAME, *PAGE_PARAMETERS],
        responses={200: paginated(s.AcknowledgementSerializer, "AcknowledgementPage"), **ERRORS},
    )
    def get(self, request, username):
        person = _person(request, username)
        acknowledgements = (
            Acknowledgement.objects.filter(agent=person)
            .select_related("revision__procedure", "agent")
            .order_by("-acknowledged_at", "-pk")
        )
        pages = Pages()
        page = pages.paginate_queryset(acknowledgements, request, view=self)
        return pages.get_paginated_response([_acknowledgement(a) for a in page])


def _teams(request):
    key = key_of(request)
    if key is not None:
        if not permissions.key_reads_reading_status(key):
            raise exceptions.PermissionDenied(
                _(
                    "This API key may not read reading status: ask for the “read reading status” scope."
                )
            )
        return Team.objects.select_related("supervisor").order_by("name")
    if not permissions.can_follow_reading(request.user):
        raise exceptions.PermissionDenied(_("Reading status is for supervisors and managers."))
    return reading.teams_for(request.user)


def _team(status: reading.TeamStatus) -> dict:
    team = status.team
    return {
        "id": team.pk,
        "name": team.name,
        "supervisor": team.supervisor.display_name if team.supervisor_id else None,
        "agents": len(status.agents),
        "acknowledged": sum(a.acknowledged for a in status.by_agent),
        "outstanding": sum(a.outstanding for a in status.by_agent),
        "overdue": sum(len(a.overdue) for a in status.by_agent),
    }


class TeamsView(APIView):
    @extend_schema(
        operation_id="teams",
        summary="The teams whose reading the caller follows",
        description="Each team with its supervisor and agents; its reading status is at reading_url.",
        responses={200: s.TeamSummarySerializer(many=True), **ERRORS},
    )
    def get(self, request):
        teams = reading.with_agent_counts(_teams(request))
        return Response(
            [
                {
                    "id": team.pk,
                    "name": team.name,
                    "supervisor": team.supervisor.display_name if team.supervisor_id else None,
                    "agents": team.agent_count,
                    "reading_url": reverse(
                        "api:team_reading", kwargs={"team_id": team.pk}, request=request
                    ),
                }
                for team in teams
            ]
        )


class TeamReadingView(APIView):
    @extend_schema(
        operation_id="team_reading",
        summary="One team's reading status",
        description="Per revision in force and per agent.",
        parameters=[OpenApiParameter("team_id", int, OpenApiParameter.PATH)],
        responses={200: s.TeamReadingSerializer, **ERRORS},
    )
    def get(self, request, team_id):
        team = get_object_or_404(_teams(request), pk=team_id)
        status = reading.team_status(team)
        return Response(
            {
                **_team(status),
                "revisions": [
                    {
                        "code": row.revision.procedure.code,
                        "title": row.revision.title,
                        "revision": row.revision.number,
                        "language": row.revision.procedure.language,
                        "readers": row.readers,
                        "acknowledged": row.acknowledged,
                        "outstanding": row.outstanding,
                        "overdue": row.overdue,
                    }
                    for row in status.revisions
                ],
                "by_agent": [
                    {
                        "username": row.agent.username,
                        "name": row.agent.display_name,
                        "acknowledged": row.acknowledged,
                        "outstanding": row.outstanding,
                        "overdue": [r.procedure.code for r in row.overdue],
                    }
                    for row in status.by_agent
                ],
            }
        )


REVISION_PATH = [
    OpenApiParameter("code", str, OpenApiParameter.PATH),
    OpenApiParameter("number", int, OpenApiParameter.PATH),
]


class AcknowledgeView(APIView):
    @extend_schema(
        operation_id="acknowledge",
        summary="Record that the agent read and understood the revision in force",
        description=(
            "As the agent's “I have read and understood” button: only the revision in force, "
            "only by an agent it is meant for. Doing it twice returns the first acknowledgement."
        ),
        parameters=REVISION_PATH,
        request=s.AcknowledgeSerializer,
        responses={
            201: s.AcknowledgementSerializer,
            200: s.AcknowledgementSerializer,
            **problems(415),
            **ERRORS,
        },
    )
    def post(self, request, code, number):
        data = s.AcknowledgeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        agent = acting_agent(request, data.validated_data.get("agent", "").strip())
        revision = published(code, number)
        before = Acknowledgement.objects.filter(revision=revision, agent=agent).exists()
        try:
            with transaction.atomic():
                acknowledgement = services.acknowledge(agent=agent, revision=revision)
        except services.NotAllowed as refusal:
            raise exceptions.PermissionDenied(refusal.message) from None
        return Response(_acknowledgement(acknowledgement), status=200 if before else 201)


class FeedbackView(APIView):
    @extend_schema(
        operation_id="send_feedback",
        summary="Send feedback on a revision or one of its steps",
        description="As the manual's feedback form: the procedure's owner is told.",
        parameters=REVISION_PATH,
        request=s.FeedbackSendSerializer,
        responses={201: s.FeedbackSerializer, **problems(409, 415), **ERRORS},
    )
    def post(self, request, code, number):
        data = s.FeedbackSendSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        author = acting_agent(request, values.get("agent", "").strip())
        revision = published(code, number)
        step_key = ""
        if step := values.get("step", "").strip():
            keys = {row.number: row.step.key for row in step_rows(steps_of(revision))}
            if step not in keys:
                raise exceptions.ValidationError(
                    {
                        "step": [
                            _("Revision %(number)d has no step %(step)s.")
                            % {"number": revision.number, "step": step}
                        ]
                    }
                )
            step_key = keys[step]
        with transaction.atomic():
            sent = feedback.send(
                author=author,
                revision=revision,
                body=values["text"],
                element=values.get("element", ""),
                step_key=step_key,
            )
        return Response(
            {
                "id": sent.pk,
                "code": revision.procedure.code,
                "revision": revision.number,
                "element": sent.element,
                "step": sent.step_number,
                "status": sent.status,
                "created_at": sent.created_at,
            },
            status=201,
        )
