"""The one write path of an interactive session: every change is kept until it is in the file.

A change a person makes (an answer, a grid level or comment, an item added or deleted, the
sign-off) is a `Write`. `Writes.put()` queues it; `Writes.flush()` applies the queue in order and
stops at the first one the disk refuses (full disk, a lock held by another program, a read-only
folder): that one and everything after it stay queued, still answerable (`answer()`), to be shown
on screen as not saved and tried again. Nothing is dropped unless the person says so
(`drop_all()`, when they choose to quit and lose them).

Order is kept, so the file never holds a later change without an earlier one (a sign-off covers
exactly what was typed before it). A new value for an answer still queued replaces the queued one
in place, unless an item change or a sign-off was queued after it (then it is queued after them).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..campaign.data import CAMPAIGN, split_criterion_scope
from ..cells import Cell
from ..errors import UserError, counted
from ..escaping import printable

if TYPE_CHECKING:
    from .results import SaveResult
    from .session import Session

# How long an interactive write waits for a lock another program holds on the file (SQLite's
# busy timeout; Python's default is 5 s). The write runs on the UI thread: 5 s would freeze the
# screen on every key while, say, a database browser keeps a transaction open. We are the only
# convergence writer of the file (store/lock.py), so a lock is either a few milliseconds of another
# program's commit, which 100 ms covers (SQLite's busy handler retries within it), or held for long,
# and then waiting longer only freezes the screen: the write stays queued, shown as not saved, and
# the automatic retry (every 2 s) saves it once the lock is gone. The CLI keeps the default wait.
INTERACTIVE_LOCK_WAIT = 0.1

FIELD_WORDS = {"level": "niveau", "comment": "commentaire", "evidence": "preuve",
                    "justification": "justification NA"}


def shorten(text: Any, width: int = 40) -> str:
    s = " ".join(printable(text).split())
    return s if len(s) <= width else s[:width - 1] + "…"


def item_title(session: Session, item_id: str) -> str:
    """« frein n° 3 » as the lists number it (from 1, among the live items of its kind)."""
    item = session.data.items.get(item_id)
    if item is None:
        return "un élément"  # never an internal id on screen
    section = session.ref.list_section(item.kind)
    ids = session.data.live_ids(item.kind)
    n = f" n° {ids.index(item_id) + 1}" if item_id in ids else ""
    return f"{(section.item_label if section else '') or 'élément'}{n}"


def place(session: Session, scope: str, field_id: str) -> str:
    """Where an answer is, in the words of the screens."""
    crit = split_criterion_scope(scope)
    if crit:
        service = shorten(session.data.name_of(crit[0]) or crit[0], 30)
        return f"{crit[1]} ({service}) : {FIELD_WORDS.get(field_id, field_id)}"
    if scope == CAMPAIGN:
        q = session.ref.form_questions.get(field_id)
        return shorten(q.label if q else field_id, 50)
    item = session.data.items.get(scope)
    q = session.ref.item_questions(item.kind).get(field_id) if item else None
    return f"{item_title(session, scope)} : {shorten(q.label if q else field_id, 40)}"


class Write:
    """One change a person asked for. `key`: a later write with the same key replaces this one."""

    @property
    def key(self) -> tuple[str, str, str] | None:
        return None  # an item change or a sign-off: never replaced

    def check(self, session: Session) -> None:
        """Raise UserError when it could never be saved (read-only campaign, a missing name)."""
        if session.readonly:
            raise UserError(f"{session.path} : campagne ouverte en lecture seule ; aucune modification possible.")

    def changes_nothing(self, session: Session) -> bool:
        """True when the file already holds what this write would write (nothing to keep)."""
        return False

    def apply(self, session: Session) -> Any:
        raise NotImplementedError

    def describe(self, session: Session) -> str:
        raise NotImplementedError


@dataclass(frozen=True, eq=False)
class SetAnswer(Write):
    scope: str
    field: str
    raw: Any

    @property
    def key(self) -> tuple[str, str, str]:
        return ("answer", self.scope, self.field)

    def apply(self, session: Session) -> SaveResult:
        return session.set_answer(self.scope, self.field, self.raw)

    def changes_nothing(self, session: Session) -> bool:
        # Widgets re-post the value they show (leaving a field, a choice at mount): not a change. Only
        # known once every answer is read (a comment read later could differ).
        from .results import same_answer

        return session.complete and same_answer(session.data.cell(self.scope, self.field),
                                                session.validate(self.scope, self.field, self.raw))

    def describe(self, session: Session) -> str:
        value = "vide" if self.raw in (None, "", []) else f"« {shorten(self.raw)} »"
        return f"{place(session, self.scope, self.field)} = {value}"


@dataclass(frozen=True, eq=False)
class AddItem(Write):
    kind: str
    values: dict[str, Any] = field(default_factory=dict)

    def apply(self, session: Session) -> str:
        return session.add_item(self.kind, dict(self.values))

    def describe(self, session: Session) -> str:
        section = session.ref.list_section(self.kind)
        what = (section.item_label if section else "") or "élément"
        where = ""
        covers = self.values.get("covers") or []
        if len(covers) == 1:
            (service, criterion), = covers
            where = f" sur {criterion} ({shorten(session.data.name_of(service), 30)})"
        elif covers:
            where = f" sur {counted(len(covers), 'écart')}"
        return f"ajout d'un {what}{where}"


@dataclass(frozen=True, eq=False)
class DeleteItem(Write):
    item_id: str

    def apply(self, session: Session) -> list[str]:
        return session.delete_item(self.item_id)

    def describe(self, session: Session) -> str:
        name = session.data.name_of(self.item_id)
        return f"suppression du {item_title(session, self.item_id)}" + (f" « {shorten(name, 30)} »" if name else "")


@dataclass(frozen=True, eq=False)
class SignOff(Write):
    name: str
    role: str

    def check(self, session: Session) -> None:
        if session.readonly:
            raise UserError(f"{session.path} : campagne ouverte en lecture seule ; la validation n'est pas possible.")
        if not self.name.strip() or not self.role.strip():
            raise UserError("Validation : le nom et la fonction du responsable sont nécessaires.")

    def apply(self, session: Session) -> dict[str, Any]:
        from .review import sign_off

        return sign_off(session, self.name, self.role)

    def describe(self, session: Session) -> str:
        return f"validation de la campagne par {shorten(self.name, 30)} ({shorten(self.role, 30)})"


@dataclass
class Flushed:
    """What a flush did: the writes now in the file (with what each returned), and why the first
    one still queued is not (None when nothing is left)."""

    done: list[tuple[Write, Any]] = field(default_factory=list)
    failure: str | None = None
    caught_up: bool = False  # writes that had failed before are now all in the file

    def result_of(self, write: Write) -> Any:
        return next((r for w, r in self.done if w is write), None)


class Writes:
    """The queue of changes not yet in the file, applied in order (see the module's docstring)."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._queue: list[Write] = []
        self.failure: str | None = None  # why the head of the queue was refused, at the last try
        session.wait_for_locks(INTERACTIVE_LOCK_WAIT)

    @property
    def pending(self) -> tuple[Write, ...]:
        return tuple(self._queue)

    @property
    def failing(self) -> bool:
        return self.failure is not None

    def put(self, write: Write) -> None:
        """Queue a change (not written yet: see flush()); UserError if it can never be saved."""
        write.check(self.session)
        noop = write.changes_nothing(self.session)
        if write.key is not None:
            for i in range(len(self._queue) - 1, -1, -1):
                queued = self._queue[i]
                if queued.key is None:  # an item change or a sign-off: keep the order around it
                    break
                if queued.key == write.key:
                    if noop:  # back to what the file holds, and nothing after it depends on it
                        del self._queue[i]
                        if not self._queue:
                            self.failure = None  # nothing left that the file refused
                    else:
                        self._queue[i] = write
                    return
        if not noop or any(w.key == write.key for w in self._queue):
            self._queue.append(write)

    def flush(self) -> Flushed:
        """Apply the queue in order, stopping at the first write the file refuses (kept, with the
        rest: `failure` says why)."""
        out = Flushed()
        if not self.session.complete:
            # Typed in the first instants, while the campaign is still being read: kept, not waited
            # for (the screen flushes again once it is read).
            return out
        had_failed = self.failing
        while self._queue:
            write = self._queue[0]
            try:
                result = write.apply(self.session)
            except UserError as exc:  # SaveFailed, or a campaign that became read-only (damage found)
                self.failure = out.failure = exc.message
                return out
            self._queue.pop(0)
            out.done.append((write, result))
        self.failure = None
        out.caught_up = had_failed
        return out

    def answer(self, scope: str, field_id: str) -> SetAnswer | None:
        """The value queued for an answer (the latest), if any."""
        key = ("answer", scope, field_id)
        return next((w for w in reversed(self._queue) if isinstance(w, SetAnswer) and w.key == key), None)

    def shown_cell(self, scope: str, field_id: str) -> Cell | None:
        """The answer as the screen shows it: the queued value (checked as it will be stored) or
        the stored one."""
        queued = self.answer(scope, field_id)
        if queued is None:
            return self.session.data.cell(scope, field_id)
        return self.session.validate(scope, field_id, queued.raw)

    def describe(self) -> list[str]:
        """What is not in the file, one French line each, in order."""
        return [w.describe(self.session) for w in self._queue]

    def keep_elsewhere(self, folder: Path) -> Path:
        """Write what is queued to a file of its own (the program is being ended: a closed terminal,
        a shutdown) so that nothing is lost silently: what each change was, in words and as data."""
        import dataclasses
        import datetime as dt
        import json

        folder.mkdir(parents=True, exist_ok=True)
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
        target = folder / f"{self.session.path.stem}-{stamp}.json"
        # Every write queued is one of the dataclasses below; their base `Write` is not one.
        entries = [{"modification": w.describe(self.session), "type": type(w).__name__,
                    **dataclasses.asdict(w)}  # type: ignore[call-overload]
                   for w in self._queue]
        doc = {"campagne": str(self.session.path), "non_enregistre": entries}
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)  # names and e-mails: private
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(doc, f, ensure_ascii=False, indent=2, default=str)
        return target

    def drop_all(self) -> list[str]:
        """Forget every queued change (the person chose to quit without them); returns what was lost."""
        lost = self.describe()
        self._queue.clear()
        self.failure = None
        return lost
