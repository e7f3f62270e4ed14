"""Forms validate what a person typed; they never save domain objects (services/ does)."""

import datetime
import re

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm, PasswordResetForm
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import permissions, selectors
from .content import CONTENT_FIELDS, DraftContent, MeasureData, Snapshot
from .languages import language_choices
from .models import (
    Category,
    Comment,
    Feedback,
    Procedure,
    ProcedureTemplate,
    Revision,
    Signature,
    Step,
    User,
    code_validator,
)
from .models.documents import site_language
from .steps import StepData

MARKDOWN_HELP = _("Markdown: **bold**, *italic*, lists with - or 1., [links](https://…).")


def _category_and_owner(form: forms.Form, user: User) -> None:
    """The category choice, and the owner choice for those who assign owners (else no field)."""
    form.fields["category"].queryset = Category.objects.order_by("order", "name")
    if permissions.can_choose_owner(user):
        form.fields["owner"].queryset = (
            User.objects.filter(groups__name=permissions.SUPERVISOR, is_active=True)
            .order_by("first_name", "last_name", "username")
            .distinct()
        )
        form.fields["owner"].label_from_instance = lambda u: u.display_name
    else:
        del form.fields["owner"]


class ProcedureCreateForm(forms.Form):
    code = forms.CharField(
        label=_("Code"),
        max_length=40,
        help_text=_("A stable identifier such as CC-QM-003. Letters are stored in capitals."),
    )
    title = forms.CharField(label=_("Title"), max_length=200)
    category = forms.ModelChoiceField(label=_("Category"), queryset=Category.objects.none())
    step_format = forms.ChoiceField(
        label=_("Format of the steps"),
        choices=Revision.StepFormat.choices,
        initial=Revision.StepFormat.SIMPLE,
        widget=forms.RadioSelect,
    )
    review_interval_months = forms.IntegerField(
        label=_("Review every (months)"), min_value=1, max_value=60, initial=12
    )
    owner = forms.ModelChoiceField(label=_("Owner"), queryset=User.objects.none())
    language = forms.ChoiceField(
        label=_("Language of the text"),
        choices=(),
        required=False,  # not sent: the site's
        help_text=_("The language the procedure is written in: its page and PDF are marked so."),
    )
    translation_of = forms.ModelChoiceField(
        label=_("Translation of"),
        queryset=Procedure.objects.none(),
        required=False,
        empty_label=_("— not a translation —"),
        help_text=_(
            "A translation starts as a copy of the source's revision in force, to translate; "
            "it is reviewed and approved on its own."
        ),
    )
    template = forms.ModelChoiceField(
        queryset=ProcedureTemplate.objects.filter(is_active=True),
        required=False,
        widget=forms.HiddenInput,
    )

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        _category_and_owner(self, user)
        self.fields["language"].choices = language_choices()
        self.fields["language"].initial = site_language()
        # sources: procedures with a revision in force that are not translations themselves
        self.fields["translation_of"].queryset = Procedure.objects.filter(
            translation_of__isnull=True,
            withdrawn_at=None,
            pk__in=selectors.in_force().values("procedure_id"),
        ).order_by("code")
        self.fields["translation_of"].label_from_instance = lambda p: p.code

    def clean_language(self) -> str:
        return self.cleaned_data.get("language") or site_language()

    def clean(self):
        data = super().clean()
        source = data.get("translation_of")
        if source is not None and data.get("language") == source.language:
            self.add_error(
                "language", _("A translation is written in another language than its source.")
            )
        return data

    def clean_code(self) -> str:
        code = self.cleaned_data["code"].strip().upper()
        code_validator(code)
        if Procedure.objects.by_code(code).exists():
            raise forms.ValidationError(
                _("A procedure with the code %(code)s already exists."), params={"code": code}
            )
        return code


class RevisionForm(forms.ModelForm):
    """The eight elements of the SOP. The lock version travels with the form."""

    lock_version = forms.IntegerField(widget=forms.HiddenInput)
    training_url = forms.URLField(
        label=_("Link to the learning system"),
        required=False,
        assume_scheme="https",
        max_length=200,
        help_text=_("Optional: the course's address in your learning system."),
    )

    class Meta:
        model = Revision
        fields = CONTENT_FIELDS
        localized_fields = ("training_hours",)  # "1,5" where the reader's language writes so
        widgets = {
            name: forms.Textarea(attrs={"rows": 5, "data-markdown": "true"})
            for name in Revision.MARKDOWN_FIELDS
        } | {"step_format": forms.RadioSelect}
        help_texts = {
            "purpose": _("Why this procedure exists."),
            "scope": _("What and whom it covers, and what it does not."),
            "responsibilities": _("Who does what: roles, not names."),
            "procedure_notes": _("Anything a reader needs before or after the steps (optional)."),
            "measures_notes": _("How the measures are reported or reviewed (optional)."),
            "documentation": _("The forms, reports and records this procedure uses or produces."),
            "training": _("The course someone needs before doing this."),
            "review_and_approval": _("Who reviews and approves this procedure."),
            "change_summary": _("What changed in this revision and why."),
            "training_hours": _("Hours of training, e.g. 2 or 1.5."),
        }


