"""The document controller's admin: categories, owners and people. History is read-only.

Revisions are shown but never changed here: drafts are written on /desk/ and statuses
change only through workflow.py.
"""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from . import permissions
from .models import Category, Procedure, Revision, User


class ReadOnlyHistoryAdmin(SimpleHistoryAdmin):
    """History can be read; nothing can be reverted (SIMPLE_HISTORY_REVERT_DISABLED) or deleted."""

    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(User)
class SopDeskUserAdmin(UserAdmin, ReadOnlyHistoryAdmin):
    list_display = ("username", "first_name", "last_name", "email", "role_names", "is_active")
    list_filter = ("groups", "is_active", "is_staff")

    @admin.display(description=_("roles"))
    def role_names(self, user: User) -> str:
        return ", ".join(sorted(g.name for g in user.groups.all()))

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("groups")

    def get_readonly_fields(self, request, obj=None):
        # A document controller manages people and roles, not superuser powers.
        if request.user.is_superuser:
            return super().get_readonly_fields(request, obj)
        return ("is_superuser", "user_permissions", "last_login", "date_joined")


@admin.register(Category)
class CategoryAdmin(ReadOnlyHistoryAdmin):
    list_display = ("name", "order")
    ordering = ("order", "name")


@admin.register(Procedure)
class ProcedureAdmin(ReadOnlyHistoryAdmin):
    list_display = ("code", "category", "owner", "review_interval_months")
    list_filter = ("category",)
    search_fields = ("code",)
    list_select_related = ("category", "owner")
    ordering = ("code",)

    def get_readonly_fields(self, request, obj=None):
        # A code is a stable identifier: set once, never changed.
        return ("code",) if obj else ()

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
