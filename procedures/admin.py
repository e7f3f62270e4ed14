"""The document controller's admin: categories, owners, people, procedure templates. History is
read-only.

Revisions are shown but never changed here: drafts are written on /desk/ and statuses
change only through workflow/.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.db import models
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from . import audit, lockout, notifications, permissions, search, selectors
from .forms import AdminSignInForm
from .models import (
    ApprovalRule,
    AuditEvent,
    Category,
    LoginAttempt,
    Procedure,
    ProcedureTemplate,
    Revision,
    Team,
    User,
)
from .texts import later

admin.site.site_header = _("SOP Desk administration")
admin.site.site_title = _("SOP Desk administration")
admin.site.index_title = _("People, categories, templates and rules")
admin.site.login_form = AdminSignInForm


class AuditedAdminMixin:
    """Every change made in the admin lands on the audit trail with its old and new values."""

    def save_model(self, request, obj, form, change):
        before = type(obj).objects.filter(pk=obj.pk).first() if change else None
        changes = {}
        for name in form.changed_data:
            field = (
                obj._meta.get_field(name)
                if name in {f.name for f in obj._meta.get_fields()}
                else None
            )
            if field is None or field.many_to_many or name == "password":
                continue
            old = getattr(before, name) if before else None
            changes[name] = [audit.describe(old), audit.describe(getattr(obj, name))]
        request._sopdesk_m2m_before = {
            f.name: sorted(str(x) for x in getattr(before, f.name).all()) if before else []
            for f in obj._meta.many_to_many
            if f.name in form.changed_data
        }
        super().save_model(request, obj, form, change)
        request._sopdesk_audit = audit.record(
            action=AuditEvent.Action.ADMIN_CHANGE,
            actor=request.user,
            procedure=obj if isinstance(obj, Procedure) else None,
            changes=changes,
            target=later(lambda: f"{obj._meta.verbose_name}: {obj}"),
            reason=_("Added in the administration")
            if not change
            else _("Changed in the administration"),
        )

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        before = getattr(request, "_sopdesk_m2m_before", {})
        extra = {
            name: [old, sorted(str(x) for x in getattr(form.instance, name).all())]
            for name, old in before.items()
        }
        for formset in formsets:
            for inline_form in formset.forms:
                if inline_form.has_changed():
                    extra[str(inline_form.instance._meta.verbose_name)] = [
                        None,
                        {
                            f: audit.describe(inline_form.cleaned_data.get(f))
                            for f in inline_form.changed_data
                        },
                    ]
        if extra:
            # The event above is append-only: the related changes are a second event.
            audit.record(
                action=AuditEvent.Action.ADMIN_CHANGE,
                actor=request.user,
                procedure=form.instance if isinstance(form.instance, Procedure) else None,
                changes=extra,
                target=later(lambda: f"{form.instance._meta.verbose_name}: {form.instance}"),
                reason=_("Changed in the administration"),
            )


class ReadOnlyHistoryAdmin(AuditedAdminMixin, SimpleHistoryAdmin):
    """History can be read; nothing can be reverted (SIMPLE_HISTORY_REVERT_DISABLED) or deleted."""

    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class InvitedUserForm(forms.ModelForm):
    """A new account without a password: the person sets their own through "Forgot your
    password?", so whoever created the account never knows it."""

    class Meta:
        model = User
        fields = ("username", "first_name", "last_name", "email")

    def save(self, commit=True):
        user = super().save(commit=False)
        user.set_unusable_password()
        if commit:
            user.save()
        return user


