"""Screenshots and attached forms: checked by content, re-encoded, stored once, frozen with
their revision, served only to those who may read it, and in the PDF."""

import io
import json
import zipfile

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image
from pypdf import PdfReader

from procedures import files, publishing, services
from procedures.content import canonical_hash
from procedures.document_data import gather
from procedures.models import Attachment, AuditEvent, RevisionImage
from procedures.rendering.document import document_pdf
from procedures.uploads import UploadRefused, clean_attachment, clean_image
from tests import factories


def png_bytes(size=(64, 32), color="red") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, "PNG")
    return out.getvalue()


def jpeg_with_gps() -> bytes:
    picture = Image.new("RGB", (40, 30), "blue")
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x8825] = {1: "N", 2: (52.0, 22.0, 1.0), 3: "E", 4: (4.0, 53.0, 2.0)}  # GPS
    out = io.BytesIO()
    picture.save(out, "JPEG", exif=exif)
    return out.getvalue()


def docx_bytes() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return out.getvalue()


def upload(name: str, data: bytes, content_type: str = "application/octet-stream"):
    return SimpleUploadedFile(name, data, content_type=content_type)


@pytest.fixture
def draft(supervisor):
    return factories.new_procedure(owner=supervisor)


def _upload_image(client, revision, name, data):
    return client.post(
        reverse("desk:image_upload", args=[revision.procedure.code, revision.number]),
        {"image": upload(name, data)},
        HTTP_ACCEPT="application/json",
    )


# --- validation by content ----------------------------------------------------------------


def test_a_png_named_pdf_is_taken_as_the_png_it_is():
    clean = clean_image(png_bytes(), name="screenshot.pdf")

    assert clean.format == "PNG"
    assert (clean.width, clean.height) == (64, 32)


def test_a_text_file_named_png_is_refused():
    with pytest.raises(UploadRefused, match="not a picture"):
        clean_image(b"hello, I am text\n" * 20, name="notes.png")


