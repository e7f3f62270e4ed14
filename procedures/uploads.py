"""Checking uploaded files by what they contain, never by their name.

Pure: takes bytes (or a file), returns clean bytes and what they are, or raises UploadRefused
with a message for the person who uploaded it. Nothing here stores anything.

Images are decoded by Pillow within a pixel budget (a "decompression bomb" is refused before
it is decoded), then re-encoded: PNG stays PNG, JPEG stays JPEG (turned upright first), GIF
and WebP become PNG. Re-encoding drops every piece of metadata (EXIF location, camera,
comments) and any bytes hidden after the picture.
"""

import hashlib
import io
import re
import warnings
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import PurePath

from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from .errors import Refused

IMAGE_FORMATS = {"PNG", "JPEG", "MPO", "GIF", "WEBP"}  # MPO: a phone camera's JPEG


class UploadRefused(Refused):
    """An upload that is not kept; the message says why."""


@dataclass(frozen=True)
class CleanImage:
    data: bytes
    format: str  # "PNG" or "JPEG"
    width: int
    height: int

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


@dataclass(frozen=True)
class CleanAttachment:
    data: bytes
    kind: str  # Attachment.Kind value
    filename: str

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def read_limited(upload, *, limit: int, what: str) -> bytes:
    """The upload's bytes, refusing one larger than `limit` without reading all of it."""
    size = getattr(upload, "size", None)
    if size is not None and size > limit:
        raise _too_large(what, size, limit)
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise _too_large(what, len(data), limit)
    if not data:
        raise UploadRefused(_("The file %(name)s is empty.") % {"name": what})
    return data


def _too_large(what: str, size: int, limit: int) -> UploadRefused:
    return UploadRefused(
        _("%(name)s is %(size)s; files up to %(limit)s are accepted.")
        % {"name": what, "size": filesizeformat(size), "limit": filesizeformat(limit)}
    )


def clean_image(data: bytes, *, name: str = "") -> CleanImage:
    """Bytes that claim to be a picture → a re-encoded PNG or JPEG, or UploadRefused."""
    what = name or _("The image")
    max_pixels = settings.SOPDESK_IMAGE_MAX_PIXELS
    max_side = settings.SOPDESK_IMAGE_MAX_SIDE
    not_an_image = UploadRefused(
        _("%(name)s is not a picture SOP Desk can use: upload a PNG, JPEG, GIF or WebP image.")
        % {"name": what}
    )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            picture = Image.open(io.BytesIO(data))
            if picture.format not in IMAGE_FORMATS:
                raise not_an_image
            width, height = picture.size
            if width * height > max_pixels or max(width, height) > max_side:
                raise UploadRefused(
                    _(
                        "%(name)s is %(width)d × %(height)d pixels; pictures up to %(side)d pixels "
                        "on a side and %(megapixels)d megapixels are accepted. Crop or scale it down."
                    )
                    % {
                        "name": what,
                        "width": width,
                        "height": height,
                        "side": max_side,
                        "megapixels": max_pixels // 1_000_000,
                    }
                )
            source_format = picture.format
            picture.load()
            picture = ImageOps.exif_transpose(picture)
    except UploadRefused:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise UploadRefused(
            _("%(name)s would take too much memory to open and was refused.") % {"name": what}
        ) from error
    except UnidentifiedImageError as error:
        raise not_an_image from error
    except (OSError, SyntaxError, ValueError, EOFError) as error:
        raise UploadRefused(
            _("%(name)s is damaged or incomplete and cannot be opened. Save it again and retry.")
            % {"name": what}
        ) from error
    return _reencode(picture, source_format)


def _reencode(picture: Image.Image, source_format: str) -> CleanImage:
    out = io.BytesIO()
    # Only pixels go out: Pillow would copy a JPEG's comment (and some other metadata) from the
    # image's `info` into the new file.
    picture.info.clear()
    if source_format in ("JPEG", "MPO"):
        picture = picture.convert("RGB")
        picture.info.clear()
        picture.save(out, "JPEG", quality=88, optimize=True)
        fmt = "JPEG"
    else:
        if picture.mode not in ("RGB", "RGBA", "L", "LA", "P"):
            picture = picture.convert("RGBA")
        picture.save(
            out, "PNG"
        )  # zlib level 6: optimize=True cost 30% more for 2% smaller screenshots
        fmt = "PNG"
    return CleanImage(data=out.getvalue(), format=fmt, width=picture.width, height=picture.height)


