"""Who may do what, one function per question, asked by views, templates, commands and the
workflow; in three shapes (Wagtail's permission policies): may this user do X to this object
(`can_edit`), which objects may they do X to (`revisions_to_sign`), who may (`eligible_signers`).
Roles are Django groups: Agent, Supervisor, Manager, Document controller (migration 0002), Quality
evaluator (quality's 0002; its policy in quality/permissions.py). A superuser is a controller."""

from django.contrib.auth.models import AnonymousUser, Group
from django.utils.translation import gettext_lazy as _

from . import selectors
from .models import AuditEvent, Feedback, Procedure, Revision, Signature, Team, User

AGENT = "Agent"
SUPERVISOR = "Supervisor"
MANAGER = "Manager"
DOCUMENT_CONTROLLER = "Document controller"
QUALITY_EVALUATOR = "Quality evaluator"
ROLES = (AGENT, SUPERVISOR, MANAGER, DOCUMENT_CONTROLLER, QUALITY_EVALUATOR)
# What each role is called in the reader's language (the groups keep their stored names).
ROLE_LABELS = {
    AGENT: _("Agent"),
    SUPERVISOR: _("Supervisor"),
    MANAGER: _("Manager"),
    DOCUMENT_CONTROLLER: _("Document controller"),
    QUALITY_EVALUATOR: _("Quality evaluator"),
}

AnyUser = User | AnonymousUser


def remember_roles(user: AnyUser, names: set[str]) -> None:
    """The user's roles as read by a query that read them with other things (page_cache): kept
    on the user object for this request, as roles_of keeps them."""
    roles = frozenset(names & set(ROLES))
    if user.is_superuser:
        roles |= {DOCUMENT_CONTROLLER}
    user._sopdesk_roles = roles


def roles_of(user: AnyUser) -> frozenset[str]:
    """The user's role names, read once per request and kept on the user object."""
    if not user.is_authenticated:
        return frozenset()
    cached = getattr(user, "_sopdesk_roles", None)
    if cached is None:
        cached = frozenset(user.groups.filter(name__in=ROLES).values_list("name", flat=True))
        if user.is_superuser:
            cached |= {DOCUMENT_CONTROLLER}
        user._sopdesk_roles = cached
    return cached


def is_supervisor(user: AnyUser) -> bool:
    return SUPERVISOR in roles_of(user)


def is_manager(user: AnyUser) -> bool:
    return MANAGER in roles_of(user)


def is_document_controller(user: AnyUser) -> bool:
    return DOCUMENT_CONTROLLER in roles_of(user)


# People in the admin: a document controller manages accounts and roles, never a way into
# somebody else's signature (setting their password or their e-mail address for a reset) and
# never their own roles.


def can_set_password_of(actor: AnyUser, person: User) -> bool:
    """Only a superuser sets a password in the admin (audited, and the person is told);
    everyone else changes their own on /accounts/password_change/, giving the old one."""
    return actor.is_superuser


def can_change_account(actor: AnyUser, person: User) -> bool:
    """A superuser's account is changed by superusers only."""
    return actor.is_superuser or not person.is_superuser


def can_change_roles_of(actor: AnyUser, person: User) -> bool:
    """Roles, staff status and activation are changed by somebody else, never by oneself."""
    return actor.pk != person.pk


def can_change_email_of(actor: AnyUser, person: User) -> bool:
    """The address a password reset goes to: set when a person is added, changed afterwards by a
    superuser only (else a controller could redirect somebody's reset to themselves)."""
    return actor.is_superuser


def can_unlock_accounts(user: AnyUser) -> bool:
    """Lifting a lockout after wrong passwords is the document controllers' call."""
    return is_document_controller(user)


def can_use_desk(user: AnyUser) -> bool:
    """The /desk/ area is for the people who write, review and control procedures."""
    return bool(roles_of(user) & {SUPERVISOR, MANAGER, DOCUMENT_CONTROLLER})


def sees_all_procedures_on_desk(user: AnyUser) -> bool:
    """Managers and document controllers oversee every procedure; supervisors their own."""
    return is_manager(user) or is_document_controller(user)


def can_view_procedure(user: AnyUser, procedure: Procedure) -> bool:
    """Desk users may read every procedure's revisions, drafts included; agents never a draft."""
    return can_use_desk(user)


def can_open_files_of(user: AnyUser, revision: Revision) -> bool:
    """A revision's images and attachments: for whoever may read the revision. The desk reads
    every revision; a reader of the manual only one that is (or was) in force."""
    if can_view_procedure(user, revision.procedure):
        return True
    return can_read_manual(user) and selectors.is_published(revision)


def can_import_documents(user: AnyUser) -> bool:
    """Turning Word files into drafts is creating procedures."""
    return can_create_procedure(user)


