"""The value types every layer passes around: an answer cell, a change of one, a journal row.

They live here, below every layer, so that the campaign, the store and the use cases share them
without the pure layers importing the store.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

ITEM_FIELD = "@item"  # journal field of an item's own state (kind, position, deleted)


class Cell(NamedTuple):
    """A stored answer: the normalised value, what was typed, and why it is invalid.

    A tuple because a campaign loads ~100,000 of them at start-up.
    """

    value: Any = None
    raw: str | None = None
    error: str | None = None


@dataclass(frozen=True, slots=True)
class Change:
    scope: str  # "campaign", an item id, or "<service id>/<criterion id>"
    field: str
    old: Cell | None
    new: Cell | None  # None deletes the answer


@dataclass(frozen=True, slots=True)
class JournalRow:
    seq: int
    at: str
    author: str
    scope: str
    field: str
    old: Cell | None
    new: Cell | None
    op: str
    batch: int
    uuid: str | None = None  # its identity across copies of the campaign (DESIGN.md §8)
