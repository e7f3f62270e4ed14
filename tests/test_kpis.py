"""The KPI register: every measure of every procedure in force, filterable, searchable, as CSV."""

import csv
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from procedures import services
from tests.factories import CategoryFactory, make_effective, new_procedure, save


def measure(name, target="≥ 80%", method="ACD report", frequency="Daily"):
    return services.MeasureData(name, target, method, frequency)


@pytest.fixture
def effective(supervisor, approver):
    def make(code, measures, category=None):
        draft = new_procedure(owner=supervisor, code=code)
        if category:
            draft.procedure.category = category
            draft.procedure.save(update_fields=["category"])
        return make_effective(save(draft, measures=measures), approver)

    return make


def rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode())))


def test_the_register_lists_the_measures_in_force_and_only_those(
    effective, supervisor, agent, client
):
    current = effective("CC-CH-001", [measure("Service level"), measure("Abandon rate", "< 5%")])
    draft = services.start_revision(procedure=current.procedure, author=supervisor)
    save(draft, measures=[measure("Draft-only measure")], change_summary="New measure.")
    save(new_procedure(owner=supervisor, code="CC-CH-002"), measures=[measure("Never approved")])
    client.force_login(agent)

    html = client.get("/manual/kpis/").content.decode()

    assert "Service level" in html and "Abandon rate" in html and "&lt; 5%" in html
    assert "Draft-only measure" not in html and "Never approved" not in html
    assert "2 measures" in html


def test_the_register_filters_by_category_and_words(effective, agent, client):
    calls, quality = CategoryFactory(name="Calls"), CategoryFactory(name="Quality")
    effective("CC-CH-001", [measure("Service level")], calls)
    effective("CC-QM-001", [measure("Calibration variance", method="Scorecard review")], quality)
    client.force_login(agent)

    by_category = client.get("/manual/kpis/", {"category": quality.pk}).content.decode()
    by_words = client.get("/manual/kpis/", {"q": "scorecard"}).content.decode()
    nothing = client.get("/manual/kpis/", {"q": "nothing like this"}).content.decode()
    wrong = client.get("/manual/kpis/", {"category": "abc"})

    assert "Calibration variance" in by_category and "Service level" not in by_category
    assert "Calibration variance" in by_words and "Service level" not in by_words
    assert "No measure matches this filter." in nothing
    assert wrong.status_code == 200 and "Service level" in wrong.content.decode()


def test_the_register_downloads_as_csv_safe_for_spreadsheets(effective, agent, client):
    effective("CC-CH-001", [measure('=HYPERLINK("http://x")', "+1", "@SUM(A1)", "-2")])
    effective("CC-CH-002", [measure("Service level")])
    client.force_login(agent)

    response = client.get("/manual/kpis/", {"q": "service", "format": "csv"})
    everything = rows(client.get("/manual/kpis/", {"format": "csv"}))

    assert response["Content-Type"].startswith("text/csv")
    assert [r[1] for r in rows(response)[1:]] == ["CC-CH-002"]
    assert everything[1][5:] == ['\'=HYPERLINK("http://x")', "'+1", "'@SUM(A1)", "'-2"]


def test_the_register_needs_a_login_and_its_queries_do_not_grow(effective, agent, client):
    anonymous = client.get("/manual/kpis/")
    client.force_login(agent)
    effective("CC-CH-001", [measure("One")])

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/manual/kpis/").status_code == 200
        return len(captured.captured_queries)

    few = queries()
    for i in range(2, 8):
        effective(f"CC-CH-00{i}", [measure("A"), measure("B")])
    many = queries()

    assert anonymous.status_code == 302
    assert few == many
