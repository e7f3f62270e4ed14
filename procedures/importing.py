"""Importing an existing procedure from Word: one .docx → a new procedure with a first draft.

    .docx ─mammoth─▶ HTML ─split at headings─▶ the eight elements (names in English,
    Indonesian, French, Hungarian) ─markdownify─▶ Markdown; numbered lists under the
    procedure heading ─▶ steps (nested lists ─▶ sub-steps); pictures ─▶ checked, re-encoded
    images; a table under the measures heading ─▶ measures.

What matches no element goes where the importer thinks it fits best, and the import report
(DocumentImport.notes) says so, for the author to check. A file that is not a .docx, is
encrypted or too large is refused with the reason and nothing is created.
"""

import difflib
import io
import re
import unicodedata
import uuid
import zipfile
from dataclasses import dataclass, field
from pathlib import PurePath

import mammoth
from bs4 import BeautifulSoup, NavigableString, Tag
from django.conf import settings
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from markdownify import markdownify

from . import files, services
from .content import DraftContent, MeasureData
from .models import Category, DocumentImport, Procedure, Revision, User, code_validator
from .rendering import sandbox
from .services import ServiceError
from .steps import StepData
from .uploads import CleanImage, UploadRefused, clean_image, unpacked_within

StepFormat = Revision.StepFormat

# Heading names of each element, normalised (lower case, no numbering, no final colon).
ELEMENT_NAMES: dict[str, tuple[str, ...]] = {
    "purpose": (
        "purpose", "objective", "objectives", "aim", "goal",
        "tujuan", "maksud dan tujuan", "maksud",
        "objet", "objectif", "objectifs", "but",
        "cél", "célja", "célkitűzés", "az eljárás célja",
    ),
    "scope": (
        "scope", "applicability", "application",
        "ruang lingkup", "lingkup", "cakupan",
        "champ d'application", "domaine d'application", "portée",
        "hatály", "hatókör", "alkalmazási terület", "terjedelem",
    ),
    "responsibilities": (
        "responsibilities", "roles and responsibilities", "roles", "responsibility",
        "tanggung jawab", "wewenang dan tanggung jawab", "peran dan tanggung jawab",
        "responsabilités", "rôles et responsabilités", "responsabilité",
        "felelősség", "felelősségek", "felelősségi körök", "szerepek és felelősségek",
    ),
    "procedure": (
        "procedure", "process", "steps", "instructions", "method",
        "prosedur", "langkah-langkah", "langkah", "tata cara", "uraian prosedur",
        "procédure", "étapes", "mode opératoire", "déroulement",
        "eljárás", "folyamat", "lépések", "eljárásrend", "a folyamat leírása",
    ),
    "measures": (
        "performance measures", "measures", "kpi", "kpis", "metrics", "targets",
        "key performance indicators", "performance indicators",
        "ukuran kinerja", "indikator kinerja", "indikator kinerja utama",
        "mesures de performance", "indicateurs", "indicateurs de performance", "mesures",
        "teljesítménymutatók", "mutatók", "teljesítménymérés", "kpi-k",
    ),
    "documentation": (
        "documentation", "documents", "forms", "records", "forms and records", "references",
        "dokumentasi", "formulir", "catatan", "dokumen terkait", "referensi",
        "formulaires", "enregistrements", "documents associés", "références",
        "dokumentáció", "nyomtatványok", "feljegyzések", "dokumentumok", "kapcsolódó dokumentumok",
    ),
    "training": (
        "training", "training requirements", "competence",
        "pelatihan", "pelatihan yang diperlukan",
        "formation", "formations",
        "képzés", "oktatás", "képzési követelmények",
    ),
    "review_and_approval": (
        "review and approval", "approval", "review", "sign-off", "approvals",
        "tinjauan dan persetujuan", "persetujuan", "pengesahan",
        "révision et approbation", "approbation", "validation", "revue et approbation",
        "felülvizsgálat és jóváhagyás", "jóváhagyás", "felülvizsgálat",
    ),
    "change_summary": (
        "revision history", "change history", "changes", "document history",
        "riwayat revisi", "riwayat perubahan", "perubahan",
        "historique des révisions", "historique des modifications", "modifications",
        "változások", "módosítások", "változáskövetés",
    ),
}  # fmt: skip

