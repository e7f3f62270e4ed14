"""The API's shapes: what each endpoint answers and accepts, as the OpenAPI document describes
them. Answers are built as plain data (documents.py, the views) and described here; requests are
validated here before any service sees them."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from ..models import Feedback
from ..steps import ACTION, DECISION, END


class ProblemSerializer(serializers.Serializer):
    """An error (RFC 9457 problem details)."""

    type = serializers.URLField()
    title = serializers.CharField()
    status = serializers.IntegerField()
    detail = serializers.CharField()
    errors = serializers.DictField(required=False)
    retry_after = serializers.IntegerField(required=False)


class ElementSerializer(serializers.Serializer):
    element = serializers.CharField()
    html = serializers.CharField(allow_blank=True, help_text="Sanitized HTML.")
    text = serializers.CharField(allow_blank=True, help_text="The same as plain text.")


class ElementsSerializer(serializers.Serializer):
    purpose = ElementSerializer()
    scope = ElementSerializer()
    responsibilities = ElementSerializer()
    procedure_notes = ElementSerializer(help_text="Notes under the steps.")
    measures_notes = ElementSerializer(help_text="Notes under the performance measures.")
    documentation = ElementSerializer()
    training = ElementSerializer()
    review_and_approval = ElementSerializer()


class StepSerializer(serializers.Serializer):
    number = serializers.CharField(help_text="As displayed: 1, 2.1 …")
    key = serializers.CharField(help_text="Stable within the revision.")
    kind = serializers.ChoiceField(choices=[ACTION, DECISION, END])
    level = serializers.IntegerField()
    role = serializers.CharField(allow_blank=True, help_text="Who does it.")
    html = serializers.CharField(allow_blank=True)
    text = serializers.CharField(allow_blank=True)
    yes = serializers.CharField(allow_null=True, help_text="A decision's “yes”: the step number.")
    no = serializers.CharField(allow_null=True, help_text="A decision's “no”: the step number.")
    next = serializers.CharField(
        allow_null=True, help_text="The step that follows, when not the next one."
    )


class MeasureSerializer(serializers.Serializer):
    name = serializers.CharField()
    target = serializers.CharField()
    method = serializers.CharField(allow_blank=True)
    frequency = serializers.CharField(allow_blank=True)


class TrainingSerializer(serializers.Serializer):
    hours = serializers.CharField(allow_null=True, help_text="A decimal number, as a string.")
    test_required = serializers.BooleanField()
    url = serializers.CharField(allow_blank=True)


class SignatureSerializer(serializers.Serializer):
    signer = serializers.CharField()
    meaning = serializers.CharField()
    signed_at = serializers.DateTimeField()
    comment = serializers.CharField(allow_blank=True)
    valid = serializers.BooleanField(help_text="Signed the content as it is now.")
    validity = serializers.ChoiceField(choices=["Valid", "INVALID"])


class AttachmentSerializer(serializers.Serializer):
    title = serializers.CharField(allow_blank=True)
    filename = serializers.CharField()
    kind = serializers.CharField()
    size = serializers.IntegerField()
    sha256 = serializers.CharField()
    url = serializers.URLField(help_text="Opens with the same sign-in as the manual.")


class LinksSerializer(serializers.Serializer):
    manual = serializers.URLField()
    pdf = serializers.URLField()
    api = serializers.URLField()


class TranslationSerializer(serializers.Serializer):
    code = serializers.CharField()
    language = serializers.CharField()
    title = serializers.CharField()
    revision = serializers.IntegerField()
    api_url = serializers.URLField()


class RevisionSerializer(serializers.Serializer):
    code = serializers.CharField()
    title = serializers.CharField()
    language = serializers.CharField()
    category = serializers.CharField()
    revision = serializers.IntegerField()
    status = serializers.CharField()
    in_force = serializers.BooleanField()
    effective_at = serializers.DateTimeField(allow_null=True)
    withdrawn_at = serializers.DateTimeField(allow_null=True)
    next_review_on = serializers.DateField(allow_null=True)
    owner = serializers.CharField()
    author = serializers.CharField()
    change_summary = serializers.CharField(allow_blank=True)
    step_format = serializers.CharField()
    elements = ElementsSerializer()
    steps = StepSerializer(many=True)
    measures = MeasureSerializer(many=True)
    training = TrainingSerializer()
    signatures = SignatureSerializer(many=True)
    attachments = AttachmentSerializer(many=True)
    links = LinksSerializer()
    translations = TranslationSerializer(
        many=True, help_text="The same text in other languages, in force."
    )


class ProcedureSummarySerializer(serializers.Serializer):
    code = serializers.CharField()
    title = serializers.CharField()
    revision = serializers.IntegerField()
    effective_at = serializers.DateTimeField()
    category = serializers.CharField()
    language = serializers.CharField()
    translation_of = serializers.CharField(allow_null=True, help_text="The source's code.")
    change_summary = serializers.CharField(allow_blank=True)
    api_url = serializers.URLField()
    manual_url = serializers.URLField()


class WithdrawnSerializer(serializers.Serializer):
    code = serializers.CharField()
    language = serializers.CharField()
    withdrawn_at = serializers.DateTimeField()
    reason = serializers.CharField(allow_blank=True)
    replaced_by = serializers.CharField(allow_null=True, help_text="The code of what replaces it.")
    manual_url = serializers.URLField(help_text="Says when it was withdrawn and what replaces it.")


class SearchHitSerializer(ProcedureSummarySerializer):
    snippet = serializers.CharField(allow_blank=True, help_text="Plain text around the match.")


class SearchResultsSerializer(serializers.Serializer):
    query = serializers.CharField(allow_blank=True)
    count = serializers.IntegerField()
    page = serializers.IntegerField()
    pages = serializers.IntegerField()
    results = SearchHitSerializer(many=True)


class KpiSerializer(serializers.Serializer):
    code = serializers.CharField()
    title = serializers.CharField()
    revision = serializers.IntegerField()
    category = serializers.CharField()
    name = serializers.CharField()
    target = serializers.CharField()
    method = serializers.CharField(allow_blank=True)
    frequency = serializers.CharField(allow_blank=True)


class CallReasonSerializer(serializers.Serializer):
    code = serializers.CharField()
    description = serializers.CharField(allow_blank=True)
    procedures = serializers.ListField(child=serializers.CharField(), help_text="Codes.")


class LookupSerializer(serializers.Serializer):
    reason = serializers.CharField()
    description = serializers.CharField(allow_blank=True)
    language = serializers.CharField(help_text="The language asked for.")
    procedures = ProcedureSummarySerializer(many=True)


class ToReadSerializer(serializers.Serializer):
    code = serializers.CharField()
    title = serializers.CharField()
    revision = serializers.IntegerField()
    language = serializers.CharField()
    effective_at = serializers.DateTimeField()
    due_at = serializers.DateTimeField()
    overdue = serializers.BooleanField()
    api_url = serializers.URLField()


class AcknowledgementSerializer(serializers.Serializer):
    code = serializers.CharField()
    title = serializers.CharField()
    revision = serializers.IntegerField()
    agent = serializers.CharField(help_text="Username.")
    acknowledged_at = serializers.DateTimeField()


class TeamSummarySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    supervisor = serializers.CharField(allow_null=True)
    agents = serializers.IntegerField()
    reading_url = serializers.URLField()


class TeamSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    supervisor = serializers.CharField(allow_null=True)
    agents = serializers.IntegerField()
    acknowledged = serializers.IntegerField()
    outstanding = serializers.IntegerField()
    overdue = serializers.IntegerField()


class TeamRevisionSerializer(serializers.Serializer):
    code = serializers.CharField()
    title = serializers.CharField()
    revision = serializers.IntegerField()
    language = serializers.CharField()
    readers = serializers.IntegerField()
    acknowledged = serializers.IntegerField()
    outstanding = serializers.IntegerField()
    overdue = serializers.IntegerField()


class TeamAgentSerializer(serializers.Serializer):
    username = serializers.CharField()
    name = serializers.CharField()
    acknowledged = serializers.IntegerField()
    outstanding = serializers.IntegerField()
    overdue = serializers.ListField(child=serializers.CharField(), help_text="Codes overdue.")


class TeamReadingSerializer(TeamSerializer):
    revisions = TeamRevisionSerializer(many=True)
    by_agent = TeamAgentSerializer(many=True)


AGENT_HELP = _(
    "Username of the agent an API key acts for (keys with the “act for agents” scope); "
    "leave out with a browser session."
)


class AcknowledgeSerializer(serializers.Serializer):
    agent = serializers.CharField(required=False, max_length=150, help_text=AGENT_HELP)


class FeedbackSendSerializer(serializers.Serializer):
    agent = serializers.CharField(required=False, max_length=150, help_text=AGENT_HELP)
    text = serializers.CharField(max_length=5000, help_text="What does not work on the phone?")
    element = serializers.ChoiceField(choices=Feedback.Element.values, required=False)
    step = serializers.CharField(
        required=False,
        max_length=20,
        help_text="The step's number as displayed, e.g. 3 or 2.1; the element is then STEPS.",
    )


class FeedbackSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    revision = serializers.IntegerField()
    element = serializers.CharField()
    step = serializers.CharField(allow_blank=True)
    status = serializers.CharField()
    created_at = serializers.DateTimeField()
