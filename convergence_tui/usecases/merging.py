"""`convergence merge FILE` and the TUI's merge: a teammate's copy of the campaign brought in, answer
by answer (DESIGN.md §8; the rules, and why they converge, in docs/merge.md).

For each answer (a key: a question of the campaign, a field of an item, a criterion's field, an
item's own state) the changes each side made since their common history are the journal rows the
other side does not know. Changed only on their side: their value is taken, with their author and
time. On both, to different values: a conflict, stored, never decided silently (unless the person
asked `--prefer`). An item deleted on one side and changed on the other is a conflict on the item.
Their rows are recorded here (under their identity), so that a second merge of the same file has
nothing new, and so that a teammate merging this file back sees their own changes as known.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..campaign.data import split_criterion_scope
from ..cells import ITEM_FIELD, Cell, Change
from ..errors import UserError
from ..escaping import printable
from ..store import Store
from ..store.merging import (
    Conflict,
    Known,
    MergeWrite,
    NewConflict,
    cells,
    known,
    new_uuid,
    open_conflicts,
    records,
    resolved_conflicts,
)
from ..wording import counted
from .results import same_answer

if TYPE_CHECKING:
    from .session import Session

PREFER = {"mine": "la mienne", "theirs": "l'autre"}
Key = tuple[str, str]


@dataclass
class Merged:
    """What a merge did, for the person who asked it."""

    source: str
    teammates: list[str] = field(default_factory=list)
    taken: list[Key] = field(default_factory=list)
    conflicts: int = 0  # found by this merge (or brought from the other file), still open
    resolved: int = 0  # found and resolved at once (--prefer)
    closed: int = 0  # open here, resolved by the teammate, closed here
    settled: int = 0  # open at the teammate's, carried here already settled by the value it brought
    recorded: int = 0  # their journal rows recorded here
    open_now: int = 0  # conflicts open in the campaign after the merge

    @property
    def nothing_new(self) -> bool:
        """Nothing written: everything in the other file is known here."""
        return not (self.recorded or self.conflicts or self.closed or self.resolved or self.settled)

    @property
    def changed_nothing(self) -> bool:
        """No answer and no conflict changed (their history may have been recorded)."""
        return not (self.taken or self.conflicts or self.closed or self.resolved)


def merged_summary(done: Merged, *, short: bool = False) -> list[str]:
    """What a merge did, in French: the CLI prints it, the TUI shows its first line (`short`: the
    file's name only)."""
    source = Path(done.source).name if short else done.source
    if done.changed_nothing:
        return [f"Fusion de {source} : rien de nouveau, les réponses de cette copie sont déjà les mêmes ici."]
    who = ", ".join(printable(t) for t in done.teammates) or "—"
    taken = counted(len(done.taken), "réponse reprise", "réponses reprises")
    lines = [f"Fusion de {source} (modifications de {who}) : {taken}, "
             f"{counted(done.conflicts, 'nouveau conflit', 'nouveaux conflits')}."]
    if done.resolved:
        lines.append(f"{counted(done.resolved, 'conflit résolu', 'conflits résolus')} d'office (--prefer).")
    if done.closed:
        lines.append(f"{counted(done.closed, 'conflit résolu', 'conflits résolus')} par l'équipier, fermé ici.")
    lines.append("Une seule étape à annuler (ctrl+z dans l'application) si cette fusion n'était pas voulue.")
    return lines


def item_of(scope: str) -> str:
    crit = split_criterion_scope(scope)
    return crit[0] if crit else scope


def removed(cell: Cell | None) -> bool:
    return cell is None or bool(isinstance(cell.value, dict) and cell.value.get("deleted"))


def our_cells(session: Session) -> dict[Key, Cell]:
    found = dict(session.data.cells)
    for item_id, item in session.data.items.items():
        found[(item_id, ITEM_FIELD)] = Cell(item.state())
    return found


@dataclass
class Plan:
    takes: dict[Key, Cell | None] = field(default_factory=dict)
    conflicts: dict[Key, Cell | None] = field(default_factory=dict)


def plan(ours: list[Known], theirs: list[Known], our_values: dict[Key, Cell], their_values: dict[Key, Cell]
         ) -> tuple[Plan, set[str]]:
    """What to take and what is in conflict; and the identities of their rows to record here."""
    our_ids = {k.identity for k in ours}
    their_ids = {k.identity for k in theirs}
    new_theirs = [k for k in theirs if k.identity not in our_ids]
    changed_ours = {(k.scope, k.field) for k in ours if k.identity not in their_ids}
    changed_theirs = {(k.scope, k.field) for k in new_theirs}
    out = Plan()
    for key in changed_theirs:
        mine, other = our_values.get(key), their_values.get(key)
        if same_answer(mine, other):
            continue
        (out.conflicts if key in changed_ours else out.takes)[key] = other
    # An item deleted on one side and changed on the other: the item itself is in conflict.
    edited_ours = {item_of(s) for s, f in changed_ours if f != ITEM_FIELD}
    edited_theirs = {item_of(s) for s, f in changed_theirs if f != ITEM_FIELD}
    for key, other in list(out.takes.items()):
        if key[1] == ITEM_FIELD and removed(other) and not removed(our_values.get(key)) and key[0] in edited_ours:
            out.conflicts[key] = out.takes.pop(key)
    for scope, fld in changed_ours:
        key = (scope, fld)
        if (fld == ITEM_FIELD and key not in changed_theirs and removed(our_values.get(key))
                and scope in edited_theirs and not removed(their_values.get(key))):
            out.conflicts[key] = their_values.get(key)
    return out, {k.identity for k in new_theirs}


def merge(session: Session, other: Path | str, *, prefer: str | None = None) -> Merged:
    """Bring a teammate's copy in (read-only: their file is never changed). Another campaign's file,
    a damaged one, one of another questionnaire or a newer schema: UserError, nothing written."""
    session.ensure_complete()
    if session.readonly:
        raise UserError(f"{session.path} : campagne ouverte en lecture seule ; la fusion n'est pas possible.")
    path = Path(other)
    theirs = _open_theirs(session, path)
    try:
        return _merge(session, theirs, printable(str(other)), prefer)
    finally:
        theirs.close()


def _open_theirs(session: Session, path: Path) -> Store:
    if path.exists() and os.path.samefile(path, session.path):
        raise UserError(f"{path} : c'est le fichier de la campagne ouverte ; indiquez la copie d'un équipier.")
    theirs = Store.open(path, readonly=True)
    try:
        from ..store.sqlite import _french_sqlite_error, check_integrity

        try:
            check_integrity(theirs.conn)
        except sqlite3.DatabaseError as exc:
            raise _french_sqlite_error(path, exc) from None
        mine_meta, their_meta = session.meta(), theirs.meta()
        if their_meta.get("campaign_id") != mine_meta.get("campaign_id"):
            raise UserError(f"{path} : ce fichier est une autre campagne (identifiant différent) ; seule une copie "
                            "de cette campagne (convergence copy) peut être fusionnée. Rien n'a été modifié.")
        pins = ("referentiel_id", "referentiel_version", "referentiel_sha256")
        if any(their_meta.get(k) != mine_meta.get(k) for k in pins):
            raise UserError(
                f"{path} : cette copie suit le questionnaire {their_meta.get('referentiel_version')}, la campagne "
                f"le {mine_meta.get('referentiel_version')} ; passez les deux sur la même version "
                "(convergence migrate) puis fusionnez. Rien n'a été modifié.")
    except BaseException:
        theirs.close()
        raise
    return theirs


def _merge(session: Session, theirs: Store, source: str, prefer: str | None) -> Merged:
    mine_store = session._store
    ours_known, theirs_known = known(mine_store), known(theirs)
    mine, their_values = our_cells(session), cells(theirs)
    found, new_ids = plan(ours_known, theirs_known, mine, their_values)
    last_theirs = {(k.scope, k.field): (k.author, k.at) for k in theirs_known}
    # The row that set each value taken: its identity goes with the value (not recorded twice).
    setting = {(k.scope, k.field): k.identity for k in theirs_known if k.identity in new_ids}
    done = Merged(source)
    final = {**mine, **{k: v for k, v in found.takes.items() if v is not None}}
    for key, cell in found.takes.items():
        if cell is None:
            final.pop(key, None)

    new_conflicts: list[NewConflict] = []
    for (scope, fld), other in found.conflicts.items():
        who, when = last_theirs.get((scope, fld), ("?", ""))
        new_conflicts.append(NewConflict(new_uuid(), scope, fld, other, who, when))
    # Conflicts the teammate has not resolved travel with their answers (settled at once when this
    # file now holds the value they offer); those the teammate resolved close ours.
    ours_open = open_conflicts(mine_store)
    ours_seen = {c.uuid for c in ours_open} | resolved_conflicts(mine_store)
    for c in open_conflicts(theirs):
        if c.uuid in ours_seen:
            continue
        # The teammate had not chosen between their value and the one the conflict offers: offered here
        # is whichever of the two this file does not hold (their value first: it is "theirs").
        key = (c.scope, c.field)
        held, their_value = final.get(key), their_values.get(key)
        who, when = last_theirs.get(key, ("?", ""))
        if not same_answer(held, their_value) and key not in found.conflicts:  # (else offered above)
            new_conflicts.append(NewConflict(c.uuid, c.scope, c.field, their_value, who, when))
        elif not same_answer(held, c.other):
            new_conflicts.append(NewConflict(c.uuid, c.scope, c.field, c.other, c.other_author, c.other_at,
                                             direct=False))
        else:
            new_conflicts.append(NewConflict(c.uuid, c.scope, c.field, c.other, c.other_author, c.other_at,
                                             direct=False, settled=True))
    theirs_resolved = resolved_conflicts(theirs)
    # Closed: the teammate resolved it to the value we now hold, or the merge brought the value it offered.
    closed = [c.id for c in ours_open
              if (c.uuid in theirs_resolved and same_answer(final.get((c.scope, c.field)),
                                                             their_values.get((c.scope, c.field))))
              or ((c.scope, c.field) in found.takes and same_answer(final.get((c.scope, c.field)), c.other))]
    opened = [c for c in new_conflicts if not c.settled]
    resolutions = _resolutions(opened, final, prefer)
    takes = [Change(s, f, mine.get((s, f)), v) for (s, f), v in found.takes.items()]
    done.teammates = sorted({k.author for k in theirs_known if k.identity in new_ids})
    done.taken = sorted(found.takes)
    done.recorded = len(new_ids)
    done.closed = len(closed)
    done.settled = len(new_conflicts) - len(opened)
    if prefer:
        done.resolved = len(opened)
    else:
        done.conflicts = len(opened)
    if done.nothing_new:
        done.open_now = len(session.conflicts())
        return done
    write = MergeWrite(
        source=source, author=session.author,
        marker={"source": source, "teammates": done.teammates, "taken": len(takes),
                "conflicts": len(opened), "prefer": prefer},
        records=records(theirs, new_ids - {setting[(ch.scope, ch.field)] for ch in takes}),
        takes=[(ch, *last_theirs[(ch.scope, ch.field)], setting[(ch.scope, ch.field)]) for ch in takes],
        resolutions=resolutions, conflicts=new_conflicts, resolved=prefer or "", closed=closed,
    )
    from ..store.merging import write_merge

    session.merged(lambda store: write_merge(store, write), [*takes, *resolutions])
    done.open_now = len(session.conflicts())
    return done


def _resolutions(conflicts: Iterable[NewConflict], final: dict[Key, Cell], prefer: str | None) -> list[Change]:
    """--prefer: one journaled change per conflict, to the value kept (a resolution is a change).
    "theirs" is the value the other file holds: a conflict it carried keeps what the merge left."""
    if prefer is None:
        return []
    out: list[Change] = []
    for c in conflicts:
        current = final.get((c.scope, c.field))
        out.append(Change(c.scope, c.field, current, c.other if prefer == "theirs" and c.direct else current))
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
    session.commit([Change(conflict.scope, conflict.field, current, new)], op="resolve",
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
        values[(c.scope, c.field)] = new  # type: ignore[assignment]
    session.commit(changes, op="resolve", resolves=[c.id for c in conflicts], resolution=prefer)
    return len(conflicts)


def place(session: Session, conflict: Conflict) -> str:
    """Where a conflict is, in the screens' words."""
    from .writes import item_title
    from .writes import place as answer_place

    if conflict.field == ITEM_FIELD:
        return f"{item_title(session, conflict.scope)} (existence de l'élément)"
    return answer_place(session, conflict.scope, conflict.field)
