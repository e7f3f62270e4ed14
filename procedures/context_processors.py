from django.conf import settings

from . import notifications, permissions
from .languages import language_choices


def navigation(request) -> dict:
    """What the layout needs to show each role its own navigation."""
    user = request.user
    return {
        "organisation": settings.SOPDESK_ORGANISATION,
        "languages": language_choices(),
        "nav": {
            "desk": permissions.can_use_desk(user),
            "manual": permissions.can_read_manual(user),
            "create": permissions.can_create_procedure(user),
            "admin": permissions.can_manage_catalogue(user) and user.is_staff,
            "audit": permissions.can_read_audit_log(user),
            "reading": permissions.can_follow_reading(user),
            "agent": permissions.is_agent(user),
            "feedback": permissions.can_use_desk(user),
            "unread": notifications.unread_count(user),
        },
    }
