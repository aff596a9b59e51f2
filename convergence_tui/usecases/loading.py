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
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path

from ..campaign.data import CampaignData, paused_gc
from ..cells import Cell
from ..referentiel import Referentiel
from ..scoring import CampaignScores, Scorer
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
