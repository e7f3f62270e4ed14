"""The admin's pages for API keys and call reasons: the document controllers' (permissions.
can_manage_integrations / can_map_call_reasons). A key is created here and shown once; only its
hash is stored; revoking is an action, never a deletion (the audit trail names the key)."""

from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from . import integrations, permissions
from .models import ApiKey, CallReason


class ApiKeyForm(forms.ModelForm):
    class Meta:
        model = ApiKey
        fields = ["name", "read_manual", "read_reading", "act_for_agents", "requests_per_minute"]

    def clean(self):
        cleaned = super().clean()
        if not any(cleaned.get(f) for f in ("read_manual", "read_reading", "act_for_agents")):
            # on a field, so that the database's own check is not reported a second time
            self.add_error("read_manual", _("Choose at least one scope: what may this key do?"))
        return cleaned


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    form = ApiKeyForm
    list_display = [
        "name",
        "key_start",
        "read_manual",
        "read_reading",
        "act_for_agents",
        "requests_per_minute",
        "created_at",
        "last_used_at",
        "revoked_at",
    ]
    list_filter = ["revoked_at", "read_reading", "act_for_agents"]
    search_fields = ["name", "prefix"]
    actions = ["revoke"]
    readonly_fields = [
        "key_start",
        "created_at",
        "created_by",
        "last_used_at",
        "revoked_at",
        "revoked_by",
    ]

    @admin.display(description=_("key starts with"))
    def key_start(self, key: ApiKey) -> str:
        return f"{integrations.KEY_PREFIX}{key.prefix}_…"

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        if not obj.is_active:
            return [*self.form.Meta.fields, *self.readonly_fields]
        return self.readonly_fields

    def save_model(self, request, obj, form, change):
        if change:
            return super().save_model(request, obj, form, change)
        created = integrations.create_key(
            name=obj.name,
            created_by=request.user,
            read_manual=obj.read_manual,
            read_reading=obj.read_reading,
            act_for_agents=obj.act_for_agents,
            requests_per_minute=obj.requests_per_minute,
        )
        obj.pk = created.key.pk
        obj.prefix = created.key.prefix
        messages.warning(
            request,
            _(
                "The key for %(name)s is %(key)s — copy it now into the system that uses it: "
                "it is not stored and will not be shown again."
            )
            % {"name": obj.name, "key": created.secret},
        )

    def log_addition(self, request, obj, message):
        obj.refresh_from_db()
        return super().log_addition(request, obj, message)

    @admin.action(description=_("Revoke the selected keys"))
    def revoke(self, request, queryset):
        count = 0
        for key in queryset:
            if key.is_active:
                integrations.revoke_key(key=key, actor=request.user)
                count += 1
        messages.success(
            request,
            ngettext(
                "%(count)d key revoked: it is refused from now on.",
                "%(count)d keys revoked: they are refused from now on.",
                count,
            )
            % {"count": count},
        )

    def has_module_permission(self, request) -> bool:
        return permissions.can_manage_integrations(request.user)

    def has_view_permission(self, request, obj=None) -> bool:
        return permissions.can_manage_integrations(request.user)

    def has_add_permission(self, request) -> bool:
        return permissions.can_manage_integrations(request.user)

    def has_change_permission(self, request, obj=None) -> bool:
        return permissions.can_manage_integrations(request.user)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # revoke instead: the audit trail and deliveries name the key


class CallReasonForm(forms.ModelForm):
    class Meta:
        model = CallReason
        fields = ["code", "description", "procedures"]

    def clean_code(self):
        code = self.cleaned_data["code"].strip()
        clash = CallReason.objects.filter(code__iexact=code).exclude(pk=self.instance.pk)
        if clash.exists():
            raise forms.ValidationError(
                _("The call reason %(code)s exists already (codes match whatever their case).")
                % {"code": clash.first().code}
            )
        return code


@admin.register(CallReason)
class CallReasonAdmin(admin.ModelAdmin):
    form = CallReasonForm
    list_display = ["code", "description", "procedure_codes"]
    search_fields = ["code", "description", "procedures__code"]
    filter_horizontal = ["procedures"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("procedures")

    def save_related(self, request, form, formsets, change):
        """The procedures whose call reasons changed get it on their audit trail, as when the
        mapping is changed on the desk (integrations.set_call_reasons)."""
        reason = form.instance
        before = set(reason.procedures.values_list("pk", flat=True)) if change else set()
        super().save_related(request, form, formsets, change)
        after = set(reason.procedures.values_list("pk", flat=True))
        integrations.record_reason_change(
            code=reason.code, gained=after - before, lost=before - after, actor=request.user
        )

    def delete_model(self, request, obj):
        procedure_ids = set(obj.procedures.values_list("pk", flat=True))
        code = obj.code
        super().delete_model(request, obj)
        integrations.record_reason_change(
            code=code, gained=set(), lost=procedure_ids, actor=request.user
        )

    @admin.display(description=_("procedures"))
    def procedure_codes(self, reason: CallReason) -> str:
        return ", ".join(sorted(p.code for p in reason.procedures.all()))

    def has_module_permission(self, request) -> bool:
        return permissions.can_map_call_reasons(request.user)

    def has_view_permission(self, request, obj=None) -> bool:
        return permissions.can_map_call_reasons(request.user)

    def has_add_permission(self, request) -> bool:
        return permissions.can_map_call_reasons(request.user)

    def has_change_permission(self, request, obj=None) -> bool:
        return permissions.can_map_call_reasons(request.user)

    def has_delete_permission(self, request, obj=None) -> bool:
        return permissions.can_map_call_reasons(request.user)