# Words that point to an element when a heading is not one of its names.
ELEMENT_HINTS: dict[str, tuple[str, ...]] = {
    "purpose": ("why", "background", "introduction", "overview", "latar", "pendahuluan", "introduction", "contexte", "bevezetés", "háttér"),
    "scope": ("definition", "definitions", "glossary", "applies", "exclusions", "definisi", "istilah", "définitions", "glossaire", "fogalmak", "definíciók"),
    "responsibilities": ("who", "owner", "raci", "roles", "siapa", "qui", "ki"),
    "procedure": ("step", "how", "escalation", "workflow", "call", "handling", "script", "cara", "alur", "eskalasi", "comment", "escalade", "appel", "hogyan", "eszkaláció", "hívás"),
    "measures": ("target", "sla", "kpi", "metric", "quality", "score", "scorecard", "target", "sasaran", "objectif", "qualité", "cél", "minőség"),
    "documentation": ("form", "template", "record", "appendix", "attachment", "lampiran", "annexe", "annexes", "melléklet", "mellékletek"),
    "training": ("course", "coaching", "onboarding", "learning", "kursus", "cours", "tanfolyam"),
    "review_and_approval": ("approved", "signature", "owner", "disetujui", "tanda", "signature", "aláírás"),
}  # fmt: skip

ELEMENT_LABELS = {
    "purpose": gettext_lazy("1. Purpose"),
    "scope": gettext_lazy("2. Scope"),
    "responsibilities": gettext_lazy("3. Responsibilities"),
    "procedure": gettext_lazy("4. Procedure"),
    "measures": gettext_lazy("5. Performance measures"),
    "documentation": gettext_lazy("6. Documentation"),
    "training": gettext_lazy("7. Training"),
    "review_and_approval": gettext_lazy("8. Review and approval"),
    "change_summary": gettext_lazy("the change summary"),
}
# Where an element's free text goes on the revision.
TEXT_FIELD = {"procedure": "procedure_notes", "measures": "measures_notes"}

_NUMBERING = re.compile(r"^\s*((\d+(\.\d+)*|[ivxlc]+|[a-z])[.)]|\d+(\.\d+)*)\s+", re.IGNORECASE)
_CODE_IN_TEXT = re.compile(r"\b([A-Z][A-Z0-9]{0,9}(?:-[A-Z0-9]{1,10}){1,4})\b")
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
STYLE_MAP = "p[style-name='Title'] => p.doc-title:fresh\np[style-name='Subtitle'] => p:fresh"
MAX_STEPS = 300  # what the editor takes


class ImportRefused(ServiceError):
    pass


@dataclass
class Converted:
    """A Word file read into SOP Desk's shape, not yet stored."""

    title: str = ""
    code: str = ""
    text: dict[str, list[str]] = field(default_factory=dict)
    steps: list[StepData] = field(default_factory=list)
    measures: list[MeasureData] = field(default_factory=list)
    images: dict[uuid.UUID, CleanImage] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def step_format(self) -> str:
        return (
            StepFormat.HIERARCHICAL if any(s.level > 1 for s in self.steps) else StepFormat.SIMPLE
        )

    def note_once(self, note: str) -> None:
        if note not in self.notes:
            self.notes.append(note)

    def add_text(self, element: str, markdown: str) -> None:
        if markdown.strip():
            self.text.setdefault(TEXT_FIELD.get(element, element), []).append(markdown.strip())


def normalise_heading(text: str) -> str:
    text = " ".join(text.split()).strip()
    text = _NUMBERING.sub("", text)
    return text.strip(" :.-–—").lower().replace("’", "'")


def element_for(heading: str) -> tuple[str | None, bool]:
    """(element, exact) for a heading: its name in one of the four languages, or the closest
    by words and spelling; (None, False) when nothing is close."""
    name = normalise_heading(heading)
    for element, names in ELEMENT_NAMES.items():
        if name in names:
            return element, True
    words = set(re.findall(r"\w+", name))
    best, best_score = None, 0.0
    for element, names in ELEMENT_NAMES.items():
        score = max(difflib.SequenceMatcher(None, name, n).ratio() for n in names)
        name_words = {w for n in names for w in re.findall(r"\w+", n) if len(w) > 3}
        hints = set(ELEMENT_HINTS.get(element, ()))
        if words & name_words:
            score = max(score, 0.8)
        if any(w.startswith(h) or h.startswith(w) for w in words for h in hints if len(w) > 2):
            score = max(score, 0.7)
        if score > best_score:
            best, best_score = element, score
    return (best, False) if best_score >= 0.7 else (None, False)


def check_file(data: bytes, *, name: str, limit: int) -> None:
    """Refuse, with the reason, what is not a readable .docx of acceptable size."""
    if len(data) > limit:
        raise ImportRefused(
            _("%(name)s is larger than %(limit)d MB: split it or remove large pictures.")
            % {"name": name, "limit": limit // (1024 * 1024)}
        )
    if data.startswith(_OLE_MAGIC):
        raise ImportRefused(
            _(
                "%(name)s is password-protected, or an old Word 97–2003 .doc: remove the password "
                "or save it as a .docx in Word, then import it again."
            )
            % {"name": name}
        )
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            within = unpacked_within(archive, settings.SOPDESK_ARCHIVE_MAX_UNPACKED_BYTES)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, RuntimeError) as error:
        raise ImportRefused(
            _("%(name)s is not a Word .docx file (or it is damaged).") % {"name": name}
        ) from error
    if "word/document.xml" not in names:
        raise ImportRefused(
            _("%(name)s is not a Word .docx file: it holds no Word document.") % {"name": name}
        )
    if not within:
        raise ImportRefused(
            _("%(name)s would unpack to more than %(limit)s (or is damaged) and was refused.")
            % {
                "name": name,
                "limit": filesizeformat(settings.SOPDESK_ARCHIVE_MAX_UNPACKED_BYTES),
            }
        )


