"""The agents' manual: what is in force, on the web and as PDFs, at stable URLs.

Reads serve stored artifacts (the rendered body HTML, the PDFs): no Markdown, no sanitizing,
no PDF rendering here. Agents see only what is or was in force; drafts, reviews and
approved-not-yet-effective revisions are a 404 for everyone on these URLs.
"""

import datetime

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.generic import TemplateView, View

from .. import (
    freshness,
    manual_pdf,
    notifications,
    page_cache,
    permissions,
    publishing,
    reading,
    selectors,
    serving,
    tasks,
)
from ..content import canonical_hash
from ..models import Procedure, Rendition, Revision, Signature
from . import panels

RECENT = datetime.timedelta(days=30)
ARTICLE_CACHE_SECONDS = 300
PDF_FILE_SECONDS = 300
TOC_CACHE_SECONDS = 300


class ManualMixin(LoginRequiredMixin):
    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        if not permissions.can_read_manual(request.user):
            raise PermissionDenied(_("Your account cannot read the manual."))
        return super().dispatch(request, *args, **kwargs)


def _procedure(code: str) -> Procedure:
    # Only what every page shows around its cached article: joining the owner and the
    # replacement too costs more in building the query than they save on a cache miss.
    procedure = Procedure.objects.select_related("category").filter(code__iexact=code).first()
    if procedure is None:
        raise Http404(_("There is no procedure %(code)s in the manual.") % {"code": code.upper()})
    return procedure


def _published_revision(procedure: Procedure, number: int) -> Revision:
    revision = (
        selectors.published_of(procedure).select_related("author").filter(number=number).first()
    )
    if revision is None:
        raise Http404(
            _("%(code)s has no revision %(number)d in the manual.")
            % {"code": procedure.code, "number": number}
        )
    return revision


class TableOfContentsView(ManualMixin, TemplateView):
    template_name = "manual/toc.html"

    def get(self, request, *args, **kwargs):
        return page_cache.serve(
            request,
            page_cache.key(request, "toc", request.get_full_path()),
            lambda: super(TableOfContentsView, self).get(request, *args, **kwargs),
        )

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            listing=self.listing(),
            to_read=reading.summary(self.request.user),
            build=manual_pdf.latest_done(),
            building=manual_pdf.in_progress(),
            **kwargs,
        )

    def listing(self) -> str:
        """The procedures by category, cached under a key that changes whenever what is in
        force can: any act on the audit trail (every status change is there), an approved
        revision's effective date passing (before publish_due runs), a new day (the "new" marks)."""
        key = f"sopdesk:manual-toc:{freshness.manual_state()}:{timezone.localdate()}"
        listing = cache.get(key)
        if listing is None:
            listing = mark_safe(  # noqa: S308 - rendered by our template, autoescaped
                render_to_string("manual/_toc_listing.html", self.listing_context())
            )
            cache.set(key, listing, TOC_CACHE_SECONDS)
        return listing

    def listing_context(self) -> dict:
        revisions = manual_pdf.in_force_revisions()
        recent = timezone.localdate() - RECENT
        categories: dict = {}
        for revision in revisions:
            categories.setdefault(revision.procedure.category, []).append(
                (revision, timezone.localtime(revision.effective_at).date() >= recent)
            )
        withdrawn = Procedure.objects.exclude(withdrawn_at=None).order_by("code")
        return {"categories": categories, "withdrawn": withdrawn}


class ProcedureView(ManualMixin, TemplateView):
    """/manual/<CODE>/ is the revision in force; /manual/<CODE>/rev/<N>/ one revision forever."""

    template_name = "manual/procedure.html"

    def get(self, request, code, number=None):
        # The address names the page; what is in force at it, and every change to the
        # procedure, moves the manual's state in the key: nothing is read before the cache.
        page_key = page_cache.key(request, "procedure", request.get_full_path())
        return page_cache.serve(request, page_key, lambda: self.build(request, code, number))

    def build(self, request, code, number):
        procedure = _procedure(code)
        if code != procedure.code and number is None:
            return redirect("manual:procedure", code=procedure.code)
        current = selectors.revision_in_force(procedure)
        versions = selectors.language_versions(procedure) if current else []
        if number is None and "chosen" not in request.GET:
            # A reader whose language has a translation in force reads it first (it links back);
            # their language as the To-read list knows it (theirs, else the site's).
            mine = notifications.language_of(request.user)
            theirs = next((v for v in versions if v.procedure.language == mine), None)
            if theirs is not None and theirs.procedure.pk != procedure.pk:
                return redirect("manual:procedure", code=theirs.procedure.code)
        if number is None:
            if current is None:
                if procedure.withdrawn_at:
                    return render(
                        request, "manual/withdrawn.html", {"procedure": procedure}, status=410
                    )
                raise Http404(_("%(code)s is not in force yet.") % {"code": procedure.code})
            revision = current
        else:
            revision = _published_revision(procedure, number)
        return self.page(procedure, revision, current, versions=versions)

    def page(self, procedure, revision, current, feedback_form=None, status=200, versions=None):
        user = self.request.user
        if versions is None:
            versions = selectors.language_versions(procedure) if current else []
        return self.render_to_response(
            self.get_context_data(
                procedure=procedure,
                revision=revision,
                also_in=[v for v in versions if v.procedure.pk != procedure.pk],
                source_now=selectors.source_moved_on(revision) if current == revision else None,
                article=self.article(procedure, revision, current),
                reading=reading.panel(user, procedure, revision, current, versions),
                feedback=panels.feedback_panel(user, procedure, revision, feedback_form),
            ),
            status=status,
        )

    def article(self, procedure, revision, current) -> str:
        """The document part of the page, the same for every reader: cached while nothing it
        shows can change (the key names all that can), and for a few minutes at most, so that a
        signature made invalid behind SOP Desk's back still shows as INVALID soon."""
        key = "sopdesk:manual-article:" + ":".join(
            str(part)
            for part in (
                revision.pk,
                current.pk if current else 0,
                procedure.next_review_on,
                procedure.withdrawn_at,
                procedure.replaced_by_id,
                get_language(),
            )
        )
        article = cache.get(key)
        if article is None:
            context = self.context_for(procedure, revision, current)
            article = mark_safe(render_to_string("manual/_procedure_article.html", context))  # noqa: S308
            if context["body"] is not None and context["pdf_ready"]:
                cache.set(key, article, ARTICLE_CACHE_SECONDS)
        return article

    def context_for(self, procedure, revision, current) -> dict:
        stored = {r.kind: r for r in revision.renditions.all()}
        html = stored.get(Rendition.Kind.HTML)
        pdf_ready = Rendition.Kind.PDF in stored
        content_hash = canonical_hash(revision)
        signatures = [
            (s, s.is_valid_for(content_hash)) for s in revision.signatures.order_by("signed_at")
        ]
        history = list(
            selectors.published_of(procedure)
            .select_related("author")
            .prefetch_related(
                Prefetch(
                    "signatures",
                    queryset=Signature.objects.filter(meaning=Signature.Meaning.APPROVED).order_by(
                        "signed_at"
                    ),
                    to_attr="approvals",
                )
            )
            .order_by("-number")
        )
        return dict(
            procedure=procedure,
            revision=revision,
            current=current,
            is_current=current is not None and current.pk == revision.pk,
            body=publishing.stored_text(html) if html else None,
            pdf_ready=pdf_ready,
            signatures=signatures,
            history=history,
            has_previous=any(r.number < revision.number for r in history),
        )


