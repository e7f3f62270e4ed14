"""Rendered documents in an S3-compatible store, as several app servers share one: moto's S3
server speaks the S3 protocol on a local port; django-storages' S3Storage talks to it."""

import io

import boto3
import pytest
from pypdf import PdfReader

from tests.factories import make_effective, manager, new_procedure, save

moto_server = pytest.importorskip("moto.server")


@pytest.fixture
def s3(settings):
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    credentials = {"aws_access_key_id": "sopdesk", "aws_secret_access_key": "sopdesk-secret"}
    client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", **credentials)
    client.create_bucket(Bucket="sopdesk-media")
    settings.STORAGES = settings.STORAGES | {
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": "sopdesk-media",
                "endpoint_url": endpoint,
                "region_name": "us-east-1",
                "access_key": credentials["aws_access_key_id"],
                "secret_key": credentials["aws_secret_access_key"],
                "default_acl": "private",
                "file_overwrite": False,
            },
        }
    }
    yield client
    server.stop()


def _picture_and_form(draft, owner, *, form_name="form.pdf"):
    """A screenshot and an attached form in the draft, as the editor stores them."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    from procedures import files

    picture = io.BytesIO()
    Image.new("RGB", (50, 20), "purple").save(picture, "PNG")
    image = files.add_image(
        revision=draft,
        user=owner,
        upload=SimpleUploadedFile("menu.png", picture.getvalue()),
        max_bytes=10**6,
    )
    attachment = files.add_attachment(
        revision=draft,
        user=owner,
        upload=SimpleUploadedFile(form_name, b"%PDF-1.4\nform"),
        title="Callback form",
        description="",
        max_bytes=10**6,
    )
    return image, attachment


def test_renditions_and_the_manual_live_in_the_s3_store(
    s3, client, agent, supervisor, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        revision = make_effective(
            save(new_procedure(owner=supervisor, code="CC-S3-001")), manager()
        )
    client.force_login(agent)

    keys = {o["Key"] for o in s3.list_objects_v2(Bucket="sopdesk-media")["Contents"]}
    page = client.get("/manual/CC-S3-001/").content.decode()
    pdf = b"".join(client.get("/manual/CC-S3-001.pdf").streaming_content)
    manual = b"".join(client.get("/manual.pdf").streaming_content)

    assert {
        "renditions/CC-S3-001/rev1/CC-S3-001-rev1.html",
        "renditions/CC-S3-001/rev1/CC-S3-001-rev1.pdf",
    } <= keys
    assert any(key.startswith("manual/") for key in keys)
    assert "Greet the caller." in page
    assert "CC-S3-001" in PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert len(PdfReader(io.BytesIO(manual)).pages) > 1
    assert revision.renditions.get(kind="PDF").file.storage.__class__.__name__ == "S3Storage"


def test_screenshots_and_attachments_live_in_the_s3_store_and_reach_the_pdf(
    s3, client, agent, supervisor, django_capture_on_commit_callbacks
):
    draft = new_procedure(owner=supervisor, code="CC-S3-002")
    image, attachment = _picture_and_form(draft, supervisor)
    with django_capture_on_commit_callbacks(execute=True):
        make_effective(save(draft, purpose=f"![Menu]({image.get_absolute_url()})"), manager())
    client.force_login(agent)

    keys = {o["Key"] for o in s3.list_objects_v2(Bucket="sopdesk-media")["Contents"]}
    served = client.get(image.get_absolute_url())
    form = client.get(attachment.get_absolute_url())
    pdf = PdfReader(io.BytesIO(b"".join(client.get("/manual/CC-S3-002.pdf").streaming_content)))

    assert {image.file, attachment.file} <= keys
    assert image.file == f"images/{image.token}.png"
    assert served.status_code == 200 and b"".join(served.streaming_content).startswith(b"\x89PNG")
    assert b"".join(form.streaming_content) == b"%PDF-1.4\nform"
    assert {p.image.size for page in pdf.pages for p in page.images} == {(50, 20)}


def test_with_presigned_addresses_the_browser_fetches_the_file_from_the_store(
    s3, client, agent, supervisor, settings, django_capture_on_commit_callbacks
):
    import time
    import urllib.request
    from urllib.parse import parse_qs, urlsplit

    settings.SOPDESK_SENDFILE = "s3"
    settings.SOPDESK_PRESIGNED_SECONDS = 30
    draft = new_procedure(owner=supervisor, code="CC-S3-003")
    image, form = _picture_and_form(draft, supervisor, form_name="callback form.pdf")
    client.force_login(agent)
    assert client.get(image.get_absolute_url()).status_code == 404  # a draft's: no address
    with django_capture_on_commit_callbacks(execute=True):
        make_effective(save(draft, purpose=f"![Menu]({image.get_absolute_url()})"), manager())

    response = client.get(image.get_absolute_url())

    assert response.status_code == 302 and "Signature=" in response.url
    query = parse_qs(urlsplit(response.url).query)
    expires = int(query.get("Expires", query.get("X-Amz-Expires", ["0"]))[0])
    assert expires in (30,) or abs(expires - (time.time() + 30)) < 10  # SigV2 or SigV4
    with urllib.request.urlopen(response.url) as fetched:  # noqa: S310 - moto on loopback
        assert fetched.read().startswith(b"\x89PNG")
        assert fetched.headers["Content-Type"] == "image/png"
    download = client.get(form.get_absolute_url())
    with urllib.request.urlopen(download.url) as fetched:  # noqa: S310 - moto on loopback
        assert fetched.read() == b"%PDF-1.4\nform"
        assert fetched.headers["Content-Disposition"].startswith("attachment; filename=")
