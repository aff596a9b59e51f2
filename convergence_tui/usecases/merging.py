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
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ..campaign.data import split_criterion_scope
from ..cells import ITEM_FIELD, Cell, Change
from ..errors import UserError
from ..escaping import printable
from ..store import Store
from ..store.db import JOURNAL_ONLY
from ..store.merging import (
    Also,
    Known,
    MergeWrite,
    NewConflict,
    batch_rows,
    known,
    last_batch,
    last_changes,
    new_uuid,
    open_conflicts,
    records,
    resolved_conflicts,
    values,
)
from ..wording import counted
from .results import same_answer

if TYPE_CHECKING:
    from .session import Session

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


def our_cell(session: Session, key: Key) -> Cell | None:
    if key[1] == ITEM_FIELD:
        item = session.data.items.get(key[0])
        return Cell(item.state()) if item is not None else None
    return session.data.cells.get(key)


@dataclass
class Plan:
    takes: dict[Key, Cell | None] = field(default_factory=dict)
    conflicts: dict[Key, Cell | None] = field(default_factory=dict)
    new_rows: list[Known] = field(default_factory=list)  # their rows this file does not know, oldest first
    theirs: dict[Key, Cell] = field(default_factory=dict)  # their values of the keys looked at


def plan(ours: list[Known], theirs: list[Known], our_value: Callable[[Key], Cell | None],
         their_values: Callable[[Iterable[Key]], dict[Key, Cell]], more: Iterable[Key] = ()) -> Plan:
    """What to take and what is in conflict. `their_values` is asked once, for the keys that matter
    (and `more`): a merge reads of the other file only what changed there."""
    our_ids = {k[0] for k in ours}
    their_ids = {k[0] for k in theirs}
    out = Plan(new_rows=[k for k in theirs if k[0] not in our_ids])
    changed_ours = {(k[1], k[2]) for k in ours if k[0] not in their_ids}
    changed_theirs = {(k[1], k[2]) for k in out.new_rows}
    deleted_here = {key for key in changed_ours if key[1] == ITEM_FIELD and removed(our_value(key))}
    out.theirs = their_values(changed_theirs | deleted_here | set(more))
    their_value = out.theirs.get
    for key in changed_theirs:
        mine, other = our_value(key), their_value(key)
        if same_answer(mine, other):
            continue
        (out.conflicts if key in changed_ours else out.takes)[key] = other
    # An item deleted on one side and changed on the other: the item itself is in conflict.
    edited_ours = {item_of(s) for s, f in changed_ours if f != ITEM_FIELD}
    edited_theirs = {item_of(s) for s, f in changed_theirs if f != ITEM_FIELD}
    for key, other in list(out.takes.items()):
        if key[1] == ITEM_FIELD and removed(other) and not removed(our_value(key)) and key[0] in edited_ours:
            out.conflicts[key] = out.takes.pop(key)
    for key in deleted_here:
        if key not in changed_theirs and key[0] in edited_theirs and not removed(their_value(key)):
            out.conflicts[key] = their_value(key)
    return out


def merge(session: Session, other: Path | str, *, prefer: str | None = None) -> Merged:
    """Bring a teammate's copy in (read-only: their file is never changed). Another campaign's file,
    a damaged one, one of another questionnaire or a newer schema: UserError, nothing written."""
    session.ensure_complete()
    if session.readonly:
        raise UserError(f"{session.path} : campagne ouverte en lecture seule ; la fusion n'est pas possible.")
    path = Path(other).expanduser()  # typed in the TUI, no shell expands « ~ »
    theirs = _open_theirs(session, path)
    try:
        return _merge(session, theirs, printable(str(other)), prefer)
    finally:
        theirs.close()


def _open_theirs(session: Session, path: Path) -> Store:
    if path.exists() and os.path.samefile(path, session.path):
        raise UserError(f"{path} : c'est le fichier de la campagne ouverte ; indiquez la copie d'un équipier.")
    try:
        theirs = Store.open(path, readonly=True)
    except UserError:
        # The store's own words speak of --db and of creating the file: here it is a teammate's copy.
        problem = _not_a_copy(path)
        if problem:
            raise UserError(f"{printable(str(path))} : {problem}. Rien n'a été modifié.") from None
        raise
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


