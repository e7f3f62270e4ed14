"""Webhooks (webhooks.py): an integration is told when a revision comes into force or a
procedure is withdrawn, by a signed POST from the worker after the commit, retried with
backoff; never to a private address unless allowed, never following a redirect. A real HTTP
receiver listens on 127.0.0.1 for each test."""

import io
import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.management import call_command
from django.urls import reverse

from procedures import integrations, tasks, webhooks, workflow
from procedures.models import AuditEvent, WebhookDelivery, WebhookSubscription
from tests.factories import UserFactory, make_effective, new_procedure, save, sign

Status = WebhookDelivery.Status


class Receiver:
    """An HTTP server that records every request and answers from a script (then 200)."""

    def __init__(self):
        self.requests: list[dict] = []
        self.answers: list[tuple[int, dict]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                receiver.requests.append(
                    {"path": self.path, "headers": self.headers, "body": self.rfile.read(length)}
                )
                status, headers = receiver.answers.pop(0) if receiver.answers else (200, {})
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            do_GET = do_POST

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver(settings):
    settings.SOPDESK_WEBHOOK_ALLOW_PRIVATE = True
    settings.SOPDESK_WEBHOOK_TIMEOUT = 5
    running = Receiver()
    yield running
    running.stop()


@pytest.fixture
def key(controller):
    return integrations.create_key(name="CRM", created_by=controller).key


def subscribe(key, url, **switches) -> WebhookSubscription:
    subscription = integrations.prepare_subscription(
        WebhookSubscription(api_key=key, url=url, **switches)
    )
    subscription.save()
    return subscription


def in_force(supervisor, approver, captured, code="CC-WH-001"):
    """A procedure whose first revision came into force; (revision, deliveries' callbacks)."""
    with captured(execute=False) as callbacks:
        revision = make_effective(
            save(new_procedure(owner=supervisor, code=code), title="Refunds by card"), approver
        )
    return revision, callbacks


def hand_to_worker(callbacks) -> int:
    """Run the deliveries queued after the commit (the immediate backend sends at once)."""
    queued = [c for c in callbacks if getattr(c, "func", None) == tasks.deliver_webhook.enqueue]
    for callback in queued:
        callback()
    return len(queued)


def test_a_revision_coming_into_force_is_posted_once_signed_to_the_subscriber(
    receiver, key, supervisor, approver, django_capture_on_commit_callbacks
):
    subscription = subscribe(key, f"{receiver.url}/hooks/sop?source=desk")

    revision, callbacks = in_force(supervisor, approver, django_capture_on_commit_callbacks)
    assert receiver.requests == []  # nothing is sent inside the transaction
    hand_to_worker(callbacks)

    [request] = receiver.requests
    headers, body = request["headers"], request["body"]
    assert request["path"] == "/hooks/sop?source=desk"
    assert headers["Content-Type"] == "application/json"
    assert headers["User-Agent"] == "SOPDesk-Webhooks/1"
    assert headers["SOPDesk-Event"] == "REVISION_IN_FORCE"
    assert webhooks.verify(subscription.secret, body, headers["SOPDesk-Signature"])
    assert headers["SOPDesk-Signature"].startswith(f"t={headers['SOPDesk-Timestamp']},v1=")
    sent = json.loads(body)
    assert sent["id"] == headers["SOPDesk-Event-Id"]
    assert sent["event"] == "REVISION_IN_FORCE"
    assert sent["procedure"]["code"] == "CC-WH-001"
    assert sent["procedure"]["title"] == "Refunds by card"
    assert sent["procedure"]["api_url"] == "http://testserver/api/v1/procedures/CC-WH-001/"
    assert sent["procedure"]["manual_url"] == "http://testserver/manual/CC-WH-001/"
    assert sent["revision"]["number"] == revision.number
    assert sent["revision"]["api_url"].endswith(f"/CC-WH-001/revisions/{revision.number}/")
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.last_response_status) == (
        Status.DELIVERED,
        1,
        200,
    )
    assert str(delivery.event_id) == sent["id"] and delivery.delivered_at is not None


