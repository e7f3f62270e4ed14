"""What every endpoint shares: error answers as the schema documents them, pages of lists,
whole numbers from the query string."""

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, inline_serializer
from rest_framework import exceptions, pagination
from rest_framework import serializers as drf_serializers

from . import serializers as s

PROBLEM = OpenApiResponse(s.ProblemSerializer, description="Problem details (RFC 9457).")


def problems(*statuses: int) -> dict:
    """Error answers as the schema documents them: problem details, their own media type."""
    return {(status, "application/problem+json"): PROBLEM for status in statuses}


ERRORS = problems(400, 401, 403, 404, 406, 429)
AGENT = OpenApiParameter(
    "agent",
    str,
    description=str(s.AGENT_HELP),
    required=False,
)


def number_param(request, name: str, default: int, maximum: int) -> int:
    """A whole number from the query string, from 1 to `maximum`; anything else is refused."""
    text = request.query_params.get(name)
    if text is None:
        return default
    if not text.isascii() or not text.isdigit() or not 1 <= int(text) <= maximum:
        raise exceptions.ValidationError(
            {name: [_("Give a whole number from 1 to %(maximum)d.") % {"maximum": maximum}]}
        )
    return int(text)


class Pages(pagination.PageNumberPagination):
    """Pages of a list in a stable order (each view orders by a unique key last)."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    max_page = 100_000

    def paginate_queryset(self, queryset, request, view=None):
        number_param(request, self.page_query_param, 1, self.max_page)
        number_param(request, self.page_size_query_param, self.page_size, self.max_page_size)
        return super().paginate_queryset(queryset, request, view)


def _whole(name: str, maximum: int, description: str) -> OpenApiParameter:
    return OpenApiParameter(
        name,
        {"type": "integer", "minimum": 1, "maximum": maximum},
        description=description,
    )


PAGE_PARAMETERS = [
    _whole("page", Pages.max_page, "From 1."),
    _whole("page_size", Pages.max_page_size, "At most 200; 50 unless given."),
]


def paginated(serializer, name: str):
    """A page of `serializer`'s items, in a stable order, with the addresses of its neighbours."""
    return inline_serializer(
        name=name,
        fields={
            "count": drf_serializers.IntegerField(),
            "next": drf_serializers.URLField(allow_null=True),
            "previous": drf_serializers.URLField(allow_null=True),
            "results": serializer(many=True),
        },
    )
