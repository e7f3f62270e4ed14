"""Shift start: 1,000 agents log in, open the procedure that just took effect and acknowledge it.

A bounded, headless load test on loopback only. Creates a scratch PostgreSQL database (dropped at
the end), seeds --agents agent accounts with one password and one procedure made effective through
the real workflow (submitted, signed by a manager, rendered by the background worker), starts
gunicorn (2 workers, 30 s timeout, production settings) on a free port of 127.0.0.1, measures the
same journey unloaded (--baseline agents, one after another), then runs locust in one process:
--agents users spawned evenly over --ramp seconds, each going through the journey once

    GET /accounts/login/  →  POST it (CSRF)  →  GET /manual/<CODE>/  →  POST …/acknowledge/ (CSRF)

for at most --run-time seconds. Prints requests, failures, p50 and p99 per step (and × unloaded),
the wall time, how many acknowledged within --window seconds, then counts the Acknowledgement rows:
exactly one per agent is the only right answer (lost = agents - distinct agents, doubled = rows -
distinct agents).

    .venv/bin/python bench/shift_start.py [--agents 1000] [--ramp 50] [--window 60]
        [--run-time 300] [--server postgres://postgres@127.0.0.1:5432] [--keep]

Locust is not a project dependency: the script uses bench/.venv (created on first use with
`pip install -r bench/requirements.txt`) unless this interpreter already has it. The machine
has 2 cores shared by gunicorn, PostgreSQL and locust: read the figures with that in mind.
"""

import argparse
import http.client
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from collections import Counter
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent))
from desk_pages import PYTHON, ROOT, manage  # noqa: E402

BENCH = ROOT / "bench"
LOCUSTFILE = BENCH / "locustfile_shift_start.py"
PREFIX, BASELINE_PREFIX = "shift-", "unloaded-"
PASSWORD = "shift-start-bench-password"
CODE = "CC-SS-001"
STEPS = ("1 GET login page", "2 POST login", "3 GET procedure", "4 POST acknowledge")

SEED = """
import json, time
from django.contrib.auth.hashers import check_password, make_password
from django.contrib.auth.models import Group
from django.db import transaction
from procedures import services, workflow
from procedures.management.commands._demo_manual import PROCEDURES
from procedures.management.commands.seed_demo import _steps
from procedures.models import Category, User
password = {password!r}
hashed = make_password(password)  # once: Argon2 is slow on purpose, and the agents share it
groups = {{g.name: g for g in Group.objects.all()}}
def person(username, first, last, role):
    user = User.objects.create(username=username, first_name=first, last_name=last,
        email=f"{{username}}@example.com", password=hashed)
    user.groups.add(groups[role])
    return user
with transaction.atomic():
    supervisor = person("bench-supervisor", "Sam", "Supervisor", "Supervisor")
    manager = person("bench-manager", "Mia", "Manager", "Manager")
    for prefix, count in (({prefix!r}, {agents}), ({baseline_prefix!r}, {baseline})):
        for i in range(1, count + 1):
            person(f"{{prefix}}{{i:04d}}", "Agent", f"{{prefix}}{{i:04d}}", "Agent")
spec = next(s for s in PROCEDURES if s["format"] == "SIMPLE")
draft = services.create_procedure(code={code!r}, title=spec["title"],
    category=Category.objects.create(name="Shift start"), owner=supervisor, step_format="SIMPLE",
    review_interval_months=12, created_by=supervisor)
draft = services.save_draft(revision=draft, editor=supervisor, lock_version=draft.lock_version,
    content=services.DraftContent(fields={{"title": spec["title"], "purpose": spec["purpose"],
        "scope": spec["scope"], "responsibilities": spec["responsibilities"], "training": spec["training"],
        "documentation": spec.get("documentation", "-"), "review_and_approval": "Operations manager.",
        "step_format": "SIMPLE"}}, steps=_steps(spec), measures=[services.MeasureData(*m) for m in spec["measures"]]))
draft = workflow.submit(revision=draft, actor=supervisor)
draft.refresh_from_db()
workflow.sign(revision=draft, signer=manager, password=password, meaning="APPROVED", seen_status=draft.status)
draft.refresh_from_db()
start = time.perf_counter()
for _ in range(5):
    check_password(password, hashed)
print(json.dumps({{"number": draft.number, "revision": draft.pk, "status": draft.status,
    "password_ms": (time.perf_counter() - start) / 5 * 1000}}))
"""

