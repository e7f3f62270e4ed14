"""The whole job in Indonesian, French and Hungarian: an agent reads, acknowledges and sends
feedback; a supervisor drafts (the editor's script speaks the language too); no sentence of the
catalog is left in English, every page says its language, and axe finds no violation."""

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from procedures import publishing, services
from procedures.models import Acknowledgement, Feedback
from tests.browser.conftest import log_in
from tests.factories import make_effective, new_procedure, save
from tests.test_translations import catalog, english_left

pytestmark = pytest.mark.browser
WCAG_21_AA = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}


def said(language: str, english: str, domain: str = "django") -> str:
    """What the catalog of `language` says for `english`."""
    return catalog(language, domain).find(english).msgstr


def check(page, language: str) -> None:
    assert page.locator("html").get_attribute("lang") == language
    assert english_left(page.content(), language) == [], page.url
    results = Axe().run(page, options=WCAG_21_AA)
    assert not results.violations_count, results.generate_report()


@pytest.mark.parametrize("language", ["id", "fr", "hu"])
def test_the_whole_job_in_the_readers_language(page, people, category, language):
    for person in people.values():
        person.language = language
        person.save()
    supervisor, agent = people["supervisor"], people["agent"]
    revision = make_effective(
        save(new_procedure(owner=supervisor, code="CC-LG-001", language=language))
    )
    publishing.render_revision(revision.pk)

    log_in(page, "agent")
    page.goto("/manual/")
    check(page, language)
    page.goto("/manual/CC-LG-001/")
    check(page, language)
    assert page.locator("h1").get_attribute("lang") == language
    page.get_by_role(
        "button", name=said(language, "I have read and understood this procedure")
    ).click()
    expect(page.locator(".messages")).to_be_visible()
    assert Acknowledgement.objects.filter(agent=agent, revision=revision).exists()
    page.get_by_label(said(language, "Your feedback")).fill("…")
    page.get_by_role("button", name=said(language, "Send feedback")).click()
    expect(page.locator(".messages")).to_be_visible()
    assert Feedback.objects.filter(author=agent).exists()
    check(page, language)
    page.goto("/manual/search/?q=CC-LG")
    check(page, language)

    page.context.clear_cookies()
    log_in(page, "supervisor")
    draft = services.start_revision(procedure=revision.procedure, author=supervisor)
    page.goto(f"/desk/CC-LG-001/rev/{draft.number}/edit/")
    check(page, language)
    page.locator("textarea").first.fill("Texte modifié.")
    # the editor's script, from Django's JavaScript catalog
    expect(page.locator("[data-dirty-state]")).to_have_text(
        said(language, "Unsaved changes", "djangojs")
    )
    page.goto("/desk/")
    check(page, language)
