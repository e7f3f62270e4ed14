"""SOP Desk in the call center's own languages: each person's language (chosen, or their
browser's before sign-in), a procedure's own language (its page, its PDF, its search), the same
procedure in several languages, and e-mails in each recipient's language."""

import io
import re

import pytest
from django.core import mail
from django.db import connection
from django.urls import reverse
from pypdf import PdfReader

from procedures import publishing, search, selectors, services
from procedures.document_data import gather
from procedures.models import Procedure
from procedures.rendering.document import body_html, document_pdf
from procedures.steps import StepData
from tests.factories import make_effective, new_procedure, save, submit, with_effects

pytestmark = pytest.mark.django_db


def html_lang(response) -> str:
    return re.search(r'<html lang="([^"]+)"', response.content.decode()).group(1)


# --- each person's language -----------------------------------------------------------------


def test_before_sign_in_the_browser_chooses(client):
    page = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="hu-HU,hu;q=0.9,en;q=0.5")

    assert html_lang(page) == "hu"
    assert page["Content-Language"] == "hu"
    assert "Bejelentkezés" in page.content.decode()  # Django's own Hungarian, at least


def test_a_person_chooses_their_language_and_it_follows_them(client, agent):
    client.force_login(agent)

    answer = client.post(reverse("set_language"), {"language": "fr", "next": reverse("profile")})

    assert answer.status_code == 302 and answer["Location"] == reverse("profile")
    agent.refresh_from_db()
    assert agent.language == "fr"
    # another computer (no cookie), a browser that asks for English: still French
    other = type(client)()
    other.force_login(agent)
    page = other.get(reverse("profile"), HTTP_ACCEPT_LANGUAGE="en")
    assert html_lang(page) == "fr"
    assert agent.history.filter(history_change_reason="Language chosen", language="fr").exists()


def test_the_language_menu_refuses_what_is_not_offered_and_goes_nowhere_else(client, agent):
    client.force_login(agent)

    answer = client.post(
        reverse("set_language"), {"language": "xx", "next": "https://elsewhere.example/"}
    )

    assert answer["Location"] == reverse("home")
    agent.refresh_from_db()
    assert agent.language == ""
    answer = client.post(reverse("set_language"), {"language": "id", "next": "//evil.example/"})
    assert answer["Location"] == reverse("home")


def test_before_sign_in_the_choice_is_kept_in_the_language_cookie(client):
    answer = client.post(reverse("set_language"), {"language": "id", "next": reverse("login")})

    assert answer.cookies["django_language"].value == "id"
    assert html_lang(client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="fr")) == "id"


def test_every_page_offers_the_languages_under_their_own_names(client, agent):
    client.force_login(agent)

    page = client.get(reverse("profile")).content.decode()

    for name in ("English", "Bahasa Indonesia", "Français", "Magyar"):
        assert name in page
    assert 'action="/accounts/language/"' in page


def test_a_refused_address_is_answered_in_the_browsers_language(client, agent):
    client.force_login(agent)

    page = client.get("/manual/search/?q=%00", HTTP_ACCEPT_LANGUAGE="fr")

    assert page.status_code == 400
    assert html_lang(page) == "fr"


def test_dates_are_written_as_the_readers_language_writes_them(client, supervisor):
    revision = new_procedure(owner=supervisor)
    supervisor.language = "hu"
    supervisor.save()
    client.force_login(supervisor)

    page = client.get(reverse("desk:procedure", args=[revision.procedure.code])).content.decode()

    # Hungarian: year first ("2026. december 6. 14:05"), never "6 Dec 2026"
    assert re.search(r"\d{4}\. [a-zá-ű]+ \d{1,2}\.", page), "no Hungarian date"


# --- a procedure's language -------------------------------------------------------------------


def test_a_procedures_text_is_marked_with_its_language_on_the_page(client, supervisor, agent):
    revision = make_effective(save(new_procedure(owner=supervisor, language="id")))
    publishing.render_revision(revision.pk)
    client.force_login(agent)

    page = client.get(reverse("manual:procedure", args=[revision.procedure.code]))

    text = page.content.decode()
    assert html_lang(page) == "en"  # the page around it follows the reader
    assert f'<h1 lang="id">{revision.title}</h1>' in text
    assert '<div lang="id"><div class="sop-body">' in text


