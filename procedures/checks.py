"""Deployment settings SOP Desk cannot run well without, reported by `manage.py check` (and so by
`migrate`, `runserver` and `check --deploy`)."""

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register

CONSOLE_BACKENDS = {
    "django.core.mail.backends.console.EmailBackend",
    "django.core.mail.backends.dummy.EmailBackend",
    "django.core.mail.backends.filebased.EmailBackend",
}


@register(Tags.security, deploy=False)
def base_url_is_set(app_configs, **kwargs):
    if settings.DEBUG or settings.SOPDESK_BASE_URL:
        return []
    return [
        Error(
            "SOPDESK_BASE_URL is not set.",
            hint="Set it to the address people open SOP Desk at (e.g. https://sop.example.com): "
            "it is written into e-mails and into PDFs that never change.",
            id="sopdesk.E001",
        )
    ]


@register(Tags.security, deploy=False)
def mail_goes_somewhere(app_configs, **kwargs):
    if settings.DEBUG or settings.EMAIL_BACKEND not in CONSOLE_BACKENDS:
        return []
    return [
        Warning(
            "E-mail goes to the console: review requests, lockout alerts and reminders reach "
            "nobody.",
            hint="Set EMAIL_HOST (and EMAIL_HOST_USER, EMAIL_HOST_PASSWORD) to a mail server.",
            id="sopdesk.W001",
        )
    ]
