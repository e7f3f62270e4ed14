"""The agents' manual at its stable URLs: what is visible to whom, the stored artifacts served,
helpful refusals, constant query counts, the whole manual as one PDF."""

import datetime
import hashlib
import io
import re

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from procedures import services, workflow
from procedures.models import ManualBuild
from tests.factories import UserFactory, make_effective, new_procedure, save, sign, submit


@pytest.fixture
def on_commit(django_capture_on_commit_callbacks):
    """Run what the workflow queues (rendering, the manual build) as it would after commit."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def effective(supervisor, approver, on_commit):
    def make(code, title="Answering a call", **fields):
        with on_commit():
            return make_effective(
                save(new_procedure(owner=supervisor, code=code), title=title, **fields), approver
            )

    return make


def page(response) -> str:
    return response.content.decode()


def test_agents_read_what_is_in_force_and_nothing_else(
    client, agent, supervisor, approver, effective, on_commit
):
    effective("CC-CH-001", title="Answering an inbound call")
    save(new_procedure(owner=supervisor, code="CC-CH-002"), title="A draft nobody may read")
    submit(new_procedure(owner=supervisor, code="CC-CH-003"))
    future = submit(new_procedure(owner=supervisor, code="CC-CH-004"))
    with on_commit():
        sign(future, approver, effective_at=timezone.now() + datetime.timedelta(days=7))
    client.force_login(agent)

    toc = page(client.get(reverse("manual:toc")))

    assert "CC-CH-001" in toc and "Answering an inbound call" in toc
    for hidden in ("CC-CH-002", "CC-CH-003", "CC-CH-004"):
        assert hidden not in toc
        assert client.get(f"/manual/{hidden}/").status_code == 404
        assert client.get(f"/manual/{hidden}/rev/1/").status_code == 404
        assert client.get(f"/manual/{hidden}/rev/1.pdf").status_code == 404
        assert client.get(f"/manual/{hidden}.pdf").status_code == 404


def test_a_procedure_page_is_the_controlled_document(client, agent, effective, approver):
    effective("CC-CH-001", title="Answering an inbound call")
    client.force_login(agent)

    html = page(client.get("/manual/CC-CH-001/"))

    for expected in (
        "CC-CH-001", "Revision 1", "Answering an inbound call", "In force", "Next review",
        "1. Purpose", "4. Procedure", "Greet the caller.", "5. Performance measures", "Service level",
        "Signatures", approver.display_name, "Valid", "Revision history",
    ):  # fmt: skip
        assert expected in html, expected


def test_codes_are_case_insensitive_and_unknown_ones_get_a_helpful_404(client, agent, effective):
    effective("CC-CH-001")
    client.force_login(agent)

    assert (
        client.get("/manual/cc-ch-001/", follow=True).redirect_chain[-1][0] == "/manual/CC-CH-001/"
    )
    assert client.get("/manual/cc-ch-001/rev/1/").status_code == 200
    assert client.get("/manual/cc-ch-001.pdf")["Content-Type"] == "application/pdf"
    missing = client.get("/manual/CC-XX-999/")
    assert missing.status_code == 404
    assert "There is no procedure CC-XX-999 in the manual." in page(missing)
    assert 'value="CC-XX-999"' in page(missing)  # the search box, filled in
    assert client.get("/manual/CC-CH-001/rev/7/").status_code == 404


def test_a_superseded_revision_says_so_and_its_pdf_is_stamped(
    client, agent, supervisor, approver, effective, on_commit
):
    first = effective("CC-CH-001")
    with on_commit():
        make_effective(
            services.start_revision(procedure=first.procedure, author=supervisor), approver
        )
    client.force_login(agent)

    html = page(client.get("/manual/CC-CH-001/rev/1/"))
    pdf = PdfReader(
        io.BytesIO(b"".join(client.get("/manual/CC-CH-001/rev/1.pdf").streaming_content))
    )
    current = page(client.get("/manual/CC-CH-001/"))

    assert "SUPERSEDED — see revision 2" in html and 'href="/manual/CC-CH-001/"' in html
    assert "What changed in this revision" not in html  # revision 1 has nothing before it
    assert all("SUPERSEDED" in p.extract_text() for p in pdf.pages)
    assert "Revision 2" in current and "changes in 2" in current
    assert "What changed in this revision" in current
    assert client.get("/manual/CC-CH-001/rev/2/changes/").status_code == 200


def test_a_withdrawn_procedure_says_when_and_what_replaces_it(
    client, agent, supervisor, approver, effective, on_commit
):
    old = effective("CC-CH-001")
    new = effective("CC-CH-009", title="The new greeting")
    workflow.request_withdrawal(
        procedure=old.procedure, actor=supervisor, reason="Merged.", replaced_by=new.procedure
    )
    with on_commit():
        sign(old, approver, meaning="APPROVED_FOR_WITHDRAWAL")
    client.force_login(agent)

    response = client.get("/manual/CC-CH-001/")

    assert response.status_code == 410
    assert "CC-CH-001 was withdrawn" in page(response) and 'href="/manual/CC-CH-009/"' in page(
        response
    )
    assert (
        "CC-CH-001" not in page(client.get(reverse("manual:toc"))).split("Withdrawn procedures")[0]
    )


def test_the_pdf_served_is_the_stored_one(client, agent, effective):
    revision = effective("CC-CH-001")
    stored = revision.renditions.get(kind="PDF")
    client.force_login(agent)

    response = client.get("/manual/CC-CH-001.pdf")

    data = b"".join(response.streaming_content)
    assert hashlib.sha256(data).hexdigest() == stored.sha256
    assert response["ETag"] == f'"{stored.sha256}"'


def test_a_pdf_downloaded_again_costs_the_sign_in_and_one_query_until_the_manual_changes(
    client, agent, supervisor, approver, effective, on_commit, django_assert_max_num_queries
):
    first = effective("CC-CH-001")
    client.force_login(agent)
    client.get("/manual/CC-CH-001.pdf")

    # the person (the session is a cookie), and the manual's state once its second has passed
    with django_assert_max_num_queries(2):
        again = client.get("/manual/CC-CH-001.pdf")
    with on_commit():
        second = make_effective(
            save(
                services.start_revision(procedure=first.procedure, author=supervisor),
                change_summary="Shorter.",
            ),
            approver,
        )
    newer = client.get("/manual/CC-CH-001.pdf")

    assert again["ETag"] == f'"{first.renditions.get(kind="PDF").sha256}"'
    assert newer["ETag"] == f'"{second.renditions.get(kind="PDF").sha256}"'
    assert newer["Content-Disposition"].endswith('CC-CH-001-rev2.pdf"')


def test_until_it_is_rendered_the_pdf_is_being_prepared(client, agent, supervisor, approver):
    make_effective(save(new_procedure(owner=supervisor, code="CC-CH-001")), approver)  # no task ran
    client.force_login(agent)

    response = client.get("/manual/CC-CH-001.pdf")

    assert response.status_code == 503 and response["Retry-After"]
    assert "The PDF is being prepared" in page(response)
    assert "its page is being prepared" in page(client.get("/manual/CC-CH-001/"))


def test_an_approved_revision_whose_date_came_is_shown_before_publish_due_runs(
    client, agent, supervisor, approver, effective, on_commit
):
    first = effective("CC-CH-001")
    second = submit(services.start_revision(procedure=first.procedure, author=supervisor))
    when = timezone.now() + datetime.timedelta(days=2)
    with on_commit():
        sign(second, approver, effective_at=when)
    client.force_login(agent)

    assert "Revision 1" in page(client.get("/manual/CC-CH-001/"))
    from unittest import mock

    with mock.patch("django.utils.timezone.now", return_value=when + datetime.timedelta(minutes=1)):
        assert "Revision 2" in page(client.get("/manual/CC-CH-001/"))


def test_only_people_with_an_account_read_the_manual(client, effective):
    effective("CC-CH-001")

    for url in (
        "/manual/",
        "/manual/CC-CH-001/",
        "/manual/CC-CH-001.pdf",
        "/manual.pdf",
        "/manual/CC-CH-001/rev/1/",
    ):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("login")), (
            url
        )


@pytest.mark.parametrize("role", ["Agent", "Supervisor", "Manager", "Document controller"])
def test_every_role_reads_the_manual(client, effective, role):
    effective("CC-CH-001")
    client.force_login(UserFactory(role=role))

    assert client.get("/manual/").status_code == 200
    assert client.get("/manual/CC-CH-001/").status_code == 200
    assert client.get("/manual/CC-CH-001.pdf").status_code == 200


def test_manual_pages_use_a_constant_number_of_queries(
    client, agent, supervisor, approver, effective, on_commit, django_assert_max_num_queries
):
    first = effective("CC-CH-001")
    client.force_login(agent)
    with django_assert_max_num_queries(11):  # 1 of them: the unread notifications badge
        client.get("/manual/")
    # Built: 3 of them the agent's reading panel; 2 their feedback and its step list; 1 the
    # badge; 1 the page cache's key (kept pages: tests/test_page_cache.py); 1 the versions in
    # other languages
    with django_assert_max_num_queries(21):
        client.get("/manual/CC-CH-001/")
    counts = []
    for round_ in range(2):
        for i in range(4):  # more procedures, more revisions, more signatures
            effective(f"CC-Q{round_}-{i:03d}")
        with on_commit():
            make_effective(
                services.start_revision(procedure=first.procedure, author=supervisor), approver
            )
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as toc, CaptureQueriesContext(connection):
            client.get("/manual/")
        with CaptureQueriesContext(connection) as one:
            client.get("/manual/CC-CH-001/")
        counts.append((len(toc), len(one)))

    assert counts[0] == counts[1]


def test_the_whole_manual_is_one_pdf_with_contents_and_bookmarks(
    client, agent, effective, tmp_path
):
    for code, title in (
        ("CC-CH-001", "Answering a call"),
        ("CC-CH-002", "Placing a caller on hold"),
    ):
        effective(code, title=title)
    build = ManualBuild.objects.filter(status="DONE").latest("pk")
    client.force_login(agent)

    served = b"".join(client.get("/manual.pdf").streaming_content)
    call_command("export_manual", "-o", str(tmp_path / "manual.pdf"))
    exported = PdfReader(tmp_path / "manual.pdf")

    reader = PdfReader(io.BytesIO(served), strict=True)  # a well-formed file, read strictly
    assert hashlib.sha256(served).hexdigest() == build.sha256
    assert all(p.mediabox.width > 500 and "/Font" in p["/Resources"] for p in reader.pages)
    first_pages = " ".join(" ".join(reader.pages[i].extract_text().split()) for i in range(2))
    assert (
        "Manual of standard operating procedures" in first_pages and "2 procedures" in first_pages
    )
    titles = [item.title for item in reader.outline]
    assert titles == [
        "Contents",
        "CC-CH-001 Answering a call",
        "CC-CH-002 Placing a caller on hold",
    ]
    second_start = reader.get_destination_page_number(reader.outline[2])
    assert "CC-CH-002" in reader.pages[second_start].extract_text()
    assert (
        f"{second_start + 1}" in first_pages.split("Placing a caller on hold")[1][:20]
    )  # its page in the contents
    assert len(exported.pages) == len(reader.pages)


def test_the_manual_pdf_shows_progress_while_a_build_runs(client, agent, effective):
    ManualBuild.objects.all().delete()
    client.force_login(agent)
    ManualBuild.objects.create(status="RUNNING", procedures_done=3, procedures_total=10)

    response = client.get("/manual.pdf")

    assert response.status_code == 503
    assert "3 of 10 procedures done." in page(response)
    assert '<meta http-equiv="refresh"' in page(response)


def test_the_cached_contents_change_the_moment_the_manual_does(
    client, agent, supervisor, approver, effective, on_commit
):
    from unittest import mock

    first = effective("CC-CH-001", title="Answering an inbound call")
    client.force_login(agent)
    assert "Answering an inbound call" in page(client.get("/manual/"))  # now cached

    effective("CC-CH-002", title="Placing a caller on hold")  # a transition: on the audit trail
    assert "Placing a caller on hold" in page(client.get("/manual/"))

    second = submit(services.start_revision(procedure=first.procedure, author=supervisor))
    when = timezone.now() + datetime.timedelta(days=2)
    with on_commit():
        sign(second, approver, effective_at=when)

    def revision_listed(html):
        row = re.search(r'<tr><td><a href="/manual/CC-CH-001/">.*?</tr>', html, re.S).group(0)
        return re.findall(r"<td>(\d+)</td>", row)

    assert revision_listed(page(client.get("/manual/"))) == ["1"]  # revision 2's date has not come
    later = when + datetime.timedelta(seconds=1)
    with (
        mock.patch("django.utils.timezone.now", return_value=later),
        mock.patch("django.utils.timezone.localdate", return_value=timezone.localdate()),
    ):  # the same day, no publish_due yet, no new audit event: only the date has passed
        assert revision_listed(page(client.get("/manual/"))) == ["2"]


def test_a_procedure_that_cannot_be_rendered_is_left_out_of_the_manual_and_named(
    client, agent, controller, effective, on_commit, monkeypatch
):
    from procedures import manual_pdf, tasks
    from procedures.rendering.pdf import RenderRefused

    effective("CC-CH-001", title="Answering a call")
    broken = effective("CC-CH-002", title="Placing a caller on hold")
    real = manual_pdf._stored_pdf

    def stored_pdf(revision):  # as if its PDF were missing and rendering it failed
        if revision.pk == broken.pk:
            raise RenderRefused("The document is nested too deeply to render.")
        return real(revision)

    monkeypatch.setattr(manual_pdf, "_stored_pdf", stored_pdf)
    with on_commit():
        build = tasks.queue_manual_build()

    build.refresh_from_db()
    assert build.status == "DONE"
    assert build.left_out == [
        {
            "code": "CC-CH-002",
            "number": 1,
            "title": "Placing a caller on hold",
            "reason": "The document is nested too deeply to render.",
        }
    ]
    with build.file.open("rb") as handle:
        reader = PdfReader(handle)
        cover = " ".join(reader.pages[0].extract_text().split())
        assert [item.title for item in reader.outline] == ["Contents", "CC-CH-001 Answering a call"]
    assert "Not included" in cover and "CC-CH-002" in cover and "nested too deeply" in cover
    client.force_login(controller)
    desk = page(client.get(reverse("desk:index")))
    assert "Left out of the manual PDF" in desk and "CC-CH-002" in desk
    client.force_login(agent)
    assert "Left out of the manual PDF" not in page(client.get("/manual/"))


def test_reading_the_manual_pdf_writes_nothing(client, agent, effective, on_commit):
    effective("CC-CH-001")
    ManualBuild.objects.all().delete()
    client.force_login(agent)

    response = client.get("/manual.pdf")

    assert response.status_code == 503
    assert "Build the manual PDF now" in page(response)
    assert '<meta http-equiv="refresh"' not in page(response)
    assert not ManualBuild.objects.exists()
    with on_commit():
        asked = client.post("/manual.pdf")
    assert asked.status_code == 302
    assert ManualBuild.objects.get().status == "DONE"
