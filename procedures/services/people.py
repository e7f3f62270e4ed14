"""What a person sets for themselves: the language SOP Desk speaks to them."""

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ..audit import in_record_language
from ..models import User
from .errors import ServiceError


def set_language(user: User, language: str) -> None:
    """Their language from now on, on every computer (recorded in the account's history)."""
    if language not in dict(settings.LANGUAGES):
        raise ServiceError(_("Choose one of the languages in the list."))
    if user.language != language:
        user.language = language
        user._change_reason = in_record_language(gettext_lazy("Language chosen"))
        user.save(update_fields=["language"])
