"""Benchmark the Word import on a large policy (31,000 words by default): how long reading it,
previewing it (the child process, the pictures stored) and creating the draft take, and how
much memory the reading child needs, against a baseline measured in the same run: unzipping
the same file and parsing its document.xml with ElementTree (the least any reader must do).

Scratch SQLite database and media directory; nothing of the project's data is touched.

    .venv/bin/python bench/import_docx.py [--words 31000] [--runs 3]
"""

import argparse
import io
import os
import resource
import statistics
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--words", type=int, default=31000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    scratch = tempfile.mkdtemp(prefix="sopdesk-bench-import-")
    os.environ.update(
        DJANGO_SETTINGS_MODULE="sopdesk.settings",
        DATABASE_URL=f"sqlite:///{scratch}/bench.sqlite3",
        MEDIA_ROOT=f"{scratch}/media",
        SECRET_KEY="bench",
        DEBUG="1",
    )
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from procedures import importing
    from procedures.importing import docx_reader, structure
    from procedures.models import Category, User
    from tests.docx_fixtures import large_policy

    data = large_policy(words=args.words)
    category = Category.objects.create(name="Human resources")
    supervisor = User.objects.create(username="bench", first_name="Bench", last_name="Mark")
    from django.contrib.auth.models import Group

    supervisor.groups.add(Group.objects.get_or_create(name="Supervisor")[0])

    def baseline():
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            ET.fromstring(archive.read("word/document.xml"))  # noqa: S314 - our own file

    def read():
        found = docx_reader.read(data)
        structure.analyse(found.blocks, core_title=found.core_title, file_stem="policy")
        return found

    def preview_and_create():
        row = importing.preview(
            data=data,
            name="policy.docx",
            category=category,
            owner=supervisor,
            uploaded_by=supervisor,
            limit=50 * 1024 * 1024,
        )
        choices = importing.default_choices(row)
        problems = importing.problems(row, choices)
        if problems:  # too long for one element: leave the longest sections out, as a user would
            built = importing.summary(row, choices)
            print(f"  the defaults would be refused: {problems[0][:100]}…")
            steps = row.plan["steps"]
            keep = row.plan["lists"][steps]["section"] if steps is not None else None
            sizes = sorted(
                (n for n in range(len(row.plan["sections"])) if n != keep),
                key=lambda n: -_section_chars(row, n),
            )
            for number in sizes:
                choices["sections"][number] = importing.OMIT
                if not importing.problems(row, choices):
                    break
            built = importing.summary(row, choices)
            print(f"  created with {len(built.steps)} steps after leaving sections out")
        return importing.create_from_preview(preview=row, user=supervisor, choices=choices)

    def timed(function, runs):
        seconds = []
        for _ in range(runs):
            started = time.perf_counter()
            function()
            seconds.append(time.perf_counter() - started)
        return statistics.median(seconds)

    found = read()
    characters = sum(len(b.get("md", "")) for b in found.blocks)
    words = sum(len(b.get("text", "").split()) for b in found.blocks)
    print(f"document: {len(data) / 1024:.0f} KB, {words:,} words, {characters:,} characters,")
    print(f"          {len(found.blocks):,} blocks, {len(found.images)} pictures")
    base = timed(baseline, args.runs)
    reading = timed(read, args.runs)
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.perf_counter()
    revision = preview_and_create()
    whole = time.perf_counter() - started
    child_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    print(f"baseline (unzip + parse document.xml): {base * 1000:8.1f} ms")
    print(
        f"read + structure, in process:          {reading * 1000:8.1f} ms  ({reading / base:.1f}×)"
    )
    print(f"upload → preview → draft created:      {whole * 1000:8.1f} ms  ({whole / base:.1f}×)")
    print(
        f"largest child process (reading, checks): {max(before, child_kb) / 1024:.0f} MB resident"
    )
    print(
        f"this process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB resident"
    )
    print(f"draft: {revision.procedure.code}, {revision.steps.count()} steps")


def _section_chars(row, number: int) -> int:
    section = row.plan["sections"][number]
    return sum(len(b.get("md", "")) for b in row.blocks[section["start"] : section["end"]])


if __name__ == "__main__":
    main()
