"""The JSON API (/api/v1/): keys and their scopes, what each caller sees and may do, problem
details, ETags, rate limits, and the acts (acknowledge, feedback) through the same services."""

import pytest
from django.core.cache import cache
from django.test import Client

from procedures import integrations, workflow
from procedures.models import Acknowledgement, ApiKey, AuditEvent, CallReason, Feedback, Team
from procedures.steps import StepData
from tests.factories import UserFactory, make_effective, new_procedure, save, sign

FLOW = [
    StepData("a", "Greet the caller.", kind="ACTION"),
    StepData("q", "Is the caller **verified**?", kind="DECISION", yes="c", no="d", role="Agent"),
    StepData("c", "Process the refund.", kind="ACTION", next="e"),
    StepData("d", "Verify the caller first.", kind="ACTION"),
    StepData("e", "Close the call.", kind="END"),
]


@pytest.fixture(autouse=True)
def fresh_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def team(db, supervisor):
    return Team.objects.create(name="Billing", supervisor=supervisor)


@pytest.fixture
def manual(supervisor, approver, team, agent):
    """CC-E in force (a flowchart), CC-D only a draft, CC-W withdrawn."""
    agent.team = team
    agent.save()
    effective = make_effective(
        save(
            new_procedure(owner=supervisor, code="CC-E", step_format="FLOWCHART"),
            step_format="FLOWCHART",
            steps=FLOW,
            purpose="Refunds <script>alert(1)</script> are **checked**.",
        ),
        approver,
    )
    draft = save(new_procedure(owner=supervisor, code="CC-D", title="Secret draft"))
    withdrawn = make_effective(save(new_procedure(owner=supervisor, code="CC-W")), approver)
    workflow.request_withdrawal(procedure=withdrawn.procedure, actor=supervisor, reason="Old.")
    sign(withdrawn, approver, meaning="APPROVED_FOR_WITHDRAWAL")
    return {"E": effective, "D": draft, "W": withdrawn}


def key(controller, **scopes) -> str:
    return integrations.create_key(
        name=f"key {len(scopes)} {sorted(scopes)}", created_by=controller, **scopes
    ).secret


def api(raw: str | None = None) -> Client:
    client = Client()
    if raw:
        client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {raw}"
    return client


@pytest.fixture
def keys(controller):
    return {
        "manual": key(controller, read_manual=True),
        "reading": key(controller, read_manual=False, read_reading=True),
        "act": key(controller, read_manual=False, act_for_agents=True),
    }


def test_a_key_is_shown_once_and_only_its_hash_is_stored(controller):
    created = integrations.create_key(name="CRM", created_by=controller)

    stored = ApiKey.objects.get(name="CRM")
    assert created.secret.startswith("sopdesk_") and created.secret not in str(stored.__dict__)
    assert integrations.key_for(created.secret) == stored
    assert integrations.key_for(created.secret[:-1] + "x") is None
    assert AuditEvent.objects.filter(action="API_KEY_CREATED", target="CRM").exists()


def test_the_controller_creates_a_key_in_the_admin_and_sees_it_once(client, controller):
    client.force_login(controller)

    response = client.post(
        "/admin/procedures/apikey/add/",
        {"name": "CRM panel", "read_manual": "on", "requests_per_minute": 600},
        follow=True,
    )

    text = response.content.decode()
    stored = ApiKey.objects.get(name="CRM panel")
    assert f"sopdesk_{stored.prefix}_" in text and "will not be shown again" in text
    assert stored.key_hash and stored.created_by == controller
    edit = client.get(f"/admin/procedures/apikey/{stored.pk}/change/").content.decode()
    assert f"sopdesk_{stored.prefix}_…" in edit and "will not be shown again" not in edit


def test_a_key_needs_a_scope_and_only_a_controller_manages_keys(client, controller, manager):
    client.force_login(controller)
    response = client.post(
        "/admin/procedures/apikey/add/", {"name": "Nothing", "requests_per_minute": 5}
    )
    assert "Choose at least one scope" in response.content.decode()
    assert not ApiKey.objects.exists()

    manager.is_staff = True
    manager.save()
    client.force_login(manager)
    assert client.get("/admin/procedures/apikey/").status_code == 403


