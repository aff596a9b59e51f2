"""Import of an answers document (or of a verified bundle's): everything is checked before anything
is written; replacing a campaign's answers is one journaled batch, so `ctrl+z` brings them back."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..campaign.answers import read_document
from ..campaign.data import CAMPAIGN, CampaignData
from ..cells import ITEM_FIELD, Cell, Change
from ..errors import UserError

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
    data = session.data
    changes = [Change(s, f, c, None) for (s, f), c in data.cells.items()]
    changes += [Change(i, ITEM_FIELD, Cell(it.state()), None) for i, it in data.items.items()]
    changes += [Change(i, ITEM_FIELD, None, Cell(it.state())) for i, it in incoming.items.items()]
    changes += [Change(s, f, None, c) for (s, f), c in incoming.cells.items()]
    session.commit(changes, op="import")
    return incoming
