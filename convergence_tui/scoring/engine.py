"""Convergence scoring, exactly DESIGN.md §4. Pure functions, no I/O.

A `Scorer` compiles the referential for one reference date (due levels,
final targets, candidates per category) so that scoring one service is a
single pass over its candidate criteria. Scores keep exact integer sums;
rounding happens only when a document is written (`document.py`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from functools import cached_property

from ..referentiel.models import Criterion, Referentiel

NA = "NA"
STATUSES = ("convergent", "partially_convergent", "non_convergent")
IGNORED_ACTION_STATUS = "abandoned"

Answer = int | str  # a level, or NA


@dataclass(frozen=True, slots=True)
class ActionInput:
    criterion: str
    target_level: int
    due: dt.date
    status: str = "planned"


@dataclass(frozen=True, slots=True)
class ServiceInput:
    id: str
    name: str
    category: str
    answers: Mapping[str, Answer]  # criterion id -> level or "NA"; missing = absent
    actions: Sequence[ActionInput] = ()


class _Pooled:
    """Figures computed from exact sums (service or region): percentages as fractions."""

    sums: Mapping[str, tuple[int, int]]
    scale_max: int
    answered: int
    candidates: int

    @property
    def maturity(self) -> dict[str, Fraction | None]:
        return maturity(self.sums, self.scale_max)

    @property
    def completeness(self) -> Fraction:
        return Fraction(100 * self.answered, self.candidates) if self.candidates else Fraction(100)


@dataclass(frozen=True, slots=True)
class ServiceScore(_Pooled):
    id: str
    name: str
    category: str
    sums: Mapping[str, tuple[int, int]]  # axis and "global" -> (Σ levels, n applicable)
    scale_max: int
    answered: int
    candidates: int
    met: int
    due: int
    status: str
    level: int
    gaps: tuple[str, ...]
    target_reached_on: dt.date | None

    @property
    def conformity(self) -> Fraction:
        return Fraction(self.met, self.due) if self.due else Fraction(1)


@dataclass(frozen=True, slots=True)
class RegionScore(_Pooled):
    sums: Mapping[str, tuple[int, int]]
    scale_max: int
    answered: int
    candidates: int
    status_counts: Mapping[str, int]


@dataclass(frozen=True)
class CampaignScores:
    reference_date: dt.date
    services: tuple[ServiceScore, ...]
    region: RegionScore

    def service(self, service_id: str) -> ServiceScore | None:
        return self._by_id.get(service_id)

    @cached_property
    def _by_id(self) -> dict[str, ServiceScore]:
        return {s.id: s for s in self.services}


@dataclass(frozen=True, slots=True)
class _Compiled:
    criterion: Criterion
    axis: str
    due: int | None  # due level at the reference date, None when not due
    final: int | None  # level of the latest target, None without targets
    critical: bool


@dataclass
class Scorer:
    ref: Referentiel
    date: dt.date
    _by_category: dict[str, list[_Compiled]] = field(init=False, repr=False)
    _compiled: dict[str, _Compiled] = field(init=False, repr=False)
    _universal: list[_Compiled] = field(init=False, repr=False)
    _max: int = field(init=False, repr=False)
    _convergent: Fraction = field(init=False, repr=False)
    _partial: Fraction = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._max = self.ref.scale.max
        # Thresholds are written as decimals (0.8): compare exactly, not in binary floating point.
        self._convergent = Fraction(str(self.ref.thresholds.convergent))
        self._partial = Fraction(str(self.ref.thresholds.partial))
        self._compiled = {c.id: _compile(c, self.date) for c in self.ref.criteria}
        self._by_category = {
            k.id: [self._compiled[c.id] for c in self.ref.candidates(k.id)] for k in self.ref.categories
        }
        self._universal = [self._compiled[c.id] for c in self.ref.candidates("")]

    @property
    def axes(self) -> tuple[str, ...]:
        return tuple(self.ref.axis_ids)

    def due_level(self, criterion_id: str) -> int | None:
        """Minimum level due at the reference date; None when not yet due."""
        return self._compiled[criterion_id].due

    def final_level(self, criterion_id: str) -> int | None:
        """Level of the criterion's latest-dated target."""
        return self._compiled[criterion_id].final

    def score_service(self, svc: ServiceInput) -> ServiceScore:
        sums = {a: [0, 0] for a in self.axes}
        total = [0, 0]
        answered = met = due_n = 0
        critical_unmet_zero = False
        critical_unmet = False
        gaps: list[str] = []
        at_final = True
        reach: list[dt.date | None] = []
        candidates = self._by_category.get(svc.category)
        if candidates is None:  # unknown or empty category: the criteria that name no category
            candidates = self._universal
        for cc in candidates:
            cid = cc.criterion.id
            answer = svc.answers.get(cid)
            if answer is not None:
                answered += 1
            if answer == NA:
                continue
            level = answer if isinstance(answer, int) else 0
            axis_sum = sums[cc.axis]
            axis_sum[0] += level
            axis_sum[1] += 1
            total[0] += level
            total[1] += 1
            if cc.due is not None:
                due_n += 1
                if level >= cc.due:
                    met += 1
                else:
                    gaps.append(cid)
                    if cc.critical:
                        critical_unmet = True
                        if level < 1:
                            critical_unmet_zero = True
            if cc.final is not None:
                if level < cc.final:
                    at_final = False
                reach.append(_reached_on(level, cc.final, cid, svc.actions, self.date))
        conformity = Fraction(met, due_n) if due_n else Fraction(1)
        if not critical_unmet and conformity >= self._convergent:
            status = "convergent"
        elif conformity >= self._partial and not critical_unmet_zero:
            status = "partially_convergent"
        else:
            status = "non_convergent"
        level = {"convergent": 3 if at_final else 2, "partially_convergent": 1}.get(status, 0)
        reached = None if any(r is None for r in reach) else max((r for r in reach if r is not None), default=self.date)
        all_sums = {a: (s[0], s[1]) for a, s in sums.items()}
        all_sums["global"] = (total[0], total[1])
        return ServiceScore(
            id=svc.id,
            name=svc.name,
            category=svc.category,
            sums=all_sums,
            scale_max=self._max,
            answered=answered,
            candidates=len(candidates),
            met=met,
            due=due_n,
            status=status,
            level=level,
            gaps=tuple(sorted(gaps)),
            target_reached_on=reached,
        )

    def region(self, services: Iterable[ServiceScore]) -> RegionScore:
        sums = {a: [0, 0] for a in (*self.axes, "global")}
        answered = candidates = 0
        counts = dict.fromkeys(STATUSES, 0)
        for s in services:
            for a, (total, n) in s.sums.items():
                acc = sums[a]
                acc[0] += total
                acc[1] += n
            answered += s.answered
            candidates += s.candidates
            counts[s.status] += 1
        return RegionScore(
            sums={a: (v[0], v[1]) for a, v in sums.items()},
            scale_max=self._max,
            answered=answered,
            candidates=candidates,
            status_counts=counts,
        )

    def score_all(self, services: Iterable[ServiceInput]) -> CampaignScores:
        scored = tuple(self.score_service(s) for s in services)
        return CampaignScores(self.date, scored, self.region(scored))

    def rescore_one(self, scores: CampaignScores, svc: ServiceInput) -> CampaignScores:
        """Re-score the one service touched by a change and re-pool the region."""
        new = self.score_service(svc)
        services = tuple(new if s.id == svc.id else s for s in scores.services)
        if not any(s.id == svc.id for s in scores.services):
            services += (new,)
        return CampaignScores(self.date, services, self.region(services))

    def without(self, scores: CampaignScores, service_id: str) -> CampaignScores:
        services = tuple(s for s in scores.services if s.id != service_id)
        return CampaignScores(self.date, services, self.region(services))


def maturity(sums: Mapping[str, tuple[int, int]], scale_max: int) -> dict[str, Fraction | None]:
    """Per axis and "global": 100 * Σ l / (max * n), None when nothing is applicable."""
    return {a: (Fraction(100 * total, scale_max * n) if n else None) for a, (total, n) in sums.items()}


def _compile(c: Criterion, date: dt.date) -> _Compiled:
    due = None
    for t in c.targets:  # sorted by date (checked by the loader)
        if t.date <= date:
            due = t.level
    final = c.targets[-1].level if c.targets else None
    return _Compiled(c, c.axis, due, final, c.critical)


def _reached_on(
    level: int, final: int, cid: str, actions: Sequence[ActionInput], date: dt.date
) -> dt.date | None:
    """Earliest date (>= the reference date) the plan brings this criterion to its final target."""
    if level >= final:
        return date
    dues = [
        a.due
        for a in actions
        if a.criterion == cid and a.status != IGNORED_ACTION_STATUS and a.target_level >= final
    ]
    if not dues:
        return None
    return max(date, min(dues))
