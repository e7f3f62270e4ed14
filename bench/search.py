"""Benchmark search on PostgreSQL with 10,000 procedures against a manual page, in one run.

Creates a scratch PostgreSQL database, seeds the demo manual through the real workflow, then adds
--procedures effective procedures of realistic length (the demo manual's texts, each with its own
mix of words) by bulk insertion (faster than the workflow; they carry no audit trail), indexes
them as the product does, starts gunicorn (2 workers, production settings) and compares the median
of /manual/search/?q=… over a set of queries with the median of a procedure page, once with
the results cache off (every search runs) and once on (a repeated query, as at a busy center).

    .venv/bin/python bench/search.py [--procedures 10000] [--requests 100]
        [--server postgres://postgres@127.0.0.1:5432]
"""

import argparse
import os
import statistics
import subprocess
import sys
import urllib.parse
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent))
from desk_pages import manage, median_ms, opener_for, prepared  # noqa: E402
from manual import BASE, start_server  # noqa: E402

QUERIES = [
    "caller verif",  # words in almost every procedure
    "refund",
    "escalation team leader",
    "complaint manager approval",
    "scorecard calibration",
    "hold",
    "zq4321",  # one procedure's own word
    "CC-CH",  # the start of a code
]

SEED = """
import random, re, datetime
from django.db import transaction
from django.utils import timezone
from procedures import search
from procedures.models import Category, Measure, Procedure, Revision, SearchDocument, Step, User
from procedures.management.commands._demo_manual import PROCEDURES
rng = random.Random(7)
words = sorted({{w for spec in PROCEDURES for w in re.findall(r"[a-z]{{4,}}", str(spec).lower())}})
owners = list(User.objects.filter(username__in=["supervisor", "supervisor2"]))
categories = list(Category.objects.all())
now = timezone.now()
total, chunk = {count}, 500
for start in range(0, total, chunk):
    with transaction.atomic():
        procedures, revisions, steps, measures = [], [], [], []
        for i in range(start, min(total, start + chunk)):
            spec = PROCEDURES[i % len(PROCEDURES)]
            owner = owners[i % 2]
            procedures.append(Procedure(code=f"BS-{{i:05d}}", category=categories[i % len(categories)],
                owner=owner, review_interval_months=12))
        Procedure.objects.bulk_create(procedures)
        for i, procedure in zip(range(start, start + chunk), procedures):
            spec = PROCEDURES[i % len(PROCEDURES)]
            extra = " ".join(rng.choice(words) for _ in range(40))
            when = now - datetime.timedelta(days=rng.randint(1, 700))
            revisions.append(Revision(procedure=procedure, number=1, status="EFFECTIVE",
                title=f"{{spec['title']}} ({{rng.choice(words)}})", purpose=spec["purpose"] + " " + extra + f" zq{{i}}.",
                scope=spec["scope"], responsibilities=spec["responsibilities"], training=spec["training"],
                documentation=spec.get("documentation", ""), review_and_approval="Operations manager.",
                step_format="SIMPLE", author=procedure.owner, submitted_at=when, approved_at=when, effective_at=when))
        Revision.objects.bulk_create(revisions)
        for i, revision in zip(range(start, start + chunk), revisions):
            spec = PROCEDURES[i % len(PROCEDURES)]
            for position, step in enumerate(spec["steps"], start=1):
                text, role = (step[2], step[3]) if spec["format"] == "FLOWCHART" else (step[1], step[2])
                steps.append(Step(revision=revision, key=f"s{{position}}", position=position, text=text, role=role))
            for position, m in enumerate(spec["measures"], start=1):
                measures.append(Measure(revision=revision, position=position, name=m[0], target=m[1], method=m[2], frequency=m[3]))
        Step.objects.bulk_create(steps)
        Measure.objects.bulk_create(measures)
        fresh = Revision.objects.filter(pk__in=[r.pk for r in revisions]).select_related("procedure").prefetch_related("steps", "measures")
        SearchDocument.objects.bulk_create([SearchDocument(revision=r, config="english", code=r.procedure.code,
            title=r.title, body=search.document_text(r)) for r in fresh])
from django.db import connection
with connection.cursor() as cursor:
    cursor.execute("ANALYZE")  # as autovacuum would after a load this size
print(SearchDocument.objects.count(), round(sum(len(d) for d in SearchDocument.objects.values_list("body", flat=True)) / SearchDocument.objects.count()))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--procedures", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=100, help="requests per URL")
    parser.add_argument("--server", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    args = parser.parse_args()

    name = f"sopdesk_bench_search_{os.getpid()}"
    with psycopg.connect(f"{args.server}/postgres", autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    os.environ["DATABASE_URL"] = f"{args.server}/{name}"
    try:
        run(args)
    finally:
        if args.keep:
            print(f"kept: {os.environ['DATABASE_URL']}")
        else:
            with psycopg.connect(f"{args.server}/postgres", autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def run(args) -> None:
    scratch, env = prepared(prefix="sopdesk-bench-search-")
    manage(env, "db_worker", "--batch", "--no-startup-delay", "--no-reload")
    out = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", SEED.format(count=args.procedures)],
        cwd=Path(__file__).resolve().parent.parent,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    print(f"indexed revisions: {out[-2]}, average text: {out[-1]} characters")
    for label, seconds in (("results not cached", "0"), ("results cached (repeated query)", "300")):
        print(f"\n{label} (SOPDESK_SEARCH_CACHE_SECONDS={seconds})")
        measure({**env, "SOPDESK_SEARCH_CACHE_SECONDS": seconds}, args.requests)


def measure(env: dict, requests: int) -> None:
    server = start_server(env)
    try:
        # Lucas Martin has confirmed CC-CH-001: the page as an agent reads it on most days
        # (Dewi Lestari would also get the redline since her last confirmed revision).
        agent = opener_for("agent2")
        page = median_ms(agent, "/manual/CC-CH-001/", requests)
        print(f"{'URL':44} {'median ms':>9} {'× page':>7} {'hits':>6}")
        print(f"{'procedure page /manual/CC-CH-001/':44} {page:9.2f} {1:7.2f}")
        medians = []
        for query in QUERIES:
            path = "/manual/search/?" + urllib.parse.urlencode({"q": query})
            html = agent.open(BASE + path).read().decode()
            hits = (
                html.split("procedures match")[0].rsplit(" of ", 1)[-1] if " of " in html else "≤1"
            )
            ms = median_ms(agent, path, requests)
            medians.append(ms)
            print(f"{'search ' + repr(query):44} {ms:9.2f} {ms / page:7.2f} {hits.strip():>6}")
        overall = statistics.median(medians)
        print(f"{'search, median over the queries':44} {overall:9.2f} {overall / page:7.2f}")
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()
