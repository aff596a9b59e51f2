"""Use cases on one open campaign: the only way screens and commands change anything.

The data path of one change: `set_answer()` validates the value, writes the
value and its journal row in one SQLite transaction, updates the in-memory
campaign, and re-scores only the service it touches. Nothing here imports
Textual; the app turns results into messages.
"""

from __future__ import annotations

import datetime as dt
import gc
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import __version__
from ..campaign.answers import read_document, to_document
from ..campaign.data import CAMPAIGN, CHILD_KINDS, CampaignData, Item, paused_gc, split_criterion_scope
from ..campaign.problems import Problem, find_problems
from ..campaign.signoffs import SIGNOFFS, signoff_entries
from ..campaign.validation import validate_cell
from ..errors import CampaignLocked, UserError
from ..referentiel import Referentiel
from ..referentiel import load as load_referentiel
from ..scoring import CampaignScores, Scorer, scores_document
from ..store import ITEM_FIELD, Cell, Change, JournalRow, Store, now_utc
from ..store.db import check_integrity, read_answers, read_items, reader, sqlite_problem
from ..store.files import new_campaign_file

ACTION_SCORED_FIELDS = {"service", "criterion", "target_level", "due", "status"}
SERVICE_SCORED_FIELDS = {"name", "category"}
DEFAULT_AUTHOR = "anonyme"


class ReferentielChanged(UserError):
    """The campaign was filled with another version of the questionnaire."""


class SaveFailed(UserError):
    """The disk refused a write: the value is not saved and must be kept by the caller."""


def save_failure(path: Path, exc: sqlite3.Error) -> str:
    """Why a write was refused, and what to do, in one French sentence (said the same way by the
    CLI and the TUI; the TUI says on its own that the value waits on screen)."""
    why, fix = sqlite_problem(path, exc)
    return f"Enregistrement impossible dans {path} : {why} ; {fix}."


@dataclass(frozen=True, slots=True)
class SaveResult:
    scope: str
    field: str
    cell: Cell | None
    changed: bool  # False when the value was already stored (nothing written)
    rescored: tuple[str, ...] = ()  # services whose scores changed; ("*",) for all

    @property
    def error(self) -> str | None:
        return self.cell.error if self.cell else None


def same_answer(old: Cell | None, new: Cell | None) -> bool:
    """Equal for saving purposes: a valid value equals itself however it was typed.

    Widgets re-emit values when they are restored (a choice at mount, an Input
    when set in code): these must not become journal rows.
    """
    if old is None or new is None:
        return old is new
    if old.error is None and new.error is None:
        return old.value == new.value and type(old.value) is type(new.value)
    return old == new


class _Loading:
    """The rest of a campaign opened with `lazy`, read by a thread of its own (with its own read-only
    connection): first what scores need, then the long lists. The main thread installs the results
    (`Session.ensure_essential`, `ensure_complete`), waiting for them if it needs them sooner."""

    def __init__(self, path: Path, ref: Referentiel, date: dt.date, check: bool,
                 notify: Callable[[str], None] | None) -> None:
        self.essential: tuple | None = None  # (data, scorer, scores, damage)
        self.deferred: list | None = None
        self.error: Exception | None = None
        self.essential_ready = threading.Event()
        self.complete_ready = threading.Event()
        self._args = (path, ref, date, check)
        self._notify = notify or (lambda stage: None)
        # A daemon: quitting does not wait for a read nobody needs any more.
        threading.Thread(target=self._run, name="convergence-load", daemon=True).start()

    def _run(self) -> None:
        path, ref, date, check = self._args
        try:
            conn = reader(path)
            try:
                damage = None
                if check:
                    try:
                        check_integrity(conn)
                    except sqlite3.DatabaseError as exc:
                        damage = str(exc)
                data = CampaignData(ref)
                with paused_gc():
                    data.load(read_items(conn), read_answers(conn, "essential"))
                scorer = Scorer(ref, date)
                self.essential = (data, scorer, scorer.score_all(data.service_inputs()), damage)
                self.essential_ready.set()
                self._notify("essential")
                with paused_gc():
                    self.deferred = list(read_answers(conn, "deferred"))
            finally:
                conn.close()
        except Exception as exc:  # noqa: BLE001 - handed to the main thread, which says it
            self.error = exc
        finally:
            self.essential_ready.set()
            self.complete_ready.set()
            self._notify("complete")