def test_a_delivery_already_made_is_not_sent_again(
    receiver, key, supervisor, approver, django_capture_on_commit_callbacks
):
    subscribe(key, f"{receiver.url}/hook")
    _revision, callbacks = in_force(supervisor, approver, django_capture_on_commit_callbacks)
    hand_to_worker(callbacks)
    delivery = WebhookDelivery.objects.get()

    tasks.deliver_webhook.call(delivery.pk)

    assert len(receiver.requests) == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (Status.DELIVERED, 1)


def test_a_withdrawal_is_posted_as_procedure_withdrawn(
    receiver, key, supervisor, approver, django_capture_on_commit_callbacks
):
    subscription = subscribe(key, f"{receiver.url}/hook", on_revision_in_force=False)
    revision, _callbacks = in_force(supervisor, approver, django_capture_on_commit_callbacks)
    workflow.request_withdrawal(procedure=revision.procedure, actor=supervisor, reason="Merged.")

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        sign(revision, approver, meaning="APPROVED_FOR_WITHDRAWAL")
    hand_to_worker(callbacks)

    [request] = receiver.requests
    assert request["headers"]["SOPDesk-Event"] == "PROCEDURE_WITHDRAWN"
    assert webhooks.verify(
        subscription.secret, request["body"], request["headers"]["SOPDesk-Signature"]
    )
    sent = json.loads(request["body"])
    assert sent["event"] == "PROCEDURE_WITHDRAWN"
    assert sent["reason"] == "Merged." and sent["withdrawn_at"]
    assert (sent["procedure"]["code"], sent["revision"]["number"]) == ("CC-WH-001", 1)
    assert WebhookDelivery.objects.get().status == Status.DELIVERED


def test_a_failed_delivery_is_tried_again_later_and_then_delivered(
    receiver, key, supervisor, approver, django_capture_on_commit_callbacks
):
    subscribe(key, f"{receiver.url}/hook")
    receiver.answers = [(500, {})]
    _revision, callbacks = in_force(supervisor, approver, django_capture_on_commit_callbacks)

    hand_to_worker(callbacks)

    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.last_response_status) == (
        Status.FAILED,
        1,
        500,
    )
    assert "500" in delivery.last_error
    assert delivery.next_attempt_at > delivery.last_attempt_at
    tasks.deliver_webhook.call(delivery.pk)  # not due yet: nothing sent
    assert len(receiver.requests) == 1

    webhooks.deliver(delivery.pk, now=delivery.next_attempt_at)  # the worker, when it is due

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_response_status) == (
        Status.DELIVERED,
        2,
        200,
    )
    assert delivery.last_error == "" and delivery.next_attempt_at is None
    first, second = receiver.requests
    assert first["headers"]["SOPDesk-Event-Id"] == second["headers"]["SOPDesk-Event-Id"]


def test_the_retry_is_queued_for_its_time_with_a_backend_that_can_wait(
    receiver, key, supervisor, approver, settings, django_capture_on_commit_callbacks
):
    from django_tasks_db.models import DBTaskResult

    subscribe(key, f"{receiver.url}/hook")
    receiver.answers = [(503, {})]
    _revision, _callbacks = in_force(supervisor, approver, django_capture_on_commit_callbacks)
    delivery = WebhookDelivery.objects.get()
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

    tasks.deliver_webhook.call(delivery.pk)

    delivery.refresh_from_db()
    queued = DBTaskResult.objects.filter(task_path="procedures.tasks.deliver_webhook")
    assert [(q.args_kwargs["args"], q.run_after) for q in queued] == [
        ([delivery.pk], delivery.next_attempt_at)
    ]


