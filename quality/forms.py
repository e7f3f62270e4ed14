"""Forms of the quality area: they validate what was typed; quality/ acts write it."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from procedures import selectors
from procedures.models import Procedure, User

from .evaluations import CLOCK_TOLERANCE
from .models import MAX_WEIGHT, Answer, ScorecardVersion
from .scorecards import LineEdit
from .selectors import versions_in_use

NEW_GENERAL_LINES = 3
EARLIEST_YEAR = 2000


class ScorecardCreateForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    description = forms.CharField(
        label=_("What it is for"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    procedures = forms.ModelMultipleChoiceField(
        label=_("Procedures it checks"),
        queryset=Procedure.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Each step and decision of their revision in force becomes a line."),
        error_messages={"required": _("Choose at least one procedure.")},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        in_force = selectors.in_force().values("procedure_id")
        self.fields["procedures"].queryset = Procedure.objects.filter(pk__in=in_force).order_by(
            "code"
        )


class LinesForm(forms.Form):
    """A draft's lines: weight, critical, remove, and the text of general lines; new lines."""

    change_note = forms.CharField(
        label=_("What changed in this version"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, lines, **kwargs):
        super().__init__(*args, **kwargs)
        self.lines = lines
        for line in lines:
            self.fields[f"weight_{line.pk}"] = forms.IntegerField(
                label=_("Weight"), min_value=1, max_value=MAX_WEIGHT, initial=line.weight
            )
            self.fields[f"critical_{line.pk}"] = forms.BooleanField(
                label=_("Critical"), required=False, initial=line.critical
            )
            self.fields[f"remove_{line.pk}"] = forms.BooleanField(label=_("Remove"), required=False)
            if line.is_general:
                self.fields[f"text_{line.pk}"] = forms.CharField(
                    label=_("What is checked"), max_length=500, initial=line.text
                )
        for index in range(1, NEW_GENERAL_LINES + 1):
            self.fields[f"new_{index}"] = forms.CharField(
                label=_("New general line %(number)d") % {"number": index},
                required=False,
                max_length=500,
            )

    def rows(self) -> list[dict]:
        return [
            {
                "line": line,
                "weight": self[f"weight_{line.pk}"],
                "critical": self[f"critical_{line.pk}"],
                "remove": self[f"remove_{line.pk}"],
                "text": self[f"text_{line.pk}"] if line.is_general else None,
            }
            for line in self.lines
        ]

    def new_fields(self) -> list:
        return [self[f"new_{index}"] for index in range(1, NEW_GENERAL_LINES + 1)]

    def edits(self) -> list[LineEdit]:
        data = self.cleaned_data
        return [
            LineEdit(
                pk=line.pk,
                weight=data[f"weight_{line.pk}"],
                critical=data[f"critical_{line.pk}"],
                remove=data[f"remove_{line.pk}"],
                text=data.get(f"text_{line.pk}", ""),
            )
            for line in self.lines
        ]

    def new_general(self) -> list[str]:
        return [self.cleaned_data[f"new_{i}"] for i in range(1, NEW_GENERAL_LINES + 1)]


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )


