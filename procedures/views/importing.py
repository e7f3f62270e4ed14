"""/desk/import/: Word files → new procedures with first drafts, and what to check in each."""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.generic import FormView

from .. import permissions
from ..forms import ImportForm
from ..importing import import_many
from .mixins import DeskMixin


class ImportView(DeskMixin, FormView):
    template_name = "procedures/import.html"
    form_class = ImportForm

    def check_permission(self, user) -> None:
        if not permissions.can_import_documents(user):
            raise PermissionDenied(
                _("Only supervisors and document controllers import procedures.")
            )

    def get_form_kwargs(self):
        return super().get_form_kwargs() | {"user": self.request.user}

    def form_valid(self, form):
        data = form.cleaned_data
        owner = data.get("owner") or self.request.user
        limit = settings.SOPDESK_IMPORT_MAX_BYTES
        uploads = []
        for upload in data["files"]:
            # Read at most one byte over the limit: import_docx refuses it with the reason.
            uploads.append((upload.name, upload.read(limit + 1)))
        outcomes = import_many(
            uploads,
            category=data["category"],
            owner=owner,
            created_by=self.request.user,
            limit=limit,
        )
        imported = sum(1 for o in outcomes if o.revision)
        refused = len(outcomes) - imported
        if imported:
            messages.success(
                self.request,
                ngettext(
                    "%(count)d procedure imported as a draft.",
                    "%(count)d procedures imported as drafts.",
                    imported,
                )
                % {"count": imported},
            )
        if refused:
            messages.error(
                self.request,
                ngettext(
                    "%(count)d file was not imported: see why below.",
                    "%(count)d files were not imported: see why below.",
                    refused,
                )
                % {"count": refused},
            )
        form = self.get_form_class()(user=self.request.user, initial={"category": data["category"]})
        return self.render_to_response(self.get_context_data(form=form, outcomes=outcomes))
