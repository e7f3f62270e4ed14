"""Steps of a procedure as plain data: numbering and validation, no database access.

The editor, the services and the renderers share these rules, so a step is numbered and
checked the same way everywhere. Messages name the step by its displayed number.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.translation import gettext as _

MAX_LEVEL = 4
SIMPLE, HIERARCHICAL, FLOWCHART = "SIMPLE", "HIERARCHICAL", "FLOWCHART"
ACTION, DECISION, END = "ACTION", "DECISION", "END"


@dataclass(frozen=True)
class StepData:
    key: str
    text: str
    level: int = 1
    kind: str = ACTION
    role: str = ""
    yes: str = ""
    no: str = ""
    next: str = ""


def step_numbers(levels: Sequence[int]) -> list[str]:
    """Display numbers for steps at the given levels: [1, 2, 2, 1] → ["1", "1.1", "1.2", "2"].

    A level deeper than the one above it by more than one is numbered as if it were one
    deeper (validate_steps reports it); the numbers never skip.
    """
    counters: list[int] = []
    numbers = []
    for level in levels:
        depth = max(1, min(level, len(counters) + 1))
        del counters[depth:]
        if len(counters) < depth:
            counters.append(0)
        counters[depth - 1] += 1
        numbers.append(".".join(str(c) for c in counters))
    return numbers


def normalise(step_format: str, steps: Sequence[StepData]) -> list[StepData]:
    """Drop what a format does not use: levels outside hierarchical, kinds outside flowcharts."""
    result = []
    for step in steps:
        if step_format != HIERARCHICAL:
            step = StepData(**{**step.__dict__, "level": 1})
        if step_format != FLOWCHART:
            step = StepData(**{**step.__dict__, "kind": ACTION, "yes": "", "no": "", "next": ""})
        elif step.kind != DECISION:
            step = StepData(**{**step.__dict__, "yes": "", "no": ""})
        if step.kind == END:
            step = StepData(**{**step.__dict__, "next": ""})
        result.append(step)
    return result


def validate_steps(step_format: str, steps: Sequence[StepData]) -> list[str]:
    """Every problem with a list of (normalised) steps, as messages that name the step."""
    numbers = step_numbers([s.level for s in steps])
    label = {s.key: numbers[i] for i, s in enumerate(steps)}
    errors = []
    keys_seen: set[str] = set()
    for i, step in enumerate(steps):
        name = _("Step %(number)s") % {"number": numbers[i]}
        if step.key in keys_seen:
            errors.append(_("%(step)s appears twice.") % {"step": name})
        keys_seen.add(step.key)
        if not step.text.strip():
            errors.append(_("%(step)s has no text.") % {"step": name})
        if step_format == HIERARCHICAL:
            errors += _level_errors(name, step.level, steps[i - 1].level if i else 0)
    if step_format == FLOWCHART and steps:
        errors += _flowchart_errors(steps, label)
    return errors


def _level_errors(name: str, level: int, previous_level: int) -> list[str]:
    if level < 1 or level > MAX_LEVEL:
        return [_("%(step)s must be at level 1 to %(max)d.") % {"step": name, "max": MAX_LEVEL}]
    if level > previous_level + 1:
        if previous_level == 0:
            return [_("%(step)s is the first step: it must be at the top level.") % {"step": name}]
        return [
            _(
                "%(step)s is indented more than one level below the step above it; "
                "outdent it or add the missing level."
            )
            % {"step": name}
        ]
    return []


def successors(steps: Sequence[StepData], index: int) -> list[str]:
    """The keys a flowchart step leads to: a decision's branches, else its next step."""
    step = steps[index]
    if step.kind == END:
        return []
    if step.kind == DECISION:
        return [k for k in (step.yes, step.no) if k]
    if step.next:
        return [step.next]
    return [steps[index + 1].key] if index + 1 < len(steps) else []


def _flowchart_errors(steps: Sequence[StepData], label: dict[str, str]) -> list[str]:
    errors = []
    for step in steps:
        name = _("Step %(number)s") % {"number": label[step.key]}
        if step.kind == DECISION:
            for branch, target in ((_("yes"), step.yes), (_("no"), step.no)):
                if not target:
                    errors.append(
                        _("%(step)s is a decision: choose where “%(branch)s” leads.")
                        % {"step": name, "branch": branch}
                    )
            if step.yes and step.yes == step.no:
                errors.append(
                    _("%(step)s is a decision whose “yes” and “no” lead to the same step.")
                    % {"step": name}
                )
        for target in (step.yes, step.no, step.next):
            if target and target not in label:
                errors.append(
                    _("%(step)s leads to a step that is not in this procedure.") % {"step": name}
                )
            elif target and target == step.key:
                errors.append(_("%(step)s leads to itself.") % {"step": name})
    if errors:
        return errors
    index_of = {s.key: i for i, s in enumerate(steps)}
    reached = {steps[0].key}
    queue = [0]
    while queue:
        for key in successors(steps, queue.pop()):
            if key not in reached:
                reached.add(key)
                queue.append(index_of[key])
    for step in steps:
        if step.key not in reached:
            errors.append(
                _("%(step)s cannot be reached from step 1: no step or decision leads to it.")
                % {"step": _("Step %(number)s") % {"number": label[step.key]}}
            )
    return errors