def test_a_revoked_key_is_refused_from_the_next_request(controller, manual):
    raw = key(controller, read_manual=True)
    assert api(raw).get("/api/v1/procedures/").status_code == 200

    integrations.revoke_key(key=ApiKey.objects.get(), actor=controller)

    response = api(raw).get("/api/v1/procedures/")
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert "revoked" in response.json()["detail"]
    assert AuditEvent.objects.filter(action="API_KEY_REVOKED").count() == 1


def test_no_credentials_is_a_problem_document(db):
    response = api().get("/api/v1/procedures/")

    assert response.status_code in (401, 403)
    body = response.json()
    assert response["Content-Type"] == "application/problem+json"
    assert body["status"] == response.status_code and body["type"].startswith("https://")


def test_an_unknown_address_under_the_api_is_a_problem_404(db):
    response = api().get("/api/v1/nothing-here/")

    assert response.status_code == 404 and response["Content-Type"] == "application/problem+json"


def test_the_procedure_in_force_has_its_elements_steps_and_signatures(controller, manual):
    raw = key(controller, read_manual=True)

    body = api(raw).get("/api/v1/procedures/cc-e/").json()

    assert body["code"] == "CC-E" and body["revision"] == 1 and body["in_force"] is True
    purpose = body["elements"]["purpose"]
    assert "<script>" not in purpose["html"] and "<strong>checked</strong>" in purpose["html"]
    assert purpose["text"].startswith("Refunds") and "<" not in purpose["text"].replace(
        "<script>", ""
    )
    steps = {s["number"]: s for s in body["steps"]}
    assert steps["2"]["kind"] == "DECISION" and (steps["2"]["yes"], steps["2"]["no"]) == ("3", "4")
    assert steps["2"]["role"] == "Agent" and steps["3"]["next"] == "5"
    assert steps["5"]["kind"] == "END"
    assert [m["name"] for m in body["measures"]] == ["Service level"]
    assert [(s["meaning"], s["validity"]) for s in body["signatures"]] == [("APPROVED", "Valid")]
    assert body["links"]["pdf"].endswith("/manual/CC-E/rev/1.pdf")


def test_a_procedure_read_sends_an_etag_and_304_while_nothing_changed(controller, manual):
    client = api(key(controller, read_manual=True))
    first = client.get("/api/v1/procedures/CC-E/")

    again = client.get("/api/v1/procedures/CC-E/", HTTP_IF_NONE_MATCH=first["ETag"])

    assert first.status_code == 200 and first["ETag"].startswith('"')
    assert again.status_code == 304 and not again.content
    assert client.get("/api/v1/procedures/CC-E/", HTTP_IF_NONE_MATCH='"other"').status_code == 200


def test_the_list_is_what_is_in_force_in_code_order_with_changed_since(
    controller, manual, supervisor, approver
):
    make_effective(save(new_procedure(owner=supervisor, code="CC-A")), approver)
    client = api(key(controller, read_manual=True))

    body = client.get("/api/v1/procedures/").json()
    later = client.get("/api/v1/procedures/", {"changed_since": "2999-01-01T00:00:00Z"}).json()
    bad = client.get("/api/v1/procedures/", {"changed_since": "yesterday"})

    assert [p["code"] for p in body["results"]] == ["CC-A", "CC-E"]
    assert body["count"] == 2 and later["count"] == 0
    assert bad.status_code == 400 and "changed_since" in bad.json()["errors"]


def test_the_list_costs_the_same_queries_for_many_procedures(
    controller, manual, supervisor, approver, django_assert_max_num_queries
):
    client = api(key(controller, read_manual=True))
    client.get("/api/v1/procedures/")
    for n in range(6):
        make_effective(save(new_procedure(owner=supervisor, code=f"CC-M{n}")), approver)

    with django_assert_max_num_queries(4):
        response = client.get("/api/v1/procedures/")
    assert response.json()["count"] == 7


def test_a_cached_procedure_read_costs_few_queries(
    controller, manual, django_assert_max_num_queries
):
    client = api(key(controller, read_manual=True))
    client.get("/api/v1/procedures/CC-E/")

    with django_assert_max_num_queries(4):
        assert client.get("/api/v1/procedures/CC-E/").status_code == 200


