"""The procedure where the agent already is: the panel a CRM shows in a side panel or an iframe
(/embed/<CODE>/, /embed/for/<REASON>/), and the manual's way in by call reason
(/manual/for/<REASON>/).

The panel is the only page other sites may frame: its responses name SOPDESK_EMBED_ORIGINS
(read on each request) in the CSP's frame-ancestors and send no X-Frame-Options; every other
page keeps `frame-ancestors 'none'` and `X-Frame-Options: DENY`. So every answer of the panel,
refusals included, is its own compact page (the site's 404 or login page would refuse the
frame): a person not signed in is given a link that opens the sign-in in a new tab.

A revision in force never changes: its steps and elements are rendered (through the sanitizer)
once per revision and language and cached, so building a panel costs the person, the
procedure, its language versions and the reading state; a kept panel (page_cache) only the
person.
"""

from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.generic import TemplateView, View

from .. import notifications, page_cache, permissions, reading, selectors, services
from ..document_data import DocumentData, gather
from ..models import Procedure, Revision
from ..rendering.markdown import render_markdown
from .manual import ManualMixin
from .reading import recorded

# What a revision in force shows never changes; the number changes with the template's shape.
DOCUMENT_CACHE_SECONDS = 24 * 60 * 60
DOCUMENT_CACHE_VERSION = 1


def framable(response):
    """This response may be shown in a frame by SOP Desk itself and the configured sites."""
    response._csp_replace = {"frame-ancestors": ["'self'", *settings.SOPDESK_EMBED_ORIGINS]}
    response.xframe_options_exempt = True
    return response


def page(request, template: str, context: dict, status: int = 200) -> HttpResponse:
    """A panel's page. Without the site's context processors: the panel shows none of the site's
    navigation, and they would cost a query (the unread notifications) on every panel."""
    context = {
        "user": request.user,
        "messages": messages.get_messages(request),
        "csrf_token": get_token(request),
        **context,
    }
    return HttpResponse(render_to_string(template, context), status=status)


def _message(request, title: str, text: str, *, status: int, search: str = ""):
    return page(
        request,
        "embed/message.html",
        {"title": title, "text": text, "search": search},
        status=status,
    )


def _manual_url(user, procedure: Procedure) -> str:
    """The manual's page of exactly this version: the manual would otherwise send a reader to
    the version in their own language (the panel chose already)."""
    url = reverse("manual:procedure", kwargs={"code": procedure.code})
    return url if procedure.language == notifications.language_of(user) else url + "?chosen=1"


def csrf_refused(request):
    """A panel's form refused by the CSRF check (the session changed, or the frame's browser
    keeps SOP Desk's cookies out): said in the panel, which the frame may show."""
    return framable(
        _message(
            request,
            _("Not recorded"),
            _(
                "The panel's session changed before this was sent, so nothing was recorded. "
                "Reload the panel and try again, or use “Open in SOP Desk”."
            ),
            status=403,
        )
    )


class EmbedMixin(View):
    """Readers of the manual; the others get a compact page, never a redirect to a page that may
    not be framed. Every answer may be framed by the configured sites."""

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            response = self.sign_in(request)
        elif not permissions.can_read_manual(request.user):
            response = _message(
                request,
                _("Not available"),
                _("Your account cannot read the manual."),
                status=403,
            )
        else:
            response = super().dispatch(request, *args, **kwargs)
        return framable(response)

    def sign_in(self, request):
        back = request.get_full_path() if request.method == "GET" else self.back(request)
        login = reverse("login") + "?" + urlencode({"next": back})
        return page(request, "embed/sign_in.html", {"login_url": login})

    def back(self, request) -> str:
        """Where a form of the panel returns: the panel it was sent from, nothing else."""
        back = request.POST.get("next", "")
        if (
            back.startswith("/embed/")
            and url_has_allowed_host_and_scheme(
                back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
            )
            and not urlsplit(back).netloc
        ):
            return back
        return reverse("embed", kwargs={"code": self.kwargs.get("code", "")})

    def panel(self, request, procedure: Procedure, *, choose_language: bool):
        """The panel of `procedure`'s revision in force: in the reader's language when the
        procedure has it in force (unless `choose_language` is off: the caller chose)."""
        versions = selectors.language_versions(procedure)  # what is in force, in one query
        own = next((v for v in versions if v.procedure.pk == procedure.pk), None)
        if own is None:
            if procedure.withdrawn_at:
                return page(request, "embed/withdrawn.html", {"procedure": procedure}, status=410)
            return _message(
                request,
                _("Not in force"),
                _("%(code)s is not in force.") % {"code": procedure.code},
                status=404,
                search=procedure.code,
            )
        shown = own
        if choose_language:  # selectors.version_in, from the versions already read
            shown = next(
                (v for v in versions if v.procedure.language == request.LANGUAGE_CODE), own
            )
        procedure, revision = shown.procedure, shown.revision
        return page(
            request,
            "embed/panel.html",
            {
                "procedure": procedure,
                "revision": revision,
                "document": document(revision),
                "also_in": [v for v in versions if v.procedure.pk != procedure.pk],
                "manual_url": _manual_url(request.user, procedure),
                "reading": reading.panel(request.user, procedure, revision, revision, versions),
                "here": request.get_full_path(),
            },
        )


