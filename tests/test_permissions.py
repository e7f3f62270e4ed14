"""Every /desk/ view for every role: who gets in, who is refused (403, never a crash)."""

import pytest
from django.urls import reverse

from procedures import permissions
from tests.factories import PASSWORD, new_procedure, save

ROLES = ["anonymous", "agent", "owner", "other_supervisor", "manager", "controller"]

# view name, method, expected status per role (in the order of ROLES); "login" = redirected to log in
MATRIX = [
    ("index", "get", ["login", 403, 200, 200, 200, 200]),
    ("create", "get", ["login", 403, 200, 200, 403, 200]),
    ("procedure", "get", ["login", 403, 200, 200, 200, 200]),
    ("revision", "get", ["login", 403, 200, 200, 200, 200]),
    ("edit", "get", ["login", 403, 200, 403, 403, 403]),
    ("edit", "post", ["login", 403, 302, 403, 403, 403]),
    ("compare", "get", ["login", 403, 200, 200, 200, 200]),
    ("preview", "post", ["login", 403, 200, 200, 403, 200]),
    ("start_revision", "post", ["login", 403, 302, 403, 403, 403]),
    # review and approval; 400 = the role may, the draft's state refuses (the page says why)
    ("submit", "post", ["login", 403, 302, 403, 403, 403]),
    ("sign", "post", ["login", 403, 403, 403, 400, 403]),
    ("return", "post", ["login", 403, 403, 403, 400, 403]),
    ("comment", "post", ["login", 403, 302, 302, 302, 302]),
    ("withdraw", "post", ["login", 403, 400, 403, 403, 400]),
    ("history", "get", ["login", 403, 200, 200, 200, 200]),
    ("audit", "get", ["login", 403, 403, 403, 403, 200]),
    ("revision_pdf", "get", ["login", 403, 200, 200, 200, 200]),  # the watermarked draft
]


@pytest.fixture
def people(agent, supervisor, supervisor2, manager, controller):
    return {
        "anonymous": None,
        "agent": agent,
        "owner": supervisor,
        "other_supervisor": supervisor2,
        "manager": manager,
        "controller": controller,
    }


def _url(name, revision):
    code, number = revision.procedure.code, revision.number
    if name in ("index", "create", "preview", "audit"):
        return reverse(f"desk:{name}")
    if name in ("revision", "edit", "submit", "sign", "return", "comment", "revision_pdf"):
        return reverse(f"desk:{name}", kwargs={"code": code, "number": number})
    return reverse(f"desk:{name}", kwargs={"code": code})


def _post_data(name, revision):
    if name == "preview":
        return {"text": "**hi**"}
    if name == "edit":
        return {
            "lock_version": revision.lock_version, "title": "T", "step_format": "SIMPLE",
            "steps-TOTAL_FORMS": 0, "steps-INITIAL_FORMS": 0, "measures-TOTAL_FORMS": 0, "measures-INITIAL_FORMS": 0,
        }  # fmt: skip
    if name == "sign":
        return {"meaning": "APPROVED", "password": PASSWORD, "seen_status": revision.status}
    if name in ("return", "comment"):
        return {"element": "GENERAL", "body": "Step 2 needs the account number."}
    if name == "withdraw":
        return {"reason": "Obsolete."}
    return {}


@pytest.mark.parametrize(
    ("name", "method", "expected"), MATRIX, ids=[f"{m}-{n}" for n, m, _ in MATRIX]
)
@pytest.mark.parametrize("role", ROLES)
def test_desk_permission_matrix(
    client, people, role, name, method, expected, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=name == "revision_pdf"):  # the draft PDF
        draft = save(new_procedure(owner=people["owner"]))
    if people[role]:
        client.force_login(people[role])

    response = getattr(client, method)(_url(name, draft), _post_data(name, draft))

    want = expected[ROLES.index(role)]
    if want == "login":
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    else:
        assert response.status_code == want, response.content[:500]
    if want == 403:
        assert b"You cannot open this page" in response.content
    if want == 400:
        assert b'class="message message--error"' in response.content


def test_an_agent_is_told_why_the_desk_is_closed(client, agent, supervisor):
    draft = new_procedure(owner=supervisor)
    client.force_login(agent)

    response = client.get(reverse("desk:edit", kwargs={"code": draft.procedure.code, "number": 1}))

    assert response.status_code == 403
    assert (
        "The desk is for supervisors, managers and document controllers."
        in response.content.decode()
    )
    assert draft.procedure.code not in response.content.decode()


def test_a_superuser_counts_as_document_controller(django_user_model):
    admin = django_user_model.objects.create_superuser("root", "root@example.com", "x")

    assert permissions.is_document_controller(admin)
    assert permissions.can_use_desk(admin)


def test_a_role_taken_away_counts_from_the_next_request(db, client):
    from django.contrib.auth.models import Group

    from tests.factories import UserFactory

    person = UserFactory(role="Supervisor")
    client.force_login(person)
    assert client.get("/desk/").status_code == 200

    person.groups.remove(Group.objects.get(name="Supervisor"))

    assert client.get("/desk/").status_code == 403
