"""Template filters of SOP Desk's own: the names of languages, recorded texts for the reader."""

from django import template

from .. import audit, languages

register = template.Library()
register.filter("language_name", languages.translated_name)
register.filter("native_language_name", languages.native_name)
register.filter("as_read", audit.as_read)