@admin.register(User)
class SopDeskUserAdmin(UserAdmin, ReadOnlyHistoryAdmin):
    """People and their roles. A document controller (not a superuser) cannot set anyone's
    password, change a superuser, redirect the e-mail of an account that has a password, or
    change their own roles: no controller can make themselves, or take over, a signer. Role
    changes are audited and e-mailed to the person and to every document controller."""

    list_display = (
        "username", "first_name", "last_name", "email", "role_names", "team", "is_active",
    )  # fmt: skip
    list_filter = ("groups", "team", "is_active", "is_staff")
    actions = ["unlock"]
    fieldsets = (
        *UserAdmin.fieldsets,
        (_("Team and language"), {"fields": ("team", "language")}),
        (_("Wrong passwords"), {"fields": ("locked_until",)}),
    )
    add_fieldsets = (*UserAdmin.add_fieldsets, (_("Team"), {"fields": ("team",)}))
    invite_fieldsets = (
        (
            None,
            {
                "fields": ("username", "first_name", "last_name", "email"),
                "description": _(
                    "The new person sets their own password with “Forgot your password?” on the "
                    "sign-in page (or an administrator sets it)."
                ),
            },
        ),
    )

    @admin.display(description=_("roles"))
    def role_names(self, user: User) -> str:
        labels = permissions.ROLE_LABELS
        return ", ".join(sorted(str(labels.get(g.name, g.name)) for g in user.groups.all()))

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("team").prefetch_related("groups")

    @admin.display(description=_("locked until"))
    def locked_until(self, user: User) -> str:
        until = lockout.locked_until(user)
        if until is None:
            return _("not locked")
        return _("%(time)s (use the action “Unlock sign-in and signing” in the list)") % {
            "time": formats.localize(timezone.localtime(until))
        }

    @admin.action(description=_("Unlock sign-in and signing"))
    def unlock(self, request, queryset):
        if not permissions.can_unlock_accounts(request.user):
            raise PermissionDenied(_("Only document controllers unlock accounts."))
        unlocked = [user for user in queryset if lockout.unlock(user=user, by=request.user)]
        if unlocked:
            self.message_user(
                request,
                _("Unlocked: %(names)s.") % {"names": ", ".join(u.display_name for u in unlocked)},
                messages.SUCCESS,
            )
        else:
            self.message_user(request, _("None of them was locked."), messages.INFO)

    def get_form(self, request, obj=None, **kwargs):
        if obj is None and not request.user.is_superuser:
            kwargs["form"] = InvitedUserForm
        return super().get_form(request, obj, **kwargs)

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return self.add_fieldsets if request.user.is_superuser else self.invite_fieldsets
        fieldsets = super().get_fieldsets(request, obj)
        if permissions.can_set_password_of(request.user, obj):
            return fieldsets
        return [
            (name, {**options, "fields": [f for f in options["fields"] if f != "password"]})
            for name, options in fieldsets
        ]

    def get_readonly_fields(self, request, obj=None):
        readonly = ["last_login", "date_joined", "locked_until"]
        if not request.user.is_superuser:
            readonly += ["is_superuser", "user_permissions"]
        if obj is not None and not permissions.can_change_roles_of(request.user, obj):
            readonly += ["groups", "is_staff", "is_superuser", "is_active", "user_permissions"]
        if obj is not None and not permissions.can_change_email_of(request.user, obj):
            readonly += ["email"]
        return tuple(dict.fromkeys(readonly))

    def has_change_permission(self, request, obj=None) -> bool:
        allowed = super().has_change_permission(request, obj)
        return allowed and (obj is None or permissions.can_change_account(request.user, obj))

    def user_change_password(self, request, id, form_url=""):
        person = self.get_object(request, unquote(id))
        if person is not None and not permissions.can_set_password_of(request.user, person):
            raise PermissionDenied(_("Only an administrator sets another person's password."))
        response = super().user_change_password(request, id, form_url)
        if request.method == "POST" and response.status_code == 302 and person is not None:
            audit.record(
                action=AuditEvent.Action.ADMIN_CHANGE,
                actor=request.user,
                target=later(lambda: f"{person._meta.verbose_name}: {person}"),
                changes={"password": [None, str(_("set by an administrator"))]},
            )
            notifications.password_set(person, by=request.user)
        return response

    def save_related(self, request, form, formsets, change):
        before = sorted(g.name for g in form.instance.groups.all()) if change else []
        super().save_related(request, form, formsets, change)
        after = sorted(g.name for g in form.instance.groups.all())
        if after != before:
            controllers = Group.objects.get(name=permissions.DOCUMENT_CONTROLLER).user_set.exclude(
                pk__in=[form.instance.pk, request.user.pk]
            )
            notifications.roles_changed(
                form.instance, before=before, after=after, by=request.user, controllers=controllers
            )


@admin.register(Team)
class TeamAdmin(ReadOnlyHistoryAdmin):
    """Teams and their supervisors; agents join a team on their user page."""

    list_display = ("name", "supervisor", "agents")
    ordering = ("name",)
    list_select_related = ("supervisor",)

    @admin.display(description=_("agents"))
    def agents(self, team: Team) -> int:
        return team.members.filter(groups__name=permissions.AGENT, is_active=True).count()

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "supervisor":
            kwargs["queryset"] = User.objects.filter(
                groups__name=permissions.SUPERVISOR, is_active=True
            ).order_by("first_name", "last_name")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class ApprovalRuleInline(admin.StackedInline):
    model = ApprovalRule
    can_delete = False
    extra = 1
    max_num = 1
    verbose_name = _("approval rule")
    verbose_name_plural = _("approval rule (without one: one approval, no review first)")


@admin.register(Category)
class CategoryAdmin(ReadOnlyHistoryAdmin):
    list_display = ("name", "order", "approvals", "review_first")
    ordering = ("order", "name")
    inlines = [ApprovalRuleInline]
    list_select_related = ("approval_rule",)

    @admin.display(description=_("approvals required"))
    def approvals(self, category: Category) -> int:
        rule = getattr(category, "approval_rule", None)
        return rule.approvals_required if rule else 1

    @admin.display(description=_("review first"), boolean=True)
    def review_first(self, category: Category) -> bool:
        rule = getattr(category, "approval_rule", None)
        return bool(rule and rule.review_required)