class StepForm(forms.Form):
    key = forms.RegexField(regex=re.compile(r"^[a-z0-9]{1,16}$"), widget=forms.HiddenInput)
    level = forms.IntegerField(min_value=1, max_value=4, initial=1, widget=forms.HiddenInput)
    kind = forms.ChoiceField(
        label=_("Kind"), choices=Step.Kind.choices, initial=Step.Kind.ACTION, required=False
    )
    text = forms.CharField(
        label=_("Step"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    role = forms.CharField(label=_("Responsible role"), max_length=100, required=False)
    yes = forms.CharField(label=_("If yes, go to"), max_length=16, required=False)
    no = forms.CharField(label=_("If no, go to"), max_length=16, required=False)
    next = forms.CharField(label=_("Then go to"), max_length=16, required=False)

    def is_blank(self) -> bool:
        data = self.cleaned_data
        return not any(data.get(name) for name in ("text", "role", "yes", "no", "next"))

    def to_data(self) -> StepData:
        data = self.cleaned_data
        return StepData(
            key=data["key"],
            text=data["text"].strip(),
            level=data["level"] or 1,
            kind=data["kind"] or Step.Kind.ACTION,
            role=data["role"].strip(),
            yes=data["yes"],
            no=data["no"],
            next=data["next"],
        )


class MeasureForm(forms.Form):
    name = forms.CharField(label=_("Measure"), max_length=200, required=False)
    target = forms.CharField(label=_("Target"), max_length=200, required=False)
    method = forms.CharField(label=_("How it is measured"), max_length=300, required=False)
    frequency = forms.CharField(label=_("How often"), max_length=100, required=False)

    def clean(self) -> dict:
        data = super().clean()
        if any(data.get(name) for name in self.fields):
            for name in ("name", "target"):
                if not data.get(name, "").strip():
                    self.add_error(name, _("A measure needs a name and a target."))
        return data

    def is_blank(self) -> bool:
        return not any(self.cleaned_data.get(name) for name in self.fields)

    def to_data(self) -> MeasureData:
        return MeasureData(**{name: self.cleaned_data[name].strip() for name in self.fields})


StepFormSet = forms.formset_factory(StepForm, extra=0, max_num=300, validate_max=True)
MeasureFormSet = forms.formset_factory(MeasureForm, extra=0, max_num=50, validate_max=True)


class DraftEditor:
    """The editor's three parts, bound together: the elements, the steps and the measures."""

    def __init__(self, data=None, *, revision: Revision, snapshot: Snapshot | None = None):
        initial = None
        if data is None and snapshot is not None:
            initial = snapshot
        self.form = RevisionForm(
            data, instance=revision, initial={"lock_version": revision.lock_version}
        )
        self.steps = StepFormSet(
            data,
            prefix="steps",
            initial=[s.__dict__ for s in initial.steps] if initial else None,
        )
        self.measures = MeasureFormSet(
            data,
            prefix="measures",
            initial=[m.__dict__ for m in initial.measures] if initial else None,
        )

    def is_valid(self) -> bool:
        results = [self.form.is_valid(), self.steps.is_valid(), self.measures.is_valid()]
        return all(results)

    @property
    def lock_version(self) -> int:
        return self.form.cleaned_data["lock_version"]

    def content(self) -> DraftContent:
        return DraftContent(
            fields={name: self.form.cleaned_data[name] for name in CONTENT_FIELDS},
            steps=[f.to_data() for f in self.steps.forms if not f.is_blank()],
            measures=[f.to_data() for f in self.measures.forms if not f.is_blank()],
        )


class AttachmentForm(forms.Form):
    """A form or record sheet to list under Documentation (the file is checked by services)."""

    file = forms.FileField(
        label=_("File to attach"),
        help_text=_("PDF, Word (.docx), Excel (.xlsx), OpenDocument (.odt, .ods) or CSV."),
    )
    title = forms.CharField(label=_("Title of the file"), max_length=200)
    description = forms.CharField(
        label=_("What it is for (optional)"), max_length=500, required=False
    )


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ".docx"}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple) and data:
            return [single(d, initial) for d in data]
        return [single(data or None, initial)]