COUNT = """
import json
from procedures.models import Acknowledgement, AuditEvent
rows = Acknowledgement.objects.filter(revision_id={revision}, agent__username__startswith={prefix!r})
events = AuditEvent.objects.filter(action=AuditEvent.Action.ACKNOWLEDGED, revision_id={revision},
    actor__username__startswith={prefix!r})
print(json.dumps({{"rows": rows.count(), "agents": sorted(set(rows.values_list("agent__username", flat=True))),
    "audit": events.count()}}))
"""


def shell(env: dict, script: str) -> dict:
    result = subprocess.run(
        [PYTHON, "manage.py", "shell", "-c", script],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def locust_python() -> str:
    """An interpreter with locust: this one, or bench/.venv (made on first use)."""
    probe = subprocess.run([PYTHON, "-c", "import locust"], capture_output=True)
    if probe.returncode == 0:
        return PYTHON
    venv = BENCH / ".venv" / "bin" / "python"
    if subprocess.run([str(venv), "-c", "import locust"], capture_output=True).returncode != 0:
        print("installing locust into bench/.venv (pip install -r bench/requirements.txt) …")
        if not venv.exists():
            subprocess.run([sys.executable, "-m", "venv", str(BENCH / ".venv")], check=True)
        subprocess.run(
            [str(venv), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
             "-r", str(BENCH / "requirements.txt")],
            check=True,
        )  # fmt: skip
    return str(venv)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def production_env(scratch: Path, database_url: str, base: str) -> dict:
    env = {
        **os.environ,
        "SECRET_KEY": "benchmark-only-secret-key-0123456789abcdefghijklmnopqrstuvwxyz",
        "ALLOWED_HOSTS": "127.0.0.1",
        "SOPDESK_BASE_URL": base,
        "SECURE_SSL_REDIRECT": "0",  # plain HTTP on loopback
        "SESSION_COOKIE_SECURE": "0",
        "CSRF_COOKIE_SECURE": "0",
        "STATIC_ROOT": str(scratch / "static"),
        "MEDIA_ROOT": str(scratch / "media"),
        "DATABASE_URL": database_url,
        "LOG_LEVEL": "WARNING",
    }
    env.pop("DEBUG", None)
    return env


def start_gunicorn(env: dict, port: int, log: Path) -> subprocess.Popen:
    server = subprocess.Popen(
        [PYTHON, "-m", "gunicorn", "sopdesk.wsgi", "--bind", f"127.0.0.1:{port}",
         "--workers", "2", "--timeout", "30"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log.open("w"),
    )  # fmt: skip
    for _ in range(600):  # a busy 2-core machine can take a while
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/accounts/login/").read()
            return server
        except OSError:
            time.sleep(0.1)
    server.terminate()
    server.wait()
    raise SystemExit("gunicorn did not answer /accounts/login/:\n" + log.read_text()[-3000:])


def unloaded_journey(port: int, username: str, number: int) -> dict[str, float]:
    """The locust journey by one agent on an idle server, timed per step (ms)."""
    cookies: dict[str, str] = {}
    page = f"/manual/{CODE}/"
    login = "/accounts/login/?" + urllib.parse.urlencode({"next": page})
    times = {}

    def request(step, method, path, expect, data=None):
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())}
        body = None
        if data is not None:
            body = urllib.parse.urlencode(data)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        start = time.perf_counter()
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        text = response.read().decode()
        times[step] = (time.perf_counter() - start) * 1000
        connection.close()
        assert response.status == expect, (step, response.status)
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            cookies[name] = rest.split(";")[0]
        return text

    token = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
    html = request(STEPS[0], "GET", login, 200)
    credentials = {"username": username, "password": PASSWORD, "next": page}
    request(
        STEPS[1], "POST", login, 302, {"csrfmiddlewaretoken": token.search(html)[1], **credentials}
    )
    html = request(STEPS[2], "GET", page, 200)
    form = html[html.index(f'action="{page}rev/{number}/acknowledge/"') :]
    request(
        STEPS[3],
        "POST",
        f"{page}rev/{number}/acknowledge/",
        302,
        {"csrfmiddlewaretoken": token.search(form)[1]},
    )
    return times


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile: p99 of 1,000 values is the 990th smallest."""
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, int(-(-p * len(ordered) // 100)) - 1))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agents", type=int, default=1000)
    parser.add_argument(
        "--ramp", type=float, default=50, help="seconds over which all agents start"
    )
    parser.add_argument("--window", type=float, default=60, help="seconds the shift start allows")
    parser.add_argument("--run-time", type=int, default=300, help="hard bound on the load (s)")
    parser.add_argument("--client-timeout", type=float, default=120, help="per request (s)")
    parser.add_argument("--baseline", type=int, default=20, help="unloaded journeys first")
    parser.add_argument("--server", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    args = parser.parse_args()
    assert args.ramp <= args.window, "every agent must have started within the window"

    python = locust_python()
    name = f"sopdesk_bench_shift_{os.getpid()}_{int(time.time())}"
    with psycopg.connect(f"{args.server}/postgres", autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    scratch = Path(tempfile.mkdtemp(prefix="sopdesk-bench-shift-"))
    try:
        run(args, python, f"{args.server}/{name}", scratch)
    finally:
        if args.keep:
            print(f"kept: {args.server}/{name} and {scratch}")
        else:
            with psycopg.connect(f"{args.server}/postgres", autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            shutil.rmtree(scratch, ignore_errors=True)


def run(args, python: str, database_url: str, scratch: Path) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = production_env(scratch, database_url, base)
    print(f"database: {database_url.split('@')[-1]}; preparing …", flush=True)
    manage(env, "migrate", "--no-input")
    manage(env, "collectstatic", "--no-input")
    started = time.perf_counter()
    seeded = shell(env, SEED.format(password=PASSWORD, prefix=PREFIX, agents=args.agents,
                                    baseline_prefix=BASELINE_PREFIX, baseline=args.baseline, code=CODE))  # fmt: skip
    assert seeded["status"] == "EFFECTIVE", seeded
    # Render it, as the background worker does after approval.
    manage(env, "db_worker", "--batch", "--no-startup-delay", "--no-reload")
    print(
        f"seeded {args.agents} agents (+{args.baseline} for the unloaded baseline) and {CODE} "
        f"revision {seeded['number']} effective, rendered, in {time.perf_counter() - started:.0f} s"
    )
    cores = os.cpu_count() or 1
    print(
        f"one password check (Argon2 as configured): {seeded['password_ms']:.0f} ms → "
        f"{args.agents} logins need ≥ {args.agents * seeded['password_ms'] / 1000 / cores:.0f} s "
        f"of all {cores} cores"
    )

    log = scratch / "gunicorn.log"
    server = start_gunicorn(env, port, log)
    try:
        unloaded: dict[str, list[float]] = {step: [] for step in STEPS}
        for i in range(1, args.baseline + 1):
            for step, ms in unloaded_journey(
                port, f"{BASELINE_PREFIX}{i:04d}", seeded["number"]
            ).items():
                unloaded[step].append(ms)
        record, rc, wall = load(args, python, base, seeded["number"], scratch)
    finally:
        server.terminate()
        server.wait()
    report(args, record, unloaded, rc, wall, log, scratch)
    counts = shell(env, COUNT.format(revision=seeded["revision"], prefix=PREFIX))
    report_rows(args, record, counts)


def load(args, python: str, base: str, number: int, scratch: Path):
    out = scratch / "locust.json"
    env = {
        **os.environ,
        "SHIFT_AGENTS": str(args.agents),
        "SHIFT_PREFIX": PREFIX,
        "SHIFT_PASSWORD": PASSWORD,
        "SHIFT_CODE": CODE,
        "SHIFT_NUMBER": str(number),
        "SHIFT_OUT": str(out),
        "SHIFT_CLIENT_TIMEOUT": str(args.client_timeout),
    }
    rate = args.agents / args.ramp
    print(
        f"\nload average before the load: {os.getloadavg()[0]:.2f} (anything else running competes)"
    )
    print(
        f"locust (one process): {args.agents} users at {rate:.1f}/s (all started by "
        f"{args.ramp:.0f} s), run time ≤ {args.run_time} s, client timeout {args.client_timeout:.0f} s …",
        flush=True,
    )
    start = time.perf_counter()
    with (scratch / "locust.log").open("w") as log:
        rc = subprocess.run(
            [python, "-m", "locust", "-f", str(LOCUSTFILE), "--headless", "--host", base,
             "--users", str(args.agents), "--spawn-rate", f"{rate:.3f}",
             "--run-time", f"{args.run_time}s", "--stop-timeout", "0", "--only-summary"],
            cwd=BENCH,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            timeout=args.run_time + 120,
        ).returncode  # fmt: skip
    wall = time.perf_counter() - start
    warnings = [
        line.split("] ", 1)[-1]
        for line in (scratch / "locust.log").read_text(errors="replace").splitlines()
        if "CPU usage" in line
    ]
    for warning in warnings[:2]:
        print(f"locust: {warning.strip()}")
    if not out.exists():
        raise SystemExit(f"locust wrote no results (exit {rc}); see {scratch / 'locust.log'}")
    return json.loads(out.read_text()), rc, wall


def report(args, record, unloaded, rc, wall, log: Path, scratch: Path) -> None:
    requests = record["requests"]
    print("\nper step, all requests (failed ones included); ok p50 is over the successful ones")
    print(f"{'step':22} {'requests':>8} {'failures':>8} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} "
          f"{'ok p50':>8} {'unloaded p50':>12} {'p50 × unl.':>10}")  # fmt: skip
    for step in STEPS:
        times = [r[1] for r in requests if r[0] == step]
        ok = [r[1] for r in requests if r[0] == step and r[2] is None]
        base = statistics.median(unloaded[step])
        if times:
            p50 = percentile(times, 50)
            ok50 = f"{percentile(ok, 50):8.0f}" if ok else f"{'-':>8}"
            print(f"{step:22} {len(times):8} {len(times) - len(ok):8} {p50:8.0f} "
                  f"{percentile(times, 99):8.0f} {max(times):8.0f} {ok50} {base:12.1f} {p50 / base:10.0f}")  # fmt: skip
        else:
            print(f"{step:22} {0:8} {0:8} {'-':>8} {'-':>8} {'-':>8} {'-':>8} {base:12.1f}")
    total_failed = sum(r[2] is not None for r in requests)
    print(f"{'all steps':22} {len(requests):8} {total_failed:8}")

    journeys = record["journeys"]
    t0 = record["test_started"]
    good = [j for j in journeys if j[4] == "acknowledged"]
    if good:
        ms = [j[3] for j in good]
        print(
            f"\nwhole journey (acknowledged agents): p50 {percentile(ms, 50) / 1000:.1f} s, "
            f"p99 {percentile(ms, 99) / 1000:.1f} s, max {max(ms) / 1000:.1f} s "
            f"(unloaded: {sum(statistics.median(v) for v in unloaded.values()):.0f} ms)"
        )
        last = max(j[2] for j in good) - t0
        within = sum(j[2] - t0 <= args.window for j in good)
        print(
            f"last acknowledgement {last:.1f} s after the test started; acknowledged within "
            f"{args.window:.0f} s: {within} of {args.agents} ({within / args.agents:.0%})"
        )
    first_start = max((j[1] for j in journeys), default=t0) - t0
    print(
        f"journeys: {len(journeys)} of {args.agents} ended ({len(good)} acknowledged), last one "
        f"started {first_start:.1f} s in; locust wall time {wall:.1f} s (exit {rc}), "
        f"test {record['test_stopped'] - t0:.1f} s"
    )
    failures = Counter((r[0], r[2]) for r in requests if r[2] is not None)
    if failures:
        print("failures by step and reason:")
        for (step, reason), count in failures.most_common(12):
            print(f"  {count:6} × {step}: {reason}")
    text = log.read_text(errors="replace")
    errors = len(re.findall(r"\[ERROR\]", text))
    print(
        f"gunicorn log: {text.count('WORKER TIMEOUT')} worker timeouts, "
        f"{text.count('Traceback')} tracebacks, {errors} [ERROR] lines"
        + (f" (kept in {scratch})" if text.strip() and args.keep else "")
    )
    if "Traceback" in text and not args.keep:
        print(text[text.index("Traceback") :][:1500])


def report_rows(args, record, counts) -> None:
    rows, agents = counts["rows"], set(counts["agents"])
    confirmed = {f"{PREFIX}{j[0]:04d}" for j in record["journeys"] if j[4] == "acknowledged"}
    print(
        f"\nAcknowledgement rows for the {args.agents} agents: {rows} (distinct agents {len(agents)}; "
        f"audit events {counts['audit']})"
    )
    print(
        f"lost: {args.agents - len(agents)} (of which confirmed to the agent but not stored: "
        f"{len(confirmed - agents)}; never reached or refused: {args.agents - len(agents | confirmed)}); "
        f"doubled: {rows - len(agents)}; stored but the agent saw an error: {len(agents - confirmed)}"
    )


if __name__ == "__main__":
    main()
