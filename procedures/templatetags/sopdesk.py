"""Template filters of SOP Desk's own: the names of languages."""

from django import template
from django.utils.translation import get_language_info

register = template.Library()


@register.filter
def language_name(code: str) -> str:
    """A language's name in the reader's language ("Indonesian", "indonésien")."""
    try:
        return get_language_info(code)["name_translated"]
    except KeyError:
        return code


@register.filter
def native_language_name(code: str) -> str:
    """A language's name in itself ("Bahasa Indonesia", "Magyar"): what its readers look for."""
    try:
        return _capitalised(get_language_info(code)["name_local"])
    except KeyError:
        return code


def _capitalised(name: str) -> str:
    """ "français" → "Français", "Bahasa Indonesia" kept as it is."""
    return name[:1].upper() + name[1:]
