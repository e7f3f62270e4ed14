"""The quality dashboard for 200 agents × 12 weeks × 6 evaluations a week against a procedure page
(issue 17), with wrk.

The same setup as bench/serve.py, whose functions it uses: a scratch PostgreSQL database (or
--sqlite), the demo seeded and rendered, gunicorn (2 sync workers, production settings plus
bench/floor_settings.py's bare views). Then the demo's calls are joined by 14,400 more: 196 more
agents in 17 teams of 12, each with 6 calls a week for 12 weeks scored on the demo's "Inbound
calls" scorecard (14 lines: about 200,000 answers), each agent missing steps at their own rate.
They are written in bulk (a benchmark's data, not a user's acts), as drafts with their answers and
then shared with the score quality/scoring.py computes, as the product's own trigger allows; then
the dashboard's sums are recounted (quality/tallies.py, as `manage.py rebuild_quality_tallies`).

wrk at 1, 8 and 32 connections on the floor (/bench/authenticated/, the agent), the agent's
procedure page (/manual/<CODE>/), and /quality/dashboard/?weeks=12 as the demo quality
evaluator (every team: the largest scope). Both pages are kept per person (page_cache) until
what they show can have changed, so wrk measures them kept; what building them costs when nothing
is kept is measured in process (Django's test client, the cache emptied before each request).
Prints serve.py's table, the SQL queries one dashboard request makes with the demo's ~70 calls
and with the 14,400 more (they must be the same), the build times, and the target at 8
connections: the dashboard within 2× a procedure page, judged in throughput (page req/s ÷
dashboard req/s) and in p50.

    .venv/bin/python bench/quality.py [--sqlite] [--seconds 18] [--rounds 9] [--quick]
        [--connections 1,8,32] [--threads 1] [--server postgres://postgres@127.0.0.1:5432]

Needs wrk: apt-get install -y wrk.
"""

import contextlib
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from serve import (  # noqa: E402
    AGENT,
    Result,
    checked,
    launch,
    login,
    machine,
    manage,
    parser,
    scratch_site,
    start_gunicorn,
    table,
    verdict,
)

EVALUATOR = "evaluator"  # the demo's quality evaluator (seed_demo's USERS)
DASHBOARD = "/quality/dashboard/?weeks=12"
TARGET = 2.0

GENERATE = """
import datetime, random
from django.contrib.auth.models import Group
from django.utils import timezone
from procedures.models import Team, User
from quality import scoring
from quality.models import Answer, EvaluatedRevision, Evaluation, ScorecardVersion

rng = random.Random(17)
version = ScorecardVersion.objects.get(scorecard__name="Inbound calls", status="IN_USE")
lines = list(version.lines.order_by("position"))
sources = list(version.sources.all())
evaluator = User.objects.get(username="evaluator")
agent_group = Group.objects.get(name="Agent")
supervisor = User.objects.get(username="supervisor")
agents = list(User.objects.filter(groups=agent_group))
for t in range(17):
    team = Team.objects.create(name=f"Bench team {t + 1}", supervisor=supervisor)
    made = User.objects.bulk_create(
        User(username=f"bench{t}-{i}", first_name="Agent", last_name=f"{t}-{i}", team=team)
        for i in range(12)
    )
    agent_group.user_set.add(*made)
    agents += made
agents = agents[:200]
now = timezone.now()
made = 0
for agent in agents:
    habit = rng.uniform(0.7, 0.98)
    drafts = [
        Evaluation(
            scorecard_version=version, evaluator=evaluator, agent=agent,
            call_reference=f"B-{agent.pk}-{week}-{n}",
            call_at=now - datetime.timedelta(weeks=week, hours=rng.randint(1, 150)),
        )
        for week in range(12) for n in range(6)
    ]
    drafts = Evaluation.objects.bulk_create(drafts)
    EvaluatedRevision.objects.bulk_create(
        EvaluatedRevision(evaluation=e, procedure_id=s.procedure_id, revision_id=s.revision_id)
        for e in drafts for s in sources
    )
    answers = []
    for e in drafts:
        marked = []
        for line in lines:
            choice = "NA" if rng.random() < 0.04 else ("YES" if rng.random() < habit else "NO")
            answers.append(Answer(evaluation=e, line=line, answer=choice))
            marked.append(scoring.Marked(line.weight, line.critical, choice))
        result = scoring.score(marked)
        e.status, e.shared_at = "SHARED", e.call_at + datetime.timedelta(hours=4)
        e.points_earned, e.points_possible = result.earned, result.possible
        e.critical_failed, e.score = result.critical_failed, result.score
        e.team_key = agent.team_id or 0
    Answer.objects.bulk_create(answers, batch_size=5000)
    Evaluation.objects.bulk_update(
        drafts,
        ["status", "shared_at", "points_earned", "points_possible", "critical_failed", "score",
         "team_key"],
        batch_size=1000,
    )
    made += len(drafts)
from quality import tallies
tallies.rebuild()  # the sums the sharing act keeps, counted once for the bulk-written calls
print(made, Answer.objects.count(), len(agents))
"""

