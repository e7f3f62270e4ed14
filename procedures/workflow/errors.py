"""What the workflow refuses: each message is for the user, and nothing was changed."""

from django.utils.translation import gettext as _

from ..errors import Refused


class TransitionNotAllowed(Refused):
    """A status change refused; `message` says why, in the user's terms. Nothing was changed."""


class IncompleteRevision(TransitionNotAllowed):
    def __init__(self, missing: list[str]):
        super().__init__(
            _("This revision cannot be submitted yet. Missing: %(missing)s.")
            % {"missing": "; ".join(missing)}
        )
        self.missing = missing


class SignatureRefused(TransitionNotAllowed):
    pass


class SigningLocked(SignatureRefused):
    pass


class NotRenderable(TransitionNotAllowed):
    """The revision, as it is, cannot be rendered (or is still being checked)."""
