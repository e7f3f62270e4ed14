"""Text that a careless or hostile author types must not make a revision unrenderable, nor hold
a worker: DOT escaping, linear scans, limits on size and nesting named in the author's terms,
and renders in a child process with time and memory limits."""

import re
import time

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from procedures import services
from procedures.content import StepRow
from procedures.models import Revision
from procedures.rendering import sandbox
from procedures.rendering.flowchart import flowchart_svg, label
from procedures.rendering.limits import html_depth
from procedures.rendering.markdown import render_markdown, text_problems
from procedures.review_rules import first_guidance, missing_elements
from procedures.steps import ACTION, DECISION, END, StepData
from tests.factories import CategoryFactory, content, new_procedure, save
from tests.test_authoring import editor_post, editor_url

# --- flowcharts -------------------------------------------------------------------------------


def _rows(texts: list[str]) -> list[StepRow]:
    rows = []
    for index, text in enumerate(texts):
        kind = END if index == len(texts) - 1 else (DECISION if index == 1 else ACTION)
        step = StepData(
            key=f"k{index}",
            text=text,
            kind=kind,
            yes=f"k{index + 1}" if kind == DECISION else "",
            no=f"k{len(texts) - 1}" if kind == DECISION else "",
        )
        rows.append(StepRow(number=str(index + 1), step=step))
    return rows


def test_a_step_ending_in_a_backslash_does_not_swallow_the_next_steps():
    svg = flowchart_svg(_rows(["Check the line C:\\", "Is it ok \\", "Call back"]))

    assert svg.count('class="node"') == 3
    assert "C:\\" in svg
    assert "Call back" in svg


def test_dot_escapes_in_author_text_stay_text():
    assert label("1", 'a \\N \\G \\" "quoted" \\') == '1. a \\\\N \\\\G \\\\" "quoted" \\\\'


_NASTY = st.text(
    alphabet=st.sampled_from(list('\\"{}[]<>;=-\n\t|&#@:/*_`()ab Ééß中\x00\u200b')), max_size=60
)


@hypothesis_settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(texts=st.lists(_NASTY, min_size=2, max_size=5))
def test_any_step_text_gives_one_node_per_step(texts):
    texts = [t.replace("\x00", "") for t in texts]

    svg = flowchart_svg(_rows(texts))

    assert svg.count('class="node"') == len(texts)
    assert svg.count('class="edge"') >= len(texts) - 1


# --- template guidance: linear, same answers as the pattern it replaces -----------------------

_OLD_GUIDANCE = re.compile(r"\[\[(.+?)\]\]", re.DOTALL)


@given(st.text(alphabet=st.sampled_from(list("[]a \n")), max_size=40))
def test_first_guidance_finds_what_the_old_pattern_found(text):
    old = _OLD_GUIDANCE.search(text)

    assert first_guidance(text) == (old.group(1) if old else None)


def test_first_guidance_of_many_brackets_is_none():
    assert first_guidance("[" * 300_000) is None
    assert first_guidance("[[" + "]" * 2) is None
    assert first_guidance("Say [[the greeting]] now") == "the greeting"


# --- limits at saving -------------------------------------------------------------------------


def _nested_list(levels: int) -> str:
    return "".join("    " * i + "- item\n" for i in range(levels))


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"purpose": "word " * 13_000}, r"1\. Purpose is 65,000 characters long"),
        ({"scope": "[" * 300_000}, "2. Scope is 300,000 characters long"),
        ({"scope": "[a](" * 1000}, r"2\. Scope has a paragraph with more than 200"),
        ({"training": ">" * 200 + " deep"}, r"7\. Training is nested 201 levels deep"),
        ({"documentation": _nested_list(1000)[:59_000]}, r"6\. Documentation is nested"),
        ({"purpose": "<b>" * 5000 + "bold"}, r"1\. Purpose is nested 5001 levels deep"),
        (
            {"responsibilities": "Who:\n\n<style>\nAgent answers"},
            "3. Responsibilities contains an unclosed",
        ),
        ({"steps": [StepData(key="a", text="> " * 100 + "x")]}, r"4\. Procedure, step 1 is nested"),
        (
            {"scope": "Agents <!-- not supervisors --> answer."},
            "2. Scope contains a hidden comment",
        ),
    ],
)
def test_unrenderable_text_is_refused_naming_where_and_changes_nothing(
    supervisor, fields, expected
):
    revision = save(new_procedure(owner=supervisor), purpose="Kept.")
    before = Revision.objects.get(pk=revision.pk)

    with pytest.raises(services.TextRefused) as refused:
        services.save_draft(
            revision=revision,
            editor=supervisor,
            content=content(**fields),
            lock_version=before.lock_version,
        )

    assert any(re.match(expected.replace(" ", r"\s"), p) for p in refused.value.problems), (
        refused.value.problems
    )
    after = Revision.objects.get(pk=revision.pk)
    assert (after.lock_version, after.purpose) == (before.lock_version, "Kept.")