def test_a_hungarian_procedure_has_a_hungarian_pdf_whoever_reads_it(supervisor):
    revision = save(new_procedure(owner=supervisor, language="hu"), title="Képzés és ellenőrzés")
    data = gather(revision)

    pdf = PdfReader(io.BytesIO(document_pdf(data, body=body_html(data))))

    assert pdf.trailer["/Root"]["/Lang"] == "hu"
    text = "".join(page.extract_text() for page in pdf.pages)
    assert "Képzés és ellenőrzés" in text
    assert "Purpose" not in text and "Signatures" not in text  # its headings are Hungarian


def test_the_pdf_shows_any_script_an_author_types(supervisor):
    text = "Ελληνικά · Кириллица · 日本語の手順 · 한국어 · 中文步骤 · ő ű ș ț ğ"
    revision = save(new_procedure(owner=supervisor), purpose=text)
    data = gather(revision)

    pdf = PdfReader(io.BytesIO(document_pdf(data, body=body_html(data))))

    extracted = "".join(page.extract_text() for page in pdf.pages)
    for word in ("Ελληνικά", "Кириллица", "日本語の手順", "한국어", "中文步骤", "ő ű ș ț ğ"):
        assert word in extracted, word
    # every font is embedded (as pdffonts would show), Noto CJK among them
    fonts = {}
    for page in pdf.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            described = (
                font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font else font
            )
            descriptor = described["/FontDescriptor"].get_object()
            fonts[str(font["/BaseFont"])] = any(
                key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3")
            )
    assert all(fonts.values()), fonts
    assert any("Noto-Sans-CJK" in name for name in fonts), fonts


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's text search")
@pytest.mark.parametrize(
    "language, title, typed",
    [
        ("hu", "Képzés az ügyfélszolgálaton", "kepzes"),
        ("hu", "Ügyfélszolgálati munkatársak", "ugyfelszolgalati"),
        ("fr", "Contrôle qualité des appels", "controle"),
        ("id", "Pemantauan kualitas panggilan", "pantau"),
        ("en", "Escalation to a team leader", "escalat"),
    ],
)
def test_postgresql_finds_words_with_or_without_accents_in_each_language(
    supervisor, approver, agent, language, title, typed
):
    revision = make_effective(
        save(new_procedure(owner=supervisor, language=language), title=title), approver
    )

    found = search.search(typed, user=agent)

    assert [h.revision.pk for h in found.hits] == [revision.pk]
    assert "<mark>" in found.hits[0].title


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's text search")
def test_each_revision_is_indexed_with_its_own_languages_configuration(supervisor):
    revision = new_procedure(owner=supervisor, language="fr")

    assert revision.search_document.config == "sopdesk_french"


# --- the same procedure in several languages -------------------------------------------------


@pytest.fixture
def source(supervisor, approver):
    return make_effective(
        save(
            new_procedure(owner=supervisor, code="CC-CH-001", title="Verifying a caller"),
            steps=[StepData(key="a", text="Ask for the account number.")],
        ),
        approver,
    )


def indonesian_in_force(source, supervisor, approver, **fields):
    """CC-CH-001-ID: the Indonesian translation of `source`, approved and in force."""
    translation = new_procedure(
        owner=supervisor, code="CC-CH-001-ID", language="id", translation_of=source.procedure
    )
    return make_effective(save(translation, **fields), approver)


def test_a_translation_starts_as_a_copy_of_the_source_in_force(supervisor, source):
    draft = new_procedure(
        owner=supervisor, code="CC-CH-001-ID", language="id", translation_of=source.procedure
    )

    assert draft.procedure.translation_of == source.procedure
    assert draft.source_revision == source
    assert [s.text for s in draft.steps.all()] == ["Ask for the account number."]


@pytest.mark.parametrize("case", ["same language", "second translation", "of a translation"])
def test_translations_that_make_no_sense_are_refused(supervisor, source, case):
    if case != "same language":
        new_procedure(
            owner=supervisor, code="CC-CH-001-ID", language="id", translation_of=source.procedure
        )
    before = Procedure.objects.count()
    with pytest.raises(services.ServiceError):
        if case == "same language":
            new_procedure(owner=supervisor, language="en", translation_of=source.procedure)
        elif case == "second translation":
            new_procedure(owner=supervisor, language="id", translation_of=source.procedure)
        else:
            translation = Procedure.objects.get(code="CC-CH-001-ID")
            new_procedure(owner=supervisor, language="hu", translation_of=translation)
    assert Procedure.objects.count() == before


