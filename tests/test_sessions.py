"""Sessions in a signed cookie (settings.SESSION_ENGINE): a signed-in request reads no session
from anywhere, and a session still ends when it should: signing out ends every session of the
person (a copied cookie too), expiry and a new password end it, and nothing else does."""

import pytest
from django.conf import settings
from django.test import Client

from procedures import notifications, page_cache
from procedures.models import Notification
from tests.factories import PASSWORD, UserFactory

HOME = "/manual/"


def _signed_in(username: str) -> Client:
    client = Client()
    response = client.post(
        "/accounts/login/", {"username": username, "password": PASSWORD}, REMOTE_ADDR="10.0.0.9"
    )
    assert response.status_code == 302, response.content.decode()[:500]
    return client


def _copy(client: Client) -> Client:
    thief = Client()
    thief.cookies[settings.SESSION_COOKIE_NAME] = client.cookies[settings.SESSION_COOKIE_NAME].value
    return thief


def _reads(client: Client) -> bool:
    return client.get(HOME).status_code == 200


@pytest.fixture
def person(db):
    return UserFactory(username="siti", role="Agent")


def test_a_signed_in_request_reads_no_session_and_one_row_for_the_person(
    person, django_assert_num_queries, monkeypatch
):
    import datetime

    from procedures import freshness

    client = _signed_in("siti")
    client.get(HOME)

    monkeypatch.setattr(freshness, "MOMENT", datetime.timedelta(hours=1))  # no second passes
    with django_assert_num_queries(1):  # the person, their roles and stamps
        assert client.get(HOME).status_code == 200  # kept: nothing else is read

    assert settings.SESSION_ENGINE == "django.contrib.sessions.backends.signed_cookies"


def test_signing_out_ends_a_copied_cookie_and_every_other_session_of_the_person(person):
    laptop = _signed_in("siti")
    phone = _signed_in("siti")
    copied = _copy(laptop)
    someone_else = _signed_in(UserFactory(username="lucas", role="Agent").username)
    assert _reads(copied) and _reads(phone)

    laptop.post("/accounts/logout/")

    assert not _reads(laptop) and not _reads(copied) and not _reads(phone)
    assert _reads(someone_else)
    assert _reads(_signed_in("siti"))  # and signing in again works


def test_a_session_older_than_its_age_is_refused(person, monkeypatch):
    import time

    from django.core import signing

    client = _signed_in("siti")
    assert _reads(client)
    later = time.time() + settings.SESSION_COOKIE_AGE + 60
    monkeypatch.setattr(signing.time, "time", lambda: later)

    assert not _reads(client)


def test_a_new_password_ends_the_other_sessions(person):
    other = _signed_in("siti")
    person.set_password("a-new-long-password-1")
    person.save()

    assert not _reads(other)


def test_what_changes_a_persons_pages_does_not_sign_them_out(person):
    client = _signed_in("siti")  # no stamp of any kind yet

    notifications.post(
        [person], kind=Notification.Kind.FEEDBACK_FOLLOW_UP,
        params={"name": "Maria Santos", "code": "CC-CH-001"}, url="/",
    )  # fmt: skip
    page_cache.touched([person])

    assert _reads(client)


def test_deactivating_an_account_ends_its_sessions(person):
    client = _signed_in("siti")
    person.is_active = False
    person.save()

    assert not _reads(client)


def test_the_session_cookie_holds_only_who_is_signed_in_and_the_check(person):
    from importlib import import_module

    client = _signed_in("siti")
    store = import_module(settings.SESSION_ENGINE).SessionStore(
        client.cookies[settings.SESSION_COOKIE_NAME].value
    )

    assert set(store.load()) == {"_auth_user_id", "_auth_user_backend", "_auth_user_hash"}