def test_a_delivery_gives_up_after_its_last_attempt(
    receiver, key, supervisor, approver, django_capture_on_commit_callbacks
):
    subscribe(key, f"{receiver.url}/hook")
    receiver.answers = [(500, {})] * webhooks.MAX_ATTEMPTS
    _revision, callbacks = in_force(supervisor, approver, django_capture_on_commit_callbacks)
    hand_to_worker(callbacks)
    delivery = WebhookDelivery.objects.get()
    waits = []

    while delivery.status == Status.FAILED:
        waits.append(delivery.next_attempt_at - delivery.last_attempt_at)
        webhooks.deliver(delivery.pk, now=delivery.next_attempt_at)
        delivery.refresh_from_db()

    assert waits == list(webhooks.BACKOFF)
    assert (delivery.status, delivery.attempts) == (Status.GAVE_UP, webhooks.MAX_ATTEMPTS)
    assert delivery.next_attempt_at is None
    assert len(receiver.requests) == webhooks.MAX_ATTEMPTS


def test_a_redirect_is_a_failure_and_is_not_followed(
    receiver, key, supervisor, approver, django_capture_on_commit_callbacks
):
    subscribe(key, f"{receiver.url}/hook")
    receiver.answers = [(302, {"Location": f"{receiver.url}/elsewhere"})]
    _revision, callbacks = in_force(supervisor, approver, django_capture_on_commit_callbacks)

    hand_to_worker(callbacks)

    assert [r["path"] for r in receiver.requests] == ["/hook"]
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.last_response_status) == (Status.FAILED, 302)
    assert delivery.last_error == (
        "The receiver answered with a redirect; webhooks do not follow redirects."
    )


def test_a_private_address_is_refused_when_the_setting_is_off(
    receiver, key, supervisor, approver, settings, django_capture_on_commit_callbacks
):
    subscribe(key, f"{receiver.url}/hook")  # entered while private addresses were allowed
    settings.SOPDESK_WEBHOOK_ALLOW_PRIVATE = False
    _revision, callbacks = in_force(supervisor, approver, django_capture_on_commit_callbacks)

    hand_to_worker(callbacks)

    assert receiver.requests == []
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.last_response_status) == (Status.FAILED, None)
    assert delivery.last_error.startswith("127.0.0.1 is on a private, loopback or link-local")


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/hook",
        "http://localhost:8080/hook",
        "http://10.1.2.3/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/hook",
        "http://[::ffff:192.168.0.1]/hook",
        "http://0.0.0.0/hook",
        "http://2130706433/hook",
        "http://[2002:7f00:1::]/hook",  # 6to4 around 127.0.0.1
        "http://[2001:0:4136:e378:8000:63bf:80ff:fffe]/hook",  # Teredo around 127.0.0.1
    ],
)
def test_private_loopback_and_link_local_addresses_are_refused(url, settings):
    settings.SOPDESK_WEBHOOK_ALLOW_PRIVATE = False

    with pytest.raises(webhooks.WebhookRefused) as refused:
        webhooks.target(url)

    assert "private, loopback or link-local" in refused.value.message


@pytest.mark.parametrize(
    "url, message",
    [
        ("ftp://example.com/hook", "Only http:// and https:// addresses"),
        ("https://user:secret@example.com/hook", "must not contain a user name or password"),
        ("https://example.com:99999/hook", "not a valid web address"),
    ],
)
def test_an_address_that_is_not_plain_http_is_refused(url, message):
    with pytest.raises(webhooks.WebhookRefused) as refused:
        webhooks.target(url)

    assert message in refused.value.message


def _event_off(key, controller, url):
    subscribe(key, url, on_revision_in_force=False)


def _subscription_off(key, controller, url):
    subscribe(key, url, is_active=False)


def _key_revoked(key, controller, url):
    subscribe(key, url)
    integrations.revoke_key(key=key, actor=controller)


def _key_without_manual_scope(key, controller, url):
    reading_only = integrations.create_key(
        name="Reading board", created_by=controller, read_manual=False, read_reading=True
    ).key
    subscribe(reading_only, url)


@pytest.mark.parametrize(
    "arrange", [_event_off, _subscription_off, _key_revoked, _key_without_manual_scope]
)
def test_no_delivery_is_made_for_a_subscription_that_may_not_or_does_not_want_it(
    arrange, receiver, key, controller, supervisor, approver, django_capture_on_commit_callbacks
):
    arrange(key, controller, f"{receiver.url}/hook")

    _revision, callbacks = in_force(supervisor, approver, django_capture_on_commit_callbacks)

    assert hand_to_worker(callbacks) == 0
    assert WebhookDelivery.objects.count() == 0
    assert receiver.requests == []