class EmbedView(EmbedMixin):
    """/embed/<CODE>/: the procedure's revision in force, steps first."""

    def get(self, request, code):
        # kept per person while nothing it shows can change, as the manual's pages (page_cache)
        key = page_cache.key(request, "embed", request.get_full_path())
        return page_cache.serve(request, key, lambda: self.build(request, code))

    def build(self, request, code):
        procedure = Procedure.objects.filter(code__iexact=code).first()
        if procedure is None:
            return _message(
                request,
                _("Not found"),
                _("There is no procedure %(code)s in the manual.") % {"code": code.upper()},
                status=404,
                search=code,
            )
        return self.panel(request, procedure, choose_language="chosen" not in request.GET)


class EmbedForReasonView(EmbedMixin):
    """/embed/for/<REASON>/: the procedure in force for the call reason, or the choice of them."""

    def get(self, request, reason):
        key = page_cache.key(request, "embed", request.get_full_path())
        return page_cache.serve(request, key, lambda: self.build(request, reason))

    def build(self, request, reason):
        found = selectors.call_reason(reason)
        versions = selectors.for_call_reason(found, language=request.LANGUAGE_CODE) if found else []
        if not versions:
            return _message(
                request,
                _("No procedure for this call reason"),
                _("No procedure in force is linked to the call reason %(reason)s.")
                % {"reason": reason},
                status=404,
            )
        if len(versions) == 1:
            return self.panel(request, versions[0].procedure, choose_language=False)
        return page(request, "embed/choose.html", {"reason": found.code, "versions": versions})


class EmbedAcknowledgeView(EmbedMixin):
    """POST only: the agent read and understood the revision; back to the panel they were on."""

    http_method_names = ["post"]

    def post(self, request, code, number):
        back = self.back(request)
        procedure = Procedure.objects.filter(code__iexact=code).first()
        revision = (
            selectors.published_of(procedure).filter(number=number).first() if procedure else None
        )
        if revision is None:
            messages.error(request, _("There is no such revision in force to acknowledge."))
            return redirect(back)
        try:
            acknowledgement = services.acknowledge(agent=request.user, revision=revision)
        except services.NotAllowed as refusal:
            messages.error(request, refusal.message)
            return redirect(back)
        recorded(request, acknowledgement)
        return redirect(back)


def document(revision: Revision) -> SafeString:
    """The panel's document part (steps, then the other elements folded), rendered once per
    revision and language: the revision in force never changes."""
    key = f"sopdesk:embed:{DOCUMENT_CACHE_VERSION}:{revision.pk}:{get_language()}"
    html = cache.get(key)
    if html is None:
        html = render_to_string("embed/_document.html", _document_context(gather(revision)))
        cache.set(key, html, DOCUMENT_CACHE_SECONDS)
    return mark_safe(html)  # noqa: S308 - our template; author text through render_markdown


def _document_context(data: DocumentData) -> dict:
    training_url = (
        data.training_url if urlsplit(data.training_url or "").scheme in ("http", "https") else ""
    )
    return {
        "document": data,
        "steps": [(row, render_markdown(row.step.text)) for row in data.step_rows],
        "html": {name: render_markdown(text) for name, text in data.text.items()},
        "training_url": training_url,
    }


class ManualForReasonView(ManualMixin, TemplateView):
    """/manual/for/<REASON>/: the procedure in force for the call reason (in the reader's language
    when it is translated), a list when there are several, a 404 that says so when none."""

    template_name = "embed/manual_for_reason.html"

    def get(self, request, reason):
        found = selectors.call_reason(reason)
        versions = selectors.for_call_reason(found, language=request.LANGUAGE_CODE) if found else []
        if len(versions) == 1:
            return redirect(_manual_url(request.user, versions[0].procedure))
        return self.render_to_response(
            self.get_context_data(reason=found.code if found else reason, versions=versions),
            status=200 if versions else 404,
        )
