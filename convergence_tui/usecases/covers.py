"""The gaps blockers and actions cover (DESIGN.md §4): a cause named once for many gaps.

What the TUI and the CLI share: the gaps not yet covered, the groups a person picks from (the
service's other gaps, by axis or all; the same criterion on the region's other services; the gaps
of every service of a vendor), changing what an item covers, and moving campaigns of
questionnaires up to 2026.2 (one service and one criterion per item) to « covers ».
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..campaign.data import COVERING_KINDS, Pair, criterion_scope
from ..cells import Cell, Change
from ..referentiel.values import covers_text
from ..wording import counted
from .writes import shorten

if TYPE_CHECKING:
    from .session import Session


@dataclass(frozen=True, slots=True)
class Gap:
    service: str
    criterion: str
    axis: str
    level: int  # as rated (0 when not rated)
    due: int


@dataclass(frozen=True, slots=True)
class GapGroup:
    """A set of gaps one key selects in the checklist."""

    key: str
    label: str
    pairs: tuple[Pair, ...]

    @property
    def caption(self) -> str:
        return f"{self.label} ({counted(len(self.pairs), 'écart')})"


def gaps(session: Session) -> list[Gap]:
    """Every gap of the campaign at its reference date, service by service, criterion by criterion."""
    ref, scorer, data = session.ref, session.scorer, session.data
    out = []
    for score in session.scores.services:
        for cid in score.gaps:
            crit = ref.criteria_by_id[cid]
            level = data.answers_of(score.id).get(cid, 0)
            out.append(Gap(score.id, cid, crit.axis, level if isinstance(level, int) else 0,
                           scorer.due_level(cid) or 0))
    return out


def covered(session: Session, kind: str) -> dict[Pair, list[str]]:
    """Which live items of `kind` cover each pair (a blocker, an action)."""
    out: dict[Pair, list[str]] = {}
    for item in session.data.live(kind):
        for pair in session.data.covers_of(item.id):
            out.setdefault(pair, []).append(item.id)
    return out


def uncovered(session: Session, kind: str) -> list[Gap]:
    """The gaps no live item of `kind` covers yet."""
    done = covered(session, kind)
    return [g for g in gaps(session) if (g.service, g.criterion) not in done]


def groups_from(session: Session, service_id: str, criterion_id: str) -> list[GapGroup]:
    """What a person may cover with the item they create from a gap: the service's gaps on the same
    axis, all the service's gaps, the same criterion on the region's other services, and the gaps of
    every service of the same vendor. Empty groups are left out; each group keeps the gap itself."""
    data, ref = session.data, session.ref
    every = gaps(session)
    axis = ref.criteria_by_id[criterion_id].axis
    name = data.name_of(service_id) or service_id
    vendor = data.value(service_id, "vendor")
    candidates = [
        ("axis", f"Les écarts {axis} de « {name} »",
         [g for g in every if g.service == service_id and g.axis == axis]),
        ("service", f"Tous les écarts de « {name} »", [g for g in every if g.service == service_id]),
        ("criterion", f"{criterion_id} sur tous les services", [g for g in every if g.criterion == criterion_id]),
    ]
    if vendor:
        same = {sid for sid in data.live_ids("service") if data.value(sid, "vendor") == vendor}
        candidates.append(("vendor", f"Les services de l'éditeur {vendor}", [g for g in every if g.service in same]))
    out = []
    for key, label, chosen in candidates:
        pairs = tuple((g.service, g.criterion) for g in chosen)
        if len(pairs) > 1:
            out.append(GapGroup(key, label, pairs))
    return out


def covers_value(pairs: list[Pair] | tuple[Pair, ...]) -> list[list[str]]:
    """What « covers » stores: distinct pairs, in the order given."""
    return [list(p) for p in dict.fromkeys(pairs)]


def adopt_covers(session: Session) -> int:
    """A campaign of a questionnaire up to 2026.2 opened with one that has « covers »: each blocker's
    and action's service and criterion become a one-pair « covers », journaled as one change (the
    values are kept: the journal has them, and undo brings them back). Returns the items moved."""
    data, ref = session.data, session.ref
    changes = []
    for kind in COVERING_KINDS:
        if "covers" not in ref.item_questions(kind):
            continue
        for item in data.live(kind):
            service, criterion = data.cell(item.id, "service"), data.cell(item.id, "criterion")
            if data.cell(item.id, "covers") is not None or service is None or criterion is None:
                continue
            if service.error or criterion.error:  # kept as they are: listed as orphans, chosen again
                continue
            pair = [[service.value, criterion.value]]
            changes += [Change(item.id, "covers", None, Cell(pair, covers_text(pair))),
                        Change(item.id, "service", service, None), Change(item.id, "criterion", criterion, None)]
    if changes:
        session.commit(changes, op="migrate")
    return len(changes) // 3


def covering(session: Session, service_id: str, criterion_id: str) -> dict[str, list[str]]:
    """The blockers and actions that cover one gap, by kind (an index kept until they change)."""
    def index() -> dict[str, dict[Pair, list[str]]]:
        return {kind: covered(session, kind) for kind in COVERING_KINDS}

    found = session.cached("covers-index", ("blocker", "action"), index)
    return {kind: found[kind].get((service_id, criterion_id), []) for kind in COVERING_KINDS}


def covers_note(session: Session, item_id: str) -> str:
    """What deleting an item does to the plan, said before it is confirmed: the gaps a blocker or an
    action covers (their plan to complete again), or the shared ones a service takes with it."""
    data = session.data
    item = data.items[item_id]
    if item.kind in COVERING_KINDS:
        pairs = data.covers_of(item_id)
        if len(pairs) > 1:
            services = {s for s, _ in pairs}
            return (f"\nIl couvre {counted(len(pairs), 'écart')} sur {counted(len(services), 'service')} : "
                    "leur plan sera à compléter.")
        return ""
    if item.kind == "service":
        shared = data.sharing(item_id)
        if shared:
            return (f"\n{counted(len(shared), 'frein ou action', 'freins ou actions')} couvrant aussi d'autres "
                    "services perdront les écarts de celui-ci.")
    return ""


def without_service(session: Session, service_id: str) -> list[Change]:
    """Deleting a service: the blockers and actions it shares with others keep their other gaps."""
    data = session.data
    changes = []
    for item in data.sharing(service_id):
        cell = data.cell(item.id, "covers")
        if cell is None:
            continue
        kept = [p for p in data.covers_of(item.id) if p[0] != service_id]
        value = covers_value(kept)
        changes.append(Change(item.id, "covers", cell, Cell(value, covers_text(value))))
    return changes


def new_item_values(session: Session, kind: str, pairs: list[Pair]) -> dict[str, object]:
    """What a blocker or an action created over these gaps starts with: the gaps (or, under a
    questionnaire up to 2026.2, its one service and criterion); an action aims at the level that
    reaches every covered criterion's final target (and its due level), one they all allow."""
    ref, scorer = session.ref, session.scorer
    values: dict[str, object] = ({"covers": covers_value(pairs)} if "covers" in ref.item_questions(kind)
                                 else {"service": pairs[0][0], "criterion": pairs[0][1]})
    if kind == "action":
        wanted = [lv for _, c in pairs for lv in (scorer.final_level(c), scorer.due_level(c)) if lv is not None]
        if wanted:
            allowed = set.intersection(*(set(ref.allowed_levels(ref.criteria_by_id[c])) for _, c in pairs))
            target = min((lv for lv in allowed if lv >= max(wanted)), default=None)
            if target is not None:
                values["target_level"] = target
        questions = ref.item_questions("action")
        if "blocker" in questions and questions["blocker"].type == "item":
            # The blocker already covering these gaps is the one the action lifts (« Frein lié »).
            blockers = covered(session, "blocker")
            found = [b for b in blockers.get(pairs[0], []) if all(b in blockers.get(p, []) for p in pairs)]
            if found:
                values["blocker"] = found[0]
    return values