# --- The permission matrix: each scope × each endpoint × a draft, an effective, a withdrawn


def _who(keys, agent, who: str) -> tuple[Client, str]:
    if who == "session":
        client = Client()
        client.force_login(agent)
        return client, ""
    return api(keys[who]), "agent" if who == "act" else ""


READS = [
    # (address, {state: status for a caller who may read the manual})
    ("/api/v1/procedures/CC-{x}/", {"D": 404, "E": 200, "W": 410}),
    ("/api/v1/procedures/CC-{x}/revisions/1/", {"D": 404, "E": 200, "W": 200}),
]


@pytest.mark.parametrize("who", ["manual", "reading", "act", "session"])
@pytest.mark.parametrize("address,expected", READS)
@pytest.mark.parametrize("state", ["D", "E", "W"])
def test_reads_by_scope_and_state(keys, agent, manual, who, address, expected, state):
    client, acting = _who(keys, agent, who)

    response = client.get(address.format(x=state))

    assert response.status_code == (403 if who == "reading" else expected[state])
    if response.status_code != 200:
        assert "Secret draft" not in response.content.decode()


@pytest.mark.parametrize("who", ["manual", "reading", "act", "session"])
def test_lists_and_search_never_show_a_draft_or_a_withdrawn_procedure(keys, agent, manual, who):
    client, acting = _who(keys, agent, who)

    listing = client.get("/api/v1/procedures/")
    found = client.get("/api/v1/search/", {"q": "Answering"})
    drafts = client.get("/api/v1/search/", {"q": "Secret"})

    if who == "reading":
        assert listing.status_code == found.status_code == 403
        return
    assert [p["code"] for p in listing.json()["results"]] == ["CC-E"]
    assert [h["code"] for h in found.json()["results"]] == ["CC-E"]
    assert drafts.json()["count"] == 0


@pytest.mark.parametrize(
    "who,expected", [("manual", 404), ("reading", 200), ("act", 200), ("session", 200)]
)
def test_an_agents_reading_by_scope(keys, agent, manual, who, expected):
    client, acting = _who(keys, agent, who)

    to_read = client.get("/api/v1/agents/agent/to-read/")
    acknowledged = client.get("/api/v1/agents/agent/acknowledgements/")

    assert to_read.status_code == acknowledged.status_code == expected
    if expected == 200:
        assert [i["code"] for i in to_read.json()] == ["CC-E"]


@pytest.mark.parametrize(
    "who,expected", [("manual", 403), ("reading", 200), ("act", 403), ("session", 403)]
)
def test_team_reading_status_by_scope(keys, agent, manual, team, who, expected):
    client, acting = _who(keys, agent, who)

    teams = client.get("/api/v1/teams/")
    one = client.get(f"/api/v1/teams/{team.pk}/reading/")

    assert teams.status_code == expected and one.status_code in (expected, 404)
    if expected == 200:
        assert teams.json()[0]["agents"] == 1
        assert teams.json()[0]["reading_url"].endswith(f"/api/v1/teams/{team.pk}/reading/")
        assert one.json()["outstanding"] == 1
        assert one.json()["by_agent"][0]["username"] == "agent"


@pytest.mark.parametrize("who", ["manual", "reading", "act", "session"])
@pytest.mark.parametrize("state,expected", [("D", 404), ("E", 201), ("W", 403)])
def test_acknowledging_by_scope_and_state(keys, agent, manual, who, state, expected):
    client, acting = _who(keys, agent, who)
    body = {"agent": "agent"} if who in ("manual", "reading", "act") else {}

    response = client.post(
        f"/api/v1/procedures/CC-{state}/revisions/1/acknowledgements/",
        body,
        content_type="application/json",
    )

    allowed = who in ("act", "session")  # the others may not act for an agent at all
    assert response.status_code == (expected if allowed else 403)
    assert Acknowledgement.objects.exists() == (allowed and expected == 201)


