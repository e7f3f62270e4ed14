"""Wrong passwords: one counter for signing in (the site and the admin) and for signing, one
message, on the audit trail, e-mailed, unlockable by a document controller; a limit per
network address; a password reset only where SOP Desk has a real mail server."""

import threading

import pytest
from django.db import connection, connections
from django.urls import reverse

from procedures import lockout, workflow
from procedures.models import AccountUnlock, AuditEvent, LoginAttempt
from tests.factories import PASSWORD, UserFactory, new_procedure, sign, submit

LOCKED = "This account is locked after five wrong passwords"


def _login(client, username, password, url="/accounts/login/", address="10.0.0.7"):
    return client.post(url, {"username": username, "password": password}, REMOTE_ADDR=address)


def _wrong_signature(revision, signer):
    with pytest.raises(workflow.SignatureRefused):
        workflow.sign(
            revision=revision,
            signer=signer,
            password="nope",
            meaning="APPROVED",
            seen_status=revision.status,
        )


def test_five_wrong_passwords_lock_sign_in_even_with_the_right_one(
    client, manager, controller, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(5):
            response = _login(client, "manager", "wrong")
            assert "Please enter a correct username and password" in response.content.decode()

    response = _login(client, "manager", PASSWORD)

    assert response.status_code == 200
    assert LOCKED in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert LoginAttempt.objects.filter(user=manager, address="10.0.0.7").count() == 5
    assert AuditEvent.objects.filter(action="LOGIN_FAILED", actor=manager).count() == 5
    assert AuditEvent.objects.filter(action="SIGNING_LOCKED", actor=manager).count() == 1
    (mail,) = [m for m in mailoutbox if m.subject.startswith("Account locked")]
    assert set(mail.to) == {manager.email, controller.email}
    assert "at sign-in" in mail.body


def test_guessing_at_sign_in_counts_towards_the_signing_lockout(supervisor, approver, client):
    revision = submit(new_procedure(owner=supervisor))
    for _ in range(3):
        _login(client, approver.username, "wrong")
    for _ in range(2):
        _wrong_signature(revision, approver)

    with pytest.raises(workflow.SigningLocked, match=LOCKED):
        sign(revision, approver)
    assert LOCKED in _login(client, approver.username, PASSWORD).content.decode()
    revision.refresh_from_db()
    assert revision.status == "IN_REVIEW"


def test_a_locked_signer_cannot_sign_in_either(supervisor, approver, client):
    revision = submit(new_procedure(owner=supervisor))
    for _ in range(5):
        _wrong_signature(revision, approver)

    assert LOCKED in _login(client, approver.username, PASSWORD).content.decode()


def test_the_admin_sign_in_shares_the_lockout(client, controller):
    for _ in range(5):
        _login(client, "controller", "wrong", url="/admin/login/")

    response = _login(client, "controller", PASSWORD, url="/admin/login/")

    assert LOCKED in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_document_controller_unlocks_an_account_and_it_is_audited(client, manager, controller):
    for _ in range(5):
        _login(client, "manager", "wrong")
    assert lockout.locked_until(manager) is not None
    client.force_login(controller)
    page = client.get(reverse("admin:procedures_user_change", args=[manager.pk])).content
    assert "Unlock sign-in and signing" in page.decode()

    response = client.post(
        reverse("admin:procedures_user_changelist"),
        {"action": "unlock", "_selected_action": [manager.pk]},
        follow=True,
    )

    assert "Unlocked: James Okafor." in response.content.decode()
    assert lockout.locked_until(manager) is None
    assert AccountUnlock.objects.get(user=manager).unlocked_by == controller
    assert AuditEvent.objects.filter(action="ACCOUNT_UNLOCKED", actor=controller).count() == 1
    client.logout()
    _login(client, "manager", PASSWORD)
    assert client.session["_auth_user_id"] == str(manager.pk)


def test_wrong_passwords_stay_on_record_after_an_unlock(client, manager, controller):
    for _ in range(5):
        _login(client, "manager", "wrong")

    lockout.unlock(user=manager, by=controller)
    _login(client, "manager", "wrong")

    assert LoginAttempt.objects.filter(user=manager).count() == 6
    assert lockout.locked_until(manager) is None  # one since the unlock


def test_many_wrong_passwords_from_one_address_lock_that_address(client, agent, settings):
    settings.SOPDESK_LOGIN_ADDRESS_ATTEMPTS = 3
    for name in ("alice", "bob", "carol"):
        _login(client, name, "guess", address="192.0.2.9")

    refused = _login(client, "agent", PASSWORD, address="192.0.2.9")
    elsewhere = _login(client, "agent", PASSWORD, address="192.0.2.10")

    assert "Too many wrong passwords came from your network address" in refused.content.decode()
    assert elsewhere.status_code == 302
    assert LoginAttempt.objects.filter(user=None, address="192.0.2.9").count() == 3


def test_the_client_address_comes_from_the_proxy_header_only_when_configured(rf, settings):
    forged = "198.51.100.1, 203.0.113.5"  # the client sent the first, our proxy added the last
    request = rf.get("/", REMOTE_ADDR="10.1.1.1", HTTP_X_FORWARDED_FOR=forged)
    assert lockout.client_address(request) == "10.1.1.1"

    settings.SOPDESK_CLIENT_ADDRESS_HEADER = "HTTP_X_FORWARDED_FOR"
    assert lockout.client_address(request) == "203.0.113.5"
    garbled = rf.get("/", REMOTE_ADDR="10.1.1.1", HTTP_X_FORWARDED_FOR="not-an-address")
    assert lockout.client_address(garbled) == "10.1.1.1"


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
def test_parallel_wrong_passwords_cannot_get_past_five(roles):
    person = UserFactory(username="target", role="Manager")
    barrier = threading.Barrier(12)
    results = []

    def guess():
        try:
            barrier.wait(timeout=30)
            results.append(
                lockout.verify_login(username="target", password="wrong", address="10.9.9.9")
            )
        except lockout.Locked as locked:
            results.append(locked)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=guess) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert LoginAttempt.objects.filter(user=person).count() == 5
    assert sum(isinstance(r, lockout.Locked) for r in results) == 7