def can_use_import_preview(user: AnyUser, preview) -> bool:
    """A Word import's preview is its uploader's, and the owner's it will be created for."""
    return can_import_documents(user) and user.pk in (preview.uploaded_by_id, preview.owner_id)


def can_create_procedure(user: AnyUser) -> bool:
    return is_supervisor(user) or is_document_controller(user)


def can_choose_owner(user: AnyUser) -> bool:
    """A document controller assigns owners; a supervisor creates procedures they own."""
    return is_document_controller(user)


def can_own_procedures(user: AnyUser) -> bool:
    return is_supervisor(user)


def can_edit(user: AnyUser, revision: Revision) -> bool:
    """Only a draft is edited, and only by a supervisor who owns the procedure."""
    return revision.is_draft and is_supervisor(user) and revision.procedure.owner_id == user.pk


def can_start_revision(user: AnyUser, procedure: Procedure) -> bool:
    """The owner starts a new revision (services.start_revision checks none is open)."""
    return is_supervisor(user) and procedure.owner_id == user.pk


def can_preview_markdown(user: AnyUser) -> bool:
    return can_create_procedure(user)


def can_manage_catalogue(user: AnyUser) -> bool:
    """Categories, owners and people are managed by the document controller (in the admin)."""
    return is_document_controller(user)


def is_author_or_owner(user: AnyUser, revision: Revision) -> bool:
    return user.is_authenticated and user.pk in (revision.author_id, revision.procedure.owner_id)


def can_submit(user: AnyUser, revision: Revision) -> bool:
    """The author or the owner submits a draft for review."""
    return revision.is_draft and is_author_or_owner(user, revision)


# Signing. The workflow (workflow/signatures.py) asks the same questions before it signs.

# The acts that write a revision's content (status changes and signatures do not).
EDITING_ACTIONS = (
    AuditEvent.Action.PROCEDURE_CREATED,
    AuditEvent.Action.REVISION_STARTED,
    AuditEvent.Action.DRAFT_SAVED,
)


def editors_of(revision: Revision) -> set[int]:
    """Everyone who wrote or edited this revision's content: they may not sign it."""
    ids = set(
        AuditEvent.objects.filter(revision=revision, action__in=EDITING_ACTIONS)
        .exclude(actor=None)
        .values_list("actor_id", flat=True)
    )
    return ids | {revision.author_id}


def can_review(user: AnyUser, revision: Revision, editors: set[int] | None = None) -> bool:
    """Managers review, sign and return revisions, except those they wrote or edited
    (`editors`: editors_of(revision), when the caller has already read it)."""
    if not is_manager(user):
        return False
    return user.pk not in (editors_of(revision) if editors is None else editors)


def can_return(user: AnyUser, revision: Revision, editors: set[int] | None = None) -> bool:
    """A revision in review goes back to its author from a manager who may review it."""
    return revision.is_in_review and can_review(user, revision, editors)


def is_chosen_approver(user: AnyUser, revision: Revision) -> bool:
    """The author may choose the approvers at submission; then only they approve (anyone may
    still sign "Reviewed"). With no choice made, every manager who may review approves."""
    chosen = {u.pk for u in revision.approvers.all()}
    return not chosen or user.pk in chosen


def signable_meanings(
    user: AnyUser, revision: Revision, editors: set[int] | None = None
) -> list[tuple[str, str]]:
    """The signatures this user may give this revision now, as (meaning, label)."""
    Meaning = Signature.Meaning
    if not can_review(user, revision, editors):
        return []
    if revision.is_in_review:
        meanings = [Meaning.REVIEWED]
        if is_chosen_approver(user, revision):
            meanings.append(Meaning.APPROVED)
    elif revision.is_effective:
        meanings = [Meaning.REVIEWED_NO_CHANGE]
        if revision.procedure.withdrawal_requested_at:
            meanings.append(Meaning.APPROVED_FOR_WITHDRAWAL)
    else:
        return []
    return [(m.value, m.label) for m in meanings]


def revisions_to_sign(user: AnyUser, limit: int = 50) -> list[Revision]:
    """Revisions in review this manager may sign and has not approved yet (oldest first)."""
    if not is_manager(user):
        return []
    edited = AuditEvent.objects.filter(actor=user, action__in=EDITING_ACTIONS).values("revision_id")
    candidates = (
        selectors.in_review()
        .exclude(pk__in=edited)
        .exclude(author=user)
        .select_related("procedure", "author")
        .prefetch_related("approvers", "signatures")
        .order_by("submitted_at")[:limit]
    )
    return [
        r
        for r in candidates
        if (not r.approvers.all() or user in r.approvers.all())
        and not any(
            s.signer_id == user.pk
            and s.meaning == Signature.Meaning.APPROVED
            and s.content_hash == r.content_hash
            for s in r.signatures.all()
        )
    ]


