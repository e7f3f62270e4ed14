"""Evaluations: the list each person may see, starting one, scoring it, and what follows sharing
(the agent's acknowledgement or dispute, the supervisor's decision, a correction)."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.utils import formats
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from procedures import notifications

from .. import analytics, calibration, charts, evaluations, permissions, selectors
from ..forms import AnswersForm, ReasonForm, StartEvaluationForm
from ..models import Evaluation
from ..records import QualityRefused
from .scorecards import QualityMixin

PAGE_SIZE = 50


class EvaluationListView(LoginRequiredMixin, TemplateView):
    """/quality/evaluations/: an agent's own evaluations; the evaluations a supervisor, a
    manager or an evaluator may follow, disputes waiting for a decision first."""

    template_name = "quality/evaluations.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        visible = (
            permissions.evaluations_visible_to(user)
            .select_related("agent__team", "evaluator", "scorecard_version__scorecard", "response")
            .order_by("-call_at", "-pk")
        )
        disputes = []
        if permissions.can_see_disputes(user):
            disputes = [
                e
                for e in selectors.with_open_dispute(visible)
                if permissions.can_decide_dispute(user, e)
            ]
        page = Paginator(visible, PAGE_SIZE).get_page(self.request.GET.get("page"))
        own_only = not permissions.can_use_quality(user)
        if own_only:  # an agent: their own score over the weeks, above their evaluations
            kwargs.update(own_figures(user))
        for evaluation in page.object_list:
            evaluation.evaluator_shown = permissions.shows_evaluator(user, evaluation)
        return super().get_context_data(
            page=page,
            disputes=disputes,
            calibrations_waiting=calibration.waiting_for(user).count()
            if permissions.can_score_calls(user)
            else 0,
            can_score=permissions.can_score_calls(user),
            left_behind=permissions.drafts_to_take_over(user).select_related(
                "agent", "evaluator", "scorecard_version__scorecard"
            )[:PAGE_SIZE],
            idle_days=settings.SOPDESK_QUALITY_DRAFT_IDLE_DAYS,
            own_only=own_only,
            **kwargs,
        )


def own_figures(agent) -> dict:
    """An agent's average score per week over 12 weeks, as a chart, and over the whole period."""
    scope = analytics.Scope(weeks=12, agent=agent)
    weeks = analytics.weekly(scope)
    if not any(week.calls for week in weeks):
        return {}
    chart = charts.line_chart(
        [charts.Point(formats.date_format(w.starts_on, "j b"), w.score) for w in weeks],
        title=_("Your score per week"),
        description=_(
            "Your average score in each of the last 12 weeks; each evaluation is listed below."
        ),  # fmt: skip
        target=settings.SOPDESK_QUALITY_THRESHOLD,
        target_label=_("Threshold %(percent)d %%")
        % {"percent": settings.SOPDESK_QUALITY_THRESHOLD},
        chart_id="own-chart",
    )
    return {"own_chart": chart, "own_summary": analytics.summary(scope)}


