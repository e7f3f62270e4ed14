"""/desk/import/: Word files → previews the author checks → new procedures with first drafts."""

import time

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.generic import FormView, View

from .. import importing, permissions, selectors, serving
from ..forms import ImportForm, ImportPreviewForm
from ..models import DocumentImport, ImportPreview
from ..services import ServiceError
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

    def get_context_data(self, **kwargs):
        pending = selectors.import_previews_for(self.request.user)[:20]
        return super().get_context_data(pending=pending, **kwargs)

    def form_valid(self, form):
        data = form.cleaned_data
        owner = data.get("owner") or self.request.user
        limit = settings.SOPDESK_IMPORT_MAX_BYTES
        # One request reads its files within one import's time, so that several slow files
        # never outlast the web server's timeout; what is left is named, to upload again.
        deadline = time.monotonic() + settings.SOPDESK_IMPORT_TIMEOUT
        outcomes = []
        for upload in data["files"]:
            remaining = deadline - time.monotonic()
            if remaining < 1:
                outcomes.append(
                    importing.Outcome(
                        name=upload.name,
                        error=_(
                            "Not read: the files before it took all the time one upload has. "
                            "Upload it again."
                        ),
                    )
                )
                continue
            # Read at most one byte over the limit: the importer refuses it with the reason.
            content = upload.read(limit + 1)
            try:
                row = importing.preview(
                    data=content,
                    name=upload.name,
                    category=data["category"],
                    owner=owner,
                    uploaded_by=self.request.user,
                    limit=limit,
                    timeout=remaining,
                )
                outcomes.append(importing.Outcome(name=upload.name, preview=row))
            except ServiceError as error:
                outcomes.append(importing.Outcome(name=upload.name, error=error.message))
        read = [o for o in outcomes if o.preview]
        refused = len(outcomes) - len(read)
        if refused:
            messages.error(
                self.request,
                ngettext(
                    "%(count)d file could not be read: see why below.",
                    "%(count)d files could not be read: see why below.",
                    refused,
                )
                % {"count": refused},
            )
        if len(read) == 1 and not refused:
            messages.info(
                self.request,
                _("Check how the document was read, then create the draft."),
            )
            return redirect("desk:import_preview", pk=read[0].preview.pk)
        if read:
            messages.success(
                self.request,
                ngettext(
                    "%(count)d file read: check its preview and create the draft.",
                    "%(count)d files read: check each preview and create the drafts.",
                    len(read),
                )
                % {"count": len(read)},
            )
        form = self.get_form_class()(user=self.request.user, initial={"category": data["category"]})
        return self.render_to_response(self.get_context_data(form=form, outcomes=outcomes))


class PreviewMixin(DeskMixin):
    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self.row = (
            ImportPreview.objects.select_related("category", "owner")
            .filter(pk=kwargs["pk"])
            .first()
        )

    def dispatch(self, request, *args, **kwargs):
        if self.row is None and request.user.is_authenticated:
            done = _created_from(request, kwargs["pk"])
            if done is not None:  # "Create the draft" pressed twice, or the page reopened
                return done
        return super().dispatch(request, *args, **kwargs)

    def check_permission(self, user) -> None:
        if self.row is None or not permissions.can_use_import_preview(user, self.row):
            raise Http404(_("There is no such import."))


def _created_from(request, preview_id):
    """The draft a used preview became, for the person who imported it or owns it: a redirect
    there, with why."""
    report = (
        DocumentImport.objects.select_related("revision__procedure")
        .filter(preview_id=preview_id)
        .first()
    )
    if report is None or request.user.pk not in (
        report.imported_by_id,
        report.revision.procedure.owner_id,
    ):
        return None
    revision = report.revision
    messages.info(
        request,
        _("%(code)s was already created from %(file)s: here is its draft.")
        % {"code": revision.procedure.code, "file": report.source_name},
    )
    if permissions.can_edit(request.user, revision):
        return redirect("desk:edit", code=revision.procedure.code, number=revision.number)
    return redirect(revision)


