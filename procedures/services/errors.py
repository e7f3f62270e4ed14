"""What the services refuse, and why: each message is for the user, and nothing was changed."""

from django.utils.translation import gettext as _

from ..errors import Refused
from ..models import Revision


class ServiceError(Refused):
    """A write refused; the message is for the user."""


class NotAllowed(ServiceError):
    pass


class DuplicateCode(ServiceError):
    pass


class StepsInvalid(ServiceError):
    def __init__(self, errors: list[str]):
        super().__init__(_("The steps need attention: ") + " ".join(errors))
        self.errors = errors


class TextRefused(ServiceError):
    """Text that could not be rendered; `problems` name the elements and steps."""

    def __init__(self, problems: list[str]):
        super().__init__(_("The draft was not saved: ") + " ".join(problems))
        self.problems = problems


class EditConflict(ServiceError):
    """Someone saved the draft after the editor opened it; `current` is their version."""

    def __init__(self, current: Revision):
        super().__init__(
            _(
                "%(name)s saved this draft while you were editing it. Your text is kept below, "
                "next to theirs: merge the two and save again."
            )
            % {"name": current.updated_by.display_name if current.updated_by else _("Someone")}
        )
        self.current = current


class OpenRevisionExists(ServiceError):
    def __init__(self, revision: Revision):
        super().__init__(
            _("Revision %(number)d of %(code)s is still open (%(status)s): finish it first.")
            % {
                "number": revision.number,
                "code": revision.procedure.code,
                "status": revision.get_status_display(),
            }
        )
        self.revision = revision
