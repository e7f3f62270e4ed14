"""The read questions, each answered once: what is in force, what a reader may open, what is
waiting for a person. Views, feedback, search, publishing, reading and the manual PDF ask here;
nothing else spells out which statuses mean what (a test greps for status literals). Who may
act on them is permissions.py's question; this module asks nobody.

    in force           an approved revision whose date has come, else the effective one
    published          in force now, or in force before (superseded, withdrawn): the manual
    signed off         approved or later: rendered once and stored (publishing.py)
    being written      a draft or a revision in review: not approved, watermarked
    language versions  a procedure, its source and the source's translations in force
    for a call reason  the procedures in force mapped to a call reason, in a reader's language

Statuses change only in workflow/; `publish_due` makes an approved revision effective when
its date comes, and between two of its runs "in force" is still exact (the date decides).
"""

import datetime
from dataclasses import dataclass

from django.db.models import Exists, F, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone

from .models import AuditEvent, CallReason, ImportPreview, Measure, Procedure, Revision

Status = Revision.Status
PUBLISHED_STATUSES = (
    Status.EFFECTIVE,
    Status.SUPERSEDED,
    Status.WITHDRAWN,
)  # and APPROVED once its date came
SIGNED_OFF_STATUSES = (Status.APPROVED, Status.EFFECTIVE, Status.SUPERSEDED, Status.WITHDRAWN)
BEING_WRITTEN_STATUSES = (Status.DRAFT, Status.IN_REVIEW)
NO_LONGER_IN_FORCE_STATUSES = (Status.SUPERSEDED, Status.WITHDRAWN)


def _now(at: datetime.datetime | None) -> datetime.datetime:
    return at or timezone.now()


# ---------------------------------------------------------------- in force


def in_force(at: datetime.datetime | None = None, revisions: QuerySet | None = None) -> QuerySet:
    """The revision of each procedure in force at `at` (now by default), as a queryset
    (of `revisions` when given, e.g. one procedure's)."""
    at = _now(at)
    revisions = Revision.objects.all() if revisions is None else revisions
    due = Q(status=Status.APPROVED, effective_at__lte=at)
    replaced = Revision.objects.filter(
        procedure=OuterRef("procedure"), status=Status.APPROVED, effective_at__lte=at
    )
    return revisions.filter(due | (Q(status=Status.EFFECTIVE) & ~Exists(replaced)))


def revision_in_force(procedure: Procedure, at: datetime.datetime | None = None) -> Revision | None:
    """The one revision of `procedure` in force at `at`, in one simple query (as `in_force`)."""
    at = _now(at)
    effective = None
    for revision in procedure.revisions.filter(
        status__in=[Status.EFFECTIVE, Status.APPROVED]
    ).select_related("author"):
        if revision.status == Status.APPROVED and revision.effective_at <= at:
            return revision
        if revision.status == Status.EFFECTIVE:
            effective = revision
    return effective


def revision_in_force_then(procedure: Procedure, at: datetime.datetime) -> Revision | None:
    """The revision of `procedure` that was in force at a past moment (a call's time, say),
    whatever has happened since: the signed-off revision that took effect last before `at`,
    unless it had been withdrawn by then (its withdrawal on the audit trail: a procedure
    withdrawn and later in force again no longer says when it was withdrawn). One query."""
    if procedure.withdrawn_at is not None and procedure.withdrawn_at <= at:
        return None
    found = (
        procedure.revisions.filter(status__in=SIGNED_OFF_STATUSES, effective_at__lte=at)
        .annotate(
            withdrawn_then=Exists(
                AuditEvent.objects.filter(
                    revision=OuterRef("pk"), action=AuditEvent.Action.WITHDRAWN, at__lte=at
                )
            )
        )
        .order_by("-effective_at", "-number")
        .first()
    )
    return None if found is None or found.withdrawn_then else found


# ---------------------------------------------------------------- the manual


def _published_q(at: datetime.datetime) -> Q:
    return Q(status__in=PUBLISHED_STATUSES) | Q(status=Status.APPROVED, effective_at__lte=at)


def published(revisions: QuerySet | None = None, at: datetime.datetime | None = None) -> QuerySet:
    """The revisions a reader of the manual may open: in force now, or in force before."""
    revisions = Revision.objects.all() if revisions is None else revisions
    return revisions.filter(_published_q(_now(at)))


