"""The API's docs as a CRM developer opens them: Swagger UI served by SOP Desk itself (no CDN),
under the same Content-Security-Policy as every page (the `page` fixture fails on a refusal)."""

import pytest

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_api_docs_render_every_operation_from_sop_desk_itself(page, roles, live_server):
    requested = []
    page.on("request", lambda request: requested.append(request.url))

    page.goto("/api/v1/docs/")

    page.get_by_text("The procedure(s) for a call reason").wait_for()
    assert page.get_by_text("/api/v1/procedures/{code}/", exact=True).first.is_visible()
    assert page.get_by_role("button", name="Authorize").is_visible()
    assert all(url.startswith(live_server.url) for url in requested), requested