class ImportPreviewView(PreviewMixin, FormView):
    """The document cut into its sections, each with its element; the list taken as the steps;
    the pictures and their descriptions; what could not be kept. Nothing exists until
    "Create the draft"."""

    template_name = "procedures/import_preview.html"
    form_class = ImportPreviewForm

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        if self.row is not None:
            self.pictures = importing.ordered_pictures(self.row)
            self.saved = importing.default_choices(self.row)

    def get_form_kwargs(self):
        return super().get_form_kwargs() | {
            "plan": self.row.plan,
            "pictures": self.pictures,
            "element_labels": importing.ELEMENT_LABELS,
            "choices": self.saved,
            "omit": importing.OMIT,
        }

    def post(self, request, *args, **kwargs):
        if request.POST.get("action") == "discard":
            importing.discard(preview=self.row, user=request.user)
            messages.success(
                request, _("The import of %(file)s was discarded.") % {"file": self.row.source_name}
            )
            return redirect("desk:import")
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form):
        return self.render_to_response(self.get_context_data(form=form, choices=form.choices()))

    def form_valid(self, form):
        choices = form.choices()
        if self.request.POST.get("action") != "create":
            importing.remember_choices(preview=self.row, user=self.request.user, choices=choices)
            messages.success(self.request, _("Your changes were applied and kept."))
            return self.render_to_response(self.get_context_data(form=form, choices=choices))
        try:
            revision = importing.create_from_preview(
                preview=self.row, user=self.request.user, choices=choices
            )
        except ServiceError as error:
            done = _created_from(self.request, self.row.pk)
            if done is not None:  # created meanwhile, by the same author's other click
                return done
            messages.error(self.request, error.message)
            return self.render_to_response(self.get_context_data(form=form, choices=choices))
        messages.success(
            self.request,
            _(
                "%(code)s was created as a draft from %(file)s: read it through before you submit it."
            )
            % {"code": revision.procedure.code, "file": self.row.source_name},
        )
        return redirect("desk:edit", code=revision.procedure.code, number=revision.number)

    def get_context_data(self, **kwargs):
        choices = kwargs.pop("choices", None) or self.saved
        built = importing.summary(self.row, choices)
        form = kwargs.setdefault("form", self.get_form())
        if not form.is_bound:
            form.initial["title"] = built.title  # without the code read from it
        befores = {token: picture["before"] for token, picture in self.pictures}
        return super().get_context_data(
            preview=self.row,
            built=built,
            problems=importing.problems(self.row, choices, built),
            sections=_sections(self.row, form),
            lists=_lists(self.row),
            pictures=[
                {
                    "token": token,
                    "field": form[name],
                    "needs": not choices["descriptions"].get(token, "").strip(),
                    "dropped": self.row.pictures[token]["dropped"],
                    "before": befores[token],
                    "url": reverse(
                        "desk:import_picture", kwargs={"pk": self.row.pk, "token": token}
                    ),
                }
                for token, name in form.pictures
            ],
            **kwargs,
        )


def _sections(row: ImportPreview, form) -> list[dict]:
    """Each section with an excerpt of what it holds, for the author to map."""
    blocks, plan = row.blocks, row.plan
    out = []
    for number, section in enumerate(plan["sections"]):
        first = section["start"] + (1 if section["heading"] else 0)
        texts, pictures = [], 0
        for index in range(first, section["end"]):
            if index in (plan["title_block"], plan.get("label_block")):
                continue
            block = blocks[index]
            if block["k"] == "p":
                texts.append(block["text"])
            elif block["k"] == "table":
                texts.append(" · ".join(" ".join(r) for r in block["rows"][:3]))
            elif block["k"] == "pic":
                pictures += 1
        text = " ".join(texts)
        out.append(
            {
                "number": number,
                "heading": section["heading"],
                "excerpt": text[:220] + ("…" if len(text) > 220 else ""),
                "words": len(text.split()),
                "pictures": pictures,
                "field": form[f"section_{number}"],
            }
        )
    return out


def _lists(row: ImportPreview) -> list[dict]:
    blocks, plan = row.blocks, row.plan
    out = []
    for number, candidate in enumerate(plan["lists"]):
        section = plan["sections"][candidate["section"]]
        out.append(
            {
                "value": str(number),
                "section": section["heading"],
                "count": len(candidate["items"]),
                "first": [blocks[i]["text"][:90] for i in candidate["items"][:3]],
            }
        )
    return out


class ImportPictureView(PreviewMixin, View):
    """A picture of a preview, for its author to describe."""

    def get(self, request, pk, token):
        picture = self.row.pictures.get(str(token))
        if picture is None:
            raise Http404(_("There is no such picture."))
        return serving.stored_file(
            request,
            picture["path"],
            content_type="image/jpeg" if picture["format"] == "JPEG" else "image/png",
            cache_control="private, no-cache",
        )
