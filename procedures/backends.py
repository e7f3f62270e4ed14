"""Signing in, through lockout.py: every username and password SOP Desk checks (the sign-in
page, the admin's sign-in) counts towards the same lockout as signatures."""

from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied

from . import lockout


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
