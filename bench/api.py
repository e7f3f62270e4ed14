"""The API and the embeddable panel against the logged-in floor (issue 16), with wrk.

The same setup as bench/serve.py, whose functions it uses: a scratch PostgreSQL database (or
--sqlite), the demo seeded and rendered, gunicorn (2 sync workers, production settings plus
bench/floor_settings.py's bare views), a real login POST as the demo agent, and an API key created
in the scratch database for the demo document controller (rate 10,000,000/min: never 429). Every
URL must answer 200 before it is timed. Then wrk at 1, 8 and 32 connections on

    /bench/bare/ (anonymous)               /bench/authenticated/ (the floor: a bare logged-in view)
    /api/v1/procedures/<CODE>/ (session)   /api/v1/procedures/<CODE>/ (Authorization: Bearer key)
    /embed/<CODE>/ (session)               /manual/<CODE>/ (session, for reference)

printing serve.py's table (req/s, p50, p99, req/s × the floor, p99/p50) with the p50 × the floor,
the SQL queries one request makes once warm (Django's test client in the same database), and
issue 16's target at 8 connections, "≤ 1.3× the floor", judged both ways: throughput (floor
req/s ÷ the URL's req/s ≤ 1.3, i.e. the URL's req/s ≥ the floor's ÷ 1.3) and latency (the URL's
p50 ÷ the floor's p50 ≤ 1.3). The API's session rate (1200/min per person, a constant) is raised
for the run through SOPDESK_API_SESSION_RATE; the throttle itself still runs.

    .venv/bin/python bench/api.py [--sqlite] [--seconds 18] [--rounds 9] [--quick]
        [--connections 1,8,32] [--threads 1] [--server postgres://postgres@127.0.0.1:5432]

Needs wrk: apt-get install -y wrk. The cores are shared by wrk, gunicorn and the database:
compare ratios, on an idle machine (the load average is printed before and after).
"""

import contextlib
import functools
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from serve import (  # noqa: E402
    AGENT,
    Result,
    checked,
    header,
    interleaved,
    launch,
    login,
    machine,
    manage,
    parser,
    row,
    scratch_site,
    start_gunicorn,
    verdict,
    wrk,
)

CONTROLLER = "controller"  # the demo's document controller (seed_demo's USERS)
TARGET = 1.3

NEW_KEY = f"""
from procedures import integrations
from procedures.models import User
print(integrations.create_key(
    name="bench", created_by=User.objects.get(username={CONTROLLER!r}),
    requests_per_minute=10_000_000,
).secret)
"""

# Queries per request, once warm (the third request), through Django's test client with the same
# settings and database as gunicorn: the session and the key as wrk sends them.
QUERIES = """
import json
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from procedures.models import User
urls = json.loads({urls!r})
session = Client(HTTP_HOST="127.0.0.1")
session.force_login(User.objects.get(username={agent!r}))
counts = {{}}
for key, path, auth in urls:
    client = session if auth == "session" else Client(HTTP_HOST="127.0.0.1")
    extra = {{"HTTP_AUTHORIZATION": "Bearer " + auth[4:]}} if auth.startswith("key:") else {{}}
    sizes = []
    for _ in range(3):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(path, **extra)
        sizes.append(len(queries))
    assert response.status_code == 200, (path, response.status_code)
    counts[key] = {{"first": sizes[0], "warm": sizes[-1],
                   "sql": [q["sql"][:160] for q in queries.captured_queries]}}
print(json.dumps(counts))
"""


def new_key(env: dict) -> str:
    out = manage(env, "shell", "-c", NEW_KEY).strip().splitlines()
    if not out or not out[-1].startswith("sopdesk_"):
        raise SystemExit(f"no API key created: {out}")
    return out[-1]


def queries(env: dict, urls: list) -> dict:
    bench_env = {**env, "PYTHONPATH": str(Path(__file__).resolve().parent)}
    bench_env["DJANGO_SETTINGS_MODULE"] = "floor_settings"
    spec = json.dumps([(key, path, auth) for key, _name, path, auth in urls])
    out = manage(bench_env, "shell", "-c", QUERIES.format(urls=spec, agent=AGENT))
    return json.loads(out.strip().splitlines()[-1])