def test_readers_get_the_version_in_their_language_and_can_reach_the_others(
    client, supervisor, approver, agent, source
):
    translation = indonesian_in_force(source, supervisor, approver, title="Verifikasi penelepon")
    agent.language = "id"
    agent.save()
    client.force_login(agent)

    answer = client.get(reverse("manual:procedure", args=["CC-CH-001"]))

    assert answer.status_code == 302
    assert answer["Location"] == reverse("manual:procedure", args=["CC-CH-001-ID"])
    page = client.get(answer["Location"]).content.decode()
    assert "Verifikasi penelepon" in page
    assert "/manual/CC-CH-001/?chosen=1" in page  # the source, one click away
    source_page = client.get("/manual/CC-CH-001/?chosen=1")
    assert source_page.status_code == 200
    assert 'hreflang="id"' in source_page.content.decode()
    assert translation.procedure.language == "id"


def test_a_translation_whose_source_moved_on_says_so_and_is_due_on_its_owners_desk(
    client, supervisor, approver, agent, source
):
    translation = indonesian_in_force(source, supervisor, approver)
    assert selectors.translations_due(supervisor) == []
    second = services.start_revision(procedure=source.procedure, author=supervisor)
    make_effective(save(second, change_summary="A new step."), approver)

    assert selectors.source_moved_on(translation).number == 2
    client.force_login(agent)
    page = client.get("/manual/CC-CH-001-ID/?chosen=1").content.decode()
    assert "the source is now at revision 2" in page
    client.force_login(supervisor)
    desk = client.get(reverse("desk:index")).content.decode()
    assert "Translations to update" in desk and "CC-CH-001-ID" in desk
    # the owner updates it: the new revision translates the source's revision 2
    update = services.start_revision(procedure=translation.procedure, author=supervisor)
    assert update.source_revision.number == 2


def test_translate_from_the_desk_page(client, supervisor, source):
    client.force_login(supervisor)

    page = client.get(reverse("desk:procedure", args=["CC-CH-001"])).content.decode()
    assert "?translate=CC-CH-001" in page
    form = client.get(reverse("desk:create") + "?translate=CC-CH-001").content.decode()
    assert f'<option value="{source.procedure.pk}" selected>CC-CH-001</option>' in form

    answer = client.post(
        reverse("desk:create"),
        {
            "code": "CC-CH-001-FR",
            "title": "Vérifier l’appelant",
            "category": source.procedure.category_id,
            "step_format": "SIMPLE",
            "review_interval_months": 12,
            "language": "fr",
            "translation_of": source.procedure.pk,
        },
    )

    assert answer.status_code == 302
    created = Procedure.objects.get(code="CC-CH-001-FR")
    assert created.language == "fr" and created.translation_of == source.procedure


# --- e-mails ------------------------------------------------------------------------------------


def test_each_recipient_gets_the_e_mail_in_their_own_language(
    supervisor, manager, django_capture_on_commit_callbacks
):
    french = type(manager).objects.create_user(
        "marie", email="marie@example.com", language="fr", password="x"
    )
    french.groups.add(*manager.groups.all())
    manager.email = "james@example.com"
    manager.save()
    revision = save(new_procedure(owner=supervisor))

    with django_capture_on_commit_callbacks(execute=True):
        submit(revision)

    by_address = {m.to[0]: m for m in mail.outbox}
    assert by_address["james@example.com"].subject.startswith("Please review")
    assert not by_address["marie@example.com"].subject.startswith("Please review")
    assert with_effects  # the factory's helper, used by submit


# --- starter templates ----------------------------------------------------------------------


@pytest.mark.parametrize("language", ["id", "fr", "hu"])
def test_each_language_has_the_starter_templates_with_the_same_shape(language):
    from procedures.content import template_content
    from procedures.models import ProcedureTemplate
    from procedures.services import unrenderable
    from procedures.steps import normalise

    english = {t.order: t for t in ProcedureTemplate.objects.filter(language="en", is_active=True)}
    translated = list(ProcedureTemplate.objects.filter(language=language).order_by("order"))

    assert len(translated) == len(english) == 6
    for template in translated:
        content, source = template_content(template), template_content(english[template.order])
        assert len(content.steps) == len(source.steps), template.name
        assert [s.level for s in content.steps] == [s.level for s in source.steps]
        assert len(content.measures) == len(source.measures), template.name
        assert template.step_format == english[template.order].step_format
        steps = normalise(template.step_format, content.steps)
        assert not unrenderable(content.fields, steps), template.name