def convert(data: bytes, *, name: str) -> Converted:
    """The .docx's bytes → its title, elements, steps, measures and images (nothing stored)."""
    result = Converted()

    def take_image(image) -> dict:
        alt = (image.alt_text or "").strip()
        try:
            with image.open() as stream:
                clean = clean_image(stream.read(), name=alt or _("a picture"))
        except UploadRefused as refused:
            result.notes.append(
                _("A picture was left out: %(reason)s") % {"reason": refused.message}
            )
            return {"src": "about:invalid", "alt": alt}
        token = uuid.uuid4()
        result.images[token] = clean
        return {"src": files.image_url(token, clean), "alt": alt}

    try:
        html = mammoth.convert_to_html(
            io.BytesIO(data),
            style_map=STYLE_MAP,
            convert_image=mammoth.images.img_element(take_image),
        ).value
    except Exception as error:  # noqa: BLE001 - any failure to read is the file's problem
        raise ImportRefused(
            _("%(name)s could not be read as a Word document.") % {"name": name}
        ) from error
    _split(BeautifulSoup(html, "html.parser"), result)
    if not result.title:
        result.title = PurePath(name).stem.replace("_", " ").strip()[:200] or _(
            "Imported procedure"
        )
    found = _CODE_IN_TEXT.search(result.title) or _CODE_IN_TEXT.search(PurePath(name).stem.upper())
    if found:
        result.code = found.group(1)
        result.title = result.title.replace(found.group(1), "").strip(" -–—:") or result.title
    if not any(result.text.values()) and not result.steps:
        result.notes.append(_("No text was found in the document."))
    return result


def _markdown(node) -> str:
    text = markdownify(str(node), heading_style="ATX", bullets="-", table_infer_header=True)
    text = re.sub(r"!\[[^\]]*\]\(about:invalid\)", "", text)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def _split(soup: BeautifulSoup, result: Converted) -> None:
    current: str | None = None
    for node in list(soup.children):
        if isinstance(node, NavigableString):
            if node.strip():
                result.add_text(current or "purpose", str(node).strip())
            continue
        if not isinstance(node, Tag):
            continue
        text = node.get_text(" ", strip=True)
        if "doc-title" in (node.get("class") or []) and not result.title:
            result.title = text[:200]
            continue
        if re.fullmatch(r"h[1-6]", node.name):
            element, exact = element_for(text)
            if exact:
                current = element
                continue
            if current is None and not result.title:
                result.title = text[:200]
                continue
            if element is not None:
                result.notes.append(
                    _(
                        "The section “%(heading)s” has no element of its own: it was put in %(element)s."
                    )
                    % {"heading": text[:80], "element": ELEMENT_LABELS[element]}
                )
                current = element
            else:
                target = current or "purpose"
                result.notes.append(
                    _("The section “%(heading)s” matched no element: it was kept in %(element)s.")
                    % {"heading": text[:80], "element": ELEMENT_LABELS[target]}
                )
                current = target
            result.add_text(current, "### " + text)
            continue
        if current is None:
            if text or node.find("img"):
                result.note_once(_("The text before the first heading was put in 1. Purpose."))
                result.add_text("purpose", _markdown(node))
            continue
        if current == "procedure" and node.name == "ol":
            _steps_from(node, 1, result)
        elif current == "measures" and node.name == "table" and _measures_from(node, result):
            pass
        else:
            result.add_text(current, _markdown(node))


def _steps_from(listing: Tag, level: int, result: Converted) -> None:
    for item in listing.find_all("li", recursive=False):
        nested = [child.extract() for child in item.find_all(["ol", "ul"], recursive=False)]
        text = _markdown("".join(str(child) for child in item.contents)).replace("\n\n", "\n")
        if len(text) > 2000:
            result.notes.append(
                _("Step “%(start)s…” was longer than 2000 characters and was shortened.")
                % {"start": text[:40]}
            )
            text = text[:2000]
        if text and len(result.steps) >= MAX_STEPS:
            result.note_once(
                _("Only the first %(count)d steps were kept: split the procedure.")
                % {"count": MAX_STEPS}
            )
            text = ""
        if text:
            key = f"i{len(result.steps) + 1}"
            result.steps.append(StepData(key=key, text=text, level=min(level, 4)))
        for sub in nested:
            _steps_from(sub, level + 1, result)
    if level > 4:
        result.notes.append(_("Lists nested more than four deep were flattened to level 4."))


