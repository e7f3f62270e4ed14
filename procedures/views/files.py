"""Screenshots and attached forms: uploading them into a draft, and serving them to those who
may read the revision they belong to (to anyone else they do not exist: 404)."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View

from .. import files, freshness, permissions, selectors, services, serving
from ..forms import AttachmentForm
from ..models import Attachment
from .mixins import RevisionMixin

CONTENT_TYPES = {
    Attachment.Kind.PDF: "application/pdf",
    Attachment.Kind.DOCX: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    Attachment.Kind.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    Attachment.Kind.ODT: "application/vnd.oasis.opendocument.text",
    Attachment.Kind.ODS: "application/vnd.oasis.opendocument.spreadsheet",
    Attachment.Kind.CSV: "text/csv; charset=utf-8",
}


IMAGE_SECONDS = 300


class ImageView(LoginRequiredMixin, View):
    """GET /images/<token>.png: an uploaded image, for whoever may read its revision.

    An image of a revision that is or was in force is for every reader of the manual, and stays
    so while the manual's state is the same: its file is kept under that state, so it costs the
    sign-in and one query. Any other image (a draft's, a review's) is looked up and checked on
    every request."""

    def get(self, request, name):
        key = f"sopdesk:image:{name}:{freshness.manual_state()}"
        found = cache.get(key)
        if found is not None and permissions.can_read_manual(request.user):
            return serving.stored_file(request, **found)
        image = files.image_by_name(name)
        if image is None or not permissions.can_open_files_of(request.user, image.revision):
            raise Http404(_("There is no such image."))
        found = {"name": image.file, "content_type": image.content_type, "etag": image.sha256}
        if selectors.is_published(image.revision):
            cache.set(key, found, IMAGE_SECONDS)
        return serving.stored_file(request, **found)


class AttachmentView(LoginRequiredMixin, View):
    """GET /files/<token>/<name>: an attached form, downloaded."""

    def get(self, request, token, filename):
        attachment = (
            Attachment.objects.select_related("revision__procedure")
            .filter(token=token, filename=filename)
            .first()
        )
        if attachment is None or not permissions.can_open_files_of(
            request.user, attachment.revision
        ):
            raise Http404(_("There is no such file."))
        return serving.stored_file(
            request,
            attachment.file,
            content_type=CONTENT_TYPES[attachment.kind],
            as_attachment=True,
            filename=attachment.filename,
            etag=attachment.sha256,
        )


def _wants_json(request) -> bool:
    return "application/json" in request.headers.get("Accept", "")


class DraftFilesMixin(RevisionMixin):
    """Adding files is editing the draft: only its owner, only while it is a draft."""

    http_method_names = ["post"]

    def check_permission(self, user) -> None:
        super().check_permission(user)
        if not permissions.can_edit(user, self.revision):
            raise PermissionDenied(
                _("Only the owner of %(code)s adds files, and only to a draft.")
                % {"code": self.procedure.code}
            )

    def refuse(self, message: str):
        if _wants_json(self.request):
            return JsonResponse({"error": message}, status=400)
        messages.error(self.request, message)
        return self.back()

    def back(self):
        return redirect(
            _editor_url(self.procedure.code, self.revision.number) + "#el-documentation"
        )

    def attachments_done(self, message: str):
        if _wants_json(self.request):
            html = render_to_string(
                "procedures/_attachment_list.html",
                {
                    "attachments": self.revision.attachments.order_by("position", "pk"),
                    "procedure": self.procedure,
                    "revision": self.revision,
                },
                request=self.request,
            )
            return JsonResponse({"message": message, "html": html})
        messages.success(self.request, message)
        return self.back()


def _editor_url(code: str, number: int) -> str:
    return reverse("desk:edit", kwargs={"code": code, "number": number})


class ImageUploadView(DraftFilesMixin, View):
    """POST a picture (chosen or pasted) → JSON with the Markdown that shows it."""

    def post(self, request, *args, **kwargs):
        upload = request.FILES.get("image")
        if upload is None:
            return JsonResponse({"error": _("Choose a picture to upload.")}, status=400)
        try:
            image = files.add_image(
                revision=self.revision,
                user=request.user,
                upload=upload,
                max_bytes=settings.SOPDESK_UPLOAD_MAX_BYTES,
            )
        except services.ServiceError as error:
            return JsonResponse({"error": error.message}, status=400)
        return JsonResponse(
            {
                "url": image.get_absolute_url(),
                "width": image.width,
                "height": image.height,
                "message": _("Image added: describe it between the square brackets."),
            }
        )


class AttachmentAddView(DraftFilesMixin, View):
    def post(self, request, *args, **kwargs):
        form = AttachmentForm(request.POST, request.FILES)
        if not form.is_valid():
            return self.refuse(" ".join(e for errors in form.errors.values() for e in errors))
        try:
            attachment = files.add_attachment(
                revision=self.revision,
                user=request.user,
                upload=form.cleaned_data["file"],
                title=form.cleaned_data["title"],
                description=form.cleaned_data["description"],
                max_bytes=settings.SOPDESK_UPLOAD_MAX_BYTES,
            )
        except services.ServiceError as error:
            return self.refuse(error.message)
        return self.attachments_done(
            _("%(title)s is attached (%(file)s).")
            % {"title": attachment.title, "file": attachment.filename}
        )


class AttachmentRemoveView(DraftFilesMixin, View):
    def post(self, request, *args, **kwargs):
        chosen = request.POST.get("attachment", "")
        attachment = get_object_or_404(
            Attachment, revision=self.revision, pk=int(chosen) if chosen.isdigit() else 0
        )
        try:
            files.remove_attachment(attachment=attachment, user=request.user)
        except services.ServiceError as error:
            return self.refuse(error.message)
        return self.attachments_done(
            _("%(title)s is no longer attached.") % {"title": attachment.title}
        )
