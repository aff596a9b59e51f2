"""A failed save loses nothing: every save of the TUI goes through one path that keeps the value,
shows it as not saved, retries it, says when it is saved, and asks before a quit would drop it.

The failures are real: a small tmpfs filled to the last byte, and an exclusive SQLite lock held by
another process. The values are read back from the file with sqlite3 after the app has quit.
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import time
from contextlib import ExitStack
from pathlib import Path

import pytest

from convergence_tui.campaign.data import CAMPAIGN
from convergence_tui.screens.main import MainScreen
from convergence_tui.screens.modals import UnsavedQuit
from convergence_tui.usecases import review
from convergence_tui.usecases.results import SaveFailed
from convergence_tui.usecases.session import Session
from convergence_tui.usecases.writes import (
    AddItem,
    DeleteItem,
    SetAnswer,
    SignOff,
    Writes,
)
from convergence_tui.widgets.dialogs import TextPrompt
from tests.obstacles import SmallDisk, lock_held_by_another_process
from tests.tui_helpers import running, stored, type_text

TEAM = "Equipe projet du GRADeS"
COMMENT = "Vu en comité de pilotage"
SIGNER = ("Camille Le Goff", "Responsable déléguée")


class Obstacle:
    """A campaign file and a way to make every write to it fail (`block`), then succeed (`release`)."""

    def __init__(self, kind: str, db: Path, stack: ExitStack, disk: SmallDisk | None = None) -> None:
        self.kind = kind
        self.db = db
        self._stack = stack
        self._disk = disk
        self._release = None

    def block(self) -> None:
        if self._disk is not None:
            self._disk.fill()
        else:
            self._release = self._stack.enter_context(lock_held_by_another_process(self.db))

    def release(self) -> None:
        if self._disk is not None:
            self._disk.free()
        else:
            self._release()


@pytest.fixture(params=["disque plein", "verrou"])
def obstacle(request, tmp_path, _demo_master):
    with ExitStack() as stack:
        if request.param == "disque plein":
            disk = SmallDisk(tmp_path / "disk", "8m")
            disk.mount()
            stack.callback(disk.unmount)
            db = disk.folder / "demo.sqlite"
        else:
            disk = None
            db = tmp_path / "demo.sqlite"
        shutil.copy(_demo_master, db)
        yield Obstacle(request.param, db, stack, disk)


def query(db: Path, sql: str, params=()) -> list[tuple]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def live_blockers(db: Path) -> int:
    return query(db, "select count(*) from items where kind = 'blocker' and deleted = 0")[0][0]


def topbar(app) -> str:
    return str(app.screen.query_one("#topbar").render())


async def settle(pilot, until, timeout: float = 10.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not until():
        if time.monotonic() > deadline:
            raise AssertionError(f"pas atteint après {timeout} s : {what}")
        await pilot.pause(0.05)


async def test_every_save_is_kept_shown_retried_and_saved_once_the_file_takes_it(obstacle):
    db = obstacle.db
    blockers = live_blockers(db)
    async with running(db) as (app, pilot):
        saver = app.screen.saver
        obstacle.block()

        # 1. A form field: typed, refused, still in the field, marked, the top bar says it.
        await pilot.press("1")
        await pilot.pause()
        form = app.screen.current_view()
        team = form.field("team")
        team.focus_control()
        team.control.text = ""
        await type_text(pilot, TEAM)
        await pilot.press("tab")  # leaving the field saves at once
        await settle(pilot, lambda: saver.failing, what="l'échec d'enregistrement")
        assert team.control.text == TEAM
        assert "NON ENREGISTRÉ" in str(team.query_one(".field-label").render())
        assert "NON ENREGISTRÉ (1)" in topbar(app)
        assert "● enregistré" not in topbar(app)

        # 2. A grid key: the grid shows the new level, marked not saved. The key does not freeze the
        #    screen for SQLite's default 5 s wait on a lock (writes/INTERACTIVE_LOCK_WAIT).
        await pilot.press("escape", "4")
        await pilot.pause()
        grid = app.screen.current_view()
        sid = grid.service_id
        grid.focus_criterion("URB-03")
        old_level = stored(db, f"{sid}/URB-03", "level")
        level = 1 if (old_level or (None,))[0] != 1 else 2
        started = time.monotonic()
        await pilot.press(str(level))
        await pilot.pause()
        assert time.monotonic() - started < 2.0
        assert grid.current().criterion.id == "URB-04"  # moved on to the next criterion
        grid.focus_criterion("URB-03")
        await pilot.pause()
        row = grid.current()
        assert (row.criterion.id, row.level, row.state) == ("URB-03", level, "unsaved")
        assert "NON ENREGISTRÉ (niveau)" in str(grid.query_one("#grid-details").render())
        assert "NON ENREGISTRÉ (2)" in topbar(app)

        # 3. A dialog: the comment written and saved with ctrl+s is kept (details, and the dialog
        #    opened again shows it).
        await pilot.press("c")
        await pilot.pause()
        assert isinstance(app.screen, TextPrompt)
        await type_text(pilot, COMMENT)
        await pilot.press("ctrl+s")
        await pilot.pause()
        details = str(grid.query_one("#grid-details").render())
        assert f"Commentaire : {COMMENT}" in details and "NON ENREGISTRÉ (niveau, commentaire)" in details
        await pilot.press("c")
        await pilot.pause()
        assert app.screen.query_one("#prompt-text").text == COMMENT
        await pilot.press("escape")
        await pilot.pause()

        # 4. An item added to a list: said under the list until it is in the file.
        await pilot.press("escape", "7")
        await pilot.pause()
        blockers_view = app.screen.current_view()
        blockers_view.table.focus()
        await pilot.press("a")
        await pilot.pause()
        assert blockers_view.editing is None  # nothing to edit yet: the item is not in the file
        note = blockers_view.query_one("#items-unsaved")
        assert note.display and "ajout d'un frein" in str(note.render())

        # 5. The sign-off: shown as waiting.
        await pilot.press("escape", "9")
        await pilot.pause()
        validation = app.screen.current_view()
        validation.query_one("#signoff-name").value, validation.query_one("#signoff-role").value = SIGNER
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert f"Validation par {SIGNER[0]}" in str(validation.query_one("#signoff-state").render())
        assert "NON ENREGISTRÉE" in str(validation.query_one("#signoff-state").render())
        assert len(saver.pending) == 5 and "NON ENREGISTRÉ (5)" in topbar(app)

        # Nothing of it is in the file yet.
        assert stored(db, CAMPAIGN, "team") is None or stored(db, CAMPAIGN, "team")[0] != TEAM
        assert stored(db, f"{sid}/URB-03", "level") == old_level
        assert stored(db, f"{sid}/URB-03", "comment") is None
        assert live_blockers(db) == blockers
        assert query(db, "select count(*) from signoffs") == [(0,)]

        # The file takes writes again: the automatic retry saves everything, in order, and says so.
        obstacle.release()
        await settle(pilot, lambda: not saver.pending, what="l'enregistrement après le nouvel essai")
        await pilot.pause()
        assert "● enregistré" in topbar(app) and "NON ENREGISTRÉ" not in topbar(app)
        assert "NON ENREGISTRÉ" not in str(validation.query_one("#signoff-state").render())
        assert "Validée par Camille Le Goff" in str(validation.query_one("#signoff-state").render())
        assert any("maintenant enregistré" in n.message for n in app._notifications)
        await pilot.press("ctrl+q")
        await pilot.pause()
    assert app.return_code == 0

    # Read back from the file, with sqlite3, after the app has quit.
    assert query(db, "pragma integrity_check") == [("ok",)]
    assert stored(db, CAMPAIGN, "team")[0] == TEAM
    assert stored(db, f"{sid}/URB-03", "level")[0] == level
    assert stored(db, f"{sid}/URB-03", "comment")[0] == COMMENT
    assert live_blockers(db) == blockers + 1
    assert query(db, "select name, role from signoffs") == [SIGNER]
    # In the order they were made: the sign-off, made last, covers everything made before it.
    with Session.open(db) as s:
        assert review.signoff_state(s).current


async def test_quit_with_a_change_not_saved_asks_and_never_drops_it_silently(tmp_path, _demo_master):
    db = tmp_path / "demo.sqlite"
    shutil.copy(_demo_master, db)
    with lock_held_by_another_process(db) as release:
        async with running(db) as (app, pilot):
            await pilot.press("4")
            await pilot.pause()
            grid = app.screen.current_view()
            sid = grid.service_id
            grid.focus_criterion("URB-03")
            old = stored(db, f"{sid}/URB-03", "level")
            level = 1 if (old or (None,))[0] != 1 else 2
            await pilot.press(str(level))
            await pilot.pause()
            assert grid.row("URB-03").state == "unsaved"

            # ctrl+q asks, listing what would be lost; "stay" keeps it, on screen and queued.
            await pilot.press("ctrl+q")
            await pilot.pause()
            assert isinstance(app.screen, UnsavedQuit)
            listing = str(app.screen.query_one("#unsaved-list").render())
            assert "URB-03" in listing and f"niveau = « {level} »" in listing
            await pilot.press("ctrl+q")  # again while asking: still asking, nothing lost
            await pilot.pause()
            assert isinstance(app.screen, UnsavedQuit) and len(app.screen_stack) == 3
            await pilot.press("escape")
            await pilot.pause()
            assert not isinstance(app.screen, UnsavedQuit) and app.is_running
            assert grid.row("URB-03").state == "unsaved" and len(app.screen.saver.pending) == 1

            # Undo and export work on the file: they wait until it holds what is on screen.
            journal = query(db, "select count(*) from journal")
            await pilot.press("ctrl+z", "e")
            await pilot.pause()
            assert isinstance(app.screen, MainScreen) and query(db, "select count(*) from journal") == journal
            messages = [n.message for n in app._notifications]
            assert any("l'annulation attend" in m for m in messages) and any("l'export attend" in m for m in messages)

            # The palette's "Quitter" asks too.
            await pilot.press("ctrl+p")
            await pilot.pause()
            await type_text(pilot, "Quitter")
            await pilot.pause(0.3)
            await pilot.press("enter")
            await settle(pilot, lambda: isinstance(app.screen, UnsavedQuit), what="la question avant de quitter")

            # "retry" while the file is still locked: still not saved, asked again.
            await pilot.press("r")
            await pilot.pause()
            assert isinstance(app.screen, UnsavedQuit) and app.is_running

            # The lock is gone: "retry" saves it and quits, with status 0.
            release()
            await pilot.press("r")
            await pilot.pause()
        assert app.return_code == 0 and app.lost == []
    assert stored(db, f"{sid}/URB-03", "level")[0] == level


async def test_quitting_and_losing_is_the_persons_choice_and_is_said(tmp_path, _demo_master):
    db = tmp_path / "demo.sqlite"
    shutil.copy(_demo_master, db)
    with lock_held_by_another_process(db):
        async with running(db) as (app, pilot):
            await pilot.press("4")
            await pilot.pause()
            grid = app.screen.current_view()
            sid = grid.service_id
            grid.focus_criterion("URB-03")
            old = stored(db, f"{sid}/URB-03", "level")
            level = 1 if (old or (None,))[0] != 1 else 2
            await pilot.press(str(level))
            await pilot.press("ctrl+q")
            await pilot.pause()
            assert isinstance(app.screen, UnsavedQuit)
            await pilot.press("p")
            await pilot.pause()
        # Not a silent 0: status 1, and what was lost is listed (run_app prints it on the terminal).
        assert app.return_code == 1
        assert len(app.lost) == 1 and "URB-03" in app.lost[0] and f"« {level} »" in app.lost[0]
    assert stored(db, f"{sid}/URB-03", "level") == old


async def test_asked_to_quit_and_saved_by_the_retry_it_quits_as_asked(tmp_path, _demo_master):
    """The dialog does not go stale: once the automatic retry saved what held the quit back, the
    program quits as it was asked to, with status 0 and nothing said lost."""
    db = tmp_path / "demo.sqlite"
    shutil.copy(_demo_master, db)
    with lock_held_by_another_process(db) as release:
        async with running(db) as (app, pilot):
            await pilot.press("4")
            await pilot.pause()
            grid = app.screen.current_view()
            sid = grid.service_id
            grid.focus_criterion("URB-03")
            old = stored(db, f"{sid}/URB-03", "level")
            level = 1 if (old or (None,))[0] != 1 else 2
            await pilot.press(str(level), "ctrl+q")
            await settle(pilot, lambda: isinstance(app.screen, UnsavedQuit), what="la question avant de quitter")
            release()
            await settle(pilot, lambda: not app.is_running, what="la sortie après le nouvel essai", timeout=10)
        assert app.return_code == 0 and app.lost == []
    assert stored(db, f"{sid}/URB-03", "level")[0] == level


async def test_an_item_deleted_while_the_file_is_locked_is_marked_then_deleted(tmp_path, _demo_master):
    db = tmp_path / "demo.sqlite"
    shutil.copy(_demo_master, db)
    blockers = live_blockers(db)
    async with running(db) as (app, pilot):
        await pilot.press("7")
        await pilot.pause()
        view = app.screen.current_view()
        view.table.focus()
        item_id = view.current_id()
        with lock_held_by_another_process(db) as release:
            await pilot.press("d")
            await pilot.pause()
            await pilot.press("o")
            await pilot.pause()
            assert item_id in view.table.keys  # still listed: not deleted in the file
            assert "suppression du frein n° 1" in str(view.query_one("#items-unsaved").render())
            release()
            await settle(pilot, lambda: not app.screen.saver.pending, what="la suppression")
        await pilot.pause()
        assert item_id not in view.table.keys and not view.query_one("#items-unsaved").display
    assert live_blockers(db) == blockers - 1


# --- the write path itself, without a screen -------------------------------------------


def test_a_new_value_replaces_the_queued_one_but_never_jumps_over_a_sign_off(demo_db):
    with Session.open(demo_db) as s:
        writes = Writes(s)
        # A widget re-posting what the file holds is not a change: nothing to keep, nothing to lose.
        stored_siret = s.data.value(CAMPAIGN, "siret")
        writes.put(SetAnswer(CAMPAIGN, "siret", stored_siret))
        writes.put(SetAnswer(CAMPAIGN, "team", "un"))
        writes.put(SetAnswer(CAMPAIGN, "team", s.data.value(CAMPAIGN, "team")))  # typed back as it was
        assert writes.pending == ()
        a1, b, a2 = SetAnswer(CAMPAIGN, "team", "un"), SetAnswer(CAMPAIGN, "siret", "x"), \
            SetAnswer(CAMPAIGN, "team", "deux")
        for w in (a1, b, a2):
            writes.put(w)
        assert writes.pending == (a2, b)  # same answer: replaced in place
        sign = SignOff(*SIGNER)
        a3 = SetAnswer(CAMPAIGN, "team", "trois")
        writes.put(sign)
        writes.put(a3)
        assert writes.pending == (a2, b, sign, a3)  # after the sign-off: it must not cover it
        assert writes.shown_cell(CAMPAIGN, "team").value == "trois"
        with pytest.raises(Exception, match="nom et la fonction"):
            writes.put(SignOff("", "x"))
        add, delete = AddItem("blocker"), DeleteItem(s.data.live_ids("blocker")[0])
        writes.put(add)
        writes.put(delete)
        assert "ajout d'un frein" in writes.describe()[-2] and "suppression du frein n° 1" in writes.describe()[-1]
        report = writes.flush()
        assert not writes.pending and [w for w, _ in report.done] == [a2, b, sign, a3, add, delete]
    with Session.open(demo_db) as s:
        assert s.data.value(CAMPAIGN, "team") == "trois"
        assert review.signoff_state(s).withdrawn  # "trois" came after the sign-off


def test_a_locked_file_fails_fast_keeps_the_queue_and_a_sign_off_is_a_save_failed(demo_db):
    with Session.open(demo_db) as s, lock_held_by_another_process(demo_db) as release:
        writes = Writes(s)
        team = s.data.value(CAMPAIGN, "team")
        writes.put(SetAnswer(CAMPAIGN, "team", "gardé"))
        started = time.monotonic()
        report = writes.flush()
        assert time.monotonic() - started < 1.0  # not SQLite's default 5 s
        assert report.failure and "verrouillé par un autre programme" in report.failure
        assert len(writes.pending) == 1 and s.data.value(CAMPAIGN, "team") != "gardé"
        # Typed back to what the file holds: nothing is left that the file refused.
        writes.put(SetAnswer(CAMPAIGN, "team", team))
        assert writes.pending == () and not writes.failing
        writes.put(SetAnswer(CAMPAIGN, "team", "gardé"))
        assert writes.flush().failure and len(writes.pending) == 1
        # The sign-off goes through the session's write path: a sentence, not a sqlite3 traceback.
        with pytest.raises(SaveFailed, match="verrouillé"):
            review.sign_off(s, *SIGNER)
        release()
        report = writes.flush()
        assert report.caught_up and not writes.pending and s.data.value(CAMPAIGN, "team") == "gardé"


def test_a_sign_off_on_a_full_disk_is_a_save_failed(tmp_path, _demo_master):
    disk = SmallDisk(tmp_path / "disk", "8m")
    disk.mount()
    try:
        db = disk.folder / "demo.sqlite"
        shutil.copy(_demo_master, db)
        with Session.open(db) as s:
            disk.fill()
            with pytest.raises(SaveFailed, match="disque plein"):
                review.sign_off(s, *SIGNER)
            disk.free()
            review.sign_off(s, *SIGNER)
        assert query(db, "select name, role from signoffs") == [SIGNER]
    finally:
        disk.unmount()


def test_the_small_disk_fixture_cleans_up(tmp_path):
    disk = SmallDisk(tmp_path / "disk", "1m")
    disk.mount()
    disk.fill()
    disk.unmount()
    mounts = subprocess.run(["findmnt", "-rn", "-o", "TARGET"], capture_output=True, text=True).stdout
    assert str(disk.folder) not in mounts.split()