def test_a_key_acknowledges_for_an_agent_once_and_it_is_on_the_audit_trail(keys, agent, manual):
    client = api(keys["act"])

    first = client.post(
        "/api/v1/procedures/CC-E/revisions/1/acknowledgements/",
        {"agent": "agent"},
        content_type="application/json",
    )
    second = client.post(
        "/api/v1/procedures/CC-E/revisions/1/acknowledgements/",
        {"agent": "agent"},
        content_type="application/json",
    )

    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["agent"] == "agent" and Acknowledgement.objects.count() == 1
    assert AuditEvent.objects.filter(action="ACKNOWLEDGED", actor=agent).count() == 1
    assert client.get("/api/v1/agents/agent/to-read/").json() == []


def test_a_key_never_acts_for_a_desk_user(keys, manual, supervisor, manager):
    client = api(keys["act"])

    for username in ("supervisor", "manager", "nobody"):
        response = client.post(
            "/api/v1/procedures/CC-E/revisions/1/feedback/",
            {"agent": username, "text": "Step 3 is wrong."},
            content_type="application/json",
        )
        assert response.status_code == 404
    assert not Feedback.objects.exists()


def test_a_key_acting_must_name_the_agent(keys, manual):
    response = api(keys["act"]).post(
        "/api/v1/procedures/CC-E/revisions/1/acknowledgements/", {}, content_type="application/json"
    )

    assert response.status_code == 400 and "agent" in response.json()["errors"]


def test_feedback_on_a_step_reaches_the_owner(keys, agent, manual, supervisor):
    response = api(keys["act"]).post(
        "/api/v1/procedures/CC-E/revisions/1/feedback/",
        {"agent": "agent", "step": "3", "text": "The refund screen moved."},
        content_type="application/json",
    )

    assert response.status_code == 201
    feedback = Feedback.objects.get()
    assert (feedback.author, feedback.step_number, feedback.element) == (agent, "3", "STEPS")
    assert supervisor.notifications.filter(kind="FEEDBACK_RECEIVED").exists()


def test_feedback_on_a_step_that_does_not_exist_is_refused(keys, agent, manual):
    response = api(keys["act"]).post(
        "/api/v1/procedures/CC-E/revisions/1/feedback/",
        {"agent": "agent", "step": "9", "text": "Hm."},
        content_type="application/json",
    )

    assert response.status_code == 400 and "step" in response.json()["errors"]
    assert not Feedback.objects.exists()


def test_a_session_write_needs_the_csrf_token(agent, manual):
    client = Client(enforce_csrf_checks=True)
    client.force_login(agent)

    response = client.post(
        "/api/v1/procedures/CC-E/revisions/1/acknowledgements/", {}, content_type="application/json"
    )

    assert response.status_code == 403 and "CSRF" in response.json()["detail"]
    assert not Acknowledgement.objects.exists()


def test_a_session_read_needs_no_csrf_token(agent, manual):
    client = Client(enforce_csrf_checks=True)
    client.force_login(agent)

    response = client.get("/api/v1/procedures/CC-E/")

    assert response.status_code == 200 and response.json()["code"] == "CC-E"


@pytest.mark.parametrize("accept", ["", "*/*", "application/json", "application/json; q=0.9"])
def test_a_caller_accepting_json_gets_json(keys, manual, accept):
    headers = {"HTTP_ACCEPT": accept} if accept else {}

    response = api(keys["manual"]).get("/api/v1/procedures/CC-E/", **headers)

    assert response.status_code == 200 and response["Content-Type"] == "application/json"


def test_a_caller_accepting_only_another_format_is_told_406(keys, manual):
    client = api(keys["manual"])

    refused = client.get("/api/v1/procedures/CC-E/", HTTP_ACCEPT="application/xml")
    unknown = client.get("/api/v1/procedures/CC-E/", {"format": "xml"})

    assert refused.status_code == 406 and refused.json()["status"] == 406
    assert unknown.status_code == 404


def test_a_supervisor_sees_their_teams_reading_not_anothers(
    client, manual, team, supervisor2, agent
):
    client.force_login(supervisor2)
    assert client.get("/api/v1/agents/agent/to-read/").status_code == 404
    assert client.get(f"/api/v1/teams/{team.pk}/reading/").status_code == 404

    client.force_login(team.supervisor)
    assert client.get("/api/v1/agents/agent/to-read/").status_code == 200