def test_a_procedure_started_from_a_template_is_in_the_templates_language(client, supervisor):
    from procedures.models import Category, ProcedureTemplate

    template = ProcedureTemplate.objects.get(name="Contrôle qualité")
    category = Category.objects.create(name="Qualité")
    client.force_login(supervisor)

    form = client.get(reverse("desk:create") + f"?template={template.pk}").content.decode()
    assert re.search(r'<option value="fr"[^>]*selected', form)
    answer = client.post(
        reverse("desk:create"),
        {
            "code": "CC-QM-010",
            "title": template.title,
            "category": category.pk,
            "step_format": template.step_format,
            "review_interval_months": 12,
            "language": "fr",
            "template": template.pk,
        },
    )

    assert answer.status_code == 302
    procedure = Procedure.objects.get(code="CC-QM-010")
    assert procedure.language == "fr"
    assert "[[" in procedure.revisions.get().purpose


def test_an_agent_reads_one_version_of_a_text_the_one_in_their_language(
    client, supervisor, approver, agent, source
):
    from procedures import reading
    from procedures.models import Team
    from tests.factories import UserFactory

    team = Team.objects.create(name="Team Lestari", supervisor=supervisor)
    english = UserFactory(username="agent-en", role="Agent", team=team)
    agent.language, agent.team = "id", team
    agent.save()
    translation = indonesian_in_force(source, supervisor, approver)

    assert [i.revision.pk for i in reading.to_read(agent)] == [translation.pk]
    assert [i.revision.pk for i in reading.to_read(english)] == [source.pk]
    assert reading.summary(agent).count == 1
    assert set(reading.agents_meant_for(translation.procedure)) == {agent}
    assert agent not in set(reading.agents_meant_for(source.procedure))
    status = reading.team_status(team)
    rows = {row.revision.pk: row for row in status.revisions}
    assert rows[source.pk].readers == 1 and rows[translation.pk].readers == 1
    # the source's page (chosen on purpose) asks the Indonesian agent for nothing
    client.force_login(agent)
    page = client.get("/manual/CC-CH-001/?chosen=1").content.decode()
    assert 'id="acknowledge"' not in page
    assert 'id="acknowledge"' in client.get("/manual/CC-CH-001-ID/").content.decode()


# --- the audit trail: a record in the organisation's language, read in the reader's ------------


def test_records_are_kept_in_the_organisations_language_and_read_in_the_readers(
    client, supervisor, controller
):
    from django.utils import translation

    from procedures.models import AuditEvent

    with translation.override("fr"):  # a French supervisor at work
        revision = save(new_procedure(owner=supervisor))
        services.start_revision(procedure=make_effective(revision).procedure, author=supervisor)

    reasons = set(AuditEvent.objects.values_list("reason", flat=True))
    assert {"First draft created", "Revision started from revision 1"} <= reasons
    history = set(revision.history.values_list("history_change_reason", flat=True))
    assert "Draft saved" in history
    controller.language = "hu"
    controller.save()
    client.force_login(controller)
    page = client.get(reverse("desk:audit")).content.decode()
    assert "Revision started from revision 1" not in page and "First draft created" not in page
    assert "Draft saved" not in page
    csv = client.get(reverse("desk:audit") + "?format=csv").content.decode()
    assert "Revision started from revision 1" not in csv


def test_what_people_typed_stays_as_typed_on_the_audit_trail():
    from django.utils import translation

    from procedures import audit

    typed = "Kunde hat angerufen, Schritt 2 fehlt"
    with translation.override("fr"):
        assert audit.as_read(typed) == typed
        assert audit.as_read("Revision started from revision twelve") == (
            "Revision started from revision twelve"
        )
        read = audit.as_read("Revision started from revision 12")
        assert read.endswith("12") and "Revision started" not in read


# --- what the independent review found ------------------------------------------------------


def test_signing_in_makes_the_browsers_language_the_persons(client, agent):
    from tests.factories import PASSWORD

    client.post(
        reverse("login"),
        {"username": "agent", "password": PASSWORD},
        HTTP_ACCEPT_LANGUAGE="fr-FR,fr;q=0.9",
    )

    agent.refresh_from_db()
    assert agent.language == "fr"  # To read, the redirect and e-mails now agree on it


def test_a_regional_site_language_is_the_language_it_names(supervisor, settings):
    settings.LANGUAGE_CODE = "fr-fr"

    revision = new_procedure(owner=supervisor)

    assert revision.procedure.language == "fr"


def test_a_translation_whose_source_was_withdrawn_says_so(
    client, supervisor, approver, agent, source
):
    from procedures import workflow
    from tests.factories import sign

    indonesian_in_force(source, supervisor, approver)
    workflow.request_withdrawal(procedure=source.procedure, actor=supervisor, reason="Merged.")
    sign(source, approver, meaning="APPROVED_FOR_WITHDRAWAL")

    client.force_login(agent)
    page = client.get("/manual/CC-CH-001-ID/?chosen=1").content.decode()
    assert "which this translates, was withdrawn on" in page
    (due,) = selectors.translations_due(supervisor)
    assert due[0].code == "CC-CH-001-ID" and due[2] is None
    client.force_login(supervisor)
    assert "Source withdrawn" in client.get(reverse("desk:index")).content.decode()


