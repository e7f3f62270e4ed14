"""The admin's pages for webhook subscriptions and their deliveries (document controllers).

A subscription gets its signing secret when first saved (integrations.prepare_subscription),
shown read-only afterwards for the controller to copy into the receiving system; its address
is checked as the sender will check it (webhooks.target). A subscription is switched off, not
deleted: its deliveries stay listed. Deliveries are read-only; failed ones can be sent again.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from . import audit, integrations, permissions, tasks, webhooks
from .models import AuditEvent, WebhookDelivery, WebhookSubscription
from .texts import later


class WebhookSubscriptionForm(forms.ModelForm):
    """The address is checked as the sender checks it before every delivery."""

    def clean_url(self) -> str:
        url = self.cleaned_data["url"]
        try:
            webhooks.target(url)
        except webhooks.WebhookRefused as refusal:
            raise forms.ValidationError(refusal.message) from None
        return url


class ControllersOnly:
    def has_module_permission(self, request) -> bool:
        return permissions.can_manage_integrations(request.user)

    def has_view_permission(self, request, obj=None) -> bool:
        return permissions.can_manage_integrations(request.user)


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(ControllersOnly, admin.ModelAdmin):
    form = WebhookSubscriptionForm
    fields = ("api_key", "url", "on_revision_in_force", "on_procedure_withdrawn", "is_active")
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    list_display = (
        "url",
        "api_key",
        "on_revision_in_force",
        "on_procedure_withdrawn",
        "is_active",
        "created_at",
    )
    list_filter = ("is_active",)
    list_select_related = ("api_key",)
    ordering = ("-created_at",)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        if obj is None:  # a new subscription's key; an existing one stays editable once revoked
            form.base_fields["api_key"].queryset = webhooks.subscribable_keys()
        return form

    def get_fields(self, request, obj=None):
        return self.fields + (("secret", "created_at") if obj is not None else ())

    def get_readonly_fields(self, request, obj=None):
        return ("secret", "created_at") if obj is not None else ()

    def save_model(self, request, obj, form, change):
        # On the audit trail like the admin's other changes (admin.AuditedAdminMixin); never
        # the secret, which is no form field.
        before = WebhookSubscription.objects.filter(pk=obj.pk).first() if change else None
        changes = {
            name: [audit.describe(getattr(before, name, None)), audit.describe(getattr(obj, name))]
            for name in form.changed_data
        }
        integrations.prepare_subscription(obj)
        super().save_model(request, obj, form, change)
        audit.record(
            action=AuditEvent.Action.ADMIN_CHANGE,
            actor=request.user,
            changes=changes,
            target=later(lambda: f"{obj._meta.verbose_name}: {obj}"),
            reason=_("Changed in the administration")
            if change
            else _("Added in the administration"),
        )

    def response_add(self, request, obj, post_url_continue=None):
        if "_addanother" in request.POST or "_popup" in request.POST:
            return super().response_add(request, obj, post_url_continue)
        # Straight to its page, where the secret the receiving system needs is shown.
        self.message_user(
            request,
            _("Copy the signing secret into the receiving system: it checks every delivery."),
            messages.SUCCESS,
        )
        return HttpResponseRedirect(
            reverse("admin:procedures_webhooksubscription_change", args=[obj.pk])
        )

    def has_add_permission(self, request) -> bool:
        return permissions.can_manage_integrations(request.user)

    def has_change_permission(self, request, obj=None) -> bool:
        return permissions.can_manage_integrations(request.user)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # switched off instead: its deliveries stay listed


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ControllersOnly, admin.ModelAdmin):
    list_display = (
        "created_at",
        "event",
        "subscription",
        "status",
        "attempts",
        "last_response_status",
        "last_error",
        "next_attempt_at",
        "delivered_at",
    )
    list_filter = ("status", "event")
    list_select_related = ("subscription__api_key",)
    ordering = ("-created_at",)
    actions = ["send_again"]

    @admin.action(description=_("Send again now"))
    def send_again(self, request, queryset):
        if not permissions.can_manage_integrations(request.user):
            raise PermissionDenied
        again = tasks.send_webhooks_again(list(queryset.values_list("pk", flat=True)))
        if again:
            self.message_user(
                request,
                _("Sent again: %(count)d.") % {"count": len(again)},
                messages.SUCCESS,
            )
        else:
            self.message_user(request, _("None of these deliveries had failed."), messages.INFO)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
