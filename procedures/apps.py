from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProceduresConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "procedures"
    verbose_name = _("Procedures")

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_out

        from . import backends, checks  # noqa: F401 - checks registers the deployment checks

        # Every way out (the header's sign-out, the admin's) goes through auth.logout, which
        # sends this: the place to end every session of the person (settings: SESSION_ENGINE).
        user_logged_out.connect(backends.signed_out, dispatch_uid="sopdesk-signed-out")