def eligible_signers(revision: Revision) -> list[User]:
    """Who may sign: active managers who neither wrote nor edited the revision."""
    excluded = editors_of(revision)
    managers = Group.objects.get(name=MANAGER).user_set.filter(is_active=True)
    return [u for u in managers.order_by("first_name", "last_name") if u.pk not in excluded]


def can_comment(user: AnyUser, revision: Revision) -> bool:
    """Reviewers and authors discuss a revision while it is a draft or in review."""
    return can_use_desk(user) and (revision.is_draft or revision.is_in_review)


def can_request_withdrawal(user: AnyUser, procedure: Procedure) -> bool:
    return is_document_controller(user) or (is_supervisor(user) and procedure.owner_id == user.pk)


def can_read_audit_log(user: AnyUser) -> bool:
    """The system-wide audit trail is the document controller's; a procedure's is every desk user's."""
    return is_document_controller(user)


def sees_review_dates(user: AnyUser) -> bool:
    return can_use_desk(user)


def can_read_manual(user: AnyUser) -> bool:
    """Everyone with an account reads what is in force (and what was, through its history)."""
    return user.is_authenticated and user.is_active


def can_preview_pdf(user: AnyUser, revision: Revision) -> bool:
    """A draft's or a review's PDF (watermarked) is for the desk, like the revision itself."""
    return can_use_desk(user)


def is_agent(user: AnyUser) -> bool:
    return AGENT in roles_of(user)


def is_in_audience(user: AnyUser, procedure: Procedure) -> bool:
    """A procedure is for every agent unless it names teams; then for those teams' agents. A
    translation is for its source's (it is the same text)."""
    teams = [team.pk for team in (procedure.translation_of or procedure).audience.all()]
    return not teams or user.team_id in teams


def must_acknowledge(user: AnyUser, revision: Revision, in_force: Revision | None) -> bool:
    """Agents confirm reading the revision in force of the procedures meant for them."""
    return (
        is_agent(user)
        and in_force is not None
        and in_force.pk == revision.pk
        and is_in_audience(user, revision.procedure)
    )


def can_follow_reading(user: AnyUser) -> bool:
    """Supervisors follow their teams' reading; managers and document controllers every team's."""
    return is_supervisor(user) or is_manager(user) or is_document_controller(user)


def sees_every_team(user: AnyUser) -> bool:
    return is_manager(user) or is_document_controller(user)


def can_send_feedback(user: AnyUser, procedure: Procedure) -> bool:
    """Every reader of the manual tells the owner what does not work, except the owner."""
    return can_read_manual(user) and procedure.owner_id != user.pk


def sees_all_feedback(user: AnyUser) -> bool:
    """Managers and document controllers see all feedback; a supervisor their procedures'."""
    return is_manager(user) or is_document_controller(user)


def can_handle_feedback(user: AnyUser, feedback: Feedback) -> bool:
    """The procedure's owner answers feedback and sets its status; so may those who see it all."""
    return sees_all_feedback(user) or (
        is_supervisor(user) and feedback.procedure.owner_id == user.pk
    )


def can_see_feedback(user: AnyUser, feedback: Feedback) -> bool:
    """Its author and those who handle it; no other agent, whatever the URL."""
    return user.is_authenticated and (
        feedback.author_id == user.pk or can_handle_feedback(user, feedback)
    )


# Integrations. A system other than a browser reads through an API key: it reads the manual as
# a person with no role would (what is or was in force, never a draft), and its scopes add
# reading status (as a manager sees it) or acting for one agent at a time (as that agent could).


def can_manage_integrations(user: AnyUser) -> bool:
    """API keys and webhook subscriptions are the document controllers'."""
    return is_document_controller(user)


def can_map_call_reasons(user: AnyUser) -> bool:
    """Which procedure answers which call reason is the document controllers' call."""
    return is_document_controller(user)


def key_reads_manual(key) -> bool:
    return key is not None and key.is_active and (key.read_manual or key.act_for_agents)


def key_reads_reading_status(key) -> bool:
    return key is not None and key.is_active and key.read_reading


def key_may_act_for(key, person: User) -> bool:
    """A key acts only for an active agent with no other role, never for a desk user or staff:
    it could otherwise do what only they may."""
    return (
        key is not None
        and key.is_active
        and key.act_for_agents
        and person.is_active
        and not person.is_staff
        and not person.is_superuser
        and is_agent(person)
        and not can_use_desk(person)
    )


def can_see_reading_of(viewer: AnyUser, agent: User) -> bool:
    """An agent's To-read list and acknowledgements: theirs, their supervisors' (their team's),
    and those who follow every team."""
    if not viewer.is_authenticated:
        return False
    if viewer.pk == agent.pk:
        return True
    if not can_follow_reading(viewer):
        return False
    if sees_every_team(viewer):
        return True
    return (
        is_supervisor(viewer)
        and agent.team_id is not None
        and Team.objects.filter(pk=agent.team_id, supervisor=viewer).exists()
    )