def published_of(procedure: Procedure, at: datetime.datetime | None = None) -> QuerySet:
    return published(procedure.revisions.all(), at)


def is_published(revision: Revision, at: datetime.datetime | None = None) -> bool:
    """In the manual: in force now, or in force before (as the manual's pages say)."""
    if revision.status in PUBLISHED_STATUSES:
        return True
    return revision.status == Status.APPROVED and revision.effective_at <= _now(at)


def signed_off(revisions: QuerySet | None = None) -> QuerySet:
    """Approved or later: the revisions publishing renders and stores."""
    revisions = Revision.objects.all() if revisions is None else revisions
    return revisions.filter(status__in=SIGNED_OFF_STATUSES)


def is_signed_off(revision: Revision) -> bool:
    return revision.status in SIGNED_OFF_STATUSES


def is_being_written(revision: Revision) -> bool:
    """A draft or a revision in review: not approved, its PDF watermarked."""
    return revision.status in BEING_WRITTEN_STATUSES


def no_longer_in_force(revision: Revision) -> bool:
    """Superseded or withdrawn: its PDF carries a stamp."""
    return revision.status in NO_LONGER_IN_FORCE_STATUSES


def in_review() -> QuerySet:
    return Revision.objects.filter(status=Status.IN_REVIEW)


def submitted() -> QuerySet:
    """Every revision but the drafts: its content was frozen and hashed at least once."""
    return Revision.objects.exclude(status=Status.DRAFT)


def open_draft(procedure: Procedure) -> Revision | None:
    return procedure.revisions.filter(status=Status.DRAFT).first()


def waiting_to_take_effect(at: datetime.datetime | None = None) -> QuerySet:
    """Approved revisions whose effective date has come (publish_due makes them effective)."""
    return Revision.objects.filter(status=Status.APPROVED, effective_at__lte=_now(at)).order_by(
        "effective_at"
    )


def approved_to_take_effect_after(at: datetime.datetime | None = None) -> QuerySet:
    """Approved revisions whose effective date is still to come, the soonest first."""
    return Revision.objects.filter(status=Status.APPROVED, effective_at__gt=_now(at)).order_by(
        "effective_at"
    )


def import_previews_for(user) -> QuerySet:
    """The Word imports waiting for this person: those they uploaded and those made for them,
    newest first."""
    return (
        ImportPreview.objects.filter(Q(uploaded_by=user) | Q(owner=user))
        .select_related("category", "owner")
        .order_by("-created_at")
    )


# --- Translations: a procedure and its translations are one text in several languages ---------


@dataclass(frozen=True)
class Version:
    """One language's procedure of a family (source and translations) and its revision in force."""

    procedure: Procedure
    revision: Revision


def language_versions(procedure: Procedure, at: datetime.datetime | None = None) -> list[Version]:
    """Every procedure of `procedure`'s family (its source, the source's translations, itself)
    with a revision in force, source first: what the manual offers as "Also in". One query."""
    source_id = procedure.translation_of_id or procedure.pk
    revisions = (
        in_force(at)
        .filter(
            Q(procedure_id=source_id) | Q(procedure__translation_of_id=source_id),
            procedure__withdrawn_at=None,
        )
        .select_related("procedure")
        .order_by(F("procedure__translation_of_id").asc(nulls_first=True), "procedure__language")
    )
    return [Version(revision.procedure, revision) for revision in revisions]


def version_in(procedure: Procedure, language: str) -> Version | None:
    """The procedure of `procedure`'s family written in `language` with a revision in force."""
    return next((v for v in language_versions(procedure) if v.procedure.language == language), None)


def source_moved_on(revision: Revision) -> Revision | None:
    """For a translation's revision: the source's revision in force, when it is newer than the
    one this revision translates (the translation is due for an update); otherwise None."""
    if revision.source_revision_id is None:
        return None
    translated = revision.source_revision
    current = revision_in_force(translated.procedure)
    return current if current is not None and current.number > translated.number else None


