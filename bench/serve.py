"""Serving under concurrency (issue 18): the manual's URLs against the logged-in floor, with wrk.

One run, loopback only: a scratch PostgreSQL database (created and dropped here) or, with
--sqlite, a scratch SQLite file; a scratch MEDIA_ROOT and STATIC_ROOT; migrate, seed_demo and the
background worker until every render is stored; gunicorn (2 sync workers, production settings
plus bench/floor_settings.py's bare views) on a free port; a real login POST (CSRF) as the demo
agent. Then wrk at 1, 8 and 32 connections on each of

    /bench/bare/ (anonymous)      /bench/authenticated/ (the floor: a bare logged-in view)
    /manual/ (the agent's TOC)    /manual/<CODE>/ and /manual/<CODE>.pdf
    the page's screenshot         the PDF's bytes as a static file served by WhiteNoise

and prints req/s, p50, p99, × the floor at the same connections, p99/p50, the CPU time the
servers (gunicorn's workers; nginx's too behind nginx) spent per request and the floor's ÷ it
("by cpu": the cost ratio, which a shared machine's scheduling moves far less than req/s), and
the issue's targets with PASS/FAIL. With --sendfile nginx, it also starts Debian's nginx in
front of a gunicorn run with SOPDESK_SENDFILE=nginx (X-Accel-Redirect to an internal /_protected/
location aliasing MEDIA_ROOT) and measures the PDF, the image and the whole manual's PDF through
nginx against nginx serving the same files directly. Everything started is stopped and removed at the end, on Ctrl-C too.

    .venv/bin/python bench/serve.py [--sqlite] [--redis] [--sendfile nginx] [--seconds 18]
        [--rounds 9] [--quick] [--connections 1,8,32] [--threads 1]
        [--server postgres://postgres@127.0.0.1:5432]

Each URL is measured in --rounds rounds of --seconds ÷ rounds, round-robin over the URLs, and its
median round is reported: on a shared machine the speed drifts (±30 % within a minute on the
2-core VM this was written on), and measuring each URL once, one after the other, would lay the
drift on the URLs measured last. Nine rounds of 2 seconds by default: three rounds of 4 seconds
left a URL's ratio to the floor moving by ±0.2 from one run to the next.

With --redis, a scratch redis-server is the shared cache (REDIS_URL), as on a site with several
app servers.

Needs wrk (nginx for --sendfile nginx, redis-server for --redis): apt-get install -y wrk nginx
redis-server. The machine's cores are
shared by wrk, gunicorn, the database and nginx: compare ratios, and take figures on an idle
machine (the load average is printed before and after).
"""

import argparse
import concurrent.futures
import contextlib
import dataclasses
import functools
import http.client
import http.cookiejar
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from desk_pages import PYTHON, ROOT  # noqa: E402

AGENT, PASSWORD = "agent", "sopdesk-demo"
PREFERRED_CODE = "CC-CH-001"
PROTECTED_PREFIX, DIRECT_PREFIX = "/_protected/", "/_direct/"

STATUS = """
import json
from django_tasks_db.models import DBTaskResult
from procedures import manual_pdf, selectors
from procedures.models import Procedure, Rendition, RevisionImage
in_force = []
for procedure in Procedure.objects.order_by("code"):
    revision = selectors.revision_in_force(procedure)
    if revision is not None:
        kinds = set(revision.renditions.values_list("kind", flat=True))
        in_force.append((procedure.code, revision.pk, {{"HTML", "PDF"}} <= kinds))
chosen = next((p for p in in_force if p[0] == {code!r}), in_force[0] if in_force else None)
pdf = chosen and Rendition.objects.filter(revision_id=chosen[1], kind="PDF").first()
manual = manual_pdf.latest_done()
print(json.dumps({{
    "pending": DBTaskResult.objects.exclude(status__in=["SUCCESSFUL", "FAILED"]).count(),
    "failed": DBTaskResult.objects.filter(status="FAILED").count(),
    "in_force": len(in_force),
    "rendered": sum(p[2] for p in in_force),
    "code": chosen[0] if chosen else None,
    "pdf": pdf.file.name if pdf else None,
    "images": {{image.get_absolute_url(): image.file for image in RevisionImage.objects.all()}},
    "manual": manual.file.name if manual else None,
}}))
"""