class StartEvaluationView(QualityMixin, TemplateView):
    template_name = "quality/evaluation_start.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not permissions.can_score_calls(request.user):
            raise PermissionDenied(_("Calls are scored by quality evaluators and supervisors."))
        return super().dispatch(request, *args, **kwargs)

    def form(self, data=None) -> StartEvaluationForm:
        return StartEvaluationForm(data, agents=permissions.agents_to_score(self.request.user))

    def get_context_data(self, **kwargs):
        kwargs.setdefault("form", self.form())
        return super().get_context_data(**kwargs)

    def post(self, request):
        form = self.form(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                evaluation = evaluations.start(
                    actor=request.user,
                    version=data["scorecard"],
                    agent=data["agent"],
                    call_reference=data["call_reference"],
                    call_at=data["call_at"],
                )
            except QualityRefused as refusal:
                form.add_error(None, refusal.message)
            else:
                return redirect(evaluation.get_absolute_url())
        messages.error(request, _("Scoring did not start: please see what is marked below."))
        return self.render_to_response(self.get_context_data(form=form), status=400)


class EvaluationView(LoginRequiredMixin, TemplateView):
    """/quality/evaluations/<pk>/: a draft is scored here by its evaluator; a shared evaluation
    is read here, and answered by the agent or decided by the supervisor."""

    template_name = "quality/evaluation.html"

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self.evaluation = get_object_or_404(
            Evaluation.objects.select_related(
                "agent__team",
                "evaluator",
                "scorecard_version__scorecard",
                "replaces",
                "calibration",
            ),
            pk=kwargs["pk"],
        )

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not permissions.can_see_evaluation(
            request.user, self.evaluation
        ):
            raise Http404(_("There is no such evaluation for you."))
        return super().dispatch(request, *args, **kwargs)

    def get(self, request, *args, **kwargs):
        notifications.mark_read(request.user, request.path)
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        user = self.request.user
        evaluation = self.evaluation
        rows = evaluations.rows(evaluation)
        editable = permissions.can_edit_evaluation(user, evaluation)
        if editable:
            kwargs.setdefault("form", AnswersForm(rows=rows, calibration=bool(evaluation.calibration_id), initial={
                "summary": evaluation.summary, "hide_evaluator": evaluation.hide_evaluator,
            }))  # fmt: skip
        response = evaluation.response_or_none
        correction = Evaluation.objects.filter(replaces=evaluation).first()
        return super().get_context_data(
            evaluation=evaluation,
            rows=rows,
            editable=editable,
            score=evaluations.score_of(rows),
            response=response,
            correction=correction
            if correction and permissions.can_see_evaluation(user, correction)
            else None,
            revisions_then=evaluation.revisions_in_force.select_related(
                "procedure", "revision"
            ).order_by("pk"),
            shows_evaluator=permissions.shows_evaluator(user, evaluation),
            shows_decider=response is not None
            and permissions.shows_evaluator(user, evaluation, response.decided_by_id),
            events=evaluation.events.order_by("at", "pk")
            if permissions.sees_evaluation_history(user, evaluation)
            else [],
            may={
                "respond": permissions.can_respond(user, evaluation),
                "decide": permissions.can_decide_dispute(user, evaluation),
                "correct": permissions.can_correct(user, evaluation) and correction is None,
                "discard": permissions.can_discard(user, evaluation),
            },
            reason_forms={
                act: kwargs.pop(f"{act}_form", None) or ReasonForm(prefix=act)
                for act in ("dispute", "uphold", "correct")
            },
            **kwargs,
        )

    def post(self, request, pk):
        rows = evaluations.rows(self.evaluation)
        form = AnswersForm(
            request.POST, rows=rows, calibration=bool(self.evaluation.calibration_id)
        )
        share = "share" in request.POST
        if form.is_valid():
            try:
                evaluations.save(
                    evaluation=self.evaluation,
                    actor=request.user,
                    answers=form.answers(),
                    summary=form.cleaned_data["summary"],
                    hide_evaluator=form.cleaned_data.get("hide_evaluator", False),
                    share=share,
                )
            except QualityRefused as refusal:
                form.add_error(None, refusal.message)
            else:
                if not share:
                    done = _("Draft saved.")
                elif self.evaluation.calibration_id:
                    done = _("Score submitted. The results show once everyone has scored.")
                else:
                    done = _("Shared with the agent, who is told.")
                messages.success(request, done)
                return redirect(self.evaluation.get_absolute_url())
        messages.error(request, _("Nothing was saved: please see what is marked below."))
        return self.render_to_response(self.get_context_data(form=form), status=400)


class EvaluationActView(LoginRequiredMixin, View):
    """POST /quality/evaluations/<pk>/<act>/: acknowledge, dispute, uphold, correct, discard,
    take over (a draft someone left behind, from the list of evaluations)."""

    http_method_names = ["post"]

    def post(self, request, pk, act):
        evaluation = get_object_or_404(Evaluation, pk=pk)
        if act == "take-over":  # a draft is nobody else's to see: offered in the list
            return self.take_over(request, evaluation)
        if not permissions.can_see_evaluation(request.user, evaluation):
            raise Http404(_("There is no such evaluation for you."))
        form = ReasonForm(request.POST, prefix=act)
        reason = form.data.get(f"{act}-reason", "")
        try:
            if act == "acknowledge":
                evaluations.respond(
                    evaluation=evaluation, actor=request.user, dispute=False, reason=""
                )
                messages.success(request, _("Acknowledged."))
            elif act == "dispute":
                evaluations.respond(
                    evaluation=evaluation, actor=request.user, dispute=True, reason=reason
                )
                messages.success(
                    request,
                    _("Disputed: your supervisor (or a manager) decides, and you are told."),
                )
            elif act == "uphold":
                evaluations.uphold(evaluation=evaluation, actor=request.user, note=reason)
                messages.success(request, _("Decided: the score stands. The agent is told."))
            elif act == "discard":
                evaluations.discard(evaluation=evaluation, actor=request.user)
                messages.success(request, _("Draft discarded: nobody sees it."))
                return redirect("quality:evaluations")
            elif act == "correct":
                draft = evaluations.correct(
                    evaluation=evaluation, actor=request.user, reason=reason
                )
                messages.success(
                    request,
                    _("Correction started: change the answers, then share it. It replaces the "
                      "evaluation when shared."),
                )  # fmt: skip
                return redirect(draft.get_absolute_url())
            else:
                raise Http404(_("There is no such action."))
        except QualityRefused as refusal:
            messages.error(request, refusal.message)
            page = EvaluationView()
            page.setup(request, pk=pk)
            context = page.get_context_data(**{f"{act}_form": form})
            return page.render_to_response(context, status=400)  # what was typed is kept
        return redirect(evaluation.get_absolute_url())

    def take_over(self, request, evaluation):
        try:
            evaluations.take_over(evaluation=evaluation, actor=request.user)
        except QualityRefused as refusal:
            messages.error(request, refusal.message)
            return redirect("quality:evaluations")
        messages.success(
            request,
            _("You took over the draft of call %(reference)s: it is yours to finish or discard.")
            % {"reference": evaluation.call_reference},
        )
        return redirect(evaluation.get_absolute_url())
