"""Production settings plus two bare views: what any response Django gives costs on this server.

Used only by bench/manual.py, through DJANGO_SETTINGS_MODULE, to separate what SOP Desk's own
pages cost from what Django's middleware, sessions and authentication cost before any view runs.
"""

from sopdesk.settings import *  # noqa: F403

ROOT_URLCONF = "floor_urls"
