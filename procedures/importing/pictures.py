"""A picture's description (its alt text) as Word left it → one we can show agents, or none.

Word writes its automatic descriptions over two paragraphs ("A picture containing text,
screenshot⏎⏎AI-generated content may be incorrect."), mail clients leave a `cid:` address or the
path of an Outlook cache file, and many pictures have nothing at all. A description is kept on
one line, Word's machine notice is dropped in whatever language Word wrote it, and what only
names a file is no description: the author is asked for one.
"""

import re
import unicodedata

# Word's notice after a generated description, in the languages Word writes it in: each
# sentence says that the content (or description) was generated (automatically / by AI).
_GENERATED = re.compile(
    r"(?i)("
    r"(ai|ia|ki|mi|ki-|yapay zeka)[\s-]*(generated|généré|generado|gerado|generato|generiert|"
    r"által|tarafından|gegenereerd|generowan|vygenerov)"
    r"|(generated|généré|generado|gerado|generato|generiert|dihasilkan|létrehozott|gegenereerd)"
    r"\s+(by|par|por|pelo|da|von|oleh|door)\s+(ai|ia|ki)"
    r"|konten\s+yang\s+dihasilkan"
    r"|description\s+(automatically\s+generated|générée\s+automatiquement)"
    r"|beschreibung\s+automatisch\s+generiert"
    r"|descripción\s+generada\s+automáticamente"
    r"|descrição\s+gerada\s+automaticamente"
    r"|deskripsi\s+dibuat\s+(secara\s+)?otomatis"
    r"|automatikusan\s+(generált|létrehozott)\s+leírás"
    r"|az\s+mi\s+által"
    r"|may be incorrect|peut être incorrect|mungkin salah|helytelen lehet|"
    r"können fehlerhaft sein|puede ser incorrecto|pode estar incorreto"
    r")"
)
_IMAGE_FILE = re.compile(
    r"(?i)^[\w\-.,()\[\]~@# ]*\.(jpe?g|png|gif|bmp|tiff?|webp|emf|wmf|heic|svg)(@[\w.]+)?$"
)
_GENERIC = re.compile(
    r"(?i)^(image|picture|pic|photo|graphic|grafik|bild|imagen|img|gambar|foto|kép|képernyőkép|"
    r"screenshot|capture|capture d'écran|obrázek|figure|fig\.?|object|objet|objek)?[\s_-]*\d*$"
)


def _is_junk(text: str) -> bool:
    lowered = text.lower()
    return (
        lowered.startswith(("cid:", "file:", "http://", "https://", "data:", "mid:"))
        or bool(re.match(r"^([a-z]:\\|\\\\|/|~/)", lowered))
        or "\\" in text
        or "content.outlook" in lowered
        or bool(_IMAGE_FILE.match(text))
        or bool(_GENERIC.match(text))
        or len(text) < 3
    )


def clean(raw: str) -> str:
    """Word's description → a one-line description agents can use, or "" when there is none."""
    text = unicodedata.normalize("NFC", raw or "")
    sentences = [s.strip() for s in re.split(r"\n+|(?<=[.!?])\s+", text) if s.strip()]
    kept = [s for s in sentences if not _GENERATED.search(s)]
    text = " ".join(" ".join(kept).split()).strip(" .")
    if _is_junk(text):
        return ""
    return one_line(text)


def one_line(text: str) -> str:
    """A description as it can stand between the brackets of ![…](…): on one line, without
    square brackets (Markdown's image ends at a "]" or a blank line, and the rest would show
    as text), 300 characters at most. For what Word wrote and what the author typed alike."""
    text = " ".join(unicodedata.normalize("NFC", text or "").split())
    return text.replace("[", "(").replace("]", ")")[:300]


def describe(raw: str) -> dict:
    """What the preview and the report need to know of one picture's description."""
    text = clean(raw)
    return {"text": text, "dropped": bool((raw or "").strip()) and not text}
