"""Whom an API request reads and acts as, asked of permissions.py: the signed-in person, an
integration's key (a reader with no role), or the agent a key acts for."""

from django.utils.translation import gettext as _
from rest_framework import exceptions

from .. import permissions
from ..models import User
from .auth import Integration, key_of


def _agent(request, username: str) -> User:
    key = key_of(request)
    person = User.objects.filter(username=username).first()
    if person is None or not permissions.key_may_act_for(key, person):
        # one answer for "no such person" and "not an agent this key may act for"
        raise exceptions.NotFound(
            _("There is no agent %(username)s this API key may act for.") % {"username": username}
        )
    return person


def reader(request, agent: str = ""):
    """The person (or the integration) whose manual this request reads. A key reads as itself,
    or as the agent it names (`agent`, with the "act for agents" scope); a person as themselves."""
    key = key_of(request)
    if key is None:
        person = request.user
        if agent and agent != person.get_username():
            raise exceptions.PermissionDenied(
                _("A browser session acts only for its own person; leave out “agent”.")
            )
        if not permissions.can_read_manual(person):
            raise exceptions.PermissionDenied(_("Your account cannot read the manual."))
        return person
    if agent:
        if not key.act_for_agents:
            raise exceptions.PermissionDenied(
                _("This API key may not act for agents: ask for the “act for agents” scope.")
            )
        return _agent(request, agent)
    if not permissions.key_reads_manual(key):
        raise exceptions.PermissionDenied(
            _("This API key may not read the manual: ask for the “read the manual” scope.")
        )
    return request.user


def acting_agent(request, agent: str = "") -> User:
    """The person an act (acknowledge, feedback) is for: the session's, or the agent a key names."""
    key = key_of(request)
    if key is None:
        return reader(request, agent)
    if not agent:
        raise exceptions.ValidationError(
            {"agent": [_("Name the agent (their username) this key acts for.")]}
        )
    if not key.act_for_agents:
        raise exceptions.PermissionDenied(
            _("This API key may not act for agents: ask for the “act for agents” scope.")
        )
    return _agent(request, agent)


def may_see_reading_of(request, person: User) -> bool:
    key = key_of(request)
    if key is None:
        return permissions.can_see_reading_of(request.user, person)
    return permissions.key_reads_reading_status(key) or permissions.key_may_act_for(key, person)


def is_integration(user) -> bool:
    return isinstance(user, Integration)
