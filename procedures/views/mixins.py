"""What every desk view shares: login, the desk permission, loading the procedure."""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _

from .. import permissions
from ..models import Procedure, Revision


class DeskMixin(LoginRequiredMixin):
    """Only supervisors, managers and document controllers reach the desk; agents get a 403."""

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        if not permissions.can_use_desk(request.user):
            raise PermissionDenied(
                _("The desk is for supervisors, managers and document controllers.")
            )
        self.check_permission(request.user)
        return super().dispatch(request, *args, **kwargs)

    def check_permission(self, user) -> None:
        """Raise PermissionDenied with a reason when the view's own rule refuses."""


class ProcedureMixin(DeskMixin):
    """Loads the procedure named by the case-insensitive code in the URL."""

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self.procedure = get_object_or_404(
            Procedure.objects.select_related("category", "owner"), code__iexact=kwargs["code"]
        )

    def check_permission(self, user) -> None:
        if not permissions.can_view_procedure(user, self.procedure):
            raise PermissionDenied(_("You may not see this procedure."))

    def get_context_data(self, **kwargs):
        return super().get_context_data(procedure=self.procedure, **kwargs)


class RevisionMixin(ProcedureMixin):
    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self.revision = get_object_or_404(
            Revision.objects.select_related("author", "updated_by").prefetch_related(
                "steps", "measures"
            ),
            procedure=self.procedure,
            number=kwargs["number"],
        )
        self.revision.procedure = self.procedure

    def get_context_data(self, **kwargs):
        return super().get_context_data(revision=self.revision, **kwargs)