NGINX_CONF = """\
{user}daemon off;
master_process on;
worker_processes 1;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log warn;
events {{ worker_connections 512; }}
http {{
    access_log off;
    types {{ application/pdf pdf; image/png png; image/jpeg jpg jpeg; text/css css; }}
    default_type application/octet-stream;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 1000000;
    client_body_temp_path {tmp}/client_body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    server {{
        listen 127.0.0.1:{port};
        server_name 127.0.0.1;
        # The app answers X-Accel-Redirect: {protected}<storage name> after its permission check.
        location {protected} {{
            internal;
            alias {media}/;
        }}
        # The same files served directly: the baseline for what nginx can do with them.
        location {direct} {{
            alias {media}/;
        }}
        location / {{
            proxy_pass http://127.0.0.1:{upstream};
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $remote_addr;
        }}
    }}
}}
"""


@dataclass
class Result:
    label: str
    connections: int
    rps: float
    p50: float
    p99: float
    errors: int
    contended: bool  # a test run (pytest) was seen on the machine during the measurement
    cpu_ms: float = 0.0  # CPU time of the servers (gunicorn, nginx) per request, user + system


# The servers running now (process ids), whose CPU time, their workers' included, wrk() reads.
SERVERS: set[int] = set()


def cpu_seconds() -> float:
    """CPU time used so far by the running servers and their workers: what a request costs in
    work, which a busy or shared machine's scheduling does not change as it changes req/s."""
    ticks = 0
    for server in list(SERVERS):
        children = Path(f"/proc/{server}/task/{server}/children")
        pids = [server, *map(int, children.read_text().split())] if children.exists() else []
        for pid in pids:
            with contextlib.suppress(OSError):  # a worker that just ended
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


def serving(stack: contextlib.ExitStack, process: subprocess.Popen) -> None:
    """Count `process` (and its workers) in cpu_seconds() while it runs."""
    SERVERS.add(process.pid)
    stack.callback(SERVERS.discard, process.pid)


