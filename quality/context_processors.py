from . import permissions


def navigation(request) -> dict:
    """The quality area's entries in the layout's navigation, for the roles that have them."""
    user = request.user
    return {
        "quality_nav": {
            "quality": permissions.can_use_quality(user),
            "score_calls": permissions.can_score_calls(user),
            "evaluations": permissions.has_own_evaluations(user),
        }
    }
