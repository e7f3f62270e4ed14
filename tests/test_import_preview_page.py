"""The Word import's preview page as an author uses it: what they type is kept, Enter never
creates the draft, a second "Create the draft" finds the draft, pictures stand in the
document's order with the text before them."""

import pytest
from bs4 import BeautifulSoup
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from procedures import importing
from procedures.models import DocumentImport, ImportPreview, Procedure
from tests import docx_fixtures as fx
from tests import factories
from tests.test_templates_and_import import _preview_defaults

LIMIT = 10 * 1024 * 1024


def _preview(client, supervisor, data=None):
    category = factories.CategoryFactory(name="Billing")
    client.force_login(supervisor)
    client.post(
        reverse("desk:import"),
        {
            "category": category.pk,
            "files": [SimpleUploadedFile("billing.docx", data or fx.steps_with_screenshots())],
        },
    )
    return ImportPreview.objects.get()


def _page(response):
    return BeautifulSoup(response.content.decode(), "html.parser")


def test_enter_in_a_field_applies_the_changes_and_never_creates_the_draft(client, supervisor):
    preview = _preview(client, supervisor)

    page = _page(client.get(reverse("desk:import_preview", args=[preview.pk])))

    first = page.find("form", class_="import-preview").find("button", type="submit")
    assert first["value"] == "apply"


def test_applied_changes_are_kept_when_the_author_comes_back(client, supervisor):
    preview = _preview(client, supervisor)
    data = _preview_defaults(client, preview)
    data |= {"action": "apply", "title": "Billing disputes by phone", "steps": "none"}
    picture = next(name for name in data if name.startswith("picture_"))
    data[picture] = "The invoice screen"

    client.post(reverse("desk:import_preview", args=[preview.pk]), data)
    page = _page(client.get(reverse("desk:import_preview", args=[preview.pk])))

    assert page.find("input", attrs={"name": "title"})["value"] == "Billing disputes by phone"
    assert page.find("input", attrs={"name": "steps", "value": "none"}).has_attr("checked")
    assert page.find("input", attrs={"name": picture})["value"] == "The invoice screen"
    assert "0 steps" in page.get_text()
    assert not Procedure.objects.exists()


def test_a_refused_form_keeps_everything_else_the_author_chose(client, supervisor):
    preview = _preview(client, supervisor)
    data = _preview_defaults(client, preview) | {"action": "create", "title": "", "steps": "none"}

    response = client.post(reverse("desk:import_preview", args=[preview.pk]), data)

    page = _page(response)
    assert response.status_code == 200
    assert page.find(id="id_title_error").get_text(strip=True) == "This field is required."
    assert page.find("input", attrs={"name": "steps", "value": "none"}).has_attr("checked")
    assert "0 steps" in page.get_text()  # the summary follows what was chosen, not the defaults
    assert not Procedure.objects.exists() and ImportPreview.objects.filter(pk=preview.pk).exists()


def test_creating_the_draft_twice_leads_to_the_one_draft(client, supervisor):
    preview = _preview(client, supervisor)
    data = _preview_defaults(client, preview) | {"action": "create"}
    first = client.post(reverse("desk:import_preview", args=[preview.pk]), data)

    again = client.post(reverse("desk:import_preview", args=[preview.pk]), data, follow=True)

    assert Procedure.objects.count() == 1
    assert again.redirect_chain[0][0] == first.url
    assert "was already created from billing.docx" in again.content.decode()
    assert DocumentImport.objects.get().preview_id == preview.pk


def test_someone_else_cannot_find_the_draft_through_a_used_preview(client, supervisor):
    preview = _preview(client, supervisor)
    client.post(
        reverse("desk:import_preview", args=[preview.pk]),
        _preview_defaults(client, preview) | {"action": "create"},
    )
    client.force_login(factories.UserFactory(role="Supervisor"))

    response = client.get(reverse("desk:import_preview", args=[preview.pk]))

    assert response.status_code == 404


def _read(supervisor, **options):
    return importing.preview(
        data=fx.steps_with_screenshots(),
        name="billing.docx",
        category=factories.CategoryFactory(name="Billing"),
        owner=supervisor,
        uploaded_by=supervisor,
        limit=LIMIT,
        **options,
    )


def test_pictures_are_listed_in_the_documents_order_with_the_text_before_them(supervisor):
    row = _read(supervisor)
    row.refresh_from_db()  # as another request reads it: PostgreSQL keeps no key order in JSON

    pictures = importing.ordered_pictures(row)

    assert [p["text"] for _, p in pictures] == fx.SCREENSHOTS[: len(pictures)]
    assert [p["before"] for _, p in pictures] == fx.STEPS[: len(pictures)]


def test_a_preview_made_for_a_supervisor_waits_on_their_import_page(client, controller, supervisor):
    category = factories.CategoryFactory(name="Billing")
    client.force_login(controller)
    client.post(
        reverse("desk:import"),
        {
            "category": category.pk,
            "owner": supervisor.pk,
            "files": [SimpleUploadedFile("billing.docx", fx.steps_with_screenshots())],
        },
    )
    client.force_login(supervisor)

    page = client.get(reverse("desk:import")).content.decode()

    assert reverse("desk:import_preview", args=[ImportPreview.objects.get().pk]) in page


def test_files_left_when_an_upload_has_used_its_time_are_named_to_upload_again(
    client, supervisor, settings
):
    settings.SOPDESK_IMPORT_TIMEOUT = 0.5  # less than a second left before the first file
    category = factories.CategoryFactory(name="Billing")
    client.force_login(supervisor)

    response = client.post(
        reverse("desk:import"),
        {
            "category": category.pk,
            "files": [SimpleUploadedFile("billing.docx", fx.steps_with_screenshots())],
        },
    )

    page = response.content.decode()
    assert "1 file could not be read" in page
    assert "Not read: the files before it took all the time one upload has." in page
    assert not ImportPreview.objects.exists()


def test_a_file_that_takes_too_long_to_read_is_refused_in_an_importers_words(supervisor):
    with pytest.raises(importing.ImportRefused) as refused:
        _read(supervisor, timeout=0.001)

    assert refused.value.message == (
        "billing.docx could not be read: reading it took longer than 0 seconds. "
        "Upload it on its own, or split it into smaller documents."
    )
    assert not ImportPreview.objects.exists()
