"""A call's score from its answers: pure arithmetic, no database.

Each line answered Yes or No counts its weight as possible; a Yes earns it; Not applicable
counts for neither. The score is earned / possible as a percentage, rounded half up to two
decimals. A critical line answered No fails the call: its score is 0, whatever else was earned
(the weighted percentage is kept as `weighted` to show what the rest of the call was worth).
"""

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

YES, NO, NOT_APPLICABLE = "YES", "NO", "NA"


@dataclass(frozen=True)
class Marked:
    """One line as answered: its weight, whether it is critical, the answer."""

    weight: int
    critical: bool
    answer: str


@dataclass(frozen=True)
class Score:
    earned: int
    possible: int
    critical_failed: bool
    weighted: Decimal | None  # earned / possible in %, None when nothing could be scored

    @property
    def score(self) -> Decimal | None:
        """The call's score: 0 when a critical line failed, else the weighted percentage."""
        if self.weighted is None:
            return None
        return Decimal("0.00") if self.critical_failed else self.weighted


def percent(earned: int, possible: int) -> Decimal | None:
    if possible <= 0:
        return None
    exact = Decimal(earned) * 100 / Decimal(possible)
    return exact.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def score(lines: Iterable[Marked]) -> Score:
    earned = possible = 0
    critical_failed = False
    for line in lines:
        if line.answer == NOT_APPLICABLE:
            continue
        possible += line.weight
        if line.answer == YES:
            earned += line.weight
        elif line.critical:
            critical_failed = True
    return Score(earned, possible, critical_failed, percent(earned, possible))


# ---------------------------------------------------------------- calibration


def agreement(answers: Iterable[str]) -> Decimal | None:
    """How far evaluators agree on one line: the share of them who gave its most common answer
    (1.00 when all agree; 0.50 when two answers split four evaluators evenly)."""
    given = [answer for answer in answers if answer]
    if not given:
        return None
    most = max(given.count(answer) for answer in set(given))
    return (Decimal(most) / Decimal(len(given))).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Spread:
    lowest: Decimal
    highest: Decimal
    mean: Decimal
    deviation: Decimal  # the population standard deviation

    @property
    def range(self) -> Decimal:
        return self.highest - self.lowest


def spread(scores: Iterable[Decimal]) -> Spread | None:
    values = [Decimal(score) for score in scores]
    if not values:
        return None
    mean = sum(values) / len(values)
    variance = sum((value - mean) ** 2 for value in values) / len(values)
    two = Decimal("0.01")
    return Spread(
        lowest=min(values),
        highest=max(values),
        mean=mean.quantize(two, rounding=ROUND_HALF_UP),
        deviation=variance.sqrt().quantize(two, rounding=ROUND_HALF_UP),
    )


def mean(values: list[Decimal]) -> Decimal | None:
    if not values:
        return None
    return (sum(values) / len(values)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def agreement_with(answers: dict, reference: dict) -> Decimal | None:
    """The share of the reference's lines (in %) an evaluator answered as the reference did."""
    if not reference:
        return None
    same = sum(1 for line, answer in reference.items() if answers.get(line) == answer)
    return percent(same, len(reference))
