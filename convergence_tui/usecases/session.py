"""One open campaign: the only way screens and commands read or change it.

The data path of one change: `set_answer()` validates the value, writes the value and its journal
row in one SQLite transaction (`commit()`, the one write path), updates the in-memory campaign, and
re-scores only the service it touches. The file itself (the store) is never handed out: screens
read `data` (the in-memory model, never to be changed but through these methods), the scores and
what the methods return. Opening (opening.py), background loading (loading.py), undo (undo.py)
and import (importing.py) live in modules of their own. Nothing here imports Textual.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Callable, Hashable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, cast

from ..campaign.answers import to_document
from ..campaign.data import CHILD_KINDS, CampaignData, Item
from ..campaign.problems import Problem, find_problems
from ..campaign.signoffs import SIGNOFFS, signoff_entries
from ..campaign.validation import validate_cell
from ..cells import ITEM_FIELD, Cell, Change, JournalRow
from ..errors import UserError
from ..referentiel import Criterion, Referentiel
from ..scoring import CampaignScores, Scorer, scores_document
from ..store import Store
from ..store.db import JOURNAL_ONLY
from .changes import areas_of, touched_services
from .loading import Loading, ReadsInBackground
from .opening import ReferentielChanged
from .results import SaveFailed, SaveResult, same_answer, save_failure

if TYPE_CHECKING:
    from ..store.merging import Conflict

T = TypeVar("T")
# What a cached figure was computed at: the loading stage, the scoring date and the areas' revisions.
Stamp = tuple[str, dt.date | None, tuple[int, ...]]


class Session(ReadsInBackground):
    def __init__(self, store: Store, ref: Referentiel, data: CampaignData, author: str, *,
                 scored: bool = True) -> None:
        self.locked_elsewhere = False
        # "first": only the campaign's own answers are in memory (see `lazy` in open());
        # "essential": plus what scores need; "complete": every answer.
        self.stage = "complete"
        self.damage: str | None = None  # set when a background integrity check fails
        self._loading: Loading | None = None
        self._store = store
        self.ref = ref
        self.data = data
        self.author = author
        self._date_override: dt.date | None = None
        self._scorer: Scorer | None = None
        self._scores: CampaignScores | None = None
        # Committed changes per area ("campaign", "campaign:<question>", "levels", or an item kind): a
        # view kept hidden is shown again only if nothing changed in the areas it shows (revision_of()).
        self.revisions: dict[str, int] = {}
        self._cache: dict[Hashable, tuple[Stamp, object]] = {}  # see cached()
        # Read once, here, on the session's own thread: an export made in a worker thread builds the
        # answers document (which carries them) without touching the database.
        self._signoffs: list[dict[str, Any]] = store.signoffs()
        if scored:
            self._rescore_all()

    # Read-only for callers: asking for them just after a `lazy` opening waits for the background read.
    def _scored(self) -> tuple[Scorer, CampaignScores]:
        if self._scores is None:
            self.ensure_essential()
        assert self._scorer is not None and self._scores is not None, "ensure_essential() scores the campaign"
        return self._scorer, self._scores

    @property
    def scorer(self) -> Scorer:
        return self._scored()[0]

    @property
    def scores(self) -> CampaignScores:
        return self._scored()[1]

    @property
    def scored(self) -> bool:
        """Whether scores are in memory (always, except just after a `lazy` opening)."""
        return self._scores is not None

    # --- opening (usecases/opening.py) -----------------------------------------------

    @classmethod
    def open(cls, db: Path | str, referentiel: Path | str | Referentiel | None = None, **options: Any) -> Session:
        """Open a campaign file: see `opening.open_campaign` for the options."""
        from .opening import open_campaign

        return open_campaign(cls, db, referentiel, **options)

    @classmethod
    def create(cls, db: Path | str, referentiel: Path | str | Referentiel | None = None, *, author: str,
               answers: dict[str, Any] | None = None) -> Session:
        """A new campaign file, pinned to the questionnaire, with its first form answers; open."""
        from .opening import creating_campaign

        with creating_campaign(cls, db, referentiel, author=author, answers=answers) as session:
            ref = session.ref
        return cls.open(db, ref, author=author)

    @classmethod
    def creating(cls, db: Path | str, referentiel: Path | str | Referentiel | None = None, *, author: str,
                 answers: dict[str, Any] | None = None) -> AbstractContextManager[Session]:
        """A new campaign being filled, given its name only if the block ends without error (see
        `opening.creating_campaign`)."""
        from .opening import creating_campaign

        return creating_campaign(cls, db, referentiel, author=author, answers=answers)

    def close(self) -> None:
        self._store.close()

    def backup(self) -> Path:
        """A consistent copy of the campaign, the last few kept (safe to call from a worker thread)."""
        from ..store.backups import make_backup

        return make_backup(self._store)

    @staticmethod
    def preload() -> None:
        """Load the write path's modules now, so the first keystroke does not pay for them."""
        from ..store.db import preload

        preload()

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- reading ---------------------------------------------------------------

    @property
    def readonly(self) -> bool:
        return self._store.readonly

    def meta(self) -> dict[str, Any]:
        return self._store.meta()

    def _scoring_date(self) -> dt.date:
        return self._date_override or self.data.reference_date or dt.date.today()

    @property
    def reference_date(self) -> dt.date:
        return self.scorer.date

    def use_date(self, date: dt.date | None) -> None:
        """Score at another date than the campaign's (`status --date`)."""
        self.ensure_essential()
        self._date_override = date
        self._rescore_all()

    def problems(self) -> list[Problem]:
        self.ensure_complete()
        return find_problems(self.data, self.scores, self.scorer)

    def answers_document(self) -> dict[str, Any]:
        """The answers document (DESIGN.md §5), with the sign-offs recorded in the campaign."""
        self.ensure_complete()
        doc = to_document(self.data)
        signoffs = self.signoffs()
        if signoffs:
            doc[SIGNOFFS] = signoff_entries(signoffs)
        return doc

    def scores_document(self) -> dict[str, Any]:
        return scores_document(self.ref, self.scores)

    def journal(self, limit: int | None = None, *, since: int = 0) -> list[JournalRow]:
        """The journal, newest first (after the row `since`, at most `limit` rows)."""
        return self._store.journal(since=since, limit=limit)

    def last_seq(self) -> int:
        """The position of the newest journal row (what a sign-off covers)."""
        return self._store.last_seq()

    def last_undoable_batch(self) -> list[JournalRow]:
        return self._store.last_undoable_batch()

    def conflicts(self) -> list[Conflict]:
        """The merge conflicts still open (usecases/merging.py), oldest first."""
        from ..store.merging import open_conflicts

        return self.cached("conflicts", ("conflicts",), lambda: open_conflicts(self._store))

    def last_changes(self) -> dict[tuple[str, str], tuple[str, str]]:
        """Who last changed each answer in conflict, and when."""
        from ..store.merging import last_changes

        return last_changes(self._store, [(c.scope, c.field) for c in self.conflicts()])

    def signoffs(self) -> list[dict[str, Any]]:
        """The sign-offs recorded in the campaign, oldest first (read at opening, kept up to date)."""
        return list(self._signoffs)

    def candidates(self, service_id: str) -> list[Criterion]:
        category = self.data.category_of(service_id)
        return self.ref.candidates(category or "")

    # --- changing answers ------------------------------------------------------

    def validate(self, scope: str, field: str, raw: Any) -> Cell | None:
        """The cell a raw input becomes: value, as typed, and the reason it is invalid."""
        return validate_cell(self.data, scope, field, raw)

    def set_answer(self, scope: str, field: str, raw: Any) -> SaveResult:
        """Validate and save one answer (valid or not); a no-op when nothing changed."""
        self.ensure_complete()
        new = self.validate(scope, field, raw)
        old = self.data.cell(scope, field)
        if same_answer(old, new):
            return SaveResult(scope, field, old, changed=False)
        rescored = self.commit([Change(scope, field, old, new)])
        return SaveResult(scope, field, new, changed=True, rescored=rescored)

    def set_level(self, service_id: str, criterion_id: str, level: int | str | None) -> SaveResult:
        return self.set_answer(f"{service_id}/{criterion_id}", "level", level)

    def set_many(self, scope: str, values: dict[str, Any]) -> list[SaveResult]:
        """Several answers of one scope in one transaction (one undo step)."""
        self.ensure_complete()
        changes = []
        for field, raw in values.items():
            new, old = self.validate(scope, field, raw), self.data.cell(scope, field)
            if not same_answer(old, new):
                changes.append(Change(scope, field, old, new))
        rescored = self.commit(changes) if changes else ()
        return [SaveResult(c.scope, c.field, c.new, True, rescored) for c in changes]

    # --- repeating items -------------------------------------------------------

    def add_item(self, kind: str, values: dict[str, Any] | None = None) -> str:
        """A new item with a stable id, pre-filled with `values`, as one undo step."""
        self.ensure_complete()
        item_id = self.data.next_id(kind)
        item = Item(item_id, kind, self.data.next_position(kind))
        changes = [Change(item_id, ITEM_FIELD, None, Cell(item.state()))]
        # Validate after the item exists so that references resolve.
        self.data.put_item(item, item_id)
        try:
            for field, raw in (values or {}).items():
                cell = self.validate(item_id, field, raw)
                if cell is not None:
                    changes.append(Change(item_id, field, None, cell))
        finally:
            self.data.put_item(None, item_id)
        self.commit(changes)
        return item_id

    def dependents(self, item_id: str) -> list[Item]:
        """Items that go with a service when it is deleted."""
        self.ensure_complete()
        item = self.data.items[item_id]
        return self.data.children(item_id) if item.kind == "service" else []

    def delete_item(self, item_id: str) -> list[str]:
        """Delete an item (and a service's indicators, finances, blockers, actions), journaled and undoable."""
        from .covers import without_service

        targets = [self.data.items[item_id], *self.dependents(item_id)]
        changes = [
            Change(i.id, ITEM_FIELD, Cell(i.state()), Cell({**i.state(), "deleted": True}))
            for i in targets
            if not i.deleted
        ]
        if self.data.items[item_id].kind == "service":
            changes += without_service(self, item_id)
        self.commit(changes, op="delete")
        return [c.scope for c in changes if c.field == ITEM_FIELD]

    def undo(self) -> list[JournalRow]:
        """Revert the last change still in effect (a whole batch): see `undo.undo`."""
        from .undo import undo

        return undo(self)

    def import_document(self, obj: Any, source: str, *, replace: bool = False) -> CampaignData:
        """Load an answers document: see `importing.import_document`."""
        from .importing import import_document

        return import_document(self, obj, source, replace=replace)

    # --- the one write path ----------------------------------------------------

    @contextmanager
    def _writing(self) -> Iterator[None]:
        """Around every write: never into an unchecked or read-only file; a write the disk refuses
        is a `SaveFailed` (nothing changed in the file or in memory), never a traceback."""
        self.ensure_essential()  # the integrity check and the scores come first
        if self.readonly:
            raise UserError(f"{self.path} : campagne ouverte en lecture seule ; aucune modification possible.")
        try:
            yield
        except sqlite3.Error as exc:
            raise SaveFailed(save_failure(self.path, exc)) from None

    def wait_for_locks(self, seconds: float) -> None:
        """How long a write waits for a lock another program holds on the file before failing."""
        self._store.set_busy_timeout(seconds)

    def add_signoff(self, name: str, role: str, digest: str, journal_seq: int, scores: dict[str, Any]
                    ) -> dict[str, Any]:
        """Record a sign-off (see signoff.sign_off) through the write path."""
        with self._writing():
            record = self._store.add_signoff(name, role, digest, journal_seq, scores)
        self._signoffs = [*self.signoffs(), record]
        return record

    def set_meta(self, **values: Any) -> None:
        """Keep what the program remembers about the campaign (the comparison's baseline): not an
        answer, so neither journaled nor undone, and it does not withdraw a sign-off."""
        with self._writing():
            self._store.set_meta(**values)

    def commit(self, changes: list[Change], *, op: str = "set", undoes: int | None = None,
               resolves: Sequence[int] = (), resolution: str = "") -> tuple[str, ...]:
        """Write changes and their journal rows in one transaction, then update the campaign in memory
        and re-score what they touch; returns the services re-scored (("*",) for all). The one write
        path: every use case that changes the campaign comes through here (a merge's batch too:
        `merged`). `resolves`: the merge conflicts these changes resolve."""
        self.ensure_essential()  # the items, for what the changes touch
        with self._writing():
            self._store.apply(changes, self.author, op=op, undoes=undoes, resolves=resolves,
                              resolution=resolution)
        if op in ("resolve", "undo"):  # what can open or close a conflict (not a keystroke's save)
            self._conflicts_changed()
        return self._remember(changes)

    def merged(self, write: Callable[[Store], object], changes: list[Change]) -> tuple[str, ...]:
        """A merge (usecases/merging.py): `write` puts its batch in the file in one transaction; the
        campaign in memory then takes `changes`, the values it brought."""
        self.ensure_essential()
        with self._writing():
            write(self._store)
        self._conflicts_changed()
        return self._remember(changes)

    def _conflicts_changed(self) -> None:
        self.revisions["conflicts"] = self.revisions.get("conflicts", 0) + 1

    def _remember(self, changes: list[Change]) -> tuple[str, ...]:
        """The campaign in memory after committed changes, re-scored where they touch."""
        # (A resolution keeping "no such item" changes nothing here, though it is journaled.)
        changes = [ch for ch in changes if ch.field != JOURNAL_ONLY and (ch.old, ch.new) != (None, None)]
        before = touched_services(self.data, changes)
        for area in areas_of(self.data, changes):
            self.revisions[area] = self.revisions.get(area, 0) + 1
        for ch in changes:
            if ch.field == ITEM_FIELD:
                state = ch.new.value if ch.new else None
                self.data.put_item(
                    Item(ch.scope, state["kind"], state["position"], bool(state.get("deleted"))) if state else None,
                    ch.scope,
                )
            else:
                self.data.put(ch.scope, ch.field, ch.new)
        touched = before | touched_services(self.data, changes)
        if "*" in touched:
            self._rescore_all()
            return ("*",)
        for sid in touched:
            if self.data.is_live(sid):
                self._scores = self.scorer.rescore_one(self.scores, self.data.service_input(sid))
        return tuple(sorted(touched))

    def cached(self, key: Hashable, areas: Iterable[str], compute: Callable[[], T]) -> T:
        """`compute()` once per state of `areas` (see revision_of), of the loading stage and of the
        scoring date: figures every screen shows (a section's progress) are not recounted on each
        visit or each key, only after a change where they come from."""
        stamp = (self.stage, self._date_override, self.revision_of(areas))
        hit = self._cache.get(key)
        if hit is not None and hit[0] == stamp:
            return cast(T, hit[1])  # stored by compute() for the same key
        value = compute()
        self._cache[key] = (stamp, value)
        return value

    def revision_of(self, areas: Iterable[str]) -> tuple[int, ...]:
        """Where the areas stand (changes committed in each); equal tuples: nothing there changed."""
        return tuple(self.revisions.get(a, 0) for a in sorted(areas))

    def _rescore_all(self) -> None:
        self._scorer = Scorer(self.ref, self._scoring_date())
        self._scores = self._scorer.score_all(self.data.service_inputs())


__all__ = ["CHILD_KINDS", "ReferentielChanged", "SaveFailed", "SaveResult", "Session"]
