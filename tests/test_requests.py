"""Malformed requests get a clear 4xx answer in the site's layout, never a server error, and
change nothing."""

import pytest
from django.urls import reverse

from procedures.models import AuditEvent
from tests.factories import make_effective, new_procedure

NUL_URLS = [
    "/desk/?q=%00",
    "/manual/kpis/?q=%00",
    "/desk/audit/?procedure=%00",
    "/manual/CC%00/",
    "/manual/CC%00.pdf",
    "/manual/search/?q=a%00b",
    "/admin/procedures/procedure/?q=%00",
    "/admin/procedures/user/?groups__id__exact=%00",
    "/desk/?category=1%00",
]


@pytest.mark.parametrize("url", NUL_URLS)
def test_a_nul_character_anywhere_in_the_address_is_a_400_page(client, controller, url):
    client.force_login(controller)

    response = client.get(url)

    assert response.status_code == 400
    assert "SOP Desk could not read this request" in response.content.decode()


def test_a_nul_character_in_a_form_is_a_400_and_saves_nothing(client, supervisor):
    client.force_login(supervisor)
    before = AuditEvent.objects.count()

    response = client.post(reverse("desk:create"), {"code": "CC-X-1\x00", "title": "t"})

    assert response.status_code == 400
    assert AuditEvent.objects.count() == before


def test_a_nul_character_in_the_session_cookie_is_ignored(client, agent):
    client.cookies["sessionid"] = "abc\x00def"

    response = client.get("/manual/")

    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


@pytest.mark.parametrize(
    "url",
    [
        "/desk/?category=99999999999999999999999",
        "/manual/kpis/?category=99999999999999999999999",
        "/desk/audit/?person=99999999999999999999999",
        "/manual/search/?q=greet&page=99999999999999999999999",
        "/desk/?category=-5",
    ],
)
def test_huge_numbers_in_the_query_find_nothing_instead_of_failing(client, controller, url):
    client.force_login(controller)

    assert client.get(url).status_code == 200


def test_a_huge_revision_number_in_a_comparison_is_a_clear_answer(client, controller, supervisor):
    procedure = make_effective(new_procedure(owner=supervisor)).procedure
    client.force_login(controller)

    response = client.get(
        reverse("desk:compare", kwargs={"code": procedure.code}) + "?from=99999999999999999999&to=1"
    )

    assert response.status_code in (200, 404)


def test_a_server_error_gets_the_styled_page_without_the_requests_context(client, settings):
    from procedures.views.errors import server_error

    response = server_error(None)

    assert response.status_code == 500
    assert "Something went wrong on our side" in response.content.decode()


def test_the_admin_is_branded(client, controller):
    client.force_login(controller)

    page = client.get("/admin/").content.decode()

    assert "SOP Desk administration" in page


def test_every_page_has_a_strict_content_security_policy(client, supervisor):
    revision = new_procedure(owner=supervisor)
    client.force_login(supervisor)

    for url in (
        "/accounts/login/",
        "/desk/",
        reverse("desk:edit", args=[revision.procedure.code, 1]),
    ):
        response = client.get(url)
        policy = response["Content-Security-Policy"]
        assert "script-src 'self'" in policy and "unsafe" not in policy, url
        assert "frame-ancestors 'none'" in policy and "object-src 'none'" in policy


def test_the_policy_built_once_is_the_one_django_csp_builds_and_follows_the_settings(
    client, supervisor, settings
):
    from csp.utils import build_policy

    client.force_login(supervisor)
    first = client.get("/desk/")["Content-Security-Policy"]
    again = client.get("/desk/")["Content-Security-Policy"]

    assert first == again == build_policy()
    settings.CONTENT_SECURITY_POLICY = {
        "DIRECTIVES": {**settings.CONTENT_SECURITY_POLICY["DIRECTIVES"], "img-src": ["'self'"]}
    }
    changed = client.get("/desk/")["Content-Security-Policy"]
    assert "img-src 'self';" in changed + ";" and "data:" not in changed
    settings.DEBUG = True  # Django's debug 404 page keeps its inline styles
    assert "Content-Security-Policy" not in client.get("/desk/NO-SUCH-CODE/")


def test_no_page_holds_an_inline_script(client, supervisor):
    import re

    revision = new_procedure(owner=supervisor)
    client.force_login(supervisor)

    page = client.get(reverse("desk:edit", args=[revision.procedure.code, 1])).content.decode()

    scripts = re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", page)
    assert not scripts, scripts
    assert not re.search(r"\son[a-z]+=", page)
    assert reverse("javascript-catalog") in page


def test_pdfs_and_files_carry_no_page_policy_so_the_browsers_viewer_shows_them(
    client, supervisor, django_capture_on_commit_callbacks
):
    from tests.factories import save

    with django_capture_on_commit_callbacks(execute=True):
        draft = save(new_procedure(owner=supervisor))
    client.force_login(supervisor)

    pdf = client.get(f"/desk/{draft.procedure.code}/rev/1.pdf")

    assert pdf["Content-Type"] == "application/pdf"
    assert "Content-Security-Policy" not in pdf
