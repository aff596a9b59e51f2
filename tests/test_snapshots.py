"""The look of the main screens at 80×24 and at 160×50 (SVG snapshots).

Regenerate after an intended change with `python -m pytest tests/test_snapshots.py --snapshot-update`,
in a commit of its own, after looking at the report.
"""

from __future__ import annotations

import datetime as dt

import pytest

from convergence_tui.app import ConvergenceApp
from convergence_tui.config import Settings
from convergence_tui.referentiel import load
from convergence_tui.usecases.session import Session

SIZES = {"80x24": (80, 24), "160x50": (160, 50)}


@pytest.fixture
def make_app(demo_db, monkeypatch):
    """The real app on a copy of the demo campaign, shown with a path relative to the working folder."""
    monkeypatch.chdir(demo_db.parent)
    opened = []

    def make(new_file: bool = False) -> ConvergenceApp:
        ref = load()
        if new_file:
            return ConvergenceApp(demo_db.parent / "nouvelle.sqlite", ref, None, settings=Settings())
        session = Session.open(demo_db, ref)
        opened.append(session)
        return ConvergenceApp(demo_db, ref, session, settings=Settings())

    yield make
    for s in opened:
        s.close()


def still(*steps):
    """Run steps, then stop cursors blinking so the picture is stable."""

    async def run_before(pilot) -> None:
        for step in steps:
            if isinstance(step, str):
                await pilot.press(step)
            else:
                await step(pilot)
            await pilot.pause()
        await pilot.pause(0.2)
        for widget in pilot.app.screen.query("Input, TextArea"):
            widget.cursor_blink = False
        await pilot.pause()

    return run_before


@pytest.fixture(autouse=True)
def fixed_clock(demo_db, monkeypatch):
    """The opening view (behind the help, the review…) shows when the last change was made: make it
    the same on every machine and every run."""
    import time

    _fix_times(demo_db)
    monkeypatch.setenv("TZ", "Europe/Paris")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def _fix_times(db, newest: int = 1) -> None:
    import sqlite3

    conn = sqlite3.connect(db)
    with conn:
        conn.execute("update journal set at = '2026-11-20T13:45:00.000Z' where seq > (select max(seq) from journal) - ?",
                     [newest])
    conn.close()


@pytest.mark.parametrize("size", SIZES)
def test_opening_view(snap_compare, make_app, demo_db, size):
    with Session.open(demo_db) as s:  # a few changes after the demo's creation: the last ones are listed
        s.set_answer("campaign", "siret", "73282932000074")
        s.set_answer("campaign", "delegate_name", "Aurélie Kerouanton")
        sid = s.data.live_ids("service")[1]
        s.set_level(sid, s.candidates(sid)[0].id, 3)
    _fix_times(demo_db, newest=3)
    assert snap_compare(make_app(), terminal_size=SIZES[size], run_before=still())


@pytest.mark.parametrize("size", SIZES)
def test_form_section(snap_compare, make_app, size):
    assert snap_compare(make_app(), terminal_size=SIZES[size], run_before=still("1"))


@pytest.mark.parametrize("size", SIZES)
def test_grid_of_a_service(snap_compare, make_app, size):
    assert snap_compare(make_app(), terminal_size=SIZES[size], run_before=still("4", "down", "down"))


@pytest.mark.parametrize("size", SIZES)
def test_plan_list(snap_compare, make_app, size):
    assert snap_compare(make_app(), terminal_size=SIZES[size], run_before=still("8"))


@pytest.mark.parametrize("size", SIZES)
def test_item_form(snap_compare, make_app, size):
    assert snap_compare(make_app(), terminal_size=SIZES[size], run_before=still("3", "enter"))


@pytest.mark.parametrize("size", SIZES)
def test_help(snap_compare, make_app, size):
    async def leave_field(pilot):
        pilot.app.screen.query_one("#sidebar").focus()

    assert snap_compare(make_app(), terminal_size=SIZES[size], run_before=still(leave_field, "question_mark"))


@pytest.mark.parametrize("size", SIZES)
def test_wizard(snap_compare, make_app, size):
    async def fixed_dates(pilot):
        screen = pilot.app.screen
        screen.query_one("#campaign_label").value = "2026-S2"
        screen.query_one("#reference_date").value = "31/12/2026"
        assert dt.date.today()  # the wizard's defaults depend on today; the picture must not

    assert snap_compare(make_app(new_file=True), terminal_size=SIZES[size], run_before=still(fixed_dates))


async def _sidebar(pilot):
    pilot.app.screen.query_one("#sidebar").focus()


@pytest.mark.parametrize("size", SIZES)
def test_review_completion(snap_compare, make_app, size):
    assert snap_compare(make_app(), terminal_size=SIZES[size], run_before=still(_sidebar, "r"))


@pytest.mark.parametrize("size", SIZES)
def test_review_services(snap_compare, make_app, size):
    assert snap_compare(make_app(), terminal_size=SIZES[size], run_before=still(_sidebar, "r", "2"))


@pytest.mark.parametrize("size", SIZES)
def test_review_timeline(snap_compare, make_app, size):
    assert snap_compare(make_app(), terminal_size=SIZES[size], run_before=still(_sidebar, "r", "4"))


@pytest.mark.parametrize("size", SIZES)
def test_validation_section(snap_compare, make_app, size):
    assert snap_compare(make_app(), terminal_size=SIZES[size], run_before=still(_sidebar, "9"))


@pytest.mark.parametrize("size", SIZES)
def test_blocker_of_an_action_chosen_in_the_numbered_list(snap_compare, make_app, size):
    async def open_blocker_choices(pilot):
        pilot.app.screen.current_view().editor.focus_on("blocker")
        await pilot.pause(0.2)
        await pilot.press("enter")

    assert snap_compare(make_app(), terminal_size=SIZES[size], run_before=still("8", "enter", open_blocker_choices))


@pytest.mark.parametrize("size", SIZES)
def test_merge_screen(snap_compare, make_app, demo_db, tmp_path, size):
    """Two conflicts after a teammate's copy was merged: both values, who and when (issue #16)."""
    import sqlite3

    from convergence_tui.usecases.copying import copy_campaign
    from convergence_tui.usecases.merging import merge

    theirs = tmp_path / "paul.sqlite"
    copy_campaign(demo_db, theirs)
    edits = []
    with Session.open(demo_db, author="Anne Le Du") as s:
        first, second = s.data.live_ids("service")[:2]
        edits = [(first, "name", "ROR Bretagne (Anne)"), (f"{second}/URB-01", "comment", "Vu avec l'éditeur")]
        for scope, field, value in edits:
            s.set_answer(scope, field, value)
    with Session.open(theirs, author="Paul Riou") as s:
        s.set_answer(first, "name", "ROR Bretagne (Paul)")
        s.set_answer(f"{second}/URB-01", "comment", "L'éditeur livre au 2e trimestre 2027")
    with Session.open(demo_db, author="Anne Le Du") as s:
        assert merge(s, theirs).conflicts == 2
    conn = sqlite3.connect(demo_db)
    with conn:  # the same times on every run
        conn.execute("update conflicts set other_at = '2026-11-20T10:15:00.000Z'")
        conn.execute("update conflicts set source = 'paul.sqlite'")
    conn.close()
    _fix_times(demo_db, newest=12)
    assert snap_compare(make_app(), terminal_size=SIZES[size], run_before=still(_sidebar, "m"))