def translations_due(owner) -> list[tuple[Procedure, Revision, Revision | None]]:
    """The translations `owner` owns that need them: (translation, its latest revision, the
    source's revision in force) when the source has a newer revision in force than the latest
    revision translates, or (translation, its latest revision, None) when the source was
    withdrawn. Three queries however many translations. Their owner's desk lists them."""
    translations = list(
        Procedure.objects.filter(
            owner=owner, translation_of__isnull=False, withdrawn_at=None
        ).select_related("translation_of")
    )
    if not translations:
        return []
    latest: dict[int, Revision] = {}
    for revision in (
        Revision.objects.filter(procedure__in=translations)
        .select_related("source_revision")
        .order_by("procedure_id", "-number")
    ):
        latest.setdefault(revision.procedure_id, revision)
    current = {
        revision.procedure_id: revision
        for revision in in_force().filter(
            procedure_id__in=[t.translation_of_id for t in translations]
        )
    }
    due = []
    for translation in translations:
        revision = latest.get(translation.pk)
        if revision is None:
            continue
        if translation.translation_of.withdrawn_at is not None:
            due.append((translation, revision, None))
            continue
        now = current.get(translation.translation_of_id)
        translated = revision.source_revision
        if now is not None and translated is not None and now.number > translated.number:
            due.append((translation, revision, now))
    return due


def withdrawn() -> QuerySet:
    """Procedures taken out of the manual, newest withdrawal first."""
    return Procedure.objects.exclude(withdrawn_at=None).order_by("-withdrawn_at", "code")


def measures_in_force(query: str = "", category: int = 0) -> QuerySet:
    """The KPI register: every performance measure of every revision in force, by category,
    procedure and position; `query`'s words each found in the measure, its title or its code."""
    measures = Measure.objects.filter(revision__in=in_force()).select_related(
        "revision__procedure__category"
    )
    if category:
        measures = measures.filter(revision__procedure__category_id=category)
    for word in query.split():
        measures = measures.filter(
            Q(name__icontains=word)
            | Q(target__icontains=word)
            | Q(method__icontains=word)
            | Q(frequency__icontains=word)
            | Q(revision__title__icontains=word)
            | Q(revision__procedure__code__icontains=word)
        )
    return measures.order_by(
        "revision__procedure__category__order",
        "revision__procedure__category__name",
        "revision__procedure__code",
        "position",
        "pk",
    )


# --- Call reasons: what the phone system or the CRM says the call is about --------------------


def call_reason(code: str) -> CallReason | None:
    """The call reason with this code, whatever its case."""
    return CallReason.objects.filter(code__iexact=code.strip()).first() if code.strip() else None


def call_reasons_in_force() -> QuerySet:
    """Every call reason by code, each with `in_force`: its procedures that are in force (by
    code). Two queries."""
    return CallReason.objects.prefetch_related(
        Prefetch(
            "procedures",
            queryset=Procedure.objects.filter(
                pk__in=in_force().values("procedure_id"), withdrawn_at=None
            ).order_by("code"),
            to_attr="in_force",
        )
    ).order_by("code", "pk")


def for_call_reason(
    reason: CallReason, language: str | None = None, at: datetime.datetime | None = None
) -> list[Version]:
    """The procedures in force mapped to `reason`, one per family (a procedure and its
    translations), in `language` when the family has it in force, else the mapped procedure's
    own, else its source's; ordered by code. Two queries however many procedures."""
    mapped = {
        pk: source or pk
        for pk, source in reason.procedures.filter(withdrawn_at=None).values_list(
            "pk", "translation_of_id"
        )
    }
    sources = set(mapped.values())
    revisions = (
        in_force(at)
        .filter(
            Q(procedure_id__in=sources) | Q(procedure__translation_of_id__in=sources),
            procedure__withdrawn_at=None,
        )
        .select_related("procedure__category", "procedure__translation_of")
        .order_by("procedure__code")
    )
    families: dict[int, list[Revision]] = {}
    for revision in revisions:
        families.setdefault(
            revision.procedure.translation_of_id or revision.procedure_id, []
        ).append(revision)
    chosen = []
    for source_id, revisions in families.items():
        by_procedure = {r.procedure_id: r for r in revisions}
        revision = (
            next((r for r in revisions if language and r.procedure.language == language), None)
            or next(
                (
                    by_procedure[pk]
                    for pk, s in mapped.items()
                    if s == source_id and pk in by_procedure
                ),
                None,
            )
            or by_procedure.get(source_id)
            or revisions[0]
        )
        chosen.append(Version(revision.procedure, revision))
    return sorted(chosen, key=lambda v: v.procedure.code)
