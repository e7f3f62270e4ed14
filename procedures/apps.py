from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProceduresConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "procedures"
    verbose_name = _("Procedures")

    def ready(self) -> None:
        from . import checks  # noqa: F401 - registers the deployment checks
