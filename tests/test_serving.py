"""How stored files travel once permission is checked (procedures/serving.py): streamed by
Django, handed to nginx or Apache without Python copying the bytes, or a short-lived presigned
address of the S3 store; the same headers and the same refusals whatever the mode."""

import pytest
from django.core.files.storage import default_storage

from procedures import publishing
from tests import factories
from tests.test_files import _with_image_and_form


@pytest.fixture
def published(supervisor, django_capture_on_commit_callbacks):
    draft = factories.new_procedure(owner=supervisor, code="CC-SF-001")
    image, attachment = _with_image_and_form(draft, supervisor)
    with django_capture_on_commit_callbacks(execute=True):
        factories.make_effective(draft)
    publishing.render_revision(draft.pk)
    return draft, image, attachment


def test_with_nginx_the_file_is_handed_over_after_the_permission_check(
    client, agent, published, settings
):
    settings.SOPDESK_SENDFILE = "nginx"
    settings.SOPDESK_SENDFILE_PREFIX = "/_protected/"
    revision, image, attachment = published
    client.force_login(agent)

    picture = client.get(image.get_absolute_url())
    form = client.get(attachment.get_absolute_url())
    pdf = client.get("/manual/CC-SF-001.pdf")

    assert picture["X-Accel-Redirect"] == f"/_protected/{image.file}" and picture.content == b""
    assert picture["Content-Type"] == "image/png" and picture["ETag"] == f'"{image.sha256}"'
    assert "sandbox" in picture["Content-Security-Policy"]
    assert form["X-Accel-Redirect"] == f"/_protected/{attachment.file}"
    assert form["Content-Disposition"].startswith('attachment; filename="swap.pdf"')
    rendition = revision.renditions.get(kind="PDF")
    assert pdf["X-Accel-Redirect"] == f"/_protected/{rendition.file.name}"
    assert pdf["Content-Disposition"].startswith('inline; filename="CC-SF-001-rev1.pdf"')


def test_with_nginx_a_file_nobody_may_see_is_still_a_404_without_a_redirect(
    client, agent, supervisor, settings
):
    settings.SOPDESK_SENDFILE = "nginx"
    draft = factories.new_procedure(owner=supervisor)
    image, attachment = _with_image_and_form(draft, supervisor)
    client.force_login(agent)

    response = client.get(image.get_absolute_url())

    assert response.status_code == 404 and "X-Accel-Redirect" not in response


def test_with_apache_the_file_is_named_by_its_path(client, agent, published, settings):
    settings.SOPDESK_SENDFILE = "apache"
    _revision, image, _attachment = published
    client.force_login(agent)

    response = client.get(image.get_absolute_url())

    assert response["X-Sendfile"] == default_storage.path(image.file)
    assert response.content == b""


def test_a_browser_that_has_the_file_gets_304(client, agent, published):
    _revision, image, _attachment = published
    client.force_login(agent)
    first = client.get(image.get_absolute_url())

    again = client.get(image.get_absolute_url(), HTTP_IF_NONE_MATCH=first["ETag"])
    pdf = client.get("/manual/CC-SF-001.pdf")
    pdf_again = client.get("/manual/CC-SF-001.pdf", HTTP_IF_NONE_MATCH=pdf["ETag"])

    assert again.status_code == 304 and again["ETag"] == first["ETag"]
    assert pdf_again.status_code == 304


def test_streamed_by_default_with_the_same_headers(client, agent, published):
    _revision, image, _attachment = published
    client.force_login(agent)

    response = client.get(image.get_absolute_url())

    assert "X-Accel-Redirect" not in response and "X-Sendfile" not in response
    assert b"".join(response.streaming_content).startswith(b"\x89PNG")


def test_an_unknown_sendfile_mode_is_refused_at_start():
    from tests.test_demo_and_settings import _manage

    result = _manage("check", DEBUG="1", SOPDESK_SENDFILE="lighttpd")

    assert result.returncode != 0
    assert "SOPDESK_SENDFILE must be off, nginx, apache or s3, not 'lighttpd'." in result.stderr
