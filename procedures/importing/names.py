"""The names the eight elements go by in Word files, in the four languages and their common
variants, and the element a section title stands for."""

import difflib
import re

from django.utils.translation import gettext_lazy

# Heading names of each element, normalised (lower case, no numbering, no final colon).
ELEMENT_NAMES: dict[str, tuple[str, ...]] = {
    "purpose": (
        "purpose", "objective", "objectives", "aim", "goal",
        "tujuan", "maksud dan tujuan", "maksud", "maksud & tujuan", "tujuan prosedur",
        "objet", "objectif", "objectifs", "but", "objet et but", "finalité", "objet du document",
        "cél", "célja", "célkitűzés", "az eljárás célja", "a szabályzat célja", "purpose and contents", "purpose and scope",
    ),
    "scope": (
        "scope", "applicability", "application",
        "ruang lingkup", "lingkup", "cakupan",
        "champ d'application", "domaine d'application", "portée",
        "hatály", "hatókör", "alkalmazási terület", "terjedelem", "a szabályzat hatálya", "hatálya",
        "champ", "domaine", "application scope", "area of application",
    ),
    "responsibilities": (
        "responsibilities", "roles and responsibilities", "roles", "responsibility",
        "roles & responsibilities", "accountabilities",
        "tanggung jawab", "wewenang dan tanggung jawab", "peran dan tanggung jawab",
        "responsabilités", "rôles et responsabilités", "responsabilité",
        "felelősség", "felelősségek", "felelősségi körök", "szerepek és felelősségek", "felelősök",
        "rôles", "responsables", "peran", "tanggung jawab dan wewenang",
    ),
    "procedure": (
        "procedure", "procedures", "process", "steps", "instructions", "method", "work instructions",
        "procedure steps", "operating procedure", "how to",
        "prosedur", "langkah-langkah", "langkah", "tata cara", "uraian prosedur", "prosedur kerja",
        "langkah kerja", "alur kerja", "instruksi kerja",
        "procédure", "étapes", "mode opératoire", "déroulement", "déroulement des opérations",
        "instructions de travail", "description des opérations", "modalités", "processus",
        "eljárás", "folyamat", "lépések", "eljárásrend", "a folyamat leírása", "eljárás menete",
        "folyamatleírás", "munkautasítás", "a folyamat lépései",
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

_NUMBERING = re.compile(
    r"^\s*((\d+([./]\d+)*|[ivxlc]+|[a-z])[.):]|\d+([./]\d+)*|§\s*\d+)\s+", re.IGNORECASE
)


def normalise_heading(text: str) -> str:
    text = " ".join(text.split()).strip()
    text = _NUMBERING.sub("", text)
    return text.strip(" :.-–—").lower().replace("’", "'")


def is_element_name(heading: str) -> bool:
    """Whether a heading is exactly one of the elements' names (no spelling comparison)."""
    name = normalise_heading(heading)
    return any(name in names for names in ELEMENT_NAMES.values())


def _closest(name: str, names: tuple[str, ...]) -> float:
    """The best spelling ratio of `name` against `names`; the cheap upper bounds skip the
    names that cannot beat the best so far (the full ratio is what a long document's
    headings spend their time on)."""
    best = 0.0
    for other in names:
        matcher = difflib.SequenceMatcher(None, name, other)
        if matcher.real_quick_ratio() > best and matcher.quick_ratio() > best:
            best = max(best, matcher.ratio())
    return best


def element_for(heading: str) -> tuple[str | None, bool]:
    """(element, exact) for a heading: its name in one of the four languages, or the closest
    by words and spelling; (None, False) when nothing is close."""
    name = normalise_heading(heading)
    for element, names in ELEMENT_NAMES.items():
        if name in names:
            return element, True
    words = set(re.findall(r"\w+", name))
    best, best_rank = None, (0.0, 0.0)
    for element, names in ELEMENT_NAMES.items():
        spelling = _closest(name, names)
        name_words = {w for n in names for w in re.findall(r"\w+", n) if len(w) > 3}
        hints = set(ELEMENT_HINTS.get(element, ()))
        score = spelling
        # A word of the element's names, then a word that points to it, outweigh a spelling
        # close to another element's name ("Overview" is not a misspelt "Review"); between
        # equals, the closer spelling wins.
        if words & name_words:
            score = max(score, 0.92)
        if words & hints:
            score = max(score, 0.9)
        elif any(w.startswith(h) or h.startswith(w) for w in words for h in hints if len(w) > 2):
            score = max(score, 0.7)
        if (score, spelling) > best_rank:
            best, best_rank = element, (score, spelling)
    best_score = best_rank[0]
    return (best, False) if best_score >= 0.7 else (None, False)