# Processes and scratch resources ------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def manage(env: dict, *args: str, timeout: int = 1200) -> str:
    result = subprocess.run(
        [PYTHON, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if result.returncode != 0:
        raise SystemExit(f"manage.py {args[0]} failed:\n{result.stderr[-3000:]}")
    return result.stdout


def stop(process: subprocess.Popen, name: str) -> None:
    """Stop a child started in its own session (so Ctrl-C reaches us first): TERM, then KILL."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            print(f"{name} did not stop in 20 s: killing its process group", file=sys.stderr)
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def started(stack: contextlib.ExitStack, name: str, command: list, log: Path, **kwargs):
    with log.open("w") as errors:
        process = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=errors, start_new_session=True, **kwargs
        )
    stack.callback(stop, process, name)
    return process


def wait_until_up(process: subprocess.Popen, port: int, log: Path, name: str) -> None:
    deadline = time.monotonic() + 120  # a busy 2-core machine can take a while
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        with contextlib.suppress(OSError):
            if fetch(port, "/accounts/login/")[0] == 200:
                return
        time.sleep(0.2)
    raise SystemExit(f"{name} did not answer /accounts/login/:\n{log.read_text()[-3000:]}")


def start_gunicorn(stack, env: dict, scratch: Path, sendfile: str) -> tuple:
    port = free_port()
    log = scratch / f"gunicorn-{sendfile}.log"
    env = {
        **env,
        "PYTHONPATH": str(ROOT / "bench"),
        "DJANGO_SETTINGS_MODULE": "floor_settings",
        "SOPDESK_SENDFILE": sendfile,
        "SOPDESK_SENDFILE_PREFIX": PROTECTED_PREFIX,
    }
    command = [PYTHON, "-m", "gunicorn", "sopdesk.wsgi", "--bind", f"127.0.0.1:{port}",
               "--workers", "2", "--timeout", "30"]  # fmt: skip
    process = started(stack, "gunicorn", command, log, cwd=ROOT, env=env)
    wait_until_up(process, port, log, "gunicorn")
    serving(stack, process)
    return process, port


def start_nginx(stack, nginx: str, scratch: Path, media: Path, upstream: int) -> int:
    tmp = scratch / "nginx"
    tmp.mkdir()
    port = free_port()
    conf = tmp / "nginx.conf"
    # Workers run as the user who started nginx; as root, say so (the default "nobody"
    # could not read the private scratch directory).
    user = "user root;\n" if os.geteuid() == 0 else ""
    conf.write_text(
        NGINX_CONF.format(
            user=user, tmp=tmp, port=port, upstream=upstream, media=media,
            protected=PROTECTED_PREFIX, direct=DIRECT_PREFIX,
        )
    )  # fmt: skip
    command = [nginx, "-c", str(conf), "-p", str(tmp), "-e", str(tmp / "error.log")]
    process = started(stack, "nginx", command, tmp / "stderr.log")
    wait_until_up(process, port, tmp / "error.log", "nginx")
    serving(stack, process)
    return port


def start_redis(stack, redis: str, scratch: Path) -> str:
    """A scratch Redis (no disk, loopback) for REDIS_URL: the shared cache of a site with several
    app servers, where sessions are read from the cache (settings: cached_db)."""
    port = free_port()
    command = [redis, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
               "--appendonly", "no", "--dir", str(scratch)]  # fmt: skip
    process = started(stack, "redis", command, scratch / "redis.log")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and process.poll() is None:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1) as s:
            s.sendall(b"PING\r\n")
            if s.recv(16).startswith(b"+PONG"):
                return f"redis://127.0.0.1:{port}/0"
        time.sleep(0.2)
    raise SystemExit(f"redis did not answer:\n{(scratch / 'redis.log').read_text()[-2000:]}")


def scratch_postgres(stack, server: str) -> str:
    import psycopg

    name = f"sopdesk_bench_serve_{os.getpid()}_{int(time.time())}"
    with psycopg.connect(f"{server}/postgres", autocommit=True, connect_timeout=10) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')

    def drop():
        with psycopg.connect(f"{server}/postgres", autocommit=True, connect_timeout=10) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    stack.callback(drop)
    return f"{server}/{name}"


def production_env(scratch: Path, database_url: str) -> dict:
    env = {
        **os.environ,
        "SECRET_KEY": "benchmark-only-secret-key-0123456789abcdefghijklmnopqrstuvwxyz",
        "ALLOWED_HOSTS": "127.0.0.1",
        "SOPDESK_BASE_URL": "http://127.0.0.1:8000",  # written into documents only
        "SECURE_SSL_REDIRECT": "0",  # plain HTTP on loopback
        "SESSION_COOKIE_SECURE": "0",
        "CSRF_COOKIE_SECURE": "0",
        "STATIC_ROOT": str(scratch / "static"),
        "MEDIA_ROOT": str(scratch / "media"),
        "DATABASE_URL": database_url,
        "LOG_LEVEL": "WARNING",
    }
    for name in ("DEBUG", "SOPDESK_TASKS", "SOPDESK_SENDFILE", "SOPDESK_SENDFILE_PREFIX"):
        env.pop(name, None)
    return env


def prepare(env: dict, scratch: Path) -> dict:
    """Migrate, seed the demo, run the background worker until every render is stored."""
    manage(env, "migrate", "--no-input")
    manage(env, "collectstatic", "--no-input")
    manage(env, "seed_demo")
    for _ in range(5):
        manage(env, "db_worker", "--batch", "--no-startup-delay", "--no-reload")
        out = manage(env, "shell", "-c", STATUS.format(code=PREFERRED_CODE))
        status = json.loads(out.strip().splitlines()[-1])
        if status["pending"] == 0 and status["rendered"] == status["in_force"] and status["pdf"]:
            break
    else:
        raise SystemExit(f"renders not finished after 5 worker runs: {status}")
    print(
        f"seeded: {status['in_force']} procedures in force, all rendered; "
        f"{status['failed']} failed tasks; measuring {status['code']}",
        flush=True,
    )
    # The PDF's bytes as a static file: WhiteNoise finds it when gunicorn starts.
    static = scratch / "static" / "bench" / f"{status['code']}.pdf"
    static.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(scratch / "media" / status["pdf"], static)
    status["static"] = f"/static/bench/{static.name}"
    return status


# HTTP ---------------------------------------------------------------------------------------


def fetch(
    port: int, path: str, cookie: str = "", headers: dict | None = None
) -> tuple[int, http.client.HTTPMessage, bytes]:
    headers = {**({"Cookie": cookie} if cookie else {}), **(headers or {})}
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        return response.status, response.headers, response.read()
    finally:
        connection.close()


def login(port: int, username: str = AGENT) -> str:
    """A demo person's cookies (the agent's by default) after a real login POST with the form's
    CSRF token."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(
        urllib.request.ProxyHandler({}), urllib.request.HTTPCookieProcessor(jar)
    )
    url = f"http://127.0.0.1:{port}/accounts/login/"
    html = opener.open(url, timeout=30).read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    if token is None:
        raise SystemExit("no CSRF token on the login page")
    form = {"username": username, "password": PASSWORD, "csrfmiddlewaretoken": token.group(1)}
    request = urllib.request.Request(
        url, data=urllib.parse.urlencode(form).encode(), headers={"Referer": url}
    )
    opener.open(request, timeout=30).read()
    cookie = "; ".join(f"{c.name}={c.value}" for c in jar)
    if fetch(port, "/bench/authenticated/", cookie)[0] != 200:
        raise SystemExit(f"login as {username} did not give a session (cookies: {sorted(jar)})")
    return cookie


