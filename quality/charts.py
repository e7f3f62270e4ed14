"""Charts drawn on the server as SVG: readable without JavaScript, in print and by a screen
reader (a title and a description; the page shows the same figures as a table). Pure: figures
in, markup out; every text is escaped."""

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

WIDTH, HEIGHT = 640, 260
LEFT, RIGHT, TOP, BOTTOM = 44, 28, 16, 40


@dataclass(frozen=True)
class Point:
    label: str  # under the x axis ("7 Dec")
    value: Decimal | None  # 0–100; None: nothing measured that week


def _x(index: int, count: int) -> float:
    inner = WIDTH - LEFT - RIGHT
    return LEFT + (inner * index / (count - 1) if count > 1 else inner / 2)


def _y(value: Decimal | float) -> float:
    inner = HEIGHT - TOP - BOTTOM
    return TOP + inner * (1 - float(value) / 100)


def _segments(points: Sequence[Point]) -> list[list[tuple[float, float]]]:
    """Runs of consecutive weeks with a value: a week without one breaks the line."""
    runs, run = [], []
    for index, point in enumerate(points):
        if point.value is None:
            if run:
                runs.append(run)
            run = []
            continue
        run.append((_x(index, len(points)), _y(point.value)))
    if run:
        runs.append(run)
    return runs


def line_chart(
    points: Sequence[Point],
    *,
    title: str,
    description: str,
    target: Decimal | int | None = None,
    target_label: str = "",
    chart_id: str = "chart",
) -> SafeString:
    """A percentage over time, 0–100 %, with an optional dashed target line."""
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(description)}</desc>',
    ]
    for level in (0, 25, 50, 75, 100):
        y = _y(level)
        parts.append(
            f'<line class="chart__grid" x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}"/>'
            f'<text class="chart__axis" x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{level} %</text>'
        )
    if target is not None:
        y = _y(target)
        parts.append(
            f'<line class="chart__target" x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}"/>'
            f'<text class="chart__target-label" x="{WIDTH - RIGHT}" y="{y - 5:.1f}" '
            f'text-anchor="end">{escape(target_label)}</text>'
        )
    step = max(1, round(len(points) / 7))  # at most ~7 labels under the axis
    for index, point in enumerate(points):
        if index % step == 0:
            parts.append(
                f'<text class="chart__axis" x="{_x(index, len(points)):.1f}" y="{HEIGHT - BOTTOM + 18}" '
                f'text-anchor="middle">{escape(point.label)}</text>'
            )
    for run in _segments(points):
        coordinates = " ".join(f"{x:.1f},{y:.1f}" for x, y in run)
        parts.append(f'<polyline class="chart__line" points="{coordinates}"/>')
        parts += [
            f'<circle class="chart__point" cx="{x:.1f}" cy="{y:.1f}" r="3.5"/>' for x, y in run
        ]
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - built above from escaped texts and numbers