def _measures_from(table: Tag, result: Converted) -> bool:
    rows = [
        [cell.get_text(" ", strip=True) for cell in row.find_all(["td", "th"])]
        for row in table.find_all("tr")
    ]
    rows = [r for r in rows if any(r)]
    if not rows or max(len(r) for r in rows) < 2:
        return False
    header = " ".join(rows[0]).lower()
    if any(
        w in header
        for w in ("measure", "target", "kpi", "indikator", "mesure", "cible", "mutató", "cél")
    ):
        rows = rows[1:]
    for row in rows:
        cells = (row + ["", "", "", ""])[:4]
        if cells[0] and cells[1]:
            result.measures.append(
                MeasureData(
                    name=cells[0][:200],
                    target=cells[1][:200],
                    method=cells[2][:300],
                    frequency=cells[3][:100],
                )
            )
    result.notes.append(
        _("%(count)d performance measures were read from a table: check their targets.")
        % {"count": len(result.measures)}
    )
    return True


def next_code(category: Category) -> str:
    """A free code for an imported procedure: the category's initials and the next number."""
    plain = unicodedata.normalize("NFKD", category.name).encode("ascii", "ignore").decode()
    initials = "".join(w[0] for w in re.findall(r"[A-Za-z][A-Za-z0-9]*", plain)).upper()[:6]
    prefix = initials if initials and initials[0].isalpha() else "SOP"
    taken = set(
        Procedure.objects.filter(code__istartswith=prefix + "-").values_list("code", flat=True)
    )
    number = 1
    while f"{prefix}-{number:03d}" in taken:
        number += 1
    return f"{prefix}-{number:03d}"


@dataclass
class Outcome:
    name: str
    revision: Revision | None = None
    error: str = ""
    notes: list[str] = field(default_factory=list)


def _convert(data: bytes, name: str) -> Converted:
    return convert(data, name=name)


def import_docx(
    *, data: bytes, name: str, category: Category, owner: User, created_by: User, limit: int
) -> Outcome:
    """A Word file → a new procedure whose revision 1 is a draft of its content, with the
    import report. Refuses (ImportRefused, or services' errors) creating nothing."""
    check_file(data, name=name, limit=limit)
    try:  # in a child process with time and memory limits: no file can hold this worker
        converted = sandbox.run(_convert, data, name, timeout=settings.SOPDESK_IMPORT_TIMEOUT)
    except sandbox.RenderRefused as refused:
        raise ImportRefused(
            _("%(name)s could not be read: %(reason)s Split it into smaller documents.")
            % {"name": name, "reason": refused.message}
        ) from None
    code = converted.code
    if not code or Procedure.objects.by_code(code).exists():
        if code:
            converted.notes.append(
                _("The code %(code)s in the document is taken: the procedure got a new code.")
                % {"code": code}
            )
        code = next_code(category)
    try:
        code_validator(code)
    except Exception:  # noqa: BLE001 - a code from the file that SOP Desk cannot use
        code = next_code(category)
    fields = {key: "\n\n".join(parts) for key, parts in converted.text.items()}
    if fields.get("change_summary"):
        converted.notes.append(
            _("The document's revision history was put in the change summary: shorten it.")
        )
    with transaction.atomic():
        revision = services.create_procedure(
            code=code,
            title=converted.title,
            category=category,
            owner=owner,
            step_format=converted.step_format,
            review_interval_months=12,
            created_by=created_by,
            content=DraftContent(fields=fields, steps=converted.steps, measures=converted.measures),
            reason=_("Imported from %(file)s") % {"file": name},
        )
        for token, clean in converted.images.items():
            files.store_image(
                revision=revision, user=created_by, clean=clean, token=token, name=name
            )
        DocumentImport.objects.create(
            revision=revision, source_name=name[:255], imported_by=created_by, notes=converted.notes
        )
    return Outcome(name=name, revision=revision, notes=converted.notes)


def import_many(
    uploads: list[tuple[str, bytes]],
    *,
    category: Category,
    owner: User,
    created_by: User,
    limit: int,
) -> list[Outcome]:
    """Each file on its own: the good ones are imported, each refusal says why."""
    outcomes = []
    for name, data in uploads:
        try:
            outcomes.append(
                import_docx(
                    data=data,
                    name=name,
                    category=category,
                    owner=owner,
                    created_by=created_by,
                    limit=limit,
                )
            )
        except ServiceError as error:
            outcomes.append(Outcome(name=name, error=error.message))
    return outcomes
