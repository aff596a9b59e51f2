"""Undo (`ctrl+z`): the latest change still in effect — a whole journal batch, one action of a
person (a blocker added pre-filled, an import) — is reverted, and the revert is journaled too."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..cells import ITEM_FIELD, Change, JournalRow
from ..errors import UserError
from ..store.db import JOURNAL_ONLY
from .writes import item_title, place

if TYPE_CHECKING:
    from .session import Session


def undo(session: Session) -> list[JournalRow]:
    """Revert the last change still in effect; returns the journal rows undone (newest first)."""
    if session.readonly:
        raise UserError("Campagne en lecture seule : rien à annuler.")
    session.ensure_complete()
    rows = session.last_undoable_batch()
    if not rows:
        return []
    # A merge's records of a teammate's rows changed nothing here (its own rows did): not reverted.
    changes = [Change(r.scope, r.field, r.new, r.old) for r in rows if r.op != "merged"]  # newest first
    session.commit(changes, op="undo", undoes=rows[0].batch)
    return rows


def describe(session: Session, row: JournalRow) -> str:
    """What a journal row changed, in the words of the screens (« Annulé : URB-03 (ROR) : niveau »)."""
    if row.field == JOURNAL_ONLY:
        source = row.new.value.get("source") if row.new and isinstance(row.new.value, dict) else "?"
        return f"fusion de {source}"
    if row.field == ITEM_FIELD:
        return f"{'suppression' if row.op == 'delete' else 'création'} : {item_title(session, row.scope)}"
    return place(session, row.scope, row.field)
