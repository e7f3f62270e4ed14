"""Settings for the test run: the project's settings with a test-only secret key.

DATABASE_URL still decides the database (PostgreSQL in CI, SQLite when unset).
"""

import os

os.environ.setdefault("SECRET_KEY", "insecure-key-for-the-test-suite-only")
os.environ.setdefault("SOPDESK_BASE_URL", "http://testserver")
# The test client and the browser tests' live server speak plain HTTP.
for name in ("SECURE_SSL_REDIRECT", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE"):
    os.environ.setdefault(name, "0")

from sopdesk.settings import *  # noqa: E402,F403

# Tests hash many passwords: a fast hasher keeps the suite quick. Argon2 stays first in production.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # noqa: S303
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}  # noqa: F405
# Serve static files straight from static/ (no collectstatic before a test run).
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
# Tasks run in-process, at once (after the transaction commits, where they are enqueued).
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
# Rendered documents go to a scratch directory, not the project's media/.
import tempfile  # noqa: E402

MEDIA_ROOT = tempfile.mkdtemp(prefix="sopdesk-test-media-")