class RedlineView(ManualMixin, TemplateView):
    """What changed from the previous published revision to this one."""

    template_name = "manual/changes.html"

    def get(self, request, code, number):
        procedure = _procedure(code)
        new = _published_revision(procedure, number)
        old = (
            selectors.published_of(procedure).filter(number__lt=number).order_by("-number").first()
        )
        if old is None:
            raise Http404(
                _("Revision %(number)d is the first of %(code)s.")
                % {"number": number, "code": procedure.code}
            )
        return self.render_to_response(
            self.get_context_data(
                procedure=procedure,
                old=old,
                new=new,
                sections=reading.changes(old, new),
            )
        )


def pdf_response(request, procedure: Procedure, revision: Revision):
    kind = Rendition.Kind.PDF
    if selectors.no_longer_in_force(revision):
        kind = Rendition.Kind.PDF_SUPERSEDED
    rendition = revision.renditions.filter(kind=kind).first()
    if rendition is None:
        response = render(
            request,
            "manual/preparing.html",
            {"procedure": procedure, "revision": revision},
            status=503,
        )
        response["Retry-After"] = "30"
        return response
    found = {
        "name": rendition.file.name,
        "content_type": "application/pdf",
        "filename": f"{procedure.code}-rev{revision.number}.pdf",
        "etag": rendition.sha256,
        "cache_control": "private, max-age=300",
        "sandbox": False,  # the browser's PDF viewer is an embedded object: see PageCSPMiddleware
    }
    response = serving.stored_file(request, **found)
    response.stored_file = found  # what ProcedurePdfView keeps
    return response


class ProcedurePdfView(ManualMixin, View):
    """The stored PDF of the revision in force, or of one revision. Which file an address serves
    is the same for every reader and changes only with the manual's state: it is kept under
    that state, so a download costs the sign-in and one query before the bytes."""

    def get(self, request, code, number=None):
        key = f"sopdesk:pdf-file:{code.upper()}:{number}:{freshness.manual_state()}"
        found = cache.get(key)
        if found is None:
            response = self.build(request, code, number)
            if getattr(response, "stored_file", None):
                cache.set(key, response.stored_file, PDF_FILE_SECONDS)
            return response
        return serving.stored_file(request, **found)

    def build(self, request, code, number):
        procedure = _procedure(code)
        if number is None:
            revision = selectors.revision_in_force(procedure)
            if revision is None:
                raise Http404(_("%(code)s is not in force.") % {"code": procedure.code})
        else:
            revision = _published_revision(procedure, number)
        return pdf_response(request, procedure, revision)


class ManualPdfView(ManualMixin, View):
    """The whole manual: the latest build; while none is finished, the page shows progress.
    Reading writes nothing: a build is queued whenever the manual changes, or by the button
    this page shows when there has never been one."""

    def get(self, request):
        build = manual_pdf.latest_done()
        building = manual_pdf.in_progress()
        if build is None or (request.GET.get("wait") and building):
            response = render(request, "manual/building.html", {"building": building}, status=503)
            response["Retry-After"] = "5"
            return response
        return serving.stored_file(
            request,
            build.file.name,
            content_type="application/pdf",
            filename="manual.pdf",
            etag=build.sha256,
            cache_control="private, max-age=60",
            sandbox=False,
        )

    def post(self, request):
        tasks.queue_manual_build()
        messages.info(request, _("The manual PDF is being built."))
        return redirect("manual_pdf")
