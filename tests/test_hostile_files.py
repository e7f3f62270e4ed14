"""Uploads made to hurt: archives that unpack to far more than they weigh, archives that lie
about their sizes, Word files that take too long to read, pictures carrying comments."""

import io
import zipfile

import pytest
from PIL import Image

from procedures import importing
from procedures.models import Procedure
from procedures.uploads import UploadRefused, clean_attachment, clean_image, unpacked_within
from tests.test_templates_and_import import ENGLISH, _import, word_file

MB = 1024 * 1024


def _zip(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


def _bomb(name: str, unpacked: int) -> dict[str, bytes]:
    return {name: b"\0" * unpacked}


def test_an_opendocument_whose_mimetype_is_a_bomb_is_refused(settings):
    settings.SOPDESK_ARCHIVE_MAX_UNPACKED_BYTES = 5 * MB
    data = _zip(_bomb("mimetype", 50 * MB))
    assert len(data) < MB

    with pytest.raises(UploadRefused, match="would unpack to more than 5.0"):
        clean_attachment(data, name="form.odt")


def test_an_office_file_with_many_small_parts_adding_up_is_refused(settings):
    settings.SOPDESK_ARCHIVE_MAX_UNPACKED_BYTES = 5 * MB
    members = {"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<workbook/>"}
    members |= {f"xl/worksheets/sheet{i}.xml": b"\0" * MB for i in range(8)}

    with pytest.raises(UploadRefused, match="zip bomb"):
        clean_attachment(_zip(members), name="sheet.xlsx")


def _lying(real: bytes, declared: int) -> bytes:
    """An archive whose directory says a member is `declared` bytes while it holds `real`."""
    data = bytearray(_zip({"word/document.xml": real, "[Content_Types].xml": b"<Types/>"}))
    for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        start = data.find(signature)
        data[start + offset : start + offset + 4] = declared.to_bytes(4, "little")
    return bytes(data)


def test_an_archive_that_understates_its_sizes_is_caught_while_streaming():
    data = _lying(b"x" * (2 * MB), declared=100)

    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.infolist()[0].file_size == 100
        assert not unpacked_within(archive, 10 * MB)


def test_a_normal_office_file_is_within_the_limit():
    with zipfile.ZipFile(io.BytesIO(word_file(ENGLISH))) as archive:
        assert unpacked_within(archive, 5 * MB)


def test_a_small_word_file_that_unpacks_huge_is_refused_before_it_is_read(supervisor, settings):
    settings.SOPDESK_ARCHIVE_MAX_UNPACKED_BYTES = 4 * MB
    members = {"[Content_Types].xml": b"<Types/>", "word/document.xml": b" " * (5 * MB)}

    with pytest.raises(importing.ImportRefused, match="would unpack to more than 4.0"):
        _import(supervisor, _zip(members), name="small.docx")

    assert not Procedure.objects.exists()


def _slow_convert(data, name):
    import time

    time.sleep(30)


def test_a_word_file_that_takes_too_long_to_read_is_refused(supervisor, settings, monkeypatch):
    settings.SOPDESK_IMPORT_TIMEOUT = 1
    monkeypatch.setattr(importing, "_read", _slow_convert)

    with pytest.raises(importing.ImportRefused, match="longer than 1 seconds"):
        _import(supervisor, word_file(ENGLISH), name="slow.docx")

    assert not Procedure.objects.exists()


def test_a_word_file_is_still_imported_through_the_child_process(supervisor):
    outcome = _import(supervisor, word_file(ENGLISH), name="billing.docx")

    assert outcome.revision.purpose


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "GIF", "WEBP"])
def test_a_pictures_comment_does_not_survive(fmt):
    out = io.BytesIO()
    picture = Image.new("RGB", (40, 30), "blue")
    if fmt == "PNG":
        from PIL.PngImagePlugin import PngInfo

        info = PngInfo()
        info.add_text("Comment", "secret-comment-text")
        picture.save(out, fmt, pnginfo=info)
    else:
        picture.save(out, fmt, comment=b"secret-comment-text")
    assert b"secret-comment-text" in out.getvalue() or fmt == "WEBP"

    clean = clean_image(out.getvalue(), name=f"photo.{fmt.lower()}")

    assert b"secret-comment-text" not in clean.data
    assert "comment" not in Image.open(io.BytesIO(clean.data)).info


def test_a_word_file_with_encrypted_parts_is_refused_with_a_reason(supervisor):
    data = bytearray(word_file(ENGLISH))
    start = 0
    while (start := data.find(b"PK\x01\x02", start)) != -1:  # flag every entry as encrypted
        data[start + 8] |= 1
        start += 4
    start = 0
    while (start := data.find(b"PK\x03\x04", start)) != -1:
        data[start + 6] |= 1
        start += 4

    with pytest.raises(importing.ImportRefused, match="or is damaged"):
        _import(supervisor, bytes(data), name="locked.docx")