@admin.register(ProcedureTemplate)
class ProcedureTemplateAdmin(admin.ModelAdmin):
    """The document controller's templates for new procedures."""

    list_display = ("name", "language", "step_format", "is_active", "order")
    list_editable = ("is_active", "order")
    list_filter = ("language", "is_active")
    ordering = ("language", "order", "name")
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "name",
                    "language",
                    "description",
                    "order",
                    "is_active",
                    "title",
                    "step_format",
                )
            },
        ),  # fmt: skip
        (
            _("Elements"),
            {
                "description": _(
                    "Write guidance between [[ and ]]. A draft cannot be submitted while any "
                    "guidance is left, so every author replaces it with their own text."
                ),
                "fields": (
                    "purpose",
                    "scope",
                    "responsibilities",
                    "steps",
                    "procedure_notes",
                    "measures",
                    "measures_notes",
                    "documentation",
                    "training",
                    "review_and_approval",
                ),
            },
        ),
    )


@admin.register(Procedure)
class ProcedureAdmin(ReadOnlyHistoryAdmin):
    list_display = (
        "code",
        "category",
        "owner",
        "language",
        "review_interval_months",
        "acknowledge_within_days",
    )
    filter_horizontal = ("audience",)
    list_filter = ("category", "language")
    search_fields = ("code",)
    list_select_related = ("category", "owner")
    ordering = ("code",)

    # Set only by workflow/ (review dates, withdrawal): shown, never edited here.
    workflow_fields = (
        "next_review_on",
        "withdrawal_requested_at",
        "withdrawal_requested_by",
        "withdrawal_reason",
        "replaced_by",
        "withdrawn_at",
    )

    def get_readonly_fields(self, request, obj=None):
        # A code is a stable identifier: set once, never changed. What a procedure translates is
        # set when it is created; its language, until a revision is submitted (what was signed
        # and stored is in that language).
        fixed = ("code", "translation_of") if obj else ()
        if obj and selectors.submitted().filter(procedure=obj).exists():
            fixed += ("language",)
        if obj and obj.translation_of_id:  # read by its source's teams
            fixed += ("audience",)
        return fixed + self.workflow_fields

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if "language" in form.changed_data:  # its drafts are searched in the new language
            for revision in obj.revisions.all():
                search.index_revision(revision)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "owner":
            kwargs["queryset"] = User.objects.filter(
                groups__name=permissions.SUPERVISOR, is_active=True
            ).order_by("first_name", "last_name")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_add_permission(self, request) -> bool:
        # A procedure is created with its first draft on /desk/new/.
        return False


@admin.register(Revision)
class RevisionAdmin(ReadOnlyHistoryAdmin):
    list_display = ("procedure", "number", "title", "status", "author", "updated_at")
    list_filter = ("status", "procedure__category")
    search_fields = ("procedure__code", "title")
    list_select_related = ("procedure", "author")
    ordering = ("procedure__code", "-number")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(LoginAttempt)
class FailedSignInAdmin(admin.ModelAdmin):
    """Failed sign-ins, read-only; a document controller lifts the lock on the network address
    of a floor that typed too many wrong passwords (as on an account: on the audit trail)."""

    list_display = ("attempted_at", "username", "user", "address", "address_lock")
    list_filter = ("address",)
    search_fields = ("username", "address")
    ordering = ("-attempted_at",)
    list_select_related = ("user",)
    actions = ["unlock_addresses"]

    @admin.display(description=_("network address locked until"))
    def address_lock(self, attempt: LoginAttempt) -> str:
        until = lockout.address_locked_until(attempt.address)
        return formats.localize(timezone.localtime(until)) if until else "—"

    @admin.action(description=_("Lift the lock on their network addresses"))
    def unlock_addresses(self, request, queryset):
        if not permissions.can_unlock_accounts(request.user):
            raise PermissionDenied(_("Only document controllers unlock accounts."))
        addresses = sorted({a for a in queryset.values_list("address", flat=True) if a})
        lifted = [a for a in addresses if lockout.unlock_address(address=a, by=request.user)]
        if lifted:
            self.message_user(
                request,
                _("Lifted the lock on: %(addresses)s.") % {"addresses": ", ".join(lifted)},
                messages.SUCCESS,
            )
        else:
            self.message_user(request, _("None of these addresses was locked."), messages.INFO)

    def has_module_permission(self, request) -> bool:
        return permissions.can_unlock_accounts(request.user)

    def has_view_permission(self, request, obj=None) -> bool:
        return permissions.can_unlock_accounts(request.user)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


# Integrations: API keys, call reasons, webhooks (registered by their own modules).
from . import admin_integrations, admin_webhooks  # noqa: E402, F401
