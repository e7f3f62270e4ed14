"""Signing in and resetting a forgotten password, in the site's layout. A reset goes by
e-mail, so it is offered only where SOP Desk has a real mail server (SOPDESK_PASSWORD_RESET):
elsewhere an administrator sets the password."""

import contextlib

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.generic import TemplateView, View

from .. import permissions, services
from ..forms import ChangePasswordForm, ResetPasswordForm, SignInForm
from ..languages import LanguageForm, language_choices


class SignInView(auth_views.LoginView):
    authentication_form = SignInForm

    def form_valid(self, form):
        response = super().form_valid(form)
        user = form.get_user()
        if not user.language:  # the language their browser asked for becomes theirs
            with contextlib.suppress(services.ServiceError):  # not offered: the site's
                services.set_language(user, translation.get_language())
        return response

    def get_context_data(self, **kwargs):
        return super().get_context_data(password_reset=settings.SOPDESK_PASSWORD_RESET, **kwargs)


class ResetByMailMixin:
    def dispatch(self, request, *args, **kwargs):
        if not settings.SOPDESK_PASSWORD_RESET:
            raise Http404(
                _(
                    "Passwords are not reset by e-mail on this SOP Desk: ask your administrator "
                    "to set a new one."
                )
            )
        return super().dispatch(request, *args, **kwargs)


class PasswordResetView(ResetByMailMixin, auth_views.PasswordResetView):
    form_class = ResetPasswordForm
    email_template_name = "registration/password_reset_email.txt"
    subject_template_name = "registration/password_reset_subject.txt"

    def form_valid(self, form):
        # Links point at the configured address, never at the Host header a request sent.
        self.extra_email_context = {"base_url": settings.SOPDESK_BASE_URL.rstrip("/")}
        return super().form_valid(form)


class PasswordResetDoneView(ResetByMailMixin, auth_views.PasswordResetDoneView):
    pass


class PasswordResetConfirmView(ResetByMailMixin, auth_views.PasswordResetConfirmView):
    pass


class PasswordResetCompleteView(ResetByMailMixin, auth_views.PasswordResetCompleteView):
    pass


class PasswordChangeView(auth_views.PasswordChangeView):
    form_class = ChangePasswordForm


class LanguageView(View):
    """POST /accounts/language/: the language SOP Desk speaks to this person from now on —
    stored on their account when signed in (it follows them to any computer), and in the
    language cookie, which is all there is before sign-in. Then back to the page they were on."""

    def post(self, request):
        form = LanguageForm(request.POST)
        back = request.POST.get("next", "")
        if not url_has_allowed_host_and_scheme(
            back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            back = reverse("home")
        if not form.is_valid():
            messages.error(request, _("Choose one of the languages in the list."))
            return redirect(back)
        language = form.cleaned_data["language"]
        if request.user.is_authenticated:
            services.set_language(request.user, language)
        translation.activate(language)
        messages.success(
            request,
            _("SOP Desk now speaks %(language)s to you.")
            % {"language": dict(language_choices())[language]},
        )
        response = redirect(back)
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            language,
            max_age=settings.LANGUAGE_COOKIE_AGE,
            path=settings.LANGUAGE_COOKIE_PATH,
            domain=settings.LANGUAGE_COOKIE_DOMAIN,
            secure=settings.LANGUAGE_COOKIE_SECURE or request.is_secure(),
            httponly=True,
            samesite=settings.LANGUAGE_COOKIE_SAMESITE or "Lax",
        )
        return response


class ProfileView(LoginRequiredMixin, TemplateView):
    """/accounts/profile/: who this person is to SOP Desk (name, roles, team) and their
    language; their password is changed from here."""

    template_name = "registration/profile.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        return super().get_context_data(
            roles=[
                permissions.ROLE_LABELS[role]
                for role in permissions.ROLES
                if role in permissions.roles_of(user)
            ],
            language_form=LanguageForm(
                initial={"language": user.language or translation.get_language()}
            ),
            **kwargs,
        )