class ImportForm(forms.Form):
    """Word files to turn into drafts, the category they go in and (for a controller) the owner."""

    files = MultipleFileField(
        label=_("Word files (.docx)"),
        help_text=_("Choose one or several. Each becomes a new procedure with a first draft."),
    )
    category = forms.ModelChoiceField(label=_("Category"), queryset=Category.objects.none())
    owner = forms.ModelChoiceField(label=_("Owner"), queryset=User.objects.none())

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        _category_and_owner(self, user)


class ImportPreviewForm(forms.Form):
    """The author's corrections to a Word import's preview: the title, each section's element
    (or "leave out"), the list that holds the steps, each picture's description."""

    title = forms.CharField(label=_("Title"), max_length=200)
    language = forms.ChoiceField(
        label=_("Language of the text"),
        choices=(),
        required=False,  # not sent: as before
        help_text=_("The language the procedure is written in: its page and PDF are marked so."),
    )

    def __init__(
        self,
        *args,
        plan: dict,
        pictures: list[tuple[str, dict]],
        element_labels: dict,
        choices: dict,
        omit: str,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.defaults = choices
        self.fields["title"].initial = choices["title"]
        self.fields["language"].choices = language_choices()
        self.fields["language"].initial = choices.get("language") or site_language()
        elements = [(key, label) for key, label in element_labels.items()]
        elements.append((omit, _("Leave out")))
        self.sections = []
        for number, section in enumerate(plan["sections"]):
            name = f"section_{number}"
            self.fields[name] = forms.ChoiceField(
                label=section["heading"] or _("The text before the first section title"),
                choices=elements,
                initial=choices["sections"].get(number, section["element"]),
            )
            self.sections.append((number, name))
        self.fields["steps"] = forms.TypedChoiceField(
            label=_("The steps come from"),
            choices=[(str(n), str(n)) for n in range(len(plan["lists"]))]
            + [("none", _("No list: I will write the steps"))],
            coerce=lambda value: None if value == "none" else int(value),
            initial="none" if choices["steps"] is None else str(choices["steps"]),
            widget=forms.RadioSelect,
        )
        self.pictures = []
        for number, (token, picture) in enumerate(pictures, start=1):
            name = f"picture_{token}"
            self.fields[name] = forms.CharField(
                label=_("Description of picture %(number)d") % {"number": number},
                required=False,
                max_length=300,
                initial=choices["descriptions"].get(token, picture["text"]),
            )
            self.pictures.append((token, name))

    def clean_title(self):
        return " ".join(self.cleaned_data["title"].split())

    def choices(self) -> dict:
        """The author's choices; where a field was refused, what was there before, so that the
        summary beside a refused form still follows everything else they typed."""
        data = getattr(self, "cleaned_data", {})
        defaults = self.defaults
        return {
            "title": data.get("title") or defaults["title"],
            "language": data.get("language") or defaults.get("language") or site_language(),
            "sections": {
                number: data.get(name, defaults["sections"].get(number))
                for number, name in self.sections
            },
            "steps": data["steps"] if "steps" in data else defaults["steps"],
            "descriptions": {
                token: " ".join(
                    data.get(name, defaults["descriptions"].get(token, ""))
                    .replace("[", "(")
                    .replace("]", ")")
                    .split()
                )
                for token, name in self.pictures
            },
        }


class SubmitForm(forms.Form):
    approvers = forms.ModelMultipleChoiceField(
        label=_("Approvers"),
        queryset=User.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Leave all unticked to let any eligible manager approve."),
    )

    def __init__(self, *args, eligible: list[User], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["approvers"].queryset = User.objects.filter(
            pk__in=[u.pk for u in eligible]
        ).order_by("first_name", "last_name")
        self.fields["approvers"].label_from_instance = lambda u: u.display_name


class SignForm(forms.Form):
    meaning = forms.ChoiceField(label=_("I sign this revision as"), widget=forms.RadioSelect)
    password = forms.CharField(
        label=_("Your password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        help_text=_(
            "Signing is an electronic signature: enter your password to confirm it is you."
        ),
    )
    comment = forms.CharField(
        label=_("Comment (optional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    effective_on = forms.DateField(
        label=_("Effective from (optional)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Leave empty to make it effective as soon as it is approved."),
    )
    seen_status = forms.CharField(widget=forms.HiddenInput)
    seen_hash = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, meanings: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["meaning"].choices = meanings
        if len(meanings) == 1:
            self.fields["meaning"].initial = meanings[0][0]
        if not any(value == Signature.Meaning.APPROVED for value, _label in meanings):
            del self.fields["effective_on"]

    def clean_effective_on(self):
        day = self.cleaned_data.get("effective_on")
        if day and day < timezone.localdate():
            raise forms.ValidationError(_("The effective date cannot be in the past."))
        return day

    def effective_at(self):
        """The start of the chosen day in the organisation's time zone, or None for “now”."""
        day = self.cleaned_data.get("effective_on")
        if not day or day == timezone.localdate():
            return None
        return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


class CommentForm(forms.Form):
    element = forms.ChoiceField(
        label=_("About"), choices=Comment.Element.choices, initial=Comment.Element.GENERAL
    )
    step_key = forms.ChoiceField(label=_("Step (optional)"), required=False)
    body = forms.CharField(
        label=_("Comment"), max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, step_choices: list[tuple[str, str]] = (), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["step_key"].choices = [("", _("— any step —")), *step_choices]


class ReturnForm(CommentForm):
    """Returning for changes: the comment is required and says what to change. Its fields'
    ids differ from the comment form's, which shares the page."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "return_%s")
        super().__init__(*args, **kwargs)
        self.fields["body"].label = _("What needs to change")


class WithdrawalForm(forms.Form):
    reason = forms.CharField(
        label=_("Why is it withdrawn?"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )
    replaced_by = forms.ModelChoiceField(
        label=_("Replaced by (optional)"), queryset=Procedure.objects.none(), required=False
    )

    def __init__(self, *args, procedure: Procedure, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["replaced_by"].queryset = Procedure.objects.exclude(pk=procedure.pk).order_by(
            "code"
        )


class CallReasonsForm(forms.Form):
    """The call reasons a procedure answers; integrations.parse_reason_codes reads the codes."""

    codes = forms.CharField(
        label=_("Call reason codes"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3, "spellcheck": "false", "autocapitalize": "off"}),
        help_text=_(
            "Codes from the CRM, the ACD or the IVR, separated by commas or one per line, e.g. "
            "REFUND, queue:billing-hu. Leave empty to link none."
        ),
    )


class FeedbackForm(forms.Form):
    """What an agent tells the owner. The step list is the revision's, numbered as on the page."""

    element = forms.ChoiceField(
        label=_("About"), choices=Feedback.Element.choices, initial=Feedback.Element.GENERAL
    )
    step_key = forms.ChoiceField(label=_("Step (optional)"), required=False)
    body = forms.CharField(
        label=_("Your feedback"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "What does not work on the phone, and what would work better? The owner replies here."
        ),
    )

    def __init__(self, *args, step_choices: list[tuple[str, str]] = (), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["step_key"].choices = [("", _("— no particular step —")), *step_choices]
        if not step_choices:
            del self.fields["step_key"]


class FeedbackReplyForm(forms.Form):
    """The owner's answer: a reply the sender reads, and perhaps a new status."""

    status = forms.ChoiceField(label=_("Status"), required=False)
    body = forms.CharField(
        label=_("Your reply"),
        max_length=4000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("The sender reads it. Say why when you decline."),
    )

    def __init__(self, *args, current: str, allowed: set[str], **kwargs):
        super().__init__(*args, **kwargs)
        label = Feedback.Status(current).label
        self.fields["status"].choices = [
            ("", _("Keep as %(status)s") % {"status": label.lower()}),
            *((value, label) for value, label in Feedback.Status.choices if value in allowed),
        ]


class FollowUpForm(forms.Form):
    body = forms.CharField(
        label=_("Add to your feedback"), max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )


class LockMessageMixin:
    """Django's sign-in forms, saying so when the account or the address is locked
    (lockout.py; the authentication backend leaves the reason on the request)."""

    def get_invalid_login_error(self):
        locked = getattr(self.request, "sopdesk_locked", None)
        if locked:
            return forms.ValidationError(locked, code="locked")
        return super().get_invalid_login_error()


class SignInForm(LockMessageMixin, AuthenticationForm):
    pass


class ResetPasswordForm(PasswordResetForm):
    """Django's form, also for people added without a password (they choose their first one
    through it); inactive accounts still get nothing."""

    def get_users(self, email):
        from .models import User

        wanted = email.casefold()
        for user in User.objects.filter(email__iexact=email, is_active=True):
            if user.email.casefold() == wanted:
                yield user


class ChangePasswordForm(PasswordChangeForm):
    """Django's form, its old password checked through the lockout like any other."""

    def clean_old_password(self):
        from . import lockout

        old = self.cleaned_data["old_password"]
        try:
            user = lockout.verify_login(
                username=self.user.get_username(), password=old, address=None
            )
        except lockout.Locked as locked:
            raise forms.ValidationError(locked.message, code="locked") from None
        if user is None:
            raise forms.ValidationError(
                self.error_messages["password_incorrect"], code="password_incorrect"
            )
        return old


class AdminSignInForm(LockMessageMixin, AdminAuthenticationForm):
    pass