def _not_a_copy(path: Path) -> str | None:
    """Why `path` cannot be a teammate's copy at all (absent, a folder, not a campaign), or None."""
    from ..store.sqlite import SQLITE_MAGIC, reader

    copy = "la copie d'un coéquipier (écrite par « convergence copy »)"
    if not path.exists():
        return f"fichier introuvable ; vérifiez le chemin de {copy}"
    if path.is_dir():
        return f"c'est un dossier ; indiquez le fichier .sqlite de {copy}"
    try:
        with path.open("rb") as f:
            campaign = f.read(len(SQLITE_MAGIC)) == SQLITE_MAGIC
        if campaign:  # a SQLite file no campaign was ever written in has schema version 0
            conn = reader(path)
            try:
                campaign = conn.execute("PRAGMA user_version").fetchone()[0] > 0
            finally:
                conn.close()
    except (OSError, sqlite3.Error):
        return None  # the store's own words (rights, damage) say it best
    return None if campaign else f"ce fichier n'est pas une campagne convergence-tui ; indiquez {copy}"


def _merge(session: Session, theirs: Store, source: str, prefer: str | None) -> Merged:
    mine_store = session._store
    ours_open, theirs_open = open_conflicts(mine_store), open_conflicts(theirs)
    found = plan(known(mine_store), known(theirs), lambda key: our_cell(session, key),
                 lambda keys: values(theirs, keys),
                 more=[*((c.scope, c.field) for c in (*ours_open, *theirs_open)),
                       *((s, f) for c in ours_open for s, f, _v in c.also)])
    new_ids = {k[0] for k in found.new_rows}
    last_theirs = {(k[1], k[2]): (k[4], k[3]) for k in found.new_rows}  # who and when, their latest change
    # The row that set each value taken: its identity goes with the value (not recorded twice).
    setting = {(k[1], k[2]): k for k in found.new_rows}
    their_values = found.theirs
    done = Merged(source)

    # Who worked on an item there last (any of its answers): the person an existence conflict names.
    worked = {item_of(k[1]): (k[4], k[3]) for k in found.new_rows}

    def who_when(key: Key) -> tuple[str, str]:
        """Who made their value, and when (a value they hold since before the common history too)."""
        if key[1] == ITEM_FIELD and key[0] in worked:
            return worked[key[0]]
        return last_theirs.get(key) or last_changes(theirs, [key]).get(key, ("?", ""))

    def final_of(key: Key) -> Cell | None:
        return found.takes[key] if key in found.takes else our_cell(session, key)

    also = _deletions(session, found, setting)
    new_conflicts: list[NewConflict] = []
    for (scope, fld), other in sorted(found.conflicts.items(), key=lambda kv: kv[0]):  # the same order everywhere
        new_conflicts.append(NewConflict(new_uuid(), scope, fld, other, *who_when((scope, fld)),
                                         also=also.get((scope, fld), ())))
    # Conflicts the teammate has not resolved travel with their answers (settled at once when this
    # file now holds the value they offer); those the teammate resolved close ours.
    ours_seen = {c.uuid for c in ours_open} | resolved_conflicts(mine_store)
    for c in theirs_open:
        if c.uuid in ours_seen:
            continue
        # The teammate had not chosen between their value and the one the conflict offers: offered here
        # is whichever of the two this file does not hold (their value first: it is "theirs").
        key = (c.scope, c.field)
        held, their_value = final_of(key), their_values.get(key)
        if not same_answer(held, their_value) and key not in found.conflicts:  # (else offered above)
            new_conflicts.append(NewConflict(c.uuid, c.scope, c.field, their_value, *who_when(key)))
        elif not same_answer(held, c.other):  # with the rest of its deletion: the choice decides it here too
            new_conflicts.append(NewConflict(c.uuid, c.scope, c.field, c.other, c.other_author, c.other_at,
                                             direct=False, also=c.also))
        else:
            new_conflicts.append(NewConflict(c.uuid, c.scope, c.field, c.other, c.other_author, c.other_at,
                                             direct=False, settled=True))
    theirs_resolved = resolved_conflicts(theirs)
    # Closed: the teammate resolved it to the value we now hold, or the merge brought the value it offered.
    closed = [c.id for c in ours_open
              if (c.uuid in theirs_resolved and same_answer(final_of((c.scope, c.field)),
                                                             their_values.get((c.scope, c.field))))
              or ((c.scope, c.field) in found.takes and same_answer(final_of((c.scope, c.field)), c.other))]
    # A conflict on an item closed by the teammate's decision: what went with it follows that decision
    # (their values), as it would have followed ours.
    for c in ours_open:
        if c.id in closed:
            for s_, f_, _v in c.also:
                key = (s_, f_)
                if key not in found.takes and not same_answer(our_cell(session, key), their_values.get(key)):
                    found.takes[key] = their_values.get(key)
    opened = [c for c in new_conflicts if not c.settled]
    resolutions = _resolutions(opened, final_of, prefer)
    takes = [Change(s, f, our_cell(session, (s, f)), v) for (s, f), v in found.takes.items()]
    done.teammates = sorted({k[4] for k in found.new_rows})
    done.taken = sorted(found.takes)
    done.recorded = len(new_ids)
    done.closed = len(closed)
    done.settled = len(new_conflicts) - len(opened)
    if prefer:
        done.resolved = len(opened)
    else:
        done.conflicts = len(opened)
    if done.nothing_new:
        return done
    taken_by = {setting[(ch.scope, ch.field)][0] for ch in takes if (ch.scope, ch.field) in setting}
    write = MergeWrite(
        source=source, author=session.author,
        marker={"source": source, "teammates": done.teammates, "taken": len(takes),
                "conflicts": len(opened), "prefer": prefer},
        records=records(theirs, [k[5] for k in found.new_rows if k[0] not in taken_by]),
        takes=[(ch, *who_when((ch.scope, ch.field)), setting[(ch.scope, ch.field)][0]
                if (ch.scope, ch.field) in setting else None) for ch in takes],
        resolutions=resolutions, conflicts=new_conflicts, resolved=prefer or "", closed=closed,
    )
    from ..store.merging import write_merge

    session.merged(lambda store: write_merge(store, write), [*takes, *resolutions])
    return done


