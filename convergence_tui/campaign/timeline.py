"""The plan over time: per service and semester, when the plan brings it to its final targets.
Pure: the review screen draws it from the open campaign, the report from a bundle's answers."""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from dataclasses import dataclass

from ..scoring.engine import CampaignScores
from .data import CampaignData


def semester_of(d: dt.date) -> tuple[int, int]:
    return d.year, 1 if d.month <= 6 else 2


def semester_label(sem: tuple[int, int]) -> str:
    return f"{sem[0]}-S{sem[1]}"


def next_semester(sem: tuple[int, int]) -> tuple[int, int]:
    return (sem[0], 2) if sem[1] == 1 else (sem[0] + 1, 1)


@dataclass(frozen=True, slots=True)
class TimelineRow:
    service_id: str
    name: str
    cells: list[str]  # per semester: "reached", "target" (reached during it), "action", "waiting"
    reached_on: dt.date | None


def plan_timeline(data: CampaignData, scores: CampaignScores, reference_date: dt.date,
                  max_semesters: int = 10) -> tuple[list[str], list[TimelineRow]]:
    start = semester_of(reference_date)
    last = start
    dues: dict[str, set[tuple[int, int]]] = defaultdict(set)
    for sid in data.live_ids("service"):
        for aid in data.actions_of(sid):
            for action in data.action_inputs(aid, sid)[:1]:  # one per action: its due date is the same
                if action.status == "abandoned" or action.due < reference_date:
                    continue
                sem = semester_of(action.due)
                dues[sid].add(sem)
                last = max(last, sem)
    for score in scores.services:
        if score.target_reached_on is not None:
            last = max(last, semester_of(score.target_reached_on))
    semesters = [start]
    while semesters[-1] < last and len(semesters) < max_semesters:
        semesters.append(next_semester(semesters[-1]))
    rows = []
    for score in scores.services:
        reached = score.target_reached_on
        reached_sem = semester_of(reached) if reached else None
        cells = []
        for sem in semesters:
            if reached_sem is not None and sem > reached_sem:
                cells.append("reached")
            elif reached_sem == sem:
                cells.append("target")
            elif sem in dues.get(score.id, ()):
                cells.append("action")
            else:
                cells.append("waiting")
        rows.append(TimelineRow(score.id, score.name or score.id, cells, reached))
    return [semester_label(s) for s in semesters], rows


def semester_start(label: str | None) -> dt.date | None:
    """The first day of a semester label ("2026-S2" → 2026-07-01; the inverse of semester_label);
    None when the label is not a semester (a pilot's questionnaire may ask for free text)."""
    m = re.fullmatch(r"(\d{4})-S([12])", label or "")
    return dt.date(int(m.group(1)), 1 if m.group(2) == "1" else 7, 1) if m else None
