"""Benchmark the desk's pages against a static file served by the same server, in one run.

Starts gunicorn with production settings on a scratch database (SQLite by default, or
DATABASE_URL), seeds the demo manual plus --extra procedures, logs in as the demo supervisor
and the demo manager, and prints each page's median time and its ratio to the median time
of the stylesheet served by WhiteNoise from the same server.

    .venv/bin/python bench/desk_pages.py [--extra 300] [--requests 60]
"""

import argparse
import http.cookiejar
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
PORT = 8765


def manage(env: dict, *args: str) -> None:
    subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env=env, check=True, capture_output=True)


def add_procedures(env: dict, count: int) -> None:
    script = f"""
from procedures import services
from procedures.models import Category, Procedure, User
from procedures.management.commands.seed_demo import _steps
from procedures.management.commands._demo_manual import PROCEDURES
owners = [User.objects.get(username='supervisor'), User.objects.get(username='supervisor2')]
categories = list(Category.objects.all())
for i in range({count}):
    spec = PROCEDURES[i % len(PROCEDURES)]
    code = f"BN-{{i:05d}}"
    if Procedure.objects.filter(code=code).exists():
        continue
    owner = owners[i % 2]
    draft = services.create_procedure(code=code, title=spec["title"], category=categories[i % len(categories)],
        owner=owner, step_format=spec["format"], review_interval_months=12, created_by=owner)
    services.save_draft(revision=draft, editor=owner, lock_version=draft.lock_version,
        content=services.DraftContent(fields={{"title": spec["title"], "purpose": spec["purpose"], "scope": spec["scope"],
            "step_format": spec["format"]}}, steps=_steps(spec),
            measures=[services.MeasureData(*m) for m in spec["measures"]]))
"""
    manage(env, "shell", "-c", script)


def opener_for(username: str) -> urllib.request.OpenerDirector:
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    login = f"http://127.0.0.1:{PORT}/accounts/login/"
    token = re.search(
        r'name="csrfmiddlewaretoken" value="([^"]+)"', opener.open(login).read().decode()
    )
    data = urllib.parse.urlencode(
        {"username": username, "password": "sopdesk-demo", "csrfmiddlewaretoken": token.group(1)}
    ).encode()
    opener.open(urllib.request.Request(login, data=data, headers={"Referer": login})).read()
    return opener


def median_ms(opener, path: str, requests: int) -> float:
    url = f"http://127.0.0.1:{PORT}{path}"
    opener.open(url).read()  # warm up
    times = []
    for _ in range(requests):
        start = time.perf_counter()
        response = opener.open(url)
        response.read()
        times.append((time.perf_counter() - start) * 1000)
        assert response.status == 200 and response.url == url, (path, response.url)
    return statistics.median(times)


def prepared(prefix: str) -> tuple[Path, dict]:
    """A scratch directory and production-like environment with the demo manual seeded."""
    scratch = Path(tempfile.mkdtemp(prefix=prefix))
    env = {
        **os.environ,
        "SECRET_KEY": "benchmark-only-secret-key-0123456789abcdefghijklmnopqrstuvwxyz",
        "ALLOWED_HOSTS": "127.0.0.1",
        "SOPDESK_BASE_URL": f"http://127.0.0.1:{PORT}",
        "SECURE_SSL_REDIRECT": "0",
        "SESSION_COOKIE_SECURE": "0",
        "CSRF_COOKIE_SECURE": "0",
        "STATIC_ROOT": str(scratch / "static"),
        "MEDIA_ROOT": str(scratch / "media"),
        "DATABASE_URL": os.environ.get("DATABASE_URL", f"sqlite:///{scratch / 'bench.sqlite3'}"),
        "LOG_LEVEL": "WARNING",
    }
    env.pop("DEBUG", None)
    print(f"database: {env['DATABASE_URL'].split('@')[-1]}; preparing …", flush=True)
    manage(env, "migrate", "--no-input")
    manage(env, "collectstatic", "--no-input")
    manage(env, "seed_demo")
    return scratch, env


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--extra", type=int, default=300, help="procedures added to the demo manual"
    )
    parser.add_argument("--requests", type=int, default=60, help="requests per page")
    args = parser.parse_args()

    scratch, env = prepared(prefix="sopdesk-bench-")
    add_procedures(env, args.extra)

    server = subprocess.Popen(
        [PYTHON, "-m", "gunicorn", "sopdesk.wsgi", "--bind", f"127.0.0.1:{PORT}", "--workers", "2"],
        cwd=ROOT,
        env=env,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(50):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{PORT}/accounts/login/").read()
                break
            except OSError:
                time.sleep(0.2)
        supervisor, manager = opener_for("supervisor"), opener_for("manager")
        controller = opener_for("controller")
        css = re.search(
            r'href="(/static/css/sopdesk[^"]*\.css)"',
            supervisor.open(f"http://127.0.0.1:{PORT}/desk/").read().decode(),
        ).group(1)
        baseline = median_ms(supervisor, css, args.requests)
        pages = [
            ("desk, supervisor (own procedures)", supervisor, "/desk/"),
            (f"desk, manager (all {14 + args.extra} procedures)", manager, "/desk/"),
            ("procedure page", supervisor, "/desk/CC-CH-005/"),
            ("revision page (effective, signatures)", supervisor, "/desk/CC-CH-005/rev/2/"),
            ("revision in review, manager (sign form)", manager, "/desk/CC-CH-003/rev/2/"),
            ("draft editor (returned, with comments)", supervisor, "/desk/CC-QM-002/rev/1/edit/"),
            ("history tab", manager, "/desk/CC-CH-005/history/"),
            ("audit trail, controller (first 100 events)", controller, "/desk/audit/"),
        ]
        print(f"{'page':45} {'median ms':>10} {'× static':>9}")
        print(f"{'static stylesheet (baseline)':45} {baseline:10.2f} {1:9.1f}")
        for label, opener, path in pages:
            ms = median_ms(opener, path, args.requests)
            print(f"{label:45} {ms:10.2f} {ms / baseline:9.1f}")
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()