QUERIES = """
import json, statistics, time
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from procedures.models import User
def client_of(username):
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(User.objects.get(username=username))
    return client
client = client_of({evaluator!r})
sizes, built = [], None
for _ in range(3):
    with CaptureQueriesContext(connection) as queries:
        response = client.get({path!r})
    sizes.append(len(queries))
    built = built or [q["sql"][:140] for q in queries.captured_queries]
assert response.status_code == 200, response.status_code
def built_ms(client, path):  # built every time: no CSRF cookie, and the cache emptied
    times = []
    for _ in range(15):
        cache.clear()
        start = time.perf_counter()
        assert client.get(path).status_code == 200
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)
print(json.dumps({{"first": sizes[0], "warm": sizes[-1],
                  "sql": built,
                  "built_ms": built_ms(client, {path!r}),
                  "page_built_ms": built_ms(client_of({agent!r}), {page!r})}}))
"""


def in_process(env: dict, page: str) -> dict:
    """The SQL of one dashboard request, and the median time to build the dashboard and the
    procedure page when nothing is kept (Django's test client in the same database)."""
    bench_env = {**env, "PYTHONPATH": str(Path(__file__).resolve().parent)}
    bench_env["DJANGO_SETTINGS_MODULE"] = "floor_settings"
    script = QUERIES.format(evaluator=EVALUATOR, agent=AGENT, path=DASHBOARD, page=page)
    out = manage(bench_env, "shell", "-c", script)
    return json.loads(out.strip().splitlines()[-1])


def run(args, stack: contextlib.ExitStack) -> None:
    scratch, env, status = scratch_site(args, stack)
    code = status["code"]
    demo = in_process(env, f"/manual/{code}/")
    print("adding 200 agents × 12 weeks × 6 calls …", flush=True)
    calls, answers, agents = manage(env, "shell", "-c", GENERATE).strip().splitlines()[-1].split()
    print(
        f"added {calls} evaluated calls ({answers} answers in all) for {agents} agents", flush=True
    )
    many = in_process(env, f"/manual/{code}/")
    with contextlib.ExitStack() as server:
        _, port = start_gunicorn(server, env, scratch, sendfile="off")
        agent, evaluator = login(port), login(port, EVALUATOR)
        urls = [
            ("floor", "floor: logged-in bare view", "/bench/authenticated/", agent),
            ("page", "procedure page (agent)", f"/manual/{code}/", agent),
            ("dashboard", "quality dashboard, 12 weeks (evaluator)", DASHBOARD, evaluator),
        ]
        sizes = {key: len(checked(port, path, cookie)) for key, _n, path, cookie in urls}
        print(
            f"gunicorn: 2 sync workers on 127.0.0.1:{port}; wrk -t{args.threads} "
            f"-d{args.round_seconds}s × {args.rounds} rounds; {machine()}",
            flush=True,
        )
        results = table(port, urls, args)
    print("response sizes (bytes): " + ", ".join(f"{k} {v}" for k, v in sizes.items()))
    print(
        f"SQL queries per dashboard request (built / kept): {demo['first']}/{demo['warm']} with "
        f"the demo's calls, {many['first']}/{many['warm']} with {calls} more; built:"
    )
    for sql in many["sql"]:
        print(f"    {sql}")
    print(
        f"built when nothing is kept, in process (median of 15): the dashboard "
        f"{demo['built_ms']:.1f} ms with the demo's calls, {many['built_ms']:.1f} ms with "
        f"{calls} more; the procedure page {many['page_built_ms']:.1f} ms"
    )
    print(machine())
    every = [r for r in results.values() if isinstance(r, Result)]
    if any(r.contended for r in every):
        print("WARNING: pytest ran during some measurements (pytest!)")
    connections = 8 if 8 in args.connections else args.connections[-1]
    page, dashboard = results["page", connections], results["dashboard", connections]
    print(f"issue 17 target, at {connections} connections: the dashboard within {TARGET}× a page")
    cost = page.rps / dashboard.rps
    verdict("throughput: page req/s ÷ dashboard req/s", cost, f"≤ {TARGET}", cost <= TARGET)
    latency = dashboard.p50 / page.p50
    verdict("latency: dashboard p50 ÷ page p50", latency, f"≤ {TARGET}", latency <= TARGET)
    same = demo["warm"] == many["warm"]
    verdict(
        "queries: with 14,400 more calls ÷ with the demo's",
        many["warm"] / demo["warm"],
        "= 1",
        same,
    )


def main() -> None:
    launch(run, parser(__doc__.splitlines()[0]).parse_args())


if __name__ == "__main__":
    main()
