"""CSV downloads that open safely in a spreadsheet."""

import csv
from collections.abc import Iterable, Sequence

from django.http import HttpResponse


def safe_cell(value) -> str:
    """A cell as text; one starting with = + - @ would be a formula to a spreadsheet: kept text."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def csv_response(filename: str, header: Sequence[str], rows: Iterable[Sequence]) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    writer = csv.writer(response)
    writer.writerow(header)
    writer.writerows([safe_cell(cell) for cell in row] for row in rows)
    return response