def checked(
    port: int, path: str, cookie: str = "", warm: int = 10, headers: dict | None = None
) -> bytes:
    """The body of a 200 (not a redirect to the login page); then `warm` rounds of 8 concurrent
    requests, so that every worker has imported and cached what the URL needs (one after the
    other, they mostly reach the same worker, and the other then imports Django REST
    framework's modules, ~0.7 s, inside the first timed round)."""
    status, _headers, body = fetch(port, path, cookie, headers)
    if status != 200 or not body:
        raise SystemExit(f"GET {path} answered {status} ({len(body)} bytes), not 200")
    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        for _ in range(warm):
            list(pool.map(lambda _i: fetch(port, path, cookie, headers), range(8)))
    return body


# wrk ----------------------------------------------------------------------------------------

UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0, "h": 3600000.0}


def wrk(
    port: int,
    path: str,
    label: str,
    connections: int,
    args,
    cookie: str = "",
    headers: dict | None = None,
) -> Result:
    command = [args.wrk, f"-t{min(args.threads, connections)}", f"-c{connections}",
               f"-d{args.round_seconds}s", "--timeout", "10s", "--latency"]  # fmt: skip
    if cookie:
        command += ["-H", f"Cookie: {cookie}"]
    for name, value in (headers or {}).items():
        command += ["-H", f"{name}: {value}"]
    command.append(f"http://127.0.0.1:{port}{path}")
    cpu_before = cpu_seconds()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    contended, deadline = False, time.monotonic() + args.round_seconds + 60
    try:
        while process.poll() is None and time.monotonic() < deadline:
            contended = contended or pytest_running()
            time.sleep(0.5)
    finally:
        if process.poll() is None:
            process.kill()
        out, err = process.communicate(timeout=10)
    cpu = cpu_seconds() - cpu_before
    if process.returncode != 0:
        raise SystemExit(f"wrk failed ({process.returncode}): {err.strip()[-2000:]}")

    def latency(percent: str) -> float:
        value, unit = re.search(rf"^\s+{percent}%\s+([\d.]+)(us|ms|s|m|h)\s*$", out, re.M).groups()
        return float(value) * UNITS[unit]

    errors = sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", out))
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return Result(
        label=label,
        connections=connections,
        rps=float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        p50=latency("50"),
        p99=latency("99"),
        errors=errors + (int(non_2xx.group(1)) if non_2xx else 0),
        contended=contended,
        cpu_ms=cpu * 1000 / max(1, int(re.search(r"(\d+) requests in", out).group(1))),
    )


