"""Benchmark the manual: pages and PDFs against static files of the same size served by the same
server, the cost of rendering long procedures, and the whole-manual PDF as the manual grows.

Production settings, gunicorn with 2 workers, a scratch database (SQLite, or DATABASE_URL)
and a scratch media directory. Prints medians and ratios measured in the same run.

    .venv/bin/python bench/manual.py [--requests 200] [--seconds 5] [--sizes 12,100,400]
"""

import argparse
import json
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from desk_pages import PORT, PYTHON, ROOT, manage, median_ms, opener_for, prepared  # noqa: E402

BASE = f"http://127.0.0.1:{PORT}"


def shell(env: dict, script: str) -> str:
    result = subprocess.run(
        [PYTHON, "manage.py", "shell", "-c", script],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return result.stdout.strip().splitlines()[-1] if result.stdout.strip() else ""


def start_server(env: dict) -> subprocess.Popen:
    """gunicorn with the production settings plus the two bare views of floor_settings."""
    env = {
        **env,
        "PYTHONPATH": str(ROOT / "bench"),
        "DJANGO_SETTINGS_MODULE": "floor_settings",
    }
    server = subprocess.Popen(
        [PYTHON, "-m", "gunicorn", "sopdesk.wsgi", "--bind", f"127.0.0.1:{PORT}", "--workers", "2"],
        cwd=ROOT,
        env=env,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(100):
        try:
            urllib.request.urlopen(f"{BASE}/accounts/login/").read()
            return server
        except OSError:
            time.sleep(0.1)
    raise SystemExit("gunicorn did not start")


def throughput(opener, path: str, seconds: float, threads: int = 4) -> float:
    """Requests per second with `threads` clients in parallel for `seconds`."""
    url, done, stop = BASE + path, [0] * threads, time.perf_counter() + seconds

    def client(i):
        while time.perf_counter() < stop:
            opener.open(url).read()
            done[i] += 1

    workers = [threading.Thread(target=client, args=(i,)) for i in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return sum(done) / seconds


ADD_EFFECTIVE = """
from procedures import services, workflow
from procedures.models import Category, Procedure, User
from procedures.management.commands.seed_demo import _steps
from procedures.management.commands._demo_manual import PROCEDURES
owners = [User.objects.get(username='supervisor'), User.objects.get(username='supervisor2')]
manager = User.objects.get(username='manager2')
categories = list(Category.objects.all())
target = {target}
i = Procedure.objects.filter(code__startswith='BM-').count()
while Procedure.objects.filter(revisions__status='EFFECTIVE').distinct().count() < target:
    spec = PROCEDURES[i % len(PROCEDURES)]
    owner = owners[i % 2]
    draft = services.create_procedure(code=f"BM-{{i:05d}}", title=spec["title"], category=categories[i % len(categories)],
        owner=owner, step_format=spec["format"], review_interval_months=12, created_by=owner)
    draft = services.save_draft(revision=draft, editor=owner, lock_version=draft.lock_version,
        content=services.DraftContent(fields={{"title": spec["title"], "purpose": spec["purpose"], "scope": spec["scope"],
            "responsibilities": spec["responsibilities"], "training": spec["training"], "documentation": spec.get("documentation", "-"),
            "review_and_approval": "Reviewed by the operations manager.", "step_format": spec["format"]}}, steps=_steps(spec),
            measures=[services.MeasureData(*m) for m in spec["measures"]]))
    draft = workflow.submit(revision=draft, actor=owner)
    rule = workflow.rule_for(draft)
    for signer in (User.objects.get(username='manager'), manager)[: rule.approvals_required]:
        draft.refresh_from_db()
        workflow.sign(revision=draft, signer=signer, password='sopdesk-demo', meaning='APPROVED', seen_status=draft.status)
    i += 1
print(Procedure.objects.filter(revisions__status='EFFECTIVE').distinct().count())
"""

RENDER_LONG = """
import json, resource, time
from procedures import services
from procedures.models import Category, User
from procedures.document_data import gather
from procedures.rendering.document import document_pdf
from procedures.steps import StepData
from pypdf import PdfReader
import io
owner = User.objects.get(username='supervisor')
text = ("Confirm the caller's account, read back the details and note the outcome in the CRM, "
        "then tell the caller what happens next and by when. ") * 2
draft = services.create_procedure(code='BR-{steps:05d}', title='A long procedure', category=Category.objects.first(),
    owner=owner, step_format='SIMPLE', review_interval_months=12, created_by=owner)
steps = [StepData(key=f"s{{i}}", text=f"{{text}} ({{i}})", role='Agent') for i in range({steps})]
draft = services.save_draft(revision=draft, editor=owner, lock_version=draft.lock_version,
    content=services.DraftContent(fields={{"title": "A long procedure", "purpose": "Bench.", "step_format": "SIMPLE"}}, steps=steps, measures=[]))
small = services.create_procedure(code='BW-{steps:05d}', title='Warm-up', category=Category.objects.first(),
    owner=owner, step_format='SIMPLE', review_interval_months=12, created_by=owner)
document_pdf(gather(small))  # warm up on a one-page document: fonts, stylesheets, templates
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
start = time.perf_counter()
pdf = document_pdf(gather(draft))
seconds = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({{"pages": len(PdfReader(io.BytesIO(pdf)).pages), "seconds": seconds, "peak_mb": peak / 1024, "growth_mb": (peak - before) / 1024}}))
"""

EXPORT = """
import json, resource, time
from procedures import manual_pdf
start = time.perf_counter()
with open({path!r}, 'wb') as out:
    count, pages = manual_pdf.write_manual(out)
print(json.dumps({{"procedures": count, "pages": pages, "seconds": time.perf_counter() - start,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200, help="sequential requests per URL")
    parser.add_argument("--seconds", type=float, default=5, help="seconds of parallel load per URL")
    parser.add_argument(
        "--sizes", default="12,100,400", help="manual sizes for the whole-manual PDF"
    )
    args = parser.parse_args()

    scratch, env = prepared(prefix="sopdesk-bench-manual-")
    manage(env, "db_worker", "--batch", "--no-startup-delay", "--no-reload")

    # 1. A manual page and a stored PDF against static files of the same size.
    server = start_server(env)
    agent = opener_for("agent")
    page_path, pdf_path = "/manual/CC-CH-001/", "/manual/CC-CH-001.pdf"
    page_size = len(agent.open(BASE + page_path).read())
    pdf_size = len(agent.open(BASE + pdf_path).read())
    server.terminate()
    server.wait()
    bench_dir = scratch / "static" / "bench"
    bench_dir.mkdir(parents=True)
    (bench_dir / "page.html").write_bytes(b"x" * page_size)
    (bench_dir / "file.pdf").write_bytes(b"x" * pdf_size)
    server = start_server(env)
    try:
        agent = opener_for("agent")
        rows = []
        for label, path, baseline in (
            (f"procedure page ({page_size} bytes)", page_path, "/static/bench/page.html"),
            (f"stored PDF ({pdf_size} bytes)", pdf_path, "/static/bench/file.pdf"),
        ):
            base_ms, ms = (
                median_ms(agent, baseline, args.requests),
                median_ms(agent, path, args.requests),
            )
            base_rps, rps = (
                throughput(agent, baseline, args.seconds),
                throughput(agent, path, args.seconds),
            )
            rows.append((label, ms, base_ms, rps, base_rps))
        print(
            f"\n{'URL':34} {'median ms':>9} {'static ms':>9} {'× static':>8} {'req/s':>7} {'static':>7} {'× static':>8}"
        )
        for label, ms, base_ms, rps, base_rps in rows:
            print(
                f"{label:34} {ms:9.2f} {base_ms:9.2f} {ms / base_ms:8.2f} {rps:7.0f} {base_rps:7.0f} {rps / base_rps:8.2f}"
            )
        # What a response costs before SOP Desk does anything (bench/floor_urls.py): Django's
        # middleware alone, then with the session and user every manual URL must look up.
        anonymous = urllib.request.build_opener()
        for label, opener, path in (
            ("floor: bare view, anonymous", anonymous, "/bench/bare/"),
            ("floor: bare view, logged in", agent, "/bench/authenticated/"),
            ("floor: login page (template)", anonymous, "/accounts/login/"),
        ):
            ms, rps = median_ms(opener, path, args.requests), throughput(opener, path, args.seconds)
            print(
                f"{label:34} {ms:9.2f} {rows[0][2]:9.2f} {ms / rows[0][2]:8.2f} "
                f"{rps:7.0f} {rows[0][4]:7.0f} {rps / rows[0][4]:8.2f}"
            )
        print(f"{'table of contents':34} {median_ms(agent, '/manual/', args.requests):9.2f}")
    finally:
        server.terminate()
        server.wait()

    # 2. Rendering a long procedure: cost per page should not grow with length.
    print(
        f"\n{'render':10} {'pages':>6} {'seconds':>8} {'s/page':>7} {'peak MB':>8} {'growth MB':>9}"
    )
    per_page = []
    for steps in (60, 390):  # about 10 and 50 pages
        result = json.loads(shell(env, RENDER_LONG.format(steps=steps)))
        per_page.append(result["seconds"] / result["pages"])
        print(
            f"{steps:4} steps {result['pages']:6} {result['seconds']:8.2f} {per_page[-1]:7.3f} "
            f"{result['peak_mb']:8.0f} {result['growth_mb']:9.1f}"
        )
    print(f"cost per page, long ÷ short: {per_page[1] / per_page[0]:.2f}")

    # 3. The whole manual as it grows.
    print(
        f"\n{'manual':10} {'pages':>6} {'seconds':>8} {'s/100 pages':>11} {'peak MB':>8} {'TOC ms':>7}"
    )
    for size in [int(s) for s in args.sizes.split(",")]:
        shell(env, ADD_EFFECTIVE.format(target=size))
        manage(env, "db_worker", "--batch", "--no-startup-delay", "--no-reload")
        result = json.loads(shell(env, EXPORT.format(path=str(scratch / f"manual-{size}.pdf"))))
        server = start_server(env)
        try:
            toc_ms = median_ms(opener_for("agent"), "/manual/", 50)
        finally:
            server.terminate()
            server.wait()
        print(
            f"{result['procedures']:4} procs {result['pages']:6} {result['seconds']:8.2f} "
            f"{100 * result['seconds'] / result['pages']:11.2f} {result['peak_mb']:8.0f} {toc_ms:7.2f}"
        )


if __name__ == "__main__":
    main()