def test_a_delivery_queued_before_its_key_was_revoked_gives_up_unsent(
    receiver, key, controller, supervisor, approver, django_capture_on_commit_callbacks
):
    subscribe(key, f"{receiver.url}/hook")
    _revision, callbacks = in_force(supervisor, approver, django_capture_on_commit_callbacks)
    integrations.revoke_key(key=key, actor=controller)

    hand_to_worker(callbacks)

    assert receiver.requests == []
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts) == (Status.GAVE_UP, 0)
    assert delivery.last_error == "The integration's key was revoked or may not read the manual."


def test_a_delivery_queued_before_its_subscription_was_switched_off_gives_up_unsent(
    receiver, key, supervisor, approver, django_capture_on_commit_callbacks
):
    subscription = subscribe(key, f"{receiver.url}/hook")
    _revision, callbacks = in_force(supervisor, approver, django_capture_on_commit_callbacks)
    subscription.is_active = False
    subscription.save(update_fields=["is_active"])

    hand_to_worker(callbacks)

    assert receiver.requests == []
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.last_error) == (
        Status.GAVE_UP,
        "The subscription was switched off.",
    )


def test_retry_webhooks_sends_what_the_worker_lost(
    receiver, key, supervisor, approver, django_capture_on_commit_callbacks
):
    subscribe(key, f"{receiver.url}/hook")
    in_force(supervisor, approver, django_capture_on_commit_callbacks)  # callbacks never run

    out = io.StringIO()
    call_command("retry_webhooks", stdout=out)

    assert out.getvalue().strip() == "1 webhook delivery queued."
    assert len(receiver.requests) == 1
    assert WebhookDelivery.objects.get().status == Status.DELIVERED


# ---------------------------------------------------------------- the receiver's check

SECRET = "a" * 64
BODY = b'{"id":"1","event":"REVISION_IN_FORCE"}'
NOW = 1_750_000_000


def test_verify_accepts_the_signature_made_for_the_body():
    header = webhooks.signature_header(SECRET, BODY, NOW)

    assert webhooks.verify(SECRET, BODY, header, now=NOW + 10)


@pytest.mark.parametrize(
    "secret, body, now",
    [
        ("b" * 64, BODY, NOW),  # another secret
        (SECRET, BODY.replace(b"1", b"2"), NOW),  # the body changed
        (SECRET, BODY, NOW + 301),  # older than the tolerance
    ],
    ids=["wrong secret", "changed body", "too old"],
)
def test_verify_refuses_a_wrong_secret_a_changed_body_and_an_old_timestamp(secret, body, now):
    header = webhooks.signature_header(SECRET, BODY, NOW)

    assert not webhooks.verify(secret, body, header, now=now)


def test_verify_refuses_a_header_that_is_not_a_signature():
    for header in ("", "v1=abc", f"t={NOW}", f"t=soon,v1={webhooks.sign(SECRET, BODY, NOW)}"):
        assert not webhooks.verify(SECRET, BODY, header, now=NOW)


# ---------------------------------------------------------------- the admin


def test_a_staff_member_who_is_not_a_controller_cannot_open_the_subscriptions(client, db):
    supervisor = UserFactory(role="Supervisor", is_staff=True)
    client.force_login(supervisor)

    for name in ("webhooksubscription_changelist", "webhooksubscription_add"):
        assert client.get(reverse(f"admin:procedures_{name}")).status_code == 403
    assert client.get(reverse("admin:procedures_webhookdelivery_changelist")).status_code == 403


