"""The quality app's read questions about statuses: which scorecard versions are in use or being
prepared, which disputes wait. Nobody else compares a version's or a response's status."""

from django.db.models import QuerySet

from .models import Response, Scorecard, ScorecardLine, ScorecardVersion


def versions_in_use() -> QuerySet:
    """The versions new evaluations are scored on, one per scorecard."""
    return ScorecardVersion.objects.filter(status=ScorecardVersion.Status.IN_USE)


def version_shown(scorecard: Scorecard) -> ScorecardVersion | None:
    """A scorecard's page: its version in use, else its latest."""
    versions = scorecard.versions.order_by("-number")
    return versions.filter(status=ScorecardVersion.Status.IN_USE).first() or versions.first()


def has_version_being_prepared(scorecard_id: int) -> bool:
    return ScorecardVersion.objects.filter(
        scorecard_id=scorecard_id, status__in=ScorecardVersion.OPEN_STATUSES
    ).exists()


def with_open_dispute(evaluations: QuerySet) -> QuerySet:
    """Those of `evaluations` the agent disputed and nobody has decided yet."""
    return evaluations.filter(response__kind=Response.Kind.DISPUTED, response__decision="")


def approved_lines() -> QuerySet:
    """The lines of versions that were approved (in use, retired or about to be): what the
    figures name a step by, not a draft's numbering."""
    Status = ScorecardVersion.Status
    return ScorecardLine.objects.filter(
        version__status__in=[Status.APPROVED, Status.IN_USE, Status.RETIRED]
    )