# What each attachment kind must contain; ZIP-based formats are told apart by their parts.
_EXTENSIONS = {
    "PDF": ".pdf",
    "DOCX": ".docx",
    "XLSX": ".xlsx",
    "ODT": ".odt",
    "ODS": ".ods",
    "CSV": ".csv",
}
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def clean_attachment(data: bytes, *, name: str) -> CleanAttachment:
    """Bytes of a form or record sheet → what kind of file it really is, or UploadRefused."""
    kind = _sniff(data, name)
    if kind == "CSV" and not name.lower().endswith(".csv"):
        kind = None  # plain text is only taken for a table when it says it is one
    if kind is None:
        if data.startswith(_OLE_MAGIC):
            raise UploadRefused(
                _(
                    "%(name)s is password-protected or in an old Office format (.doc, .xls): "
                    "remove the password or save it as .docx or .xlsx, then attach it again."
                )
                % {"name": name}
            )
        raise UploadRefused(
            _("%(name)s is not a PDF, Word, Excel, OpenDocument or CSV file.") % {"name": name}
        )
    return CleanAttachment(data=data, kind=kind, filename=safe_filename(name, kind))


ARCHIVE_MAX_MEMBERS = 10_000
_CHUNK = 64 * 1024


def unpacked_within(archive: zipfile.ZipFile, limit: int) -> bool:
    """Whether the archive really unpacks to at most `limit` bytes in all. The sizes it declares
    are checked first; then every member is decompressed in chunks (never a whole member in
    memory), so an archive that lies about its sizes is caught too (zipfile stops at the
    declared size and the checksum then fails)."""
    infos = archive.infolist()
    if len(infos) > ARCHIVE_MAX_MEMBERS or sum(i.file_size for i in infos) > limit:
        return False
    total = 0
    try:
        for info in infos:
            with archive.open(info) as member:
                while chunk := member.read(_CHUNK):
                    total += len(chunk)
                    if total > limit:
                        return False
    except (zipfile.BadZipFile, EOFError, OSError, NotImplementedError, RuntimeError, zlib.error):
        return False  # a failing checksum, an encrypted or unknown member: not what it claims
    return True


def _archive_too_large(name: str) -> UploadRefused:
    return UploadRefused(
        _(
            "%(name)s would unpack to more than %(limit)s (or is damaged) and was refused: it may "
            "be a “zip bomb”. Save it again from its program and attach it again."
        )
        % {"name": name, "limit": filesizeformat(settings.SOPDESK_ARCHIVE_MAX_UNPACKED_BYTES)}
    )


def _sniff(data: bytes, name: str = "") -> str | None:
    if data.startswith(b"%PDF-"):
        return "PDF"
    if data.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                if not unpacked_within(archive, settings.SOPDESK_ARCHIVE_MAX_UNPACKED_BYTES):
                    raise _archive_too_large(name)
                names = set(archive.namelist())
                if "mimetype" in names:
                    with archive.open("mimetype") as member:
                        mimetype = member.read(100)
                    if mimetype == b"application/vnd.oasis.opendocument.text":
                        return "ODT"
                    if mimetype == b"application/vnd.oasis.opendocument.spreadsheet":
                        return "ODS"
                if "[Content_Types].xml" in names:
                    if "word/document.xml" in names:
                        return "DOCX"
                    if "xl/workbook.xml" in names:
                        return "XLSX"
        except (zipfile.BadZipFile, KeyError, OSError, RuntimeError, EOFError, ValueError):
            return None
        return None
    if b"\x00" in data[:65536]:
        return None
    try:
        data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            data.decode("cp1252")
        except UnicodeDecodeError:
            return None
    text = data[:4096].decode("utf-8", errors="ignore")
    return "CSV" if "," in text or ";" in text or "\t" in text else None


def safe_filename(name: str, kind: str) -> str:
    """The uploaded name, reduced to safe characters, with the extension of what it really is."""
    stem = PurePath(name.replace("\\", "/")).stem
    stem = re.sub(r"[^\w.\- ]+", "", stem, flags=re.UNICODE).strip(" .")[:100] or "file"
    return stem + _EXTENSIONS[kind]
