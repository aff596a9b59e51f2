"""The in-memory image of one campaign: answers ("cells") and repeating items.

Pure data, no I/O: the store fills it, the session mutates it alongside the
database, the bundle rebuilds it from an answers document. Scoring inputs
are derived from it here so that every path scores the same way.
"""

from __future__ import annotations

import datetime as dt
import gc
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from ..cells import Cell
from ..referentiel.models import Referentiel
from ..referentiel.values import parse_date
from ..scoring.engine import ActionInput, ServiceInput

CAMPAIGN = "campaign"  # scope of the form answers
CRITERION_FIELDS = ("level", "comment", "evidence", "justification")
ITEM_PREFIX = {"service": "svc", "indicator": "ind", "finance": "fin", "blocker": "b", "action": "a"}
CHILD_KINDS = ("indicator", "finance", "blocker", "action")  # items that name a service
COVERING_KINDS = ("blocker", "action")  # items that cover (service, criterion) gaps
Pair = tuple[str, str]


@dataclass(frozen=True, slots=True)
class Item:
    id: str
    kind: str
    position: int
    deleted: bool = False

    def state(self) -> dict[str, Any]:
        return {"kind": self.kind, "position": self.position, "deleted": self.deleted}


@contextmanager
def paused_gc() -> Iterator[None]:
    """Reading a campaign creates ~100,000 tuples and no cycle: without the pause, the cyclic
    collector walks them again and again while they are created (a quarter of the time, measured)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def criterion_scope(service_id: str, criterion_id: str) -> str:
    return f"{service_id}/{criterion_id}"


def split_criterion_scope(scope: str) -> tuple[str, str] | None:
    sid, sep, cid = scope.partition("/")
    return (sid, cid) if sep else None


class CampaignData:
    def __init__(self, ref: Referentiel) -> None:
        self.ref = ref
        self.cells: dict[tuple[str, str], Cell] = {}
        self.items: dict[str, Item] = {}
        self.errors: dict[str, set[str]] = {}  # scope -> fields holding an invalid answer
        self._actions_by_service: dict[str, set[str]] | None = None
        # What each blocker and action counts for, by service (see counted_by_service): a cause may
        # cover hundreds of gaps, and each service's scoring asks for its own.
        self._counted: dict[str, dict[str, list[str]]] = {}

    # --- loading -------------------------------------------------------------

    def load(self, items: Iterable[dict[str, Any]], cells: Iterable[tuple[str, str, Cell]]) -> None:
        for row in items:
            self.items[row["id"]] = Item(row["id"], row["kind"], row["position"], bool(row["deleted"]))
        self.add_cells(cells)

    def add_cells(self, cells: Iterable[tuple[str, str, Cell]]) -> None:
        for scope, field, cell in cells:
            self.cells[(scope, field)] = cell
            if cell.error:
                self.errors.setdefault(scope, set()).add(field)
        self._actions_by_service = None
        self._counted.clear()

    # --- reading -------------------------------------------------------------

    def cell(self, scope: str, field: str) -> Cell | None:
        return self.cells.get((scope, field))

    def value(self, scope: str, field: str) -> Any:
        c = self.cells.get((scope, field))
        return c.value if c is not None and c.error is None else None

    def live(self, kind: str) -> list[Item]:
        return sorted(
            (i for i in self.items.values() if i.kind == kind and not i.deleted), key=lambda i: (i.position, i.id)
        )

    def live_ids(self, kind: str) -> list[str]:
        return [i.id for i in self.live(kind)]

    def is_live(self, item_id: str) -> bool:
        item = self.items.get(item_id)
        return item is not None and not item.deleted

    def form_values(self) -> dict[str, Any]:
        return {qid: self.value(CAMPAIGN, qid) for qid in self.ref.form_questions}

    def item_values(self, item_id: str) -> dict[str, Any]:
        kind = self.items[item_id].kind
        return {qid: self.value(item_id, qid) for qid in self.ref.item_questions(kind)}

    @property
    def reference_date(self) -> dt.date | None:
        return parse_date(self.value(CAMPAIGN, "reference_date"))

    def campaign_info(self) -> dict[str, Any]:
        return {
            "region": self.value(CAMPAIGN, "region"),
            "label": self.value(CAMPAIGN, "campaign_label"),
            "reference_date": self.value(CAMPAIGN, "reference_date"),
        }

    def category_of(self, service_id: str) -> str | None:
        category: str | None = self.value(service_id, "category")
        return category

    def name_of(self, item_id: str) -> str:
        return self.value(item_id, "name") or ""

    def covers_of(self, item_id: str) -> tuple[Pair, ...]:
        """The (service, criterion) gaps a blocker or an action covers (DESIGN.md §4): its « covers »
        answer; with a questionnaire up to 2026.2, the one pair its « service » and « criterion »
        name. Empty while not (validly) answered."""
        pairs = self.value(item_id, "covers")
        if pairs is not None:
            return tuple((s, c) for s, c in pairs)
        service, criterion = self.value(item_id, "service"), self.value(item_id, "criterion")
        return ((service, criterion),) if service is not None and criterion is not None else ()

    def misplaced_pairs(self, item_id: str) -> list[Pair]:
        """The gaps an item covers that it can no longer cover: a service deleted since, or a criterion
        its category no longer has. While there is one, the item is an invalid answer: it counts in
        neither the plan's completeness nor its projection (as in the answers document)."""
        return [(s, c) for s, c in self.covers_of(item_id)
                if not self.is_live(s) or c not in self.ref.applicable_ids(self.category_of(s))]

    def counted_covers(self, item_id: str) -> tuple[Pair, ...]:
        """What an item covers for the plan: its gaps, or none while one of them is misplaced."""
        return () if self.misplaced_pairs(item_id) else self.covers_of(item_id)

    def counted_by_service(self, item_id: str) -> dict[str, list[str]]:
        """counted_covers, grouped by service (kept until the item, a category or the items change)."""
        found = self._counted.get(item_id)
        if found is None:
            found = {}
            for s, c in self.counted_covers(item_id):
                found.setdefault(s, []).append(c)
            self._counted[item_id] = found
        return found

    def services_of(self, item_id: str) -> list[str]:
        """The services an item concerns, in order: its « service », or those of the gaps it covers."""
        if self.items[item_id].kind in COVERING_KINDS and self.value(item_id, "covers") is not None:
            return list(dict.fromkeys(s for s, _ in self.covers_of(item_id)))
        service = self.value(item_id, "service")
        return [service] if service is not None else []

    def children(self, service_id: str) -> list[Item]:
        """Live items that go with this service when it is deleted: its indicators and finances, and
        the blockers and actions that cover gaps of this service only."""
        return [i for kind in CHILD_KINDS for i in self.live(kind) if self.services_of(i.id) == [service_id]]

    def sharing(self, service_id: str) -> list[Item]:
        """Live blockers and actions that cover gaps of this service and of others."""
        return [i for kind in COVERING_KINDS for i in self.live(kind)
                if service_id in (services := self.services_of(i.id)) and len(services) > 1]

    def next_id(self, kind: str) -> str:
        """A new item's id: its kind's prefix and 8 hex digits of a random UUID (`b-3f9c0a1e`), never one
        the campaign has held (deleted items stay in `items`). Random, not counted: items created on two
        laptops holding copies of the campaign never share an id (DESIGN.md §8). Short: it is written in
        answers documents and in the journal; the screens number items instead (« frein n° 3 »)."""
        prefix = ITEM_PREFIX[kind] + "-"
        while (found := prefix + uuid.uuid4().hex[:8]) in self.items:
            pass
        return found

    def next_position(self, kind: str) -> int:
        return max((i.position for i in self.items.values() if i.kind == kind), default=0) + 1

    # --- scoring inputs --------------------------------------------------------

    def _action_index(self) -> dict[str, set[str]]:
        if self._actions_by_service is None:
            index: dict[str, set[str]] = {}
            for item in self.items.values():
                if item.kind == "action" and not item.deleted:
                    for sid, _ in self.covers_of(item.id):
                        index.setdefault(sid, set()).add(item.id)
            self._actions_by_service = index
        return self._actions_by_service

    def invalidate_actions(self) -> None:
        self._actions_by_service = None

    def action_inputs(self, action_id: str, service_id: str) -> list[ActionInput]:
        """What an action brings the plan projection of one service: one input per gap of that service
        it covers; none while it is incomplete or invalid."""
        level = self.value(action_id, "target_level")
        due = parse_date(self.value(action_id, "due"))
        if level is None or due is None:
            return []
        status = self.value(action_id, "status") or "planned"
        return [ActionInput(c, level, due, status) for c in self.counted_by_service(action_id).get(service_id, ())]

    def actions_of(self, service_id: str) -> list[str]:
        return sorted(self._action_index().get(service_id, ()), key=lambda a: self.items[a].position)

    def answers_of(self, service_id: str) -> dict[str, int | str]:
        category = self.category_of(service_id)
        out: dict[str, int | str] = {}
        for c in self.ref.candidates(category or ""):
            v = self.value(criterion_scope(service_id, c.id), "level")
            if v is not None:
                out[c.id] = v
        return out

    def service_input(self, service_id: str) -> ServiceInput:
        actions = tuple(a for aid in self.actions_of(service_id) for a in self.action_inputs(aid, service_id))
        return ServiceInput(
            id=service_id,
            name=self.name_of(service_id),
            category=self.category_of(service_id) or "",
            answers=self.answers_of(service_id),
            actions=actions,
        )

    def service_inputs(self) -> list[ServiceInput]:
        return [self.service_input(sid) for sid in self.live_ids("service")]

    # --- mutation (the session writes the same change to the store) ----------

    def put(self, scope: str, field: str, cell: Cell | None) -> None:
        if cell is None:
            self.cells.pop((scope, field), None)
        else:
            self.cells[(scope, field)] = cell
        if cell is not None and cell.error:
            self.errors.setdefault(scope, set()).add(field)
        elif field in self.errors.get(scope, ()):
            self.errors[scope].discard(field)
        item = self.items.get(scope)
        if item is not None and field in ("covers", "service", "criterion"):
            self._counted.pop(scope, None)
            if item.kind == "action":
                self._actions_by_service = None
        elif item is not None and field == "category":  # what every item may cover changes with it
            self._counted.clear()

    def put_item(self, item: Item | None, item_id: str) -> None:
        if item is None:
            self.items.pop(item_id, None)
        else:
            self.items[item_id] = item
        self._actions_by_service = None
        self._counted.clear()
