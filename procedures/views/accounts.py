"""Signing in and resetting a forgotten password, in the site's layout. A reset goes by
e-mail, so it is offered only where SOP Desk has a real mail server (SOPDESK_PASSWORD_RESET):
elsewhere an administrator sets the password."""

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.http import Http404
from django.utils.translation import gettext as _

from ..forms import ChangePasswordForm, ResetPasswordForm, SignInForm


class SignInView(auth_views.LoginView):
    authentication_form = SignInForm

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