def gap_caption(session: Session, service_id: str, criterion_id: str) -> str:
    """« IOP-01 · ROR Bretagne (2/4) »: a gap as a checklist shows it."""
    level = session.data.value(criterion_scope(service_id, criterion_id), "level")
    due = session.scorer.due_level(criterion_id)
    rated = f" ({level}/{due})" if isinstance(level, int) and due is not None else ""
    return f"{criterion_id} · {shorten(session.data.name_of(service_id) or service_id, 40)}{rated}"


def covers_caption(session: Session, pairs: Any) -> str:
    """What an item covers, in a list's cell: the gap when there is one, else how many and where."""
    pairs = [tuple(p) for p in pairs or []]
    if len(pairs) == 1:
        return gap_caption(session, *pairs[0])
    services = {s for s, _ in pairs}
    return f"{counted(len(pairs), 'écart')} · {counted(len(services), 'service')}"


def cover_options(session: Session, scope: str) -> list[tuple[str, str]]:
    """The gaps an item may cover, as « service/criterion » values: every gap of the campaign, and what
    it covers already (a gap closed since stays listed, ticked, until the person unticks it)."""
    current = [tuple(p) for p in (session.data.value(scope, "covers") or [])] if scope in session.data.items else []
    pairs = list(dict.fromkeys([*((g.service, g.criterion) for g in gaps(session)), *current]))
    return [(gap_caption(session, s, c), f"{s}/{c}") for s, c in pairs]


@dataclass(frozen=True, slots=True)
class PlanItem:
    """A blocker or an action once, with what it covers (the review's list, the report's plan)."""

    id: str
    kind: str
    number: str  # « F3 », « A12 »: as their lists number them
    origin: str  # a blocker's origin, an action's owner (labels)
    text: str  # a blocker's description, an action's title
    gaps: int
    services: int


def plan_items(session: Session) -> list[PlanItem]:
    data, ref = session.data, session.ref
    out = []
    for kind, prefix, origin_q, text_q in (("blocker", "F", "category", "description"),
                                           ("action", "A", "owner", "title")):
        for n, item in enumerate(data.live(kind), 1):
            pairs = data.covers_of(item.id)
            out.append(PlanItem(item.id, kind, f"{prefix}{n}",
                                ref.option_label(kind, origin_q, data.value(item.id, origin_q)) or "—",
                                data.value(item.id, text_q) or "", len(pairs), len({s for s, _ in pairs})))
    return out
