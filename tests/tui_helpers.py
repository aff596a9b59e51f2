"""Helpers for driving the real app with Pilot on a real campaign file."""

from __future__ import annotations

import sqlite3
from contextlib import asynccontextmanager
from pathlib import Path

from convergence_tui.app import ConvergenceApp
from convergence_tui.config import Remembered, Settings
from convergence_tui.referentiel import load
from convergence_tui.usecases.session import Session


@asynccontextmanager
async def running(db: Path, size=(120, 40), *, review: bool = False, settings: Settings | None = None,
                  referentiel: Path | None = None, message_hook=None, notifications: bool = False,
                  remembered: Remembered | None = None):
    ref = load(referentiel)
    exists = db.exists() and db.stat().st_size > 0
    # Opened as the program opens it: the form first, the rest read in the background.
    session = Session.open(db, ref, readonly=review, lazy=True) if exists else None
    app = ConvergenceApp(db, ref, session, review=review, settings=settings or Settings(), remembered=remembered)
    try:
        async with app.run_test(size=size, message_hook=message_hook, notifications=notifications) as pilot:
            # The first view focuses its first field once mounted, and the background read ends:
            # let both happen before the test acts.
            for _ in range(500):
                await pilot.pause()
                if app.focused is not None and (app.session is None or app.session.complete):
                    break
            await pilot.pause()
            yield app, pilot
    finally:
        if app.session is not None:
            app.session.close()


def stored(db: Path, scope: str, field: str):
    """(value, raw, error) as committed in the file, read through a separate connection."""
    conn = sqlite3.connect(db)
    try:
        return conn.execute("select value, raw, error from answers where scope = ? and field = ?",
                            [scope, field]).fetchone()
    finally:
        conn.close()


def journal_count(db: Path) -> int:
    conn = sqlite3.connect(db)
    try:
        return conn.execute("select count(*) from journal").fetchone()[0]
    finally:
        conn.close()


async def type_text(pilot, text: str) -> None:
    await pilot.press(*[{" ": "space"}.get(ch, ch) for ch in text])


async def saved(pilot, db: Path, scope: str, field: str, check=lambda row: row is not None, timeout: float = 5.0):
    """Wait until the committed row satisfies `check` (the save is debounced; CI machines are slow)."""
    import time

    deadline = time.monotonic() + timeout
    while True:
        row = stored(db, scope, field)
        if (row is not None and check(row)) or time.monotonic() > deadline:
            return row
        await pilot.pause(0.05)


async def goto(pilot, *keys: str):
    """Press keys as a person would, let the app settle, and return the view now shown."""
    await pilot.press(*keys)
    await pilot.pause()
    return pilot.app.screen.current_view()


def hold_back_background_read(monkeypatch):
    """Keep the screen's start of the background read from happening; returns `release(session)`,
    which starts it as the screen asked (so a test can act before the campaign is read)."""
    from convergence_tui.usecases.session import Session

    asked = []
    real_start = Session.load_in_background
    monkeypatch.setattr(Session, "load_in_background", lambda self, notify=None: asked.append(notify))

    def release(session) -> None:
        real_start(session, asked[0])

    release.asked = asked
    return release


async def until_complete(pilot, session) -> None:
    for _ in range(200):
        await pilot.pause(0.02)
        if session.complete:
            return
    raise AssertionError("the campaign's background read did not end")
