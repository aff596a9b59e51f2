"""The in-memory image of one campaign: answers ("cells") and repeating items.

Pure data, no I/O: the store fills it, the session mutates it alongside the
database, the bundle rebuilds it from an answers document. Scoring inputs
are derived from it here so that every path scores the same way.
"""

from __future__ import annotations

import datetime as dt
import gc
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

    def children(self, service_id: str) -> list[Item]:
        """Live items (indicators, finances, blockers, actions) that name this service."""
        return [
            i
            for kind in CHILD_KINDS
            for i in self.live(kind)
            if self.value(i.id, "service") == service_id
        ]

    def next_id(self, kind: str) -> str:
        prefix = ITEM_PREFIX[kind] + "-"
        n = max(
            (int(i[len(prefix):]) for i in self.items if i.startswith(prefix) and i[len(prefix):].isdigit()),
            default=0,
        )
        return f"{prefix}{n + 1}"

    def next_position(self, kind: str) -> int:
        return max((i.position for i in self.items.values() if i.kind == kind), default=0) + 1

    # --- scoring inputs --------------------------------------------------------

    def _action_index(self) -> dict[str, set[str]]:
        if self._actions_by_service is None:
            index: dict[str, set[str]] = {}
            for item in self.items.values():
                if item.kind == "action" and not item.deleted:
                    sid = self.value(item.id, "service")
                    if sid:
                        index.setdefault(sid, set()).add(item.id)
            self._actions_by_service = index
        return self._actions_by_service

    def invalidate_actions(self) -> None:
        self._actions_by_service = None

    def action_input(self, action_id: str) -> ActionInput | None:
        """An action usable by the plan projection; None while incomplete or invalid."""
        crit = self.value(action_id, "criterion")
        level = self.value(action_id, "target_level")
        due = parse_date(self.value(action_id, "due"))
        if crit is None or level is None or due is None:
            return None
        return ActionInput(crit, level, due, self.value(action_id, "status") or "planned")

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
        actions = tuple(a for aid in self.actions_of(service_id) if (a := self.action_input(aid)) is not None)
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
        if item is not None and item.kind == "action" and field == "service":
            self._actions_by_service = None

    def put_item(self, item: Item | None, item_id: str) -> None:
        if item is None:
            self.items.pop(item_id, None)
        else:
            self.items[item_id] = item
        self._actions_by_service = None