def test_a_controller_adds_a_subscription_and_sees_its_secret(client, controller, key, settings):
    settings.SOPDESK_WEBHOOK_ALLOW_PRIVATE = True
    client.force_login(controller)

    response = client.post(
        reverse("admin:procedures_webhooksubscription_add"),
        {
            "api_key": key.pk,
            "url": "http://127.0.0.1:9/hook",
            "on_revision_in_force": "on",
            "on_procedure_withdrawn": "on",
            "is_active": "on",
        },
        follow=True,
    )

    subscription = WebhookSubscription.objects.get()
    assert len(subscription.secret) == 64
    assert subscription.secret in response.content.decode()
    assert "Copy the signing secret into the receiving system" in response.content.decode()
    event = AuditEvent.objects.get(action="ADMIN_CHANGE", actor=controller)
    assert event.changes["url"] == [None, "http://127.0.0.1:9/hook"]
    assert subscription.secret not in json.dumps(event.changes)


def test_a_private_address_is_refused_in_the_admin(client, controller, key, settings):
    settings.SOPDESK_WEBHOOK_ALLOW_PRIVATE = False
    client.force_login(controller)

    response = client.post(
        reverse("admin:procedures_webhooksubscription_add"),
        {"api_key": key.pk, "url": "http://10.0.0.5/hook", "is_active": "on"},
    )

    assert response.status_code == 200
    assert "10.0.0.5 is on a private, loopback or link-local network" in response.content.decode()
    assert WebhookSubscription.objects.count() == 0
    assert AuditEvent.objects.filter(action="ADMIN_CHANGE").count() == 0


def test_the_controller_sends_a_delivery_that_gave_up_again(
    receiver, client, controller, key, supervisor, approver, django_capture_on_commit_callbacks
):
    subscribe(key, f"{receiver.url}/hook")
    receiver.answers = [(500, {})] * webhooks.MAX_ATTEMPTS
    _revision, callbacks = in_force(supervisor, approver, django_capture_on_commit_callbacks)
    hand_to_worker(callbacks)
    delivery = WebhookDelivery.objects.get()
    while delivery.status == Status.FAILED:
        webhooks.deliver(delivery.pk, now=delivery.next_attempt_at)
        delivery.refresh_from_db()
    client.force_login(controller)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:procedures_webhookdelivery_changelist"),
            {"action": "send_again", "_selected_action": [delivery.pk]},
            follow=True,
        )

    assert "Sent again: 1." in response.content.decode()
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (Status.DELIVERED, 1)
    assert len(receiver.requests) == webhooks.MAX_ATTEMPTS + 1


def test_a_receiver_that_does_not_answer_in_time_is_a_failure(
    receiver, key, supervisor, approver, settings, django_capture_on_commit_callbacks
):
    silent = socket.create_server(("127.0.0.1", 0))  # accepts connections, never answers
    settings.SOPDESK_WEBHOOK_TIMEOUT = 1
    subscribe(key, f"http://127.0.0.1:{silent.getsockname()[1]}/hook")
    _revision, callbacks = in_force(supervisor, approver, django_capture_on_commit_callbacks)

    try:
        hand_to_worker(callbacks)
    finally:
        silent.close()

    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.last_error) == (
        Status.FAILED,
        "The receiver did not answer within 1 s.",
    )


def test_an_https_address_is_checked_as_https(
    receiver, key, supervisor, approver, django_capture_on_commit_callbacks
):
    subscribe(key, receiver.url.replace("http://", "https://") + "/hook")  # speaks plain HTTP
    _revision, callbacks = in_force(supervisor, approver, django_capture_on_commit_callbacks)

    hand_to_worker(callbacks)

    delivery = WebhookDelivery.objects.get()
    assert delivery.status == Status.FAILED
    assert delivery.last_error.startswith("Could not connect securely")
    assert receiver.requests == []  # no request went out in the clear


def test_a_public_address_is_accepted_as_it_is(settings):
    settings.SOPDESK_WEBHOOK_ALLOW_PRIVATE = False

    where = webhooks.target("https://93.184.216.34:8443/hooks?from=sop")

    assert (where.scheme, where.host, where.port, where.path) == (
        "https",
        "93.184.216.34",
        8443,
        "/hooks?from=sop",
    )
    assert [sockaddr[0] for _family, sockaddr in where.addresses] == ["93.184.216.34"]