# --- Call reasons


def test_lookup_gives_the_procedure_for_a_reason_in_the_agents_language(
    keys, agent, manual, supervisor, approver
):
    translation = make_effective(
        save(
            new_procedure(
                owner=supervisor,
                code="CC-E-HU",
                language="hu",
                translation_of=manual["E"].procedure,
            ),
            title="Visszatérítés",
            step_format="FLOWCHART",
            steps=FLOW,
        ),
        approver,
    )
    CallReason.objects.create(code="REFUND").procedures.add(manual["E"].procedure)
    hungarian = UserFactory(username="hu-agent", role="Agent", language="hu")

    english = api(keys["manual"]).get("/api/v1/lookup/", {"reason": "refund"}).json()
    for_her = (
        api(keys["act"])
        .get("/api/v1/lookup/", {"reason": "REFUND", "agent": hungarian.username})
        .json()
    )

    assert english["reason"] == "REFUND" and [p["code"] for p in english["procedures"]] == ["CC-E"]
    assert [p["code"] for p in for_her["procedures"]] == [translation.procedure.code]
    assert for_her["language"] == "hu"


def test_lookup_of_an_unknown_reason_or_none_given(keys, manual):
    client = api(keys["manual"])

    assert client.get("/api/v1/lookup/", {"reason": "NOPE"}).status_code == 404
    assert client.get("/api/v1/lookup/").status_code == 400


def test_a_reason_mapped_to_a_draft_or_withdrawn_procedure_gives_nothing(keys, manual):
    reason = CallReason.objects.create(code="CARD_LOST")
    reason.procedures.add(manual["D"].procedure, manual["W"].procedure)

    body = api(keys["manual"]).get("/api/v1/lookup/", {"reason": "CARD_LOST"}).json()

    assert body["procedures"] == []


# --- Limits


def test_a_key_over_its_rate_gets_429_with_retry_after_until_the_next_minute(
    controller, manual, monkeypatch
):
    from procedures.api import auth

    raw = integrations.create_key(name="Slow", created_by=controller, requests_per_minute=2).secret
    client = api(raw)
    monkeypatch.setattr(auth, "_now", lambda: 1_800_000_010.0)  # 10 s into a minute

    statuses = [client.get("/api/v1/procedures/").status_code for _ in range(3)]
    refused = client.get("/api/v1/procedures/")
    monkeypatch.setattr(auth, "_now", lambda: 1_800_000_061.0)  # the next minute
    again = client.get("/api/v1/procedures/")

    assert statuses == [200, 200, 429]
    assert int(refused["Retry-After"]) == 50 and refused.json()["status"] == 429
    assert again.status_code == 200


def test_a_session_has_its_own_rate(agent, manual, settings, monkeypatch):
    from procedures.api import auth

    settings.SOPDESK_API_SESSION_RATE = "1/min"
    monkeypatch.setattr(auth, "_now", lambda: 1_800_000_010.0)
    client = Client()
    client.force_login(agent)

    statuses = [client.get("/api/v1/procedures/").status_code for _ in range(2)]

    assert statuses == [200, 429]


def test_the_schema_is_a_valid_openapi_document(client):
    from openapi_spec_validator import validate

    response = client.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")

    schema = response.json()
    validate(schema)
    assert schema["openapi"].startswith("3.")
    assert {"/api/v1/lookup/", "/api/v1/procedures/{code}/"} <= set(schema["paths"])


def test_the_docs_are_served_from_sop_desk_itself(client):
    page = client.get("/api/v1/docs/").content.decode()

    assert "swagger-ui" in page and "cdn" not in page.lower()


def test_call_reasons_list_only_procedures_in_force(keys, manual, controller):
    integrations.set_call_reasons(
        procedure=manual["E"].procedure, codes=["REFUND"], actor=controller
    )
    for state in ("D", "W"):
        integrations.set_call_reasons(
            procedure=manual[state].procedure, codes=["REFUND", "SECRET"], actor=controller
        )

    body = api(keys["manual"]).get("/api/v1/call-reasons/").json()

    assert {r["code"]: r["procedures"] for r in body["results"]} == {
        "REFUND": ["CC-E"],
        "SECRET": [],
    }


