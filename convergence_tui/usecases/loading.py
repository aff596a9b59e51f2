"""The background loader of a campaign opened for the screen (`Session.open(lazy=True)`).

The first screen needs only the campaign's own answers; the rest is read by one thread of the
loader's own, with its own read-only SQLite connection (a connection belongs to its thread): first
the integrity check and what scores need ("essential"), then the long lists ("complete"). It calls
`notify(stage)` from its thread as each part is ready (the TUI posts a message, which is
thread-safe); the session installs each part on its own thread (`Session.ensure_essential`,
`ensure_complete`). The TUI asks for a part only once it has been told it is ready; the CLI opens
campaigns whole and never uses the loader.
"""

from __future__ import annotations

import datetime as dt
import gc
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path

from ..campaign.data import CampaignData, paused_gc
from ..cells import Cell
from ..errors import UserError
from ..referentiel import Referentiel
from ..referentiel.models import Section
from ..scoring import CampaignScores, Scorer
from ..store import Store
from ..store.sqlite import check_integrity, read_answers, read_items, reader


class Loading:
    """The rest of a campaign opened with `lazy`, read by a thread of its own (with its own read-only
    connection): first what scores need, then the long lists. The main thread installs the results
    (`Session.ensure_essential`, `ensure_complete`), waiting for them if it needs them sooner."""

    def __init__(self, path: Path, ref: Referentiel, date: dt.date, check: bool,
                 notify: Callable[[str], None] | None) -> None:
        # (data, scorer, scores, damage): damage says why the integrity check failed, None when it passed.
        self.essential: tuple[CampaignData, Scorer, CampaignScores, str | None] | None = None
        self.deferred: list[tuple[str, str, Cell]] | None = None
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


class ReadsInBackground:
    """The part of a Session that installs what the loader read (mixed into Session): a campaign opened
    for the screen moves from stage "first" (its own answers) to "essential" (what scores need) to
    "complete" (every answer)."""

    stage: str
    damage: str | None
    data: CampaignData
    ref: Referentiel
    _loading: Loading | None
    _scorer: Scorer | None
    _scores: CampaignScores | None
    _store: Store

    @property
    def path(self) -> Path:
        return self._store.path

    @property
    def complete(self) -> bool:
        return self.stage == "complete"

    def _scoring_date(self) -> dt.date:
        raise NotImplementedError

    def _rescore_all(self) -> None:
        raise NotImplementedError

    def load_in_background(self, notify: Callable[[str], None] | None = None) -> None:
        """Read the rest of a `lazy` campaign in a thread; `notify("essential")` then `notify("complete")`
        are called from that thread (they must not block) when each part can be installed."""
        if self.stage != "complete" and self._loading is None:
            self._loading = Loading(self._store.path, self.ref, self._scoring_date(), not self._store.checked,
                                     notify)

    def ensure_essential(self) -> None:
        """Install the scores and the answers they need, waiting for the background read if needed."""
        if self.stage != "first":
            return
        self.load_in_background()
        loading = self._loading
        assert loading is not None, "load_in_background() starts it before the first stage is left"
        self._wait(loading.essential_ready)
        if loading.essential is None:
            # Unreadable past what the first screen shows: that stays on screen, scored as it is,
            # and nothing is ever written.
            self._rescore_all()
            self._damaged(str(loading.error))
        else:
            self.data, self._scorer, self._scores, damage = loading.essential
            self._store.checked = True
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
        assert loading is not None, "ensure_essential() started it; it is dropped only once complete"
        self._wait(loading.complete_ready)
        if loading.deferred is None:  # the read failed: nothing more to show, nothing written
            self._damaged(str(loading.error))
        with paused_gc():
            self.data.add_cells(loading.deferred or [])
        self.stage = "complete"
        self._loading = None
        gc.freeze()

    # A screen asks for a part only once the loader said it is read (the wait is then nil); this bound
    # is for a path that would ask sooner: a sentence after it, never a screen frozen for good.
    READ_WAIT = 30.0

    def _wait(self, ready: threading.Event) -> None:
        if not ready.wait(self.READ_WAIT):
            raise UserError(f"{self.path} : lecture de la campagne plus longue que prévu ; réessayez dans un "
                            "instant.")

    def _damaged(self, reason: str) -> None:
        # Never write into a damaged file: what is on screen stays readable, nothing is changed.
        self._store.readonly = True
        self.damage = self.damage or (
            f"{self.path} : fichier de campagne endommagé ({reason}) ; il est ouvert en LECTURE SEULE. "
            "Restaurez une sauvegarde (« convergence restore ») avant de le modifier.")

    def section_loaded(self, section: Section) -> bool:
        """Whether a section's figures can be shown without loading the deferred answers."""
        if self.stage == "first":
            return section.kind == "form"
        return self.complete or section.kind in ("form", "grid", "validation") or (
            section.kind == "list" and section.item == "service")