class Session:
    def __init__(self, store: Store, ref: Referentiel, data: CampaignData, author: str, *,
                 scored: bool = True) -> None:
        self.locked_elsewhere = False
        # "first": only the campaign's own answers are in memory (see `lazy` in open());
        # "essential": plus what scores need; "complete": every answer.
        self.stage = "complete"
        self.damage: str | None = None  # set when a background integrity check fails
        self._loading: _Loading | None = None
        self.store = store
        self.ref = ref
        self.data = data
        self.author = author
        self._date_override: dt.date | None = None
        self._scorer: Scorer | None = None
        self._scores: CampaignScores | None = None
        # Committed changes per area ("campaign", "campaign:<question>", "levels", or an item kind): a
        # view kept hidden is shown again only if nothing changed in the areas it shows (revision_of()).
        self.revisions: dict[str, int] = {}
        self._cache: dict[Any, tuple] = {}  # see cached()
        if scored:
            self._rescore_all()

    # Read-only for callers: asking for them just after a `lazy` opening waits for the background read.
    @property
    def scorer(self) -> Scorer:
        if self._scorer is None:
            self.ensure_essential()
        return self._scorer

    @property
    def scores(self) -> CampaignScores:
        if self._scores is None:
            self.ensure_essential()
        return self._scores

    @property
    def complete(self) -> bool:
        return self.stage == "complete"

    @property
    def scored(self) -> bool:
        """Whether scores are in memory (always, except just after a `lazy` opening)."""
        return self._scores is not None

    # --- opening ---------------------------------------------------------------

    @classmethod
    def open(
        cls,
        db: Path | str,
        referentiel: Path | str | Referentiel | None = None,
        *,
        readonly: bool = False,
        author: str | None = None,
        migrate: bool = False,
        fallback_readonly: bool = False,
        lazy: bool = False,
    ) -> Session:
        """Open a campaign. `fallback_readonly`: when another instance writes it, open it read-only
        (the TUI then says so) instead of refusing. `lazy`: load only what the first screen shows
        (the campaign's own answers: the opening view, the first form); the integrity check, the
        items, the scores and the other answers come from `load_in_background()` or, at the latest,
        with the first use that needs them
        (`ensure_essential()`, `ensure_complete()`); nothing is written before the check."""
        ref = referentiel if isinstance(referentiel, Referentiel) else load_referentiel(referentiel)
        locked_elsewhere = False
        try:
            store = Store.open(db, readonly=readonly, check=not lazy or migrate)
        except CampaignLocked:
            if not fallback_readonly:
                raise
            store = Store.open(db, readonly=True)
            locked_elsewhere = True
        try:
            meta = store.meta()
            pinned = (meta.get("referentiel_id"), meta.get("referentiel_version"), meta.get("referentiel_sha256"))
            if pinned[0] not in (None, ref.referentiel.id):
                raise UserError(
                    f"{db} : campagne d'un autre questionnaire (« {pinned[0]} ») que celui chargé "
                    f"(« {ref.referentiel.id} ») ; passez le bon fichier avec --referentiel."
                )
            changed = pinned[0] is not None and pinned[2] not in (None, ref.sha256)
            if changed and not migrate and not store.readonly:
                what = (f"la version {pinned[1]}" if pinned[1] != ref.referentiel.version
                        else f"une autre variante de la version {pinned[1]}")
                raise ReferentielChanged(
                    f"{db} : campagne remplie avec {what} du questionnaire ; le questionnaire chargé est la "
                    f"version {ref.referentiel.version}. Lancez « convergence migrate --db {db} » pour passer à "
                    "cette version : toutes les réponses sont gardées (celles qui ne correspondent plus à rien "
                    "restent listées comme orphelines)."
                )
            data = CampaignData(ref)
            with paused_gc():
                # Lazy: no item at all (services, actions… come with the background read).
                data.load([] if lazy else store.items(), store.answers("first" if lazy else "all"))
        except BaseException:
            store.close()
            raise
        # The campaign's ~100,000 cells live as long as the session: keep the
        # cyclic GC from walking them on every collection (50 ms pauses).
        gc.freeze()
        session = cls(store, ref, data, author or meta.get("author") or DEFAULT_AUTHOR, scored=not lazy)
        session.locked_elsewhere = locked_elsewhere
        session.stage = "first" if lazy else "complete"
        if changed and migrate and not store.readonly:
            session._repin(pinned)
        return session

    def _repin(self, old: tuple) -> None:
        """Follow a new questionnaire version: a journaled change of the pin, no answer touched."""
        ref = self.ref
        new = {"id": ref.referentiel.id, "version": ref.referentiel.version, "sha256": ref.sha256}
        before = {"id": old[0], "version": old[1], "sha256": old[2]}
        self.store.repin(before, new, self.author)

    @classmethod
    def create(
        cls,
        db: Path | str,
        referentiel: Path | str | Referentiel | None = None,
        *,
        author: str,
        answers: dict[str, Any] | None = None,
    ) -> Session:
        """A new campaign file, pinned to the questionnaire, with its first form answers; open."""
        ref = referentiel if isinstance(referentiel, Referentiel) else load_referentiel(referentiel)
        with cls.creating(db, ref, author=author, answers=answers):
            pass
        return cls.open(db, ref, author=author)

    @classmethod
    @contextmanager
    def creating(
        cls,
        db: Path | str,
        referentiel: Path | str | Referentiel | None = None,
        *,
        author: str,
        answers: dict[str, Any] | None = None,
    ) -> Iterator[Session]:
        """A new campaign being filled (demo, import into a new file): built under a temporary name
        and given its name only when the block ends without error, so a failure leaves nothing."""
        ref = referentiel if isinstance(referentiel, Referentiel) else load_referentiel(referentiel)
        path = Path(db)
        if path.exists() and path.stat().st_size > 0:
            raise UserError(f"{path} : ce fichier existe déjà ; choisissez un autre nom ou ouvrez-le.")
        with new_campaign_file(path) as tmp:
            store = Store.open(tmp, create=True)
            try:
                store.set_meta(
                    referentiel_id=ref.referentiel.id,
                    referentiel_version=ref.referentiel.version,
                    referentiel_sha256=ref.sha256,
                    created_at=now_utc(),
                    tool_version=__version__,
                    author=author,
                )
                session = cls(store, ref, CampaignData(ref), author)
                if answers:
                    session.set_many(CAMPAIGN, answers)
                yield session
            finally:
                store.close()

    def close(self) -> None:
        self.store.close()

    # --- lazy loading ------------------------------------------------------------

    def load_in_background(self, notify: Callable[[str], None] | None = None) -> None:
        """Read the rest of a `lazy` campaign in a thread; `notify("essential")` then `notify("complete")`
        are called from that thread (they must not block) when each part can be installed."""
        if self.stage != "complete" and self._loading is None:
            self._loading = _Loading(self.store.path, self.ref, self._scoring_date(), not self.store.checked,
                                     notify)

    def ensure_essential(self) -> None:
        """Install the scores and the answers they need, waiting for the background read if needed."""
        if self.stage != "first":
            return
        self.load_in_background()
        loading = self._loading
        loading.essential_ready.wait()
        if loading.essential is None:
            # Unreadable past what the first screen shows: that stays on screen, scored as it is,
            # and nothing is ever written.
            self._rescore_all()
            self._damaged(str(loading.error))
        else:
            self.data, self._scorer, self._scores, damage = loading.essential
            self.store.checked = True
            if damage:
                self._damaged(damage)
        self.stage = "essential"
        gc.freeze()

    def ensure_complete(self) -> None:
        """Load the deferred answers now if the background read has not brought them yet."""
        if self.stage == "complete":
            return
        self.ensure_essential()
        loading = self._loading
        loading.complete_ready.wait()
        if loading.deferred is None:  # the read failed: nothing more to show, nothing written
            self._damaged(str(loading.error))
        with paused_gc():
            self.data.add_cells(loading.deferred or [])
        self.stage = "complete"
        self._loading = None
        gc.freeze()

    def _damaged(self, reason: str) -> None:
        # Never write into a damaged file: what is on screen stays readable, nothing is changed.
        self.store.readonly = True
        self.damage = self.damage or (
            f"{self.path} : fichier de campagne endommagé ({reason}) ; il est ouvert en LECTURE SEULE. "
            "Restaurez une sauvegarde (« convergence restore ») avant de le modifier.")

    def section_loaded(self, section) -> bool:
        """Whether a section's figures can be shown without loading the deferred answers."""
        if self.stage == "first":
            return section.kind == "form"
        return self.complete or section.kind in ("form", "grid", "validation") or (
            section.kind == "list" and section.item == "service")

    def backup(self):
        """A consistent copy of the campaign, the last few kept (safe to call from a worker thread)."""
        from ..store.backups import make_backup

        return make_backup(self.store)

    @staticmethod
    def preload() -> None:
        """Load the write path's modules now, so the first keystroke does not pay for them."""
        from ..store.db import preload

        preload()

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # --- reading ---------------------------------------------------------------

    @property
    def readonly(self) -> bool:
        return self.store.readonly

    @property
    def path(self) -> Path:
        return self.store.path

    def meta(self) -> dict[str, Any]:
        return self.store.meta()

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

    def answers_document(self) -> dict:
        """The answers document (DESIGN.md §5), with the sign-offs recorded in the campaign."""
        self.ensure_complete()
        doc = to_document(self.data)
        signoffs = self.store.signoffs()
        if signoffs:
            doc[SIGNOFFS] = signoff_entries(signoffs)
        return doc

    def scores_document(self) -> dict:
        return scores_document(self.ref, self.scores)

    def journal(self, limit: int | None = None) -> list[JournalRow]:
        return self.store.journal(limit=limit)

    def candidates(self, service_id: str):
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
        rescored = self._commit([Change(scope, field, old, new)])
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
        rescored = self._commit(changes) if changes else ()
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
        self._commit(changes)
        return item_id

    def dependents(self, item_id: str) -> list[Item]:
        """Items that go with a service when it is deleted."""
        self.ensure_complete()
        item = self.data.items[item_id]
        return self.data.children(item_id) if item.kind == "service" else []

    def delete_item(self, item_id: str) -> list[str]:
        """Delete an item (and a service's indicators, finances, blockers, actions), journaled and undoable."""
        targets = [self.data.items[item_id], *self.dependents(item_id)]
        changes = [
            Change(i.id, ITEM_FIELD, Cell(i.state()), Cell({**i.state(), "deleted": True}))
            for i in targets
            if not i.deleted
        ]
        self._commit(changes, op="delete")
        return [c.scope for c in changes]

    def undo(self) -> list[JournalRow]:
        """Revert the last change still in effect (a whole batch); returns what was undone."""
        if self.readonly:
            raise UserError("Campagne en lecture seule : rien à annuler.")
        self.ensure_complete()
        rows = self.store.last_undoable_batch()
        if not rows:
            return []
        changes = [Change(r.scope, r.field, r.new, r.old) for r in rows]  # rows come newest first
        self._commit(changes, op="undo", undoes=rows[0].batch)
        return rows

    # --- import ----------------------------------------------------------------

    def is_empty(self) -> bool:
        return not any(scope != CAMPAIGN for scope, _ in self.data.cells) and not self.data.items

    def import_document(self, obj: Any, source: str, *, replace: bool = False) -> CampaignData:
        """Load an answers document; everything is checked before anything is written."""
        self.ensure_complete()
        incoming = read_document(self.ref, obj, source)
        if not self.is_empty() and not replace:
            raise UserError(
                f"{self.path} : la campagne contient déjà des réponses ; importez dans un nouveau fichier "
                "(--db) ou ajoutez --replace pour tout remplacer (l'opération reste annulable)."
            )
        changes = [Change(s, f, c, None) for (s, f), c in self.data.cells.items()]
        changes += [Change(i, ITEM_FIELD, Cell(it.state()), None) for i, it in self.data.items.items()]
        changes += [Change(i, ITEM_FIELD, None, Cell(it.state())) for i, it in incoming.items.items()]
        changes += [Change(s, f, None, c) for (s, f), c in incoming.cells.items()]
        self._commit(changes, op="import")
        return incoming

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
        self.store.set_busy_timeout(seconds)

    def add_signoff(self, name: str, role: str, digest: str, journal_seq: int, scores: dict) -> dict:
        """Record a sign-off (see review.sign_off) through the write path."""
        with self._writing():
            return self.store.add_signoff(name, role, digest, journal_seq, scores)

    def _commit(self, changes: list[Change], *, op: str = "set", undoes: int | None = None) -> tuple[str, ...]:
        self.ensure_essential()  # the items, for what the changes touch
        before = self._touched_services(changes)
        with self._writing():
            self.store.apply(changes, self.author, op=op, undoes=undoes)
        for area in self._areas(changes):
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
        touched = before | self._touched_services(changes)
        if "*" in touched:
            self._rescore_all()
            return ("*",)
        for sid in touched:
            if self.data.is_live(sid):
                self._scores = self.scorer.rescore_one(self.scores, self.data.service_input(sid))
        return tuple(sorted(touched))

    def cached(self, key: Any, areas, compute: Callable[[], Any]) -> Any:
        """`compute()` once per state of `areas` (see revision_of), of the loading stage and of the
        scoring date: figures every screen shows (a section's progress) are not recounted on each
        visit or each key, only after a change where they come from."""
        stamp = (self.stage, self._date_override, self.revision_of(areas))
        hit = self._cache.get(key)
        if hit is not None and hit[0] == stamp:
            return hit[1]
        value = compute()
        self._cache[key] = (stamp, value)
        return value

    def revision_of(self, areas) -> tuple[int, ...]:
        """Where the areas stand (changes committed in each); equal tuples: nothing there changed."""
        return tuple(self.revisions.get(a, 0) for a in sorted(areas))

    def _areas(self, changes: list[Change]) -> set[str]:
        kinds = {ch.scope: (ch.new or ch.old).value["kind"] for ch in changes if ch.field == ITEM_FIELD}
        out = set()
        for ch in changes:
            if ch.scope == CAMPAIGN:  # and per question: a form shows only its own (and their conditions)
                out.update(("campaign", f"campaign:{ch.field}"))
            elif split_criterion_scope(ch.scope):
                out.add("levels")
            else:
                item = self.data.items.get(ch.scope)
                out.add(kinds.get(ch.scope) or (item.kind if item else "?"))
        return out

    def _touched_services(self, changes: list[Change]) -> set[str]:
        """Services whose scores may change; "*" when everything must be re-scored."""
        out: set[str] = set()
        for ch in changes:
            crit = split_criterion_scope(ch.scope)
            if crit:
                if ch.field == "level":
                    out.add(crit[0])
                continue
            if ch.scope == CAMPAIGN:
                if ch.field == "reference_date":
                    out.add("*")
                continue
            item = self.data.items.get(ch.scope)
            if ch.field == ITEM_FIELD:
                kind = (ch.new or ch.old).value["kind"]
                if kind in ("service", "action"):
                    out.add("*")
                continue
            if item is None:
                continue
            if item.kind == "service" and ch.field in SERVICE_SCORED_FIELDS:
                out.add(item.id)
            elif item.kind == "action" and ch.field in ACTION_SCORED_FIELDS:
                sid = self.data.value(item.id, "service")
                if sid:
                    out.add(sid)
        return out

    def _rescore_all(self) -> None:
        self._scorer = Scorer(self.ref, self._scoring_date())
        self._scores = self._scorer.score_all(self.data.service_inputs())


__all__ = ["CHILD_KINDS", "SaveFailed", "SaveResult", "Session"]