def targets(results: dict, connections: int) -> None:
    floor = results["floor", connections]
    print(
        f"issue 16 target, at {connections} connections: each ≤ {TARGET}× the floor "
        f"(floor {floor.rps:.0f} req/s, p50 {floor.p50:.1f} ms; ratios from this run)"
    )
    for key, name in (
        ("api session", "API procedure, session"),
        ("api key", "API procedure, API key"),
        ("embed", "embed panel, session"),
    ):
        r: Result = results[key, connections]
        cost = floor.rps / r.rps
        verdict(f"{name}: throughput, floor req/s ÷ its req/s", cost, f"≤ {TARGET}", cost <= TARGET)
        latency = r.p50 / floor.p50
        verdict(f"{name}: latency, its p50 ÷ floor p50", latency, f"≤ {TARGET}", latency <= TARGET)
        print(f"  {name + ': (p99 ÷ floor p99, not judged)':52} {r.p99 / floor.p99:6.2f}")


def run(args, stack: contextlib.ExitStack) -> None:
    scratch, env, status = scratch_site(args, stack)
    code = status["code"]
    key = new_key(env)
    env = {**env, "SOPDESK_API_SESSION_RATE": "10000000/min"}
    with contextlib.ExitStack() as server:
        _, port = start_gunicorn(server, env, scratch, sendfile="off")
        cookie = login(port)
        bearer = {"Authorization": f"Bearer {key}"}
        # key, label, path, cookie, headers; the "auth" column for the query count.
        urls = [
            ("anonymous", "anonymous bare view", "/bench/bare/", "", None, ""),
            ("floor", "floor: logged-in bare view", "/bench/authenticated/", cookie, None, "session"),
            ("api session", "API, session", f"/api/v1/procedures/{code}/", cookie, None, "session"),
            ("api key", "API, API key", f"/api/v1/procedures/{code}/", "", bearer, f"key:{key}"),
            ("embed", "embed panel, session", f"/embed/{code}/", cookie, None, "session"),
            ("page", "procedure page, session", f"/manual/{code}/", cookie, None, "session"),
        ]  # fmt: skip
        sizes = {k: len(checked(port, path, c, headers=h)) for k, _, path, c, h, _a in urls}
        api = json.loads(checked(port, urls[3][2], headers=bearer, warm=0))
        print(
            f"gunicorn: 2 sync workers on 127.0.0.1:{port}; wrk -t{args.threads} "
            f"-d{args.round_seconds}s × {args.rounds} rounds; measuring {code} revision {api.get('revision', '?')}; {machine()}",
            flush=True,
        )
        results: dict = {}
        print("\n" + header("× floor") + f" {'p50×flr':>8}")
        for connections in args.connections:
            results.update(
                interleaved(
                    [
                        ((k, connections), functools.partial(
                            wrk, port, path, f"{name} {path}", connections, args, c, h
                        ))
                        for k, name, path, c, h, _auth in urls
                    ],
                    args,
                )
            )  # fmt: skip
            floor = results["floor", connections]
            for k, *_ in urls:
                r = results[k, connections]
                print(row(r, floor) + f" {r.p50 / floor.p50:8.2f}", flush=True)
            print()
    print("response sizes (bytes): " + ", ".join(f"{k} {v}" for k, v in sizes.items()))
    counts = queries(env, [(k, name, path, auth) for k, name, path, _c, _h, auth in urls])
    print(
        "SQL queries per request (first / warm): "
        + ", ".join(f"{k} {v['first']}/{v['warm']}" for k, v in counts.items())
    )
    for k in ("floor", "api session", "api key", "embed"):
        print(f"  {k}, warm:")
        for sql in counts[k]["sql"]:
            print(f"    {sql}")
    print(machine())
    every = [r for r in results.values() if isinstance(r, Result)]
    contended = sum(r.contended for r in every)
    if contended:
        print(f"WARNING: pytest ran during {contended} of {len(every)} measurements (pytest!)")
    targets(results, 8 if 8 in args.connections else args.connections[-1])


def main() -> None:
    launch(run, parser(__doc__.splitlines()[0]).parse_args())


if __name__ == "__main__":
    main()
