"""SOP Desk's data. documents: people, procedures, revisions, steps, measures; records: what
the workflow records (rules, signatures, attempts, comments, the audit trail); publishing:
the rendered documents and builds of the whole manual; search: the search index; feedback:
agents' feedback, its replies, in-app notifications; media: images, attachments, templates,
Word imports."""

from .documents import (
    CODE_PATTERN,
    Category,
    Measure,
    Procedure,
    ProcedureQuerySet,
    Revision,
    RevisionQuerySet,
    Step,
    Team,
    User,
    code_validator,
)
from .feedback import Feedback, FeedbackReply, Notification, PersonalStamp
from .integrations import (
    ApiKey,
    CallReason,
    WebhookDelivery,
    WebhookEvent,
    WebhookSubscription,
)
from .media import Attachment, DocumentImport, ImportPreview, ProcedureTemplate, RevisionImage
from .publishing import ManualBuild, RenderCheck, Rendition
from .records import (
    AccountUnlock,
    Acknowledgement,
    AddressUnlock,
    ApprovalRule,
    AuditEvent,
    Comment,
    LoginAttempt,
    Signature,
    SigningAttempt,
)
from .search import SearchDocument

__all__ = [
    "ApiKey",
    "CallReason",
    "WebhookDelivery",
    "WebhookEvent",
    "WebhookSubscription",
    "ImportPreview",
    "RenderCheck",
    "AccountUnlock",
    "AddressUnlock",
    "LoginAttempt",
    "CODE_PATTERN",
    "Acknowledgement",
    "ApprovalRule",
    "Attachment",
    "AuditEvent",
    "Category",
    "Comment",
    "DocumentImport",
    "Feedback",
    "FeedbackReply",
    "ManualBuild",
    "Measure",
    "Notification",
    "PersonalStamp",
    "Procedure",
    "ProcedureQuerySet",
    "ProcedureTemplate",
    "Rendition",
    "Revision",
    "RevisionImage",
    "RevisionQuerySet",
    "SearchDocument",
    "Signature",
    "SigningAttempt",
    "Step",
    "Team",
    "User",
    "code_validator",
]