def interleaved(runs: list, args) -> dict:
    """Each of `runs` ((key, a function that measures once)) args.rounds times, round-robin:
    the machine's drift (a VM's neighbours, the database's own work) then touches every URL
    alike instead of the ones measured last. Each key's result is its median round by req/s,
    with the median of its rounds' CPU per request, every round's errors and contention."""
    seen: dict = {}
    for _ in range(args.rounds):
        for key, measure in runs:
            seen.setdefault(key, []).append(measure())
    results = {}
    for key, rounds in seen.items():
        middle = sorted(rounds, key=lambda r: r.rps)[len(rounds) // 2]
        results[key] = dataclasses.replace(
            middle,
            cpu_ms=sorted(r.cpu_ms for r in rounds)[len(rounds) // 2],
            errors=sum(r.errors for r in rounds),
            contended=any(r.contended for r in rounds),
        )
    return results


def row(result: Result, baseline: Result | None) -> str:
    """req/s × the baseline's, and the same judged by CPU: the baseline's CPU per request ÷ this
    one's (what the ratio of req/s would be if CPU were all that limited both)."""
    ratio = f"{result.rps / baseline.rps:8.2f}" if baseline else f"{'-':>8}"
    by_cpu = (
        f"{baseline.cpu_ms / result.cpu_ms:7.2f}" if baseline and result.cpu_ms else f"{'-':>7}"
    )
    return (
        f"{result.label:50} {result.connections:5} {result.rps:8.0f} {result.p50:8.1f} "
        f"{result.p99:8.1f} {ratio} {result.p99 / result.p50:8.2f} {result.errors:6} "
        f"{result.cpu_ms:7.3f} {by_cpu}" + ("  pytest!" if result.contended else "")
    )


def header(ratio: str) -> str:
    return (
        f"{'URL':50} {'conns':>5} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} "
        f"{ratio:>8} {'p99/p50':>8} {'errors':>6} {'cpu ms':>7} {'by cpu':>7}"
    )


def short(path: str) -> str:
    return re.sub(r"/images/(\w{8})[\w-]*", r"/images/\1…", path)


# The runs ------------------------------------------------------------------------------------


def measure_gunicorn(port: int, cookie: str, status: dict, args) -> dict:
    code = status["code"]
    page, pdf = f"/manual/{code}/", f"/manual/{code}.pdf"
    html = checked(port, page, cookie).decode()
    found = re.search(r'(?:src|href)="(/images/[^"]+)"', html)
    image = found.group(1) if found else next(iter(status["images"]), None)
    if image is None:
        raise SystemExit(f"no image on {page} and none in the demo")
    urls = [
        ("anonymous", "anonymous bare view", "/bench/bare/", ""),
        ("floor", "floor: logged-in bare view", "/bench/authenticated/", cookie),
        ("toc", "TOC", "/manual/", cookie),
        ("page", "procedure page", page, cookie),
        ("pdf", "its PDF", pdf, cookie),
        ("image", "its image", image, cookie),
        ("static", "static PDF, WhiteNoise", status["static"], ""),
    ]
    sizes = {key: len(checked(port, path, c)) for key, _, path, c in urls}
    if checked(port, pdf, cookie, warm=0) != checked(port, status["static"], warm=0):
        print("note: the static copy's bytes differ from what the PDF URL serves")
    results = table(port, urls, args)
    print("response sizes (bytes): " + ", ".join(f"{k} {v}" for k, v in sizes.items()))
    results["paths"] = {"pdf": pdf, "image": image}
    return results


def table(port: int, urls: list, args) -> dict:
    """wrk on each of `urls` ((key, label, path, cookie), one keyed "floor") at each number of
    connections, interleaved; prints a row each with its ratio to the floor; the results by
    (key, connections)."""
    results: dict = {}
    print("\n" + header("× floor"))
    for connections in args.connections:
        results.update(
            interleaved(
                [
                    ((key, connections), functools.partial(
                        wrk, port, path, f"{name} {short(path)}", connections, args, c
                    ))
                    for key, name, path, c in urls
                ],
                args,
            )
        )  # fmt: skip
        floor = results["floor", connections]
        for key, *_ in urls:
            print(row(results[key, connections], floor), flush=True)
        print()
    return results


def measure_nginx(port: int, cookie: str, status: dict, paths: dict, args) -> dict:
    """Each file through nginx (the app checks, nginx sends) against nginx sending it directly:
    the page's PDF, its image and, when the worker built it, the whole manual's PDF (a larger
    file: how much the permission check weighs depends on the size)."""
    direct = {
        "pdf": DIRECT_PREFIX + urllib.parse.quote(status["pdf"]),
        "image": DIRECT_PREFIX + urllib.parse.quote(status["images"][paths["image"]]),
    }
    keys = ["pdf", "image"]
    if status.get("manual"):
        paths = {**paths, "manual": "/manual.pdf"}
        direct["manual"] = DIRECT_PREFIX + urllib.parse.quote(status["manual"])
        keys.append("manual")
    sizes = {}
    for key in keys:
        via = checked(port, paths[key], cookie)
        sizes[key] = len(via)
        if via != checked(port, direct[key]):
            print(f"note: the {key} through nginx differs from the file nginx serves directly")
    results: dict = {}
    print("\n" + header("× direct"))
    for connections in args.connections:
        runs = []
        for key in keys:
            via = f"nginx → app {short(paths[key])}"
            runs += [
                ((key, connections),
                 functools.partial(wrk, port, paths[key], via, connections, args, cookie)),
                ((f"{key} direct", connections),
                 functools.partial(wrk, port, direct[key], f"nginx direct, same {key} file",
                                   connections, args)),
            ]  # fmt: skip
        results.update(interleaved(runs, args))
        for key in keys:
            via, straight = results[key, connections], results[f"{key} direct", connections]
            print(row(via, straight))
            print(row(straight, straight), flush=True)
        print()
    print("file sizes (bytes): " + ", ".join(f"{k} {v}" for k, v in sizes.items()))
    return results


def verdict(name: str, value: float, target: str, ok: bool) -> None:
    print(f"  {name:52} {value:6.3f}  (target {target:>6})  {'PASS' if ok else 'FAIL'}")


def targets(results: dict, nginx: dict | None, connections: int) -> None:
    r = {
        key: results[key, connections]
        for key in ("anonymous", "floor", "toc", "page", "pdf", "image")
    }
    floor = r["floor"].rps
    print(f"issue 18 targets, at {connections} connections (ratios from this run):")

    def against_floor(key: str, name: str, least: float) -> None:
        verdict(
            f"{name} req/s ÷ floor req/s",
            r[key].rps / floor,
            f"≥ {least}",
            r[key].rps >= least * floor,
        )
        if r[key].cpu_ms and r["floor"].cpu_ms:  # the same judged by work done, for reference
            by_cpu = r["floor"].cpu_ms / r[key].cpu_ms
            verdict(f"{name}, by cpu: floor's ÷ its CPU per request", by_cpu, f"≥ {least}",
                    by_cpu >= least)  # fmt: skip

    for key, name in (("page", "procedure page"), ("toc", "TOC")):
        against_floor(key, name, 0.75)
        ratio = r[key].p99 / r[key].p50
        verdict(f"{name} p99 ÷ its own p50", ratio, "≤ 2", ratio <= 2)
    ratio = floor / r["anonymous"].rps
    verdict("floor req/s ÷ anonymous bare view req/s", ratio, "≥ 0.5", ratio >= 0.5)
    for key, name in (("pdf", "stored PDF"), ("image", "image")):
        against_floor(key, name, 0.8)
    if nginx:
        for key, name in (("pdf", "PDF"), ("image", "image"), ("manual", "whole manual's PDF")):
            if (key, connections) not in nginx:
                continue
            via, direct = nginx[key, connections], nginx[f"{key} direct", connections]
            ratio = via.rps / direct.rps
            verdict(
                f"{name} through nginx ÷ nginx direct (SENDFILE=nginx)",
                ratio,
                "≥ 0.8",
                ratio >= 0.8,
            )


def pytest_running() -> bool:
    pgrep = shutil.which("pgrep")
    found = pgrep and subprocess.run([pgrep, "-f", "pytest"], capture_output=True).returncode == 0
    return bool(found)


def machine() -> str:
    return f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores" + (
        "; WARNING: pytest is running, figures are not comparable" if pytest_running() else ""
    )


def scratch_site(args, stack: contextlib.ExitStack) -> tuple[Path, dict, dict]:
    """A scratch directory and database (removed when the stack closes), the production
    environment pointing at them, and prepare()'s status of the seeded demo."""
    scratch = Path(tempfile.mkdtemp(prefix="sopdesk-bench-serve-"))
    stack.callback(shutil.rmtree, scratch, ignore_errors=True)
    if args.sqlite:
        database_url = f"sqlite:///{scratch / 'bench.sqlite3'}"
    else:
        database_url = scratch_postgres(stack, args.server)
    env = production_env(scratch, database_url)
    if args.redis:
        env["REDIS_URL"] = start_redis(stack, args.redis, scratch)
    print(
        f"database: {database_url.split('@')[-1]}; "
        + ("cache and sessions: " + env["REDIS_URL"] if args.redis else "cache: local memory")
        + "; preparing …",
        flush=True,
    )
    return scratch, env, prepare(env, scratch)


def run(args, stack: contextlib.ExitStack) -> None:
    scratch, env, status = scratch_site(args, stack)

    with contextlib.ExitStack() as server:
        _, port = start_gunicorn(server, env, scratch, sendfile="off")
        cookie = login(port)
        print(
            f"gunicorn: 2 sync workers on 127.0.0.1:{port}; wrk -t{args.threads} "
            f"-d{args.round_seconds}s × {args.rounds} rounds (median); {machine()}",
            flush=True,
        )
        results = measure_gunicorn(port, cookie, status, args)
    nginx = None
    if args.sendfile == "nginx":
        with contextlib.ExitStack() as server:
            _, upstream = start_gunicorn(server, env, scratch, sendfile="nginx")
            port = start_nginx(server, args.nginx, scratch, scratch / "media", upstream)
            cookie = login(port)
            pdf = fetch(upstream, results["paths"]["pdf"], cookie)[1]
            accel = pdf.get("X-Accel-Redirect")
            print(
                f"\nnginx on 127.0.0.1:{port} → gunicorn (SOPDESK_SENDFILE=nginx) on :{upstream}; "
                f"the app's PDF response "
                + (
                    f"has X-Accel-Redirect: {accel}"
                    if accel
                    else "has no X-Accel-Redirect (proxied)"
                )
            )
            nginx = measure_nginx(port, cookie, status, results["paths"], args)
    print(machine())
    every = [r for r in [*results.values(), *(nginx or {}).values()] if isinstance(r, Result)]
    contended = sum(r.contended for r in every)
    if contended:
        print(f"WARNING: pytest ran during {contended} of {len(every)} measurements (pytest!)")
    target_connections = 8 if 8 in args.connections else args.connections[-1]
    targets(results, nginx, target_connections)


def parser(description: str) -> argparse.ArgumentParser:
    """The options every wrk run here takes (bench/api.py adds none of its own)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--sqlite", action="store_true", help="a scratch SQLite file instead")
    parser.add_argument("--server", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument(
        "--seconds", type=int, default=18, help="wrk seconds per URL, split between the rounds"
    )
    parser.add_argument(
        "--rounds", type=int, default=9,
        help="round-robin rounds over the URLs; each URL's median round is reported",
    )  # fmt: skip
    parser.add_argument("--connections", default="1,8,32")
    parser.add_argument("--threads", type=int, default=1, help="wrk threads (≤ connections)")
    parser.add_argument("--quick", action="store_true", help="2-second runs at 8 connections")
    parser.add_argument(
        "--redis", action="store_const", const="redis-server", default="",
        help="a scratch Redis as REDIS_URL: shared cache, sessions read from it",
    )  # fmt: skip
    return parser


def launch(run, args, nginx: bool = False) -> None:
    """Resolve the options and the tools, then run(args, stack) with everything cleaned up."""
    args.connections = [int(c) for c in args.connections.split(",")]
    if args.quick:
        args.seconds, args.rounds, args.connections = 2, 1, [8]
    args.rounds = max(1, args.rounds)
    args.round_seconds = max(1, args.seconds // args.rounds)
    # Debian puts nginx in /usr/sbin, which a non-root PATH may lack.
    search = os.environ.get("PATH", "") + ":/usr/sbin:/sbin"
    args.wrk = shutil.which("wrk", path=search)
    args.nginx = shutil.which("nginx", path=search)
    redis = shutil.which("redis-server", path=search)
    if args.redis:
        args.redis = redis
    for tool, found in (
        ("wrk", args.wrk),
        ("nginx", args.nginx if nginx else "-"),
        ("redis-server", redis if args.redis is None or args.redis else "-"),
    ):
        if found is None:
            print(f"{tool} is not installed: apt-get install -y {tool}", file=sys.stderr)
            raise SystemExit(2)
    # SIGTERM and SIGHUP unwind like Ctrl-C: the ExitStack stops servers and drops the database.
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, lambda number, frame: sys.exit(128 + number))
    print(machine(), flush=True)
    try:
        with contextlib.ExitStack() as stack:
            run(args, stack)
    except KeyboardInterrupt:
        print("interrupted: servers stopped, scratch database and files removed", file=sys.stderr)
        raise SystemExit(130) from None


def main() -> None:
    options = parser(__doc__.splitlines()[0])
    options.add_argument("--sendfile", choices=["nginx"], help="also measure behind nginx")
    args = options.parse_args()
    launch(run, args, nginx=args.sendfile == "nginx")


if __name__ == "__main__":
    main()