def test_the_desks_translations_list_costs_the_same_queries_for_many(
    supervisor, approver, source, django_assert_num_queries
):
    from procedures.models import Procedure as P

    for n, language in enumerate(["id", "fr", "hu"]):
        new_procedure(
            owner=supervisor,
            code=f"CC-CH-001-{n}",
            language=language,
            translation_of=source.procedure,
        )
        with django_assert_num_queries(3):  # translations, their revisions, sources in force
            selectors.translations_due(supervisor)
    assert P.objects.filter(translation_of=source.procedure).count() == 3


def test_a_translation_keeps_the_sources_pictures_and_forms_and_can_be_submitted(
    supervisor, approver
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from procedures import files, review_rules
    from tests.test_files import png_bytes

    draft = new_procedure(owner=supervisor, code="CC-CH-050")
    image = files.add_image(
        revision=draft,
        user=supervisor,
        upload=SimpleUploadedFile("a.png", png_bytes()),
        max_bytes=10**7,
    )
    files.add_attachment(
        revision=draft,
        user=supervisor,
        upload=SimpleUploadedFile("form.pdf", b"%PDF-1.4\n"),
        title="Call form",
        description="",
        max_bytes=10**6,
    )
    source = make_effective(
        save(draft, purpose=f"See ![The CRM]({image.get_absolute_url()})."), approver
    )

    translation = new_procedure(
        owner=supervisor, code="CC-CH-050-FR", language="fr", translation_of=source.procedure
    )

    assert image.get_absolute_url() in translation.purpose
    assert translation.attachments.count() == 1
    assert not review_rules.foreign_images(translation, [])


def test_a_translation_is_read_by_its_sources_teams_even_when_they_change(
    supervisor, approver, source
):
    from procedures import reading
    from procedures.models import Team
    from tests.factories import UserFactory

    blue = Team.objects.create(name="Blue", supervisor=supervisor)
    green = Team.objects.create(name="Green", supervisor=supervisor)
    source.procedure.audience.set([blue])
    translation = indonesian_in_force(source, supervisor, approver)
    indonesian = UserFactory(username="agent-id", role="Agent", team=green, language="id")
    assert reading.to_read(indonesian) == []

    source.procedure.audience.add(green)  # the controller adds a team to the source

    assert [i.revision.pk for i in reading.to_read(indonesian)] == [translation.pk]


def test_a_translation_in_its_sources_language_is_refused_in_the_admin_too(supervisor, source):
    from django.core.exceptions import ValidationError

    translation = new_procedure(
        owner=supervisor, code="CC-CH-001-ID", language="id", translation_of=source.procedure
    ).procedure

    translation.language = "en"
    with pytest.raises(ValidationError):
        translation.full_clean()


def test_an_imported_document_is_in_the_language_its_importer_chooses(client, supervisor):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from procedures.models import Category, ImportPreview
    from tests import docx_fixtures
    from tests.test_templates_and_import import _preview_defaults

    category = Category.objects.create(name="Facturation")
    client.force_login(supervisor)
    client.post(
        reverse("desk:import"),
        {
            "category": category.pk,
            "files": [SimpleUploadedFile("factures.docx", docx_fixtures.steps_with_screenshots())],
        },
    )
    preview = ImportPreview.objects.get()
    data = _preview_defaults(client, preview)
    assert data["language"] == "en"
    data |= {"action": "create", "language": "fr"}
    for name in data:
        if name.startswith("picture_"):
            data[name] = data[name] or "Capture"

    client.post(reverse("desk:import_preview", args=[preview.pk]), data)

    assert Procedure.objects.get().language == "fr"


def test_the_import_commands_dry_run_speaks_the_sites_language(tmp_path, settings):
    from io import StringIO

    from django.core.management import call_command
    from django.utils import translation

    from tests import docx_fixtures

    path = tmp_path / "factures.docx"
    path.write_bytes(docx_fixtures.steps_with_screenshots())
    out = StringIO()

    with translation.override("fr"):
        call_command("import_docx", "--dry-run", str(path), stdout=out)

    text = out.getvalue()
    assert text.startswith("Fichier  factures.docx")
    assert "Section  " in text and "Étapes   5, depuis" in text
    assert "FILE" not in text and "steps " not in text