def test_ordinary_rich_text_passes_the_limits():
    text = (
        "Greet the caller **by name**, see [the guide](https://example.org) and `code <b>`.\n\n"
        + _nested_list(6)
        + "\n> a quote\n> > in a quote\n\n| a | b |\n|---|---|\n| 1 | 2 |\n"
    )

    assert text_problems(text) == []


def test_a_new_procedure_with_unrenderable_content_is_not_created(supervisor):
    category = CategoryFactory()
    with pytest.raises(services.TextRefused):
        services.create_procedure(
            code="CC-HOST-001",
            title="Imported",
            category=category,
            owner=supervisor,
            step_format="SIMPLE",
            review_interval_months=12,
            created_by=supervisor,
            content=content(purpose=">" * 300 + "x"),
        )

    assert not Revision.objects.filter(procedure__code="CC-HOST-001").exists()


def test_the_editor_keeps_what_was_typed_and_says_which_element(client, supervisor):
    revision = save(new_procedure(owner=supervisor))
    client.force_login(supervisor)

    response = client.post(
        editor_url(revision),
        editor_post(
            revision,
            scope="> " * 60 + "Deep scope text typed by the author",
            steps=[{"key": "a", "text": "Greet the caller."}],
        ),
    )

    assert response.status_code == 200
    page = response.content.decode()
    assert "Deep scope text typed by the author" in page
    assert "2. Scope is nested" in page
    assert Revision.objects.get(pk=revision.pk).lock_version == revision.lock_version


def test_the_preview_of_an_unrenderable_text_answers_in_time(client, supervisor, settings):
    settings.SOPDESK_CHECK_TIMEOUT = 1
    client.force_login(supervisor)

    response = client.post(reverse("desk:preview"), {"text": "<b " * 30_000})

    assert response.status_code == 400
    assert "longer than 1 seconds" in response.content.decode()


# --- text saved before the limits existed -----------------------------------------------------


def test_legacy_text_is_still_shown_and_submission_names_the_problem(supervisor):
    revision = save(new_procedure(owner=supervisor))
    Revision.objects.filter(pk=revision.pk).update(scope="> " * 300 + "deep", purpose="[" * 5000)
    revision.refresh_from_db()

    assert "[[[[" in render_markdown(revision.purpose)
    assert "deep" in render_markdown(revision.scope)
    problems = missing_elements(revision)
    assert any(p.startswith("2. Scope is nested") for p in problems)
    assert any(p.startswith("1. Purpose has a paragraph") for p in problems)


def test_html_depth_counts_nesting_not_siblings():
    assert html_depth("<p>a</p><p>b<br>c</p>") == 1
    assert html_depth("<ul><li><ul><li><b>x</b></li></ul></li></ul>") == 5


# --- the child process ------------------------------------------------------------------------


def _sleep(seconds: float) -> str:
    time.sleep(seconds)
    return "done"


def _allocate(megabytes: int) -> int:
    return len(bytearray(megabytes * 1024 * 1024))


def _fail() -> None:
    raise ValueError("the child's own error")


def test_a_render_past_its_time_is_stopped_and_the_worker_carries_on():
    with pytest.raises(sandbox.RenderRefused, match="longer than 1 seconds"):
        sandbox.run(_sleep, 30, timeout=1)

    assert sandbox.run(_sleep, 0, timeout=5) == "done"


def test_a_render_past_its_memory_is_stopped(settings):
    settings.SOPDESK_RENDER_MEMORY_MB = 256

    with pytest.raises(sandbox.RenderRefused, match="more memory"):
        sandbox.run(_allocate, 1024, timeout=30)


def test_a_childs_exception_reaches_the_caller():
    with pytest.raises(ValueError, match="the child's own error"):
        sandbox.run(_fail, timeout=5)


def test_a_render_within_its_memory_runs(settings):
    settings.SOPDESK_RENDER_MEMORY_MB = 256

    assert sandbox.run(_allocate, 64, timeout=30) == 64 * 1024 * 1024


def test_words_in_angle_brackets_are_shown_not_dropped():
    html = render_markdown("Thank you for calling <company name>, my name is <agent name>.")

    assert "&lt;company name&gt;" in html and "&lt;agent name&gt;" in html


@pytest.mark.parametrize(
    "text",
    [
        "| Check | Done |\n|---|---|\n"
        + "".join(f"| item {i} [ ] | [ ] [ ] |\n" for i in range(90)),
        "".join(f"- [ ] task {i}\n" for i in range(250)),
        "```\n" + "[[1, 2], [3, 4]] " * 300 + "\n```",
    ],
    ids=["checkbox table", "task list", "code with arrays"],
)
def test_many_closed_brackets_are_fine(text):
    assert text_problems(text) == []


def test_many_open_link_addresses_are_refused():
    assert any("left open" in p for p in text_problems("[a](" * 300))


def test_text_that_takes_too_long_to_display_is_refused_whatever_the_pattern(monkeypatch):
    from procedures.rendering import limits

    monkeypatch.setattr(limits, "RENDER_BUDGET_SECONDS", 0.0)  # as if this text were slow

    problems = text_problems("Greet the caller *warmly*.")

    assert any("seconds to display (at most 0.0)" in p for p in problems)
