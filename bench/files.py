"""Benchmark screenshots and attached forms: serving them (a permission-checked view reading from
storage) against static files of the same size served by the same server, and uploading a
full-HD screenshot (checked and re-encoded) against the editor's Markdown preview.

Production settings, gunicorn with 2 workers, the demo manual in a scratch database (SQLite, or
DATABASE_URL) and a scratch media directory. Prints medians and ratios measured in the same run.

    .venv/bin/python bench/files.py [--requests 200] [--seconds 5]
"""

import argparse
import io
import re
import statistics
import sys
import time
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

from PIL import Image, ImageDraw

sys.path.insert(0, str(Path(__file__).resolve().parent))
from desk_pages import manage, median_ms, opener_for, prepared  # noqa: E402
from manual import BASE, start_server, throughput  # noqa: E402

DRAFT_OWNER = "supervisor2"


def screenshot_png() -> bytes:
    """A 1920×1080 screenshot-like picture: flat colours, text-like stripes."""
    picture = Image.new("RGB", (1920, 1080), "#f3f5f8")
    draw = ImageDraw.Draw(picture)
    draw.rectangle([0, 0, 1920, 60], fill="#0b3f7a")
    for row in range(40):
        top = 100 + row * 24
        draw.rectangle([40 + (row % 5) * 7, top, 900 + (row * 37) % 800, top + 12], fill="#1c2430")
    out = io.BytesIO()
    picture.save(out, "PNG")
    return out.getvalue()


def multipart(fields: dict[str, str], file_field: str, name: str, data: bytes):
    boundary = uuid.uuid4().hex
    parts = []
    for key, value in fields.items():
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n{value}\r\n'.encode()
        )
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{file_field}"; filename="{name}"\r\n'
        f"Content-Type: image/png\r\n\r\n".encode()
        + data
        + b"\r\n"
    )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def csrf(opener) -> str:
    for handler in opener.handlers:
        jar = getattr(handler, "cookiejar", None)
        if jar:
            return next(c.value for c in jar if c.name == "csrftoken")
    raise SystemExit("no CSRF cookie")


def post_ms(opener, path: str, body: bytes, content_type: str, requests: int) -> float:
    url = BASE + path
    token = csrf(opener)
    times = []
    for _ in range(requests):
        request = urllib.request.Request(
            url,
            data=body,
            headers={
                "Content-Type": content_type,
                "X-CSRFToken": token,
                "Referer": url,
                "Accept": "application/json",
            },
        )
        start = time.perf_counter()
        response = opener.open(request)
        response.read()
        times.append((time.perf_counter() - start) * 1000)
        assert response.status == 200, path
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200, help="sequential requests per URL")
    parser.add_argument("--seconds", type=float, default=5, help="seconds of parallel load per URL")
    args = parser.parse_args()

    scratch, env = prepared(prefix="sopdesk-bench-files-")
    manage(env, "db_worker", "--batch", "--no-startup-delay", "--no-reload")  # render the manual
    server = start_server(env)
    try:
        agent = opener_for("agent")
        page = agent.open(BASE + "/manual/CC-CH-001/").read().decode()
        image_path = re.search(r'src="(/images/[^"]+)"', page).group(1)
        file_path = re.search(r'href="(/files/[^"]+)"', page).group(1)
        image_size = len(agent.open(BASE + image_path).read())
        file_size = len(agent.open(BASE + file_path).read())
    finally:
        server.terminate()
        server.wait()
    bench_dir = scratch / "static" / "bench"
    bench_dir.mkdir(parents=True)
    (bench_dir / "image.png").write_bytes(b"x" * image_size)
    (bench_dir / "file.csv").write_bytes(b"x" * file_size)
    server = start_server(env)
    try:
        agent = opener_for("agent")
        print(
            f"\n{'URL':36} {'median ms':>9} {'static ms':>9} {'× static':>8} {'req/s':>7} {'static':>7} {'× static':>8}"
        )
        for label, path, baseline in (
            (f"screenshot ({image_size} bytes)", image_path, "/static/bench/image.png"),
            (f"attached form ({file_size} bytes)", file_path, "/static/bench/file.csv"),
        ):
            base_ms, ms = (
                median_ms(agent, baseline, args.requests),
                median_ms(agent, path, args.requests),
            )
            base_rps = throughput(agent, baseline, args.seconds)
            rps = throughput(agent, path, args.seconds)
            print(
                f"{label:36} {ms:9.2f} {base_ms:9.2f} {ms / base_ms:8.2f} {rps:7.0f} {base_rps:7.0f} {rps / base_rps:8.2f}"
            )

        owner = opener_for(DRAFT_OWNER)  # CC-TR-002 is a demo draft
        owner.open(BASE + "/desk/").read()
        png = screenshot_png()
        body, content_type = multipart({}, "image", "screen.png", png)
        uploads = max(10, args.requests // 10)
        upload_ms = post_ms(owner, "/desk/CC-TR-002/rev/1/images/", body, content_type, uploads)
        preview = urllib.parse.urlencode({"text": "**Bold** and a [link](https://example.com)."})
        preview_ms = post_ms(
            owner, "/desk/preview/", preview.encode(), "application/x-www-form-urlencoded", uploads
        )
        print(
            f"\nupload of a 1920×1080 PNG screenshot ({len(png)} bytes), checked and re-encoded: "
            f"median {upload_ms:.1f} ms = {upload_ms / preview_ms:.1f}× the Markdown preview "
            f"({preview_ms:.2f} ms), {uploads} uploads"
        )
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()
