"""Step numbering and validation: messages name the step by its number."""

from procedures.steps import StepData, normalise, step_numbers, validate_steps


def S(key, text="Do it.", **kwargs):
    return StepData(key=key, text=text, **kwargs)


def test_hierarchical_steps_are_numbered_by_level():
    assert step_numbers([1, 2, 2, 3, 1, 2]) == ["1", "1.1", "1.2", "1.2.1", "2", "2.1"]


def test_simple_steps_are_numbered_in_order():
    assert step_numbers([1, 1, 1]) == ["1", "2", "3"]


def test_a_step_without_text_is_named():
    errors = validate_steps("SIMPLE", [S("a"), S("b", text="  ")])

    assert errors == ["Step 2 has no text."]


def test_a_hierarchical_step_cannot_skip_a_level():
    errors = validate_steps("HIERARCHICAL", [S("a", level=1), S("b", level=3)])

    assert len(errors) == 1
    assert errors[0].startswith("Step 1.1 is indented more than one level")


def test_a_hierarchical_procedure_starts_at_the_top_level():
    errors = validate_steps("HIERARCHICAL", [S("a", level=2)])

    assert errors == ["Step 1 is the first step: it must be at the top level."]


def test_levels_are_ignored_outside_hierarchical_format():
    steps = normalise("SIMPLE", [S("a", level=1), S("b", level=3)])

    assert validate_steps("SIMPLE", steps) == []
    assert [s.level for s in steps] == [1, 1]


def test_a_decision_needs_both_targets():
    steps = [S("a", kind="DECISION", yes="b"), S("b"), S("c", kind="END")]

    errors = validate_steps("FLOWCHART", steps)

    assert "Step 1 is a decision: choose where “no” leads." in errors


def test_a_decision_target_must_exist_in_the_same_revision():
    steps = [S("a", kind="DECISION", yes="b", no="zzz"), S("b", kind="END")]

    errors = validate_steps("FLOWCHART", steps)

    assert errors == ["Step 1 leads to a step that is not in this procedure."]


def test_an_unreachable_flowchart_step_is_named():
    steps = [
        S("a", kind="DECISION", yes="b", no="c"),
        S("b", kind="END"),
        S("c", next="e"),
        S("d", text="Orphan"),
        S("e", kind="END"),
    ]

    errors = validate_steps("FLOWCHART", steps)

    assert errors == ["Step 4 cannot be reached from step 1: no step or decision leads to it."]


def test_a_consistent_flowchart_is_valid():
    steps = [
        S("ask"),
        S("ok", kind="DECISION", yes="fix", no="tl"),
        S("fix", next="end"),
        S("tl"),
        S("end", kind="END"),
    ]

    assert validate_steps("FLOWCHART", steps) == []


def test_a_step_cannot_lead_to_itself():
    steps = [S("a", next="a"), S("b", kind="END")]

    assert "Step 1 leads to itself." in validate_steps("FLOWCHART", steps)


def test_normalise_drops_branches_that_a_kind_does_not_use():
    steps = normalise(
        "FLOWCHART", [S("a", kind="ACTION", yes="b", no="b"), S("b", kind="END", next="a")]
    )

    assert (steps[0].yes, steps[0].no) == ("", "")
    assert steps[1].next == ""
