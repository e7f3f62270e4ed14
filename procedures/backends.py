"""Signing in, through lockout.py: every username and password SOP Desk checks (the sign-in
page, the admin's sign-in) counts towards the same lockout as signatures."""

import logging

from asgiref.sync import sync_to_async
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied
from django.db import DatabaseError

from . import lockout, page_cache

logger = logging.getLogger(__name__)


class LockoutBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None or password is None:
            return None
        try:
            user = lockout.verify_login(
                username=username, password=password, address=lockout.client_address(request)
            )
        except lockout.Locked as locked:
            if request is not None:
                request.sopdesk_locked = locked.message  # the sign-in form shows it
            raise PermissionDenied(locked.message) from None  # no other backend may try
        return user if user is not None and self.user_can_authenticate(user) else None

    def get_user(self, user_id):
        """The signed-in person of a request, with their roles and personal stamp in one query
        (page_cache.person)."""
        user = page_cache.person(user_id)
        return user if user is not None and self.user_can_authenticate(user) else None

    async def aget_user(self, user_id):
        return await sync_to_async(self.get_user)(user_id)


def signed_out(sender, request, user, **kwargs) -> None:
    """Django's user_logged_out: every session of the person ends (page_cache.signed_out). If
    the database cannot take the new stamp, the sign-out still ends this browser's session (the
    cookie is cleared after this) and the failure is logged."""
    if user is not None and user.is_authenticated:
        try:
            page_cache.signed_out(user)
        except DatabaseError:
            logger.exception("Could not end the other sessions of user %s at sign-out", user.pk)