@pytest.mark.parametrize(
    "header", ["Bearer sopdesk_\x00x_y", "Bearer sopdesk_ZZZZZZZZ_x", "Bearer sopdesk__", "Bearer"]
)
def test_a_malformed_key_is_refused_without_looking_it_up(db, header):
    client = Client()
    client.defaults["HTTP_AUTHORIZATION"] = header

    response = client.get("/api/v1/procedures/")

    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"


@pytest.mark.parametrize("tag", ["W/{etag}", "*", '"other", {etag}'])
def test_a_weak_a_star_or_a_listed_etag_gets_304(controller, manual, tag):
    client = api(key(controller, read_manual=True))
    etag = client.get("/api/v1/procedures/CC-E/")["ETag"]

    response = client.get("/api/v1/procedures/CC-E/", HTTP_IF_NONE_MATCH=tag.format(etag=etag))

    assert response.status_code == 304


def test_a_kept_answer_changes_as_soon_as_a_new_revision_is_in_force(
    controller, manual, supervisor, approver
):
    client = api(key(controller, read_manual=True))
    first = client.get("/api/v1/procedures/CC-E/")

    draft = workflow_start_revision(manual["E"], supervisor)
    make_effective(
        save(
            draft,
            step_format="FLOWCHART",
            steps=FLOW,
            title="Refunds, new",
            change_summary="A new title.",
        ),
        approver,
    )

    again = client.get("/api/v1/procedures/CC-E/", HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 200 and again.json()["revision"] == 2
    assert again.json()["title"] == "Refunds, new"


def workflow_start_revision(revision, owner):
    from procedures import services

    return services.start_revision(procedure=revision.procedure, author=owner)


def test_the_teams_list_costs_the_same_queries_for_many_teams(
    keys, manual, django_assert_max_num_queries
):
    client = api(keys["reading"])
    client.get("/api/v1/teams/")
    for n in range(8):
        lead = UserFactory(username=f"lead{n}", role="Supervisor")
        team = Team.objects.create(name=f"Team {n}", supervisor=lead)
        for a in range(3):
            UserFactory(username=f"t{n}a{a}", role="Agent", team=team)

    with django_assert_max_num_queries(4):
        response = client.get("/api/v1/teams/")

    assert len(response.json()) == 9 and {t["agents"] for t in response.json()} == {1, 3}


def test_withdrawn_procedures_are_listed_for_systems_that_poll(keys, manual):
    client = api(keys["manual"])

    body = client.get("/api/v1/withdrawn/").json()
    none_since = client.get("/api/v1/withdrawn/", {"changed_since": "2999-01-01T00:00:00Z"}).json()

    assert [(p["code"], p["reason"]) for p in body["results"]] == [("CC-W", "Old.")]
    assert none_since["count"] == 0
    assert api(keys["reading"]).get("/api/v1/withdrawn/").status_code == 403


def test_lookup_refuses_a_language_sop_desk_does_not_speak(keys, manual):
    CallReason.objects.create(code="REFUND").procedures.add(manual["E"].procedure)

    response = api(keys["manual"]).get("/api/v1/lookup/", {"reason": "REFUND", "language": "xx"})

    assert response.status_code == 400 and "language" in response.json()["errors"]


@pytest.mark.parametrize("address", ["/api/v1/search/?q=a%00b", "/api/v1/lookup/?reason=%00"])
def test_a_nul_in_the_query_is_a_problem_400_not_an_html_page(keys, address):
    response = api(keys["manual"]).get(address)

    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["title"] == "The request is not valid"


def test_mapping_a_call_reason_in_the_admin_is_on_the_procedures_audit_trail(
    client, controller, manual
):
    client.force_login(controller)
    procedure = manual["E"].procedure

    response = client.post(
        "/admin/procedures/callreason/add/",
        {"code": "REFUND", "description": "Refunds", "procedures": [procedure.pk]},
    )

    assert response.status_code == 302
    event = AuditEvent.objects.get(action="CALL_REASONS_CHANGED", procedure=procedure)
    assert event.actor == controller and event.changes["call_reasons"] == [[], ["REFUND"]]