class StartEvaluationForm(forms.Form):
    scorecard = forms.ModelChoiceField(
        label=_("Scorecard"), queryset=ScorecardVersion.objects.none(), empty_label=None
    )
    agent = forms.ModelChoiceField(label=_("Agent"), queryset=None)
    call_reference = forms.CharField(
        label=_("Call reference"),
        max_length=200,
        help_text=_("The call's identifier in the recording system."),
    )
    call_at = forms.DateTimeField(
        label=_("Date and time of the call"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
    )

    def __init__(self, *args, agents, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["scorecard"].queryset = (
            versions_in_use().select_related("scorecard").order_by("scorecard__name")
        )
        self.fields["scorecard"].label_from_instance = lambda version: str(version)
        self.fields["agent"].queryset = agents
        self.fields["agent"].label_from_instance = lambda person: person.display_name

    def clean_call_at(self):
        value = self.cleaned_data["call_at"]
        if value.year < EARLIEST_YEAR:  # first: comparing a year-1 time across zones overflows
            raise forms.ValidationError(_("Check the call's date: it is too far in the past."))
        if value > timezone.now() + CLOCK_TOLERANCE:
            raise forms.ValidationError(_("The call's date and time is in the future."))
        return value


class CalibrationForm(StartEvaluationForm):
    participants = forms.ModelMultipleChoiceField(
        label=_("Who scores the call"),
        queryset=User.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Each scores it without seeing the others' answers until all have scored."),
    )

    def __init__(self, *args, participants, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agent"].label = _("Agent on the call")
        self.fields["participants"].queryset = participants
        self.fields["participants"].label_from_instance = lambda person: person.display_name

    def clean_participants(self):
        chosen = self.cleaned_data["participants"]
        if len(chosen) < 2:
            raise forms.ValidationError(_("A calibration needs at least two evaluators."))
        return chosen


class ReferenceForm(forms.Form):
    """The session lead's reference answer for each line, and a note for the evaluators."""

    note = forms.CharField(
        label=_("Note for the evaluators"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, lines, **kwargs):
        super().__init__(*args, **kwargs)
        self.lines = lines
        for result in lines:
            self.fields[f"reference_{result.row.line.pk}"] = forms.ChoiceField(
                label=result.row.text, choices=Answer.Choice.choices, widget=forms.RadioSelect
            )

    def rows(self) -> list[tuple]:
        return [(result, self[f"reference_{result.row.line.pk}"]) for result in self.lines]

    def answers(self) -> dict[int, str]:
        return {
            result.row.line.pk: self.cleaned_data[f"reference_{result.row.line.pk}"]
            for result in self.lines
        }


class AnswersForm(forms.Form):
    """One answer and one comment per line that counts for this call."""

    summary = forms.CharField(
        label=_("Overall comment"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    hide_evaluator = forms.BooleanField(
        label=_("Hide my name from the agent"),
        required=False,
        help_text=_("The agent sees “Quality team” instead of your name."),
    )

    def __init__(self, *args, rows, calibration=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.row_list = rows
        if calibration:  # a score for the session: the agent never sees it
            del self.fields["hide_evaluator"]
        for row in rows:
            if not row.applicable:
                continue
            self.fields[f"answer_{row.line.pk}"] = forms.ChoiceField(
                label=row.text,
                choices=Answer.Choice.choices,
                widget=forms.RadioSelect,
                required=False,
                initial=row.answer or None,
            )
            self.fields[f"comment_{row.line.pk}"] = forms.CharField(
                label=_("Comment"), required=False, max_length=1000, initial=row.comment
            )

    def rows(self) -> list[dict]:
        return [
            {
                "row": row,
                "answer": self[f"answer_{row.line.pk}"] if row.applicable else None,
                "comment": self[f"comment_{row.line.pk}"] if row.applicable else None,
            }
            for row in self.row_list
        ]

    def answers(self) -> dict[int, tuple[str, str]]:
        data = self.cleaned_data
        return {
            row.line.pk: (data[f"answer_{row.line.pk}"], data[f"comment_{row.line.pk}"])
            for row in self.row_list
            if row.applicable
        }


class DashboardForm(forms.Form):
    """What the dashboard shows: whose calls, about which procedure, over how many weeks."""

    weeks = forms.TypedChoiceField(
        label=_("Period"),
        coerce=int,
        choices=[(4, _("4 weeks")), (8, _("8 weeks")), (12, _("12 weeks")), (26, _("26 weeks"))],
        initial=12,
        required=False,
    )
    team = forms.ModelChoiceField(
        label=_("Team"), queryset=None, required=False, empty_label=_("All teams")
    )
    agent = forms.ModelChoiceField(
        label=_("Agent"), queryset=None, required=False, empty_label=_("All agents")
    )
    procedure = forms.ModelChoiceField(
        label=_("Procedure"), queryset=None, required=False, empty_label=_("All procedures")
    )

    def __init__(self, *args, teams, agents, procedures, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = teams
        self.fields["agent"].queryset = agents
        self.fields["agent"].label_from_instance = lambda person: person.display_name
        self.fields["procedure"].queryset = procedures
