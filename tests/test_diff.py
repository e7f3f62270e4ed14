"""The redline: section by section, word level, steps and measures included."""

from procedures.content import Snapshot
from procedures.diff import compare, line_diff, word_diff
from procedures.services import MeasureData
from procedures.steps import StepData


def test_word_diff_marks_only_the_changed_words():
    html = word_diff("Answer within three rings.", "Answer within two rings.")

    assert html == "Answer within <del>three</del><ins>two</ins> rings."


def test_word_diff_escapes_author_text():
    html = word_diff("<b>old</b>", "<script>alert(1)</script>")

    assert "<script" not in html and "<b>" not in html
    assert (
        html
        == "&lt;<del>b</del><ins>script</ins>&gt;<del>old</del><ins>alert(1)</ins>&lt;/<del>b</del><ins>script</ins>&gt;"
    )


def test_line_diff_shows_added_and_removed_lines():
    lines = line_diff(["keep", "gone"], ["keep", "new"])

    assert [line.op for line in lines] == ["equal", "replace"]
    assert lines[1].html == "<del>gone</del><ins>new</ins>"


def snapshot(steps, measures=(), **fields):
    return Snapshot(
        fields={"step_format": "FLOWCHART"} | fields, steps=list(steps), measures=list(measures)
    )


def test_compare_shows_step_and_measure_changes_in_their_sections():
    old = snapshot(
        [
            StepData("a", "Greet the caller."),
            StepData("b", "Is the caller verified?", kind="DECISION", yes="c", no="d"),
            StepData("c", "Help."),
            StepData("d", "Refuse.", kind="END"),
        ],
        [MeasureData("Service level", "80% in 20 s")],
        purpose="Serve callers.",
    )
    new = snapshot(
        [
            StepData("a", "Greet the caller by name."),
            StepData("b", "Is the caller verified?", kind="DECISION", yes="d", no="c"),
            StepData("c", "Help."),
            StepData("d", "Refuse.", kind="END"),
        ],
        [MeasureData("Service level", "90% in 20 s")],
        purpose="Serve callers.",
    )

    sections = {s.key: s for s in compare(old, new)}

    assert not sections["purpose"].changed
    steps_html = "".join(line.html for line in sections["steps"].lines)
    assert "Greet the caller<ins> by name</ins>." in steps_html
    assert "yes → <del>3</del><ins>4</ins>" in steps_html
    measures_html = "".join(line.html for line in sections["measures"].lines)
    assert "<del>80</del><ins>90</ins>" in measures_html


def test_compare_lists_every_element_of_the_sop_in_order():
    sections = compare(snapshot([]), snapshot([]))

    assert [s.key for s in sections] == [
        "title", "purpose", "scope", "responsibilities", "steps", "measures",
        "documentation", "training", "review_and_approval", "change_summary",
    ]  # fmt: skip
    assert not any(s.changed for s in sections)