def test_password_reset_is_not_offered_without_a_mail_server(client, settings):
    settings.SOPDESK_PASSWORD_RESET = False

    assert "Forgot your password?" not in client.get("/accounts/login/").content.decode()
    assert client.get("/accounts/password_reset/").status_code == 404


def test_password_reset_mails_a_link_to_the_configured_address(client, agent, settings, mailoutbox):
    settings.SOPDESK_PASSWORD_RESET = True
    settings.SOPDESK_BASE_URL = "https://sop.example.org"
    settings.ALLOWED_HOSTS = ["*"]  # even where the Host header is not checked
    assert "Forgot your password?" in client.get("/accounts/login/").content.decode()

    response = client.post(
        "/accounts/password_reset/", {"email": agent.email}, HTTP_HOST="evil.example"
    )

    assert response.status_code == 302
    (mail,) = mailoutbox
    assert "https://sop.example.org/accounts/reset/" in mail.body
    assert "evil.example" not in mail.body
    assert "Your username is agent." in mail.body


def test_guesses_at_the_password_change_form_count_towards_the_lockout(client, manager):
    client.force_login(manager)
    for _ in range(5):
        response = client.post(
            "/accounts/password_change/",
            {
                "old_password": "guess",
                "new_password1": "a b c d e f g",
                "new_password2": "a b c d e f g",
            },
        )
        assert response.status_code == 200

    response = client.post(
        "/accounts/password_change/",
        {
            "old_password": PASSWORD,
            "new_password1": "a b c d e f g",
            "new_password2": "a b c d e f g",
        },
    )

    assert LOCKED in response.content.decode()
    manager.refresh_from_db()
    assert manager.check_password(PASSWORD)
    assert LoginAttempt.objects.filter(user=manager).count() == 5


def test_a_person_added_without_a_password_chooses_one_by_mail(db, client, settings, mailoutbox):
    settings.SOPDESK_PASSWORD_RESET = True
    invited = UserFactory(username="newagent", email="new@example.com", role="Agent")
    invited.set_unusable_password()
    invited.save()

    client.post("/accounts/password_reset/", {"email": "new@example.com"})

    (mail,) = mailoutbox
    assert mail.to == ["new@example.com"] and "/accounts/reset/" in mail.body


def test_guesses_at_an_unknown_name_lock_it_the_same_way(db, client):
    for _ in range(5):
        _login(client, "nobody-here", "guess", address="10.0.0.8")

    response = _login(client, "nobody-here", "guess", address="10.0.0.8")

    assert LOCKED in response.content.decode()  # no hint that the name is unknown


def test_many_locked_accounts_tell_the_controllers_once(
    client, manager, supervisor, controller, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        for name in ("manager", "supervisor"):
            for _ in range(5):
                _login(client, name, "wrong")

    locks = [m for m in mailoutbox if m.subject.startswith("Account locked")]
    assert [sorted(m.to) for m in locks] == [
        sorted([manager.email, controller.email]),
        [supervisor.email],  # the person still hears of it; the controllers have been told
    ]
    assert AuditEvent.objects.filter(action="SIGNING_LOCKED").count() == 2


def test_a_document_controller_lifts_the_lock_on_a_network_address(
    client, agent, controller, settings
):
    settings.SOPDESK_LOGIN_ADDRESS_ATTEMPTS = 3
    for name in ("alice", "bob", "carol"):
        _login(client, name, "guess", address="192.0.2.9")
    assert lockout.address_locked_until("192.0.2.9") is not None
    client.force_login(controller)
    listing = client.get(reverse("admin:procedures_loginattempt_changelist"))
    assert listing.status_code == 200 and "192.0.2.9" in listing.content.decode()

    response = client.post(
        reverse("admin:procedures_loginattempt_changelist"),
        {
            "action": "unlock_addresses",
            "_selected_action": list(LoginAttempt.objects.values_list("pk", flat=True)),
        },
        follow=True,
    )

    assert "Lifted the lock on: 192.0.2.9." in response.content.decode()
    assert lockout.address_locked_until("192.0.2.9") is None
    assert AuditEvent.objects.filter(
        action="ACCOUNT_UNLOCKED", actor=controller, target="192.0.2.9"
    ).exists()
    client.logout()
    assert _login(client, "agent", PASSWORD, address="192.0.2.9").status_code == 302


def test_only_document_controllers_see_failed_sign_ins(client, manager):
    client.force_login(manager)

    response = client.get(reverse("admin:procedures_loginattempt_changelist"))

    assert response.status_code in (302, 403)
