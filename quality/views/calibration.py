"""Calibration sessions: starting one, each evaluator's blind score, the results and the
lead's reference answers; an evaluator's agreement with the reference over time."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from procedures.models import User

from .. import calibration, permissions
from ..forms import CalibrationForm, ReferenceForm
from ..models import CalibrationSession
from ..records import QualityRefused
from .scorecards import QualityMixin


class CalibrationListView(QualityMixin, TemplateView):
    template_name = "quality/calibrations.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        sessions = CalibrationSession.objects.select_related(
            "scorecard_version__scorecard", "lead", "agent"
        ).order_by("-created_at", "-pk")
        if not (permissions.is_manager(user) or permissions.is_evaluator(user)):
            sessions = sessions.filter(Q(lead=user) | Q(evaluations__evaluator=user)).distinct()
        waiting = set(calibration.waiting_for(user).values_list("calibration_id", flat=True))
        return super().get_context_data(
            sessions=sessions[:100],
            waiting=waiting,
            can_lead=permissions.can_lead_calibration(user),
            agreement=calibration.agreement_over_time(user),
            **kwargs,
        )


class CalibrationStartView(QualityMixin, TemplateView):
    template_name = "quality/calibration_start.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not permissions.can_lead_calibration(request.user):
            raise PermissionDenied(_("You may not lead calibration sessions."))
        return super().dispatch(request, *args, **kwargs)

    def form(self, data=None) -> CalibrationForm:
        return CalibrationForm(
            data,
            agents=permissions.calibration_agents(self.request.user),
            participants=permissions.calibrators(),
        )

    def get_context_data(self, **kwargs):
        kwargs.setdefault("form", self.form())
        return super().get_context_data(**kwargs)

    def post(self, request):
        form = self.form(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                session = calibration.start(
                    lead=request.user,
                    version=data["scorecard"],
                    agent=data["agent"],
                    call_reference=data["call_reference"],
                    call_at=data["call_at"],
                    participants=list(data["participants"]),
                )
            except QualityRefused as refusal:
                form.add_error(None, refusal.message)
            else:
                messages.success(
                    request, _("Session started: each evaluator is asked to score the call.")
                )
                return redirect(session.get_absolute_url())
        messages.error(request, _("The session was not started: please see what is marked below."))
        return self.render_to_response(self.get_context_data(form=form), status=400)


class CalibrationView(QualityMixin, TemplateView):
    template_name = "quality/calibration.html"

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self.session = get_object_or_404(
            CalibrationSession.objects.select_related(
                "scorecard_version__scorecard", "lead", "agent"
            ),
            pk=kwargs["pk"],
        )

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not permissions.can_see_calibration(
            request.user, self.session
        ):
            raise Http404(_("There is no such calibration session for you."))
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        user = self.request.user
        given = calibration.scores(self.session)
        results = None
        if given and permissions.can_see_calibration_results(user, self.session):
            results = calibration.results(self.session, given)
            for score in given:
                score.reference_rate = results.with_reference.get(score.pk)
            if permissions.can_record_reference(user, self.session):
                kwargs.setdefault("form", ReferenceForm(lines=results.lines))
        return super().get_context_data(
            session=self.session,
            scores=given,
            mine=next((score for score in given if score.evaluator_id == user.pk), None),
            results=results,
            **kwargs,
        )

    def post(self, request, pk):
        given = calibration.scores(self.session)
        if not permissions.can_record_reference(request.user, self.session) or not given:
            raise PermissionDenied(_("The session lead records the reference answers."))
        if not calibration.all_scored(self.session, given):
            messages.error(request, _("Everyone scores the call before the reference is recorded."))
            return redirect(self.session.get_absolute_url())
        form = ReferenceForm(request.POST, lines=calibration.results(self.session, given).lines)
        if form.is_valid():
            try:
                calibration.record_reference(
                    session=self.session,
                    lead=request.user,
                    answers=form.answers(),
                    note=form.cleaned_data["note"],
                )
            except QualityRefused as refusal:
                form.add_error(None, refusal.message)
            else:
                messages.success(
                    request, _("Reference recorded: each evaluator sees how they agreed.")
                )
                return redirect(self.session.get_absolute_url())
        messages.error(request, _("Nothing was recorded: please see what is marked below."))
        return self.render_to_response(self.get_context_data(form=form), status=400)


class EvaluatorView(QualityMixin, TemplateView):
    """/quality/people/<username>/: an evaluator's agreement with the reference over time."""

    template_name = "quality/evaluator.html"

    def get_context_data(self, **kwargs):
        person = get_object_or_404(User, username=self.kwargs["username"])
        user = self.request.user
        if person.pk != user.pk and not (
            permissions.is_manager(user) or permissions.is_evaluator(user)
        ):
            raise PermissionDenied(_("You may see your own calibration results only."))
        return super().get_context_data(
            person=person, agreement=calibration.agreement_over_time(person), **kwargs
        )
