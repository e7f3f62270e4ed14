"""The JSON API at /api/v1/ (Django REST framework, described by drf-spectacular). It reads and
acts through the same selectors, permissions and services as the web pages: it never shows or
does more than the same person could on the web. See README.md, "The API"."""
