"""Import of an answers document (or of a verified bundle's): everything is checked before anything
is written; replacing a campaign's answers is one journaled batch, so `ctrl+z` brings them back.

A replace writes only what differs: an item the document names keeps its identity (its id, and the
answers it already had are not journaled again), so a copy of the campaign updated by an import
still merges with its siblings answer by answer (DESIGN.md §8); it is not a new campaign."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..campaign.answers import read_document
from ..campaign.data import CAMPAIGN, CampaignData
from ..cells import ITEM_FIELD, Cell, Change
from ..errors import UserError
from .results import same_answer

if TYPE_CHECKING:
    from .session import Session


def is_empty(session: Session) -> bool:
    data = session.data
    return not any(scope != CAMPAIGN for scope, _ in data.cells) and not data.items


def import_document(session: Session, obj: Any, source: str, *, replace: bool = False) -> CampaignData:
    """Load an answers document into the campaign; returns what it held."""
    session.ensure_complete()
    incoming = read_document(session.ref, obj, source)
    if not is_empty(session) and not replace:
        raise UserError(
            f"{session.path} : la campagne contient déjà des réponses ; importez dans un nouveau fichier "
            "(--db) ou ajoutez --replace pour tout remplacer (l'opération reste annulable)."
        )
    changes = replacing(session.data, incoming)
    if changes:  # the same answers again: nothing to journal
        session.commit(changes, op="import")
    return incoming


def replacing(data: CampaignData, incoming: CampaignData) -> list[Change]:
    """The changes that turn `data` into `incoming`, and no other: answers gone first, then the items
    gone, then the items new or moved, then the answers new or changed."""
    changes = [Change(s, f, c, None) for (s, f), c in data.cells.items() if (s, f) not in incoming.cells]
    changes += [Change(i, ITEM_FIELD, Cell(it.state()), None) for i, it in data.items.items()
                if i not in incoming.items]
    for i, it in incoming.items.items():
        old = data.items.get(i)
        if old is None or old.state() != it.state():
            changes.append(Change(i, ITEM_FIELD, Cell(old.state()) if old else None, Cell(it.state())))
    for (s, f), c in incoming.cells.items():
        old_cell = data.cells.get((s, f))
        if not same_answer(old_cell, c):
            changes.append(Change(s, f, old_cell, c))
    return changes
