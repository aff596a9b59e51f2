"""Merge conflicts as the merge screen and the review show them — where (section, service, criterion,
field), the value here and the other one, who and when — and their resolution, one by one (the TUI)
or all at once (`merge --prefer` on a campaign with conflicts). usecases/merging.py finds them."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..campaign.data import CAMPAIGN, split_criterion_scope
from ..cells import ITEM_FIELD, Cell, Change
from ..escaping import printable
from ..referentiel import Question
from ..store.merging import Also, Conflict
from ..wording import counted, datetime_fr
from .merging import our_cell, our_cells
from .overview import display_value
from .writes import item_title, place, shorten

if TYPE_CHECKING:
    from .session import Session


@dataclass(frozen=True)
class ConflictRow:
    conflict: Conflict
    section: str  # the section's title
    place: str  # the answer, in the screens' words
    mine: str
    mine_by: str  # « Anne, le 02/12/2026 à 10:31 UTC »
    theirs: str
    theirs_by: str
    editable: bool  # a text, a number, a date: a third value may be typed (not an item's existence)
    raw_mine: str  # what an edit starts from
    also: str = ""  # an item's existence: the rest of the deletion that goes with the choice


def conflict_rows(session: Session) -> list[ConflictRow]:
    cells = our_cells(session)
    last = session.last_changes()
    return [_row(session, c, cells.get((c.scope, c.field)), last.get((c.scope, c.field))) for c in session.conflicts()]


def _row(session: Session, c: Conflict, mine: Cell | None, mine_by: tuple[str, str] | None) -> ConflictRow:
    who, when = mine_by or ("?", "")
    return ConflictRow(
        c, section_title(session, c), conflict_place(session, c), value_text(session, c, mine), by(who, when),
        value_text(session, c, c.other), by(c.other_author, c.other_at) + f" ; copie {Path(c.source).name}",
        c.field != ITEM_FIELD and _question_type(session, c) in ("text", "textarea", "number", "euros", "percent",
                                                                 "date", "year", "email", "phone", None),
        printable(mine.raw if mine and mine.raw is not None else (mine.value if mine else "") or "", multiline=True),
        _also(c),
    )


def _also(c: Conflict) -> str:
    """« Avec elle : 3 éléments liés (indicateurs, freins, actions…) et 7 réponses (la même suppression). »"""
    if not c.also:
        return ""
    items = sum(1 for _s, f, _v in c.also if f == ITEM_FIELD)
    return (f"Avec ce choix : {counted(items, 'élément lié', 'éléments liés')} (indicateurs, finances, freins, "
            f"actions) et {counted(len(c.also) - items, 'autre réponse', 'autres réponses')}, de la même "
            "suppression.")


def by(who: str, when: str) -> str:
    return f"{printable(who)}, le {datetime_fr(when)}" if when else printable(who)


def section_title(session: Session, c: Conflict) -> str:
    ref = session.ref
    if split_criterion_scope(c.scope):
        return next((s.title for s in ref.sections if s.kind == "grid"), "")
    if c.scope == CAMPAIGN:
        return next((s.title for s in ref.sections if s.kind == "form" and any(q.id == c.field for q in s.questions)),
                    "")
    item = session.data.items.get(c.scope)
    section = ref.list_section(item.kind) if item else None
    return section.title if section else ""


def conflict_place(session: Session, c: Conflict) -> str:
    """« service n° 2 « Télé » : Nom », « A-1 (Télé) : commentaire », « service « Télé » : existence »."""
    if split_criterion_scope(c.scope) or c.scope == CAMPAIGN:
        return place(session, c.scope, c.field)
    name = session.data.value(c.scope, "name") or session.data.value(c.scope, "title")
    named = f"{item_title(session, c.scope)}{f' « {shorten(name, 30)} »' if name else ''}"
    if c.field == ITEM_FIELD:
        return f"{named} : existence"
    return f"{named} : {place(session, c.scope, c.field).partition(' : ')[2]}"


def _question(session: Session, c: Conflict) -> Question | None:
    """The question of a campaign's or an item's answer (a criterion's fields have none)."""
    if c.scope == CAMPAIGN:
        return session.ref.form_questions.get(c.field)
    item = session.data.items.get(c.scope)
    return session.ref.item_questions(item.kind).get(c.field) if item else None


def _question_type(session: Session, c: Conflict) -> str | None:
    if split_criterion_scope(c.scope):
        return "level" if c.field == "level" else "text"
    q = _question(session, c)
    return q.type if q else None


def value_text(session: Session, c: Conflict, cell: Cell | None) -> str:
    """A value as a person reads it: an item's existence, a level, an option's label, a text."""
    if c.field == ITEM_FIELD:
        if cell is None:
            return "absent"
        return "supprimé" if isinstance(cell.value, dict) and cell.value.get("deleted") else "présent"
    if cell is None or cell.value is None:
        return "(vide)"
    if cell.error:
        return f"{printable(cell.raw or '', multiline=True)} (invalide : {cell.error})"
    if split_criterion_scope(c.scope):
        return f"N{cell.value}" if c.field == "level" and isinstance(cell.value, int) else printable(
            str(cell.value), multiline=True)
    q = _question(session, c)
    return printable(display_value(session, q, cell.value) if q else str(cell.value), multiline=True)


def also_changes(session: Session, also: Also, choice: str) -> list[Change]:
    """What goes with an item's existence once decided: the rest of the deletion when the other side's
    state is taken; else the same values again, journaled, so that the other side learns the choice."""
    out = []
    for scope, fld, value in also:
        current = our_cell(session, (scope, fld))
        out.append(Change(scope, fld, current, value if choice == "theirs" else current))
    return out


# --- resolving, one by one (the TUI) or all at once (--prefer on a campaign with conflicts) ----------


def resolve(session: Session, conflict: Conflict, choice: str, value: Any = None) -> None:
    """Keep ours ("mine"), take theirs ("theirs") or a value typed ("edit"): one journaled change."""
    key = (conflict.scope, conflict.field)
    current = our_cells(session).get(key)
    if choice == "mine":
        new = current
    elif choice == "theirs":
        new = conflict.other
    else:
        new = session.validate(conflict.scope, conflict.field, value)
    session.commit([Change(conflict.scope, conflict.field, current, new),
                    *also_changes(session, conflict.also, choice)], op="resolve",
                   resolves=[conflict.id], resolution=choice)


def resolve_all(session: Session, prefer: str) -> int:
    """Every open conflict resolved the same way, as one batch; returns how many."""
    conflicts = session.conflicts()
    if not conflicts:
        return 0
    values = our_cells(session)
    changes = []
    for c in conflicts:
        current = values.get((c.scope, c.field))
        new = c.other if prefer == "theirs" else current
        changes.append(Change(c.scope, c.field, current, new))
        changes += also_changes(session, c.also, prefer)
        values[(c.scope, c.field)] = new  # type: ignore[assignment]
    session.commit(changes, op="resolve", resolves=[c.id for c in conflicts], resolution=prefer)
    return len(conflicts)
