"""The demo manual and the deployment settings."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone

from procedures import reading, selectors
from procedures.content import steps_of
from procedures.models import CallReason, Feedback, Procedure, Team, User
from procedures.steps import validate_steps

ROOT = Path(__file__).resolve().parent.parent


def test_seed_demo_builds_a_realistic_manual_and_can_run_twice(db):
    call_command("seed_demo", verbosity=0)
    call_command("seed_demo", verbosity=0)

    procedures = Procedure.objects.prefetch_related("revisions__steps", "revisions__measures")
    assert procedures.count() >= 12
    formats = set()
    for procedure in procedures:
        revision = procedure.latest_revision()
        formats.add(revision.step_format)
        assert (
            revision.purpose and revision.scope and revision.responsibilities and revision.training
        )
        assert revision.measures.exists(), procedure.code
        assert validate_steps(revision.step_format, steps_of(revision)) == [], procedure.code
    assert formats == {"SIMPLE", "HIERARCHICAL", "FLOWCHART"}
    assert Procedure.objects.values("category").distinct().count() == 7
    usernames = {
        "agent",
        "agent2",
        "agent3",
        "agent4",
        "supervisor",
        "supervisor2",
        "manager",
        "manager2",
        "controller",
        "evaluator",
    }
    assert set(User.objects.values_list("username", flat=True)) == usernames
    assert User.objects.get(username="supervisor").check_password("sopdesk-demo")
    assert all(u.get_full_name() for u in User.objects.all())
    complaint = selectors.for_call_reason(selectors.call_reason("complaint"))
    assert [v.procedure.code for v in complaint] == ["CC-CH-004"]
    assert CallReason.objects.count() == 5  # the second run added none


def test_seed_demo_shows_every_reading_and_feedback_state(db):
    call_command("seed_demo", verbosity=0)
    call_command("seed_demo", verbosity=0)

    assert Team.objects.count() == 2
    assert all(team.members.count() == 2 for team in Team.objects.all())
    states = set()
    for team in Team.objects.all():
        for row in reading.team_status(team).revisions:
            states |= {cell.status for cell in row.cells}
    assert states == {reading.ACKNOWLEDGED, reading.OUTSTANDING, reading.OVERDUE}
    assert set(Feedback.objects.values_list("status", flat=True)) == set(Feedback.Status.values)
    assert Feedback.objects.count() == 5  # not doubled by the second run
    assert Feedback.objects.exclude(addressed_by=None).get().addressed_by.status == "DRAFT"
    dewi = User.objects.get(username="agent")
    changed = selectors.revision_in_force(Procedure.objects.by_code("CC-CH-001").get())
    assert reading.last_acknowledged(dewi, changed).number == 1


def test_seed_demo_shows_quality_monitoring_in_every_state(db):
    from quality import analytics, scorecards
    from quality.models import CalibrationSession, Evaluation, Response, ScorecardVersion

    call_command("seed_demo", verbosity=0)
    call_command("seed_demo", verbosity=0)

    in_use = ScorecardVersion.objects.filter(status="IN_USE").select_related("scorecard")
    assert sorted(v.scorecard.name for v in in_use) == ["Complaints", "Inbound calls"]
    shared = analytics.counted()
    assert 40 <= shared.count() <= 120  # "a few dozen" over eight weeks, not doubled
    oldest = shared.order_by("call_at").first().call_at
    assert (timezone.now() - oldest).days >= 49
    assert Response.objects.filter(kind="DISPUTED", decision="").exists()
    assert Response.objects.filter(kind="DISPUTED", decision="UPHELD").exists()
    assert Evaluation.objects.filter(status="CORRECTED").exists()
    assert Evaluation.objects.filter(status="DRAFT", calibration=None).exists()
    assert CalibrationSession.objects.filter(closed_at__isnull=False).exists()
    assert CalibrationSession.objects.filter(closed_at__isnull=True).exists()
    inbound = in_use.get(scorecard__name="Inbound calls")
    moved = scorecards.moved_on(inbound)  # CC-CH-001's revision 2 came after the scorecard
    assert [(m.procedure.code, m.based_on.number, m.in_force.number) for m in moved] == [
        ("CC-CH-001", 1, 2)
    ]
    numbers = set(
        Evaluation.objects.filter(revisions_in_force__procedure__code="CC-CH-001").values_list(
            "revisions_in_force__revision__number", flat=True
        )
    )
    assert numbers == {1, 2}  # calls scored against the revision in force at their time
    missed = analytics.missed_steps(analytics.Scope(weeks=12))
    assert any(step.worth_a_suggestion for step in missed)


def test_argon2id_with_owasps_parameters_is_the_first_password_hasher():
    from django.contrib.auth.hashers import Argon2PasswordHasher, check_password

    from procedures.hashers import SopDeskArgon2PasswordHasher
    from sopdesk import settings

    assert settings.PASSWORD_HASHERS[0] == "procedures.hashers.SopDeskArgon2PasswordHasher"
    hasher = SopDeskArgon2PasswordHasher()
    encoded = hasher.encode("correct horse", hasher.salt())
    assert encoded.startswith("argon2$argon2id$v=19$m=19456,t=2,p=1$")
    assert hasher.verify("correct horse", encoded)
    # a hash made with Django's own parameters still works, and is upgraded at the next sign-in
    django_default = Argon2PasswordHasher()
    old = django_default.encode("correct horse", django_default.salt())
    assert "m=102400" in old and hasher.must_update(old)
    with override_settings(PASSWORD_HASHERS=settings.PASSWORD_HASHERS):
        assert check_password("correct horse", old)


def _manage(*args, **env):
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DEBUG", "SECRET_KEY", "SOPDESK_BASE_URL"}
        and not k.startswith(("DJANGO_", "SECURE_", "SESSION_", "CSRF_"))
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=clean | env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_settings_pass_the_deployment_checks():
    result = _manage(
        "check", "--deploy", "--fail-level", "WARNING",
        SECRET_KEY="a-long-random-production-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
        ALLOWED_HOSTS="sop.example.com", SOPDESK_BASE_URL="https://sop.example.com",
        EMAIL_HOST="mail.example.com",
    )  # fmt: skip

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


_PRODUCTION = {
    "SECRET_KEY": "a-long-random-production-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
    "ALLOWED_HOSTS": "sop.example.com",
}


def test_production_refuses_to_run_without_its_address():
    result = _manage("check", **_PRODUCTION)

    assert result.returncode != 0
    assert "sopdesk.E001" in result.stderr and "SOPDESK_BASE_URL is not set" in result.stderr


def test_production_warns_when_e_mail_goes_to_the_console():
    result = _manage("check", SOPDESK_BASE_URL="https://sop.example.com", **_PRODUCTION)

    assert result.returncode == 0
    assert "sopdesk.W001" in result.stderr + result.stdout


def test_hsts_preload_and_subdomains_only_when_asked_for():
    show = "from django.conf import settings as s; print(s.SECURE_HSTS_PRELOAD, s.SECURE_HSTS_INCLUDE_SUBDOMAINS)"
    default = _manage("shell", "-c", show, **_PRODUCTION)
    asked = _manage(
        "shell",
        "-c",
        show,
        SECURE_HSTS_PRELOAD="1",
        SECURE_HSTS_INCLUDE_SUBDOMAINS="1",
        **_PRODUCTION,
    )

    assert default.stdout.split()[-2:] == ["False", "False"]
    assert asked.stdout.split()[-2:] == ["True", "True"]


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"SOPDESK_STORAGE": "s3"}, "SOPDESK_STORAGE=s3 needs AWS_STORAGE_BUCKET_NAME"),
        (
            {"SOPDESK_RENDER_TIMEOUT": "two minutes"},
            "SOPDESK_RENDER_TIMEOUT must be a whole number",
        ),
    ],
)
def test_a_missing_or_malformed_setting_is_named(env, message):
    result = _manage("check", DEBUG="1", **env)

    assert result.returncode != 0
    assert f"ImproperlyConfigured: {message}" in result.stderr


def test_production_refuses_to_start_without_a_secret_key():
    result = _manage("check")

    assert result.returncode != 0
    assert "Set SECRET_KEY in the environment" in result.stderr


def test_sopdesk_storage_s3_configures_an_s3_compatible_store():
    result = _manage(
        "shell", "-c",
        "from django.core.files.storage import storages; s = storages['default']; "
        "print(type(s).__name__, s.bucket_name, s.endpoint_url)",
        DEBUG="1", SOPDESK_STORAGE="s3", AWS_STORAGE_BUCKET_NAME="sop-files",
        AWS_S3_ENDPOINT_URL="https://minio.example.com",
    )  # fmt: skip

    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[-3:] == ["S3Storage", "sop-files", "https://minio.example.com"]


@pytest.mark.parametrize("cache", [{}, {"REDIS_URL": "redis://127.0.0.1:6379/15"}])
def test_sessions_are_signed_cookies_with_or_without_a_shared_cache(cache):
    result = _manage(
        "shell",
        "-c",
        "from django.conf import settings; print(settings.SESSION_ENGINE)",
        DEBUG="1",
        **cache,
    )

    assert result.stdout.split()[-1] == "django.contrib.sessions.backends.signed_cookies"
