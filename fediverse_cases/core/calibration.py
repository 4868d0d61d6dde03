"""Personal calibration, as pure functions: how often a clinician's poll answers matched the
confirmed outcome, overall and per specialty. An answer is correct when the confirmed diagnosis
is among the options the clinician chose (compared ignoring case and spacing). Private by
construction: computed for one person, for their own page only. Stdlib only."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass


def _same(a: str, b: str) -> bool:
    return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()


@dataclass(frozen=True)
class Answer:
    """One poll the person answered whose case has a confirmed outcome."""

    chosen: Sequence[str]  # the option titles they chose
    diagnosis: str
    specialties: Sequence[str]

    @property
    def correct(self) -> bool:
        return any(_same(option, self.diagnosis) for option in self.chosen)


@dataclass(frozen=True)
class Tally:
    answered: int
    correct: int

    @property
    def share(self) -> float:
        return self.correct / self.answered if self.answered else 0.0


@dataclass(frozen=True)
class Calibration:
    overall: Tally
    by_specialty: dict[str, Tally]


def calibrate(answers: Iterable[Answer]) -> Calibration:
    answers = list(answers)
    counts: dict[str, list[int]] = {}
    for answer in answers:
        for specialty in sorted(set(answer.specialties)):
            tally = counts.setdefault(specialty, [0, 0])
            tally[0] += 1
            tally[1] += int(answer.correct)
    return Calibration(
        overall=Tally(len(answers), sum(a.correct for a in answers)),
        by_specialty={name: Tally(*counts[name]) for name in sorted(counts)},
    )