def test_a_corrupt_jpeg_is_refused_with_a_clear_message():
    data = jpeg_with_gps()
    broken = data[: len(data) // 2]

    with pytest.raises(UploadRefused, match="damaged or incomplete"):
        clean_image(broken, name="cut.jpg")


def _blank_png(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("1", (width, height)).save(out, "PNG")
    return out.getvalue()


def test_a_decompression_bomb_is_refused_before_it_is_decoded():
    data = _blank_png(20_000, 20_000)  # a small file that would be 400 megapixels
    assert len(data) < 200_000

    with pytest.raises(UploadRefused, match="would take too much memory"):
        clean_image(data, name="bomb.png")


def test_a_picture_over_the_dimension_limit_is_refused_with_its_size(settings):
    settings.SOPDESK_IMAGE_MAX_PIXELS = 1_000_000

    with pytest.raises(UploadRefused, match="2000 × 1000 pixels; pictures up to 12000 pixels"):
        clean_image(_blank_png(2000, 1000), name="wide.png")


def test_an_oversized_upload_is_refused_and_nothing_is_stored(client, supervisor, draft, settings):
    settings.SOPDESK_UPLOAD_MAX_BYTES = 1000
    client.force_login(supervisor)

    response = _upload_image(
        client, draft, "big.png", png_bytes((400, 400), "white") + b"\0" * 2000
    )

    assert response.status_code == 400
    assert "files up to 1000" in json.loads(response.content)["error"]
    assert not RevisionImage.objects.exists()


def test_reencoding_drops_exif_and_location():
    original = Image.open(io.BytesIO(jpeg_with_gps()))
    assert original.getexif().get(0x010F) == "PhoneMaker"

    clean = clean_image(jpeg_with_gps(), name="photo.jpg")

    again = Image.open(io.BytesIO(clean.data))
    assert clean.format == "JPEG"
    assert dict(again.getexif()) == {}
    assert b"PhoneMaker" not in clean.data


def test_gif_and_webp_become_png():
    for fmt in ("GIF", "WEBP"):
        out = io.BytesIO()
        Image.new("RGB", (10, 10), "green").save(out, fmt)

        assert clean_image(out.getvalue(), name=f"x.{fmt.lower()}").format == "PNG"


def test_attachments_are_recognised_by_content_not_by_name():
    assert clean_attachment(b"%PDF-1.7\n...", name="form.pdf").kind == "PDF"
    assert clean_attachment(docx_bytes(), name="form.docx").kind == "DOCX"
    assert clean_attachment(docx_bytes(), name="form.pdf").filename == "form.docx"
    assert clean_attachment(b"name,target\nAHT,300\n", name="kpis.csv").kind == "CSV"

    with pytest.raises(UploadRefused, match="not a PDF, Word"):
        clean_attachment(png_bytes(), name="scorecard.pdf")
    with pytest.raises(UploadRefused, match="not a PDF, Word"):
        clean_attachment(b"a,b\n1,2\n", name="macro.xlsm")
    with pytest.raises(UploadRefused, match="password-protected"):
        clean_attachment(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, name="old.doc")


def test_an_attachment_name_cannot_climb_out_of_its_folder():
    clean = clean_attachment(b"%PDF-1.7\n", name="../../etc/pass<wd>.pdf")

    assert clean.filename == "passwd.pdf"


# --- the editor's uploads -------------------------------------------------------------------


def test_the_author_uploads_an_image_and_gets_its_markdown_address(client, supervisor, draft):
    client.force_login(supervisor)

    response = _upload_image(client, draft, "crm.png", png_bytes())

    assert response.status_code == 200
    url = json.loads(response.content)["url"]
    image = RevisionImage.objects.get()
    assert url == image.get_absolute_url() == f"/images/{image.token}.png"
    assert image.revision == draft and image.uploaded_by == supervisor
    assert default_storage.exists(image.file)


def test_only_the_owner_uploads_into_a_draft(client, supervisor2, manager, draft):
    for person in (supervisor2, manager):
        client.force_login(person)

        response = _upload_image(client, draft, "crm.png", png_bytes())

        assert response.status_code == 403
    assert not RevisionImage.objects.exists()


def test_an_unusable_upload_gets_a_message_and_stores_nothing(client, supervisor, draft):
    client.force_login(supervisor)
    before = (
        set(default_storage.listdir("images")[1]) if default_storage.exists("images") else set()
    )

    response = _upload_image(client, draft, "notes.png", b"just text")

    assert response.status_code == 400
    assert "not a picture SOP Desk can use" in json.loads(response.content)["error"]
    assert not RevisionImage.objects.exists()
    after = set(default_storage.listdir("images")[1]) if default_storage.exists("images") else set()
    assert after == before


def test_attaching_and_removing_a_form_is_on_the_audit_trail(client, supervisor, draft):
    client.force_login(supervisor)
    url = reverse("desk:attachment_add", args=[draft.procedure.code, 1])

    response = client.post(
        url,
        {"file": upload("scorecard.pdf", b"%PDF-1.7\nscore"), "title": "QA scorecard"},
        HTTP_ACCEPT="application/json",
    )

    assert response.status_code == 200
    data = json.loads(response.content)
    assert "QA scorecard" in data["html"] and "scorecard.pdf" in data["html"]
    attachment = Attachment.objects.get()
    assert attachment.kind == "PDF"
    events = AuditEvent.objects.filter(revision=draft, action="DRAFT_SAVED")
    assert events.count() == 1

    response = client.post(
        reverse("desk:attachment_remove", args=[draft.procedure.code, 1]),
        {"attachment": attachment.pk},
    )

    assert response.status_code == 302
    assert not Attachment.objects.exists()
    assert events.count() == 2


def test_a_refused_attachment_says_why_and_changes_nothing(client, supervisor, draft):
    client.force_login(supervisor)

    response = client.post(
        reverse("desk:attachment_add", args=[draft.procedure.code, 1]),
        {"file": upload("form.pdf", png_bytes()), "title": "Form"},
        HTTP_ACCEPT="application/json",
    )

    assert response.status_code == 400
    assert "is not a PDF, Word, Excel" in json.loads(response.content)["error"]
    assert not Attachment.objects.exists()
    assert not AuditEvent.objects.filter(revision=draft, action="DRAFT_SAVED").exists()


def test_an_attachment_without_a_title_is_refused(client, supervisor, draft):
    client.force_login(supervisor)

    response = client.post(
        reverse("desk:attachment_add", args=[draft.procedure.code, 1]),
        {"file": upload("form.pdf", b"%PDF-1.7\n")},
    )

    assert response.status_code == 302
    assert not Attachment.objects.exists()
    page = client.get(response["Location"])
    assert "This field is required." in page.content.decode()


# --- permissions ----------------------------------------------------------------------------


def _with_image_and_form(revision, owner):
    image = files.add_image(
        revision=revision, user=owner, upload=upload("crm.png", png_bytes()), max_bytes=10**7
    )
    attachment = files.add_attachment(
        revision=revision,
        user=owner,
        upload=upload("swap.pdf", b"%PDF-1.7\nform"),
        title="Shift swap form",
        description="Fill in and send to WFM.",
        max_bytes=10**7,
    )
    factories.save(
        revision,
        documentation=f"See the form.\n\n![CRM disposition menu]({image.get_absolute_url()})",
    )
    return image, attachment


def test_an_agent_cannot_fetch_a_drafts_image_or_attachment(
    client, agent, manager, supervisor, draft
):
    image, attachment = _with_image_and_form(draft, supervisor)

    client.force_login(agent)
    assert client.get(image.get_absolute_url()).status_code == 404
    assert client.get(attachment.get_absolute_url()).status_code == 404

    client.force_login(manager)
    assert client.get(image.get_absolute_url()).status_code == 200
    assert client.get(attachment.get_absolute_url()).status_code == 200


def test_after_approval_agents_see_the_image_and_download_the_form(
    client, agent, supervisor, draft
):
    image, attachment = _with_image_and_form(draft, supervisor)
    factories.make_effective(draft)
    publishing.render_revision(draft.pk)
    client.force_login(agent)

    picture = client.get(image.get_absolute_url())
    form = client.get(attachment.get_absolute_url())

    assert picture.status_code == 200 and picture["Content-Type"] == "image/png"
    assert form.status_code == 200
    assert form["Content-Disposition"].startswith('attachment; filename="swap.pdf"')
    assert b"".join(form.streaming_content) == b"%PDF-1.7\nform"
    assert "sandbox" in form["Content-Security-Policy"]
    page = client.get(reverse("manual:procedure", args=[draft.procedure.code])).content.decode()
    assert f'src="{image.get_absolute_url()}"' in page and 'loading="lazy"' in page
    assert 'alt="CRM disposition menu"' in page
    assert attachment.get_absolute_url() in page and "Shift swap form" in page


def test_a_published_image_seen_again_costs_the_sign_in_and_one_query(
    client, agent, manager, supervisor, draft, django_assert_max_num_queries
):
    image, _attachment = _with_image_and_form(draft, supervisor)
    client.force_login(manager)
    assert client.get(image.get_absolute_url()).status_code == 200  # a draft's: never kept
    client.force_login(agent)
    assert client.get(image.get_absolute_url()).status_code == 404
    factories.make_effective(draft)
    client.get(image.get_absolute_url())

    # the person (the session is a cookie), and the manual's state once its second has passed
    with django_assert_max_num_queries(2):
        again = client.get(image.get_absolute_url())

    assert again.status_code == 200 and again["ETag"] == f'"{image.sha256}"'


def test_an_image_name_that_does_not_exist_is_a_404(client, agent):
    client.force_login(agent)

    assert client.get("/images/not-a-token.png").status_code == 404
    assert client.get("/images/0b6c1c57-3bd6-4b0e-9a3c-2d7f0d1d9a11.png").status_code == 404


def test_anonymous_visitors_are_sent_to_log_in(client, supervisor, draft):
    image, _attachment = _with_image_and_form(draft, supervisor)

    assert client.get(image.get_absolute_url()).status_code == 302


# --- frozen with the revision, signed, in the PDF ---------------------------------------------


def test_a_new_revision_keeps_the_images_and_copies_the_attachments(supervisor, draft):
    image, attachment = _with_image_and_form(draft, supervisor)
    first = factories.make_effective(draft)

    second = services.start_revision(procedure=first.procedure, author=supervisor)

    copy = second.attachments.get()
    assert copy.pk != attachment.pk and copy.file == attachment.file
    assert image.get_absolute_url() in second.documentation
    assert not second.images.exists()  # still rev 1's image, unchanged
    files.remove_attachment(attachment=copy, user=supervisor)
    assert first.attachments.get().pk == attachment.pk
    assert default_storage.exists(attachment.file)  # still rev 1's


def test_the_signed_hash_covers_the_attachments(supervisor, draft):
    factories.save(draft)
    before = canonical_hash(draft)

    files.add_attachment(
        revision=draft,
        user=supervisor,
        upload=upload("f.pdf", b"%PDF-1.7\n"),
        title="Form",
        description="",
        max_bytes=10**7,
    )

    assert canonical_hash(draft) != before


def test_an_approved_revision_takes_no_more_files(supervisor, draft):
    factories.make_effective(draft)

    with pytest.raises(services.ServiceError, match="only to a draft"):
        files.add_image(
            revision=draft, user=supervisor, upload=upload("a.png", png_bytes()), max_bytes=10**7
        )


def test_images_are_in_the_pdf_and_the_attachments_listed(supervisor, draft):
    image, _attachment = _with_image_and_form(draft, supervisor)
    draft.refresh_from_db()

    pdf = PdfReader(io.BytesIO(document_pdf(gather(draft))))

    # WeasyPrint shares one resource dictionary between pages: count distinct pictures.
    pictures = {picture.data: picture for page in pdf.pages for picture in page.images}
    assert len(pictures) == 1
    assert next(iter(pictures.values())).image.size == (64, 32)
    text = "".join(page.extract_text() for page in pdf.pages)
    assert "Shift swap form" in text and "swap.pdf" in text


def test_the_published_pdf_carries_the_image(supervisor, draft):
    _with_image_and_form(draft, supervisor)
    revision = factories.make_effective(draft)
    publishing.render_revision(revision.pk)

    stored = revision.renditions.get(kind="PDF")

    pdf = PdfReader(stored.file.open("rb"))
    assert len({picture.data for page in pdf.pages for picture in page.images}) == 1


def test_the_pdf_renderer_still_refuses_every_other_address():
    from procedures.rendering.pdf import LockedDownFetcher

    fetcher = LockedDownFetcher()
    for url in (
        "https://sopdesk.invalid/images/../settings.py",
        "https://sopdesk.invalid/images/0b6c1c57-3bd6-4b0e-9a3c-2d7f0d1d9a11.png.exe",
        "https://example.com/images/0b6c1c57-3bd6-4b0e-9a3c-2d7f0d1d9a11.png",
        "file:///etc/passwd",
    ):
        with pytest.raises(ValueError):
            fetcher.fetch(url)
    assert len(fetcher.refused) == 4


def test_hotlinked_pictures_are_removed_from_author_text(supervisor, draft):
    from procedures.rendering.markdown import render_markdown

    html = render_markdown("![x](https://tracker.example/p.gif) ![y](/images/../../x.png) text")

    assert "<img" not in html and "text" in html


@pytest.mark.parametrize("view", ["desk:edit", "desk:revision"])
def test_pages_with_attachments_use_a_constant_number_of_queries(client, supervisor, draft, view):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(supervisor)
    url = reverse(view, args=[draft.procedure.code, 1])

    def count_queries(attachments: int) -> int:
        while draft.attachments.count() < attachments:
            files.add_attachment(
                revision=draft,
                user=supervisor,
                upload=upload("form.pdf", b"%PDF-1.7\n"),
                title=f"Form {draft.attachments.count() + 1}",
                description="",
                max_bytes=10**6,
            )
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    assert count_queries(1) == count_queries(6)
