"""The languages SOP Desk speaks, named as their readers name them, and the form that chooses
one (the header's menu, the profile page)."""

from django import forms
from django.conf import settings
from django.utils.translation import get_language_info
from django.utils.translation import gettext_lazy as _


def native_name(code: str) -> str:
    """A language's name in itself ("Bahasa Indonesia", "Français", "Magyar")."""
    try:
        name = get_language_info(code)["name_local"]
    except KeyError:
        return code
    return name[:1].upper() + name[1:]


def translated_name(code: str) -> str:
    """A language's name in the reader's language ("Indonesian", "indonésien")."""
    try:
        return get_language_info(code)["name_translated"]
    except KeyError:
        return code


def language_choices() -> list[tuple[str, str]]:
    """Each language under its own name: whoever cannot read the page's language still finds
    theirs."""
    return [(code, native_name(code)) for code, _name in settings.LANGUAGES]


class LanguageForm(forms.Form):
    language = forms.ChoiceField(label=_("Language"), choices=())
    next = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["language"].choices = language_choices()