def _deletions(session: Session, found: Plan, setting: dict[Key, Known]) -> dict[Key, Also]:
    """For each item's existence in conflict, the rest of the deletion, which goes with it: deleted
    there, their deletion's other changes (its indicators, blockers, actions, the gaps they covered)
    wait with the conflict instead of being taken; deleted here, what restoring it must bring back
    (the deletion's changes that nothing changed since)."""
    also: dict[Key, Also] = {}
    for key, other in found.conflicts.items():
        if key[1] != ITEM_FIELD:
            continue
        if removed(other):
            deleting = setting.get(key)
            if deleting is None:
                continue
            held = sorted(k for k in found.takes if setting[k][6] == deleting[6] and k != key
                          and _goes_with(session, key[0], k, our_cell(session, k)))
            also[key] = tuple((s, f, found.takes.pop((s, f))) for s, f in held)
        else:
            batch = last_batch(session._store, key)
            if batch is None:
                continue
            also[key] = tuple((s, f, old) for s, f, old, new in batch_rows(session._store, batch)
                              if (s, f) != key and f != JOURNAL_ONLY and _goes_with(session, key[0], (s, f), old)
                              and same_answer(our_cell(session, (s, f)), new))
    return also


def _goes_with(session: Session, item: str, key: Key, before: Cell | None) -> bool:
    """Whether a change of a batch is part of deleting `item` (Session.delete_item): one of its answers,
    one of its indicators, finances, blockers or actions, or a gap of it a blocker or action covered.
    (A batch a merge wrote holds other changes too: only these go with the item.)"""
    scope, fld = key
    if item_of(scope) == item:
        return True
    if fld == ITEM_FIELD:
        return bool(session.data.value(scope, "service") == item)
    if fld == "covers" and before is not None and isinstance(before.value, list):
        return any(isinstance(pair, list | tuple) and pair and pair[0] == item for pair in before.value)
    return False


def _resolutions(conflicts: Iterable[NewConflict], final: Callable[[Key], Cell | None], prefer: str | None
                 ) -> list[Change]:
    """--prefer: one journaled change per conflict, to the value kept (a resolution is a change).
    "theirs" is the value the other file holds: a conflict it carried keeps what the merge left."""
    if prefer is None:
        return []
    out: list[Change] = []
    for c in conflicts:
        current = final((c.scope, c.field))
        take = prefer == "theirs" and c.direct
        out.append(Change(c.scope, c.field, current, c.other if take else current))
        out += [Change(s, f, final((s, f)), v if take else final((s, f))) for s, f, v in c.also]
    return out
