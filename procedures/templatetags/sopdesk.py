"""Template filters of SOP Desk's own: the names of languages."""

from django import template

from .. import languages

register = template.Library()
register.filter("language_name", languages.translated_name)
register.filter("native_language_name", languages.native_name)
