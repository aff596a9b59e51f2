"""The review's « Évolution » tab and the « Paquet de référence » command (palette, ctrl+r), driven
with Pilot on real campaigns and real signed bundles; the tab's look at 80×24 and 160×50."""

from __future__ import annotations

import asyncio
import datetime as dt
import shutil
import zipfile

import pytest

from convergence_tui.bundle.format import zip_bytes
from convergence_tui.screens.baseline import BaselineScreen
from convergence_tui.screens.main import MainScreen
from convergence_tui.screens.review import ReviewScreen
from convergence_tui.usecases import comparing
from convergence_tui.usecases.session import Session
from convergence_tui.widgets.grid_view import GridView
from tests.test_compare import semesters
from tests.tui_helpers import running


@pytest.fixture
def s2(semesters, tmp_path):
    path = tmp_path / "s2.sqlite"
    shutil.copy(semesters["s2"], path)
    return path


async def open_evolution(app, pilot) -> ReviewScreen:
    app.screen.query_one("#sidebar").focus()
    await pilot.press("r")
    await pilot.pause(0.2)
    await pilot.press("6")
    await pilot.pause(0.3)
    assert isinstance(app.screen, ReviewScreen)
    return app.screen


async def choose_baseline(app, pilot, path) -> BaselineScreen:
    dialog = app.screen
    assert isinstance(dialog, BaselineScreen)
    dialog.query_one("#baseline-path").value = str(path)
    await pilot.press("enter")
    await app.workers.wait_for_complete()
    await pilot.pause(0.3)
    return dialog


async def test_the_tab_says_how_to_set_a_baseline_then_the_palette_sets_it(semesters, s2):
    async with running(s2, (100, 40)) as (app, pilot):
        review = await open_evolution(app, pilot)
        head = str(review.query_one("#evolution-head").content)
        assert "Aucune référence" in head and "convergence compare PAQUET.zip" in head and "ctrl+r" in head
        assert "Paquet de référence" in head  # the palette's entry, by its name
        assert not review.query("#review-evolution")  # nothing to list yet
        charts = str(review.query_one("#evolution-charts").content)
        assert "Maturité par axe" in charts and "Services par statut" in charts
        # The palette, from anywhere: its command runs the same use case as `convergence compare`.
        await pilot.press("ctrl+p")
        await pilot.pause(0.2)
        await pilot.press(*"Paquet de référence")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await pilot.pause(0.3)
        await choose_baseline(app, pilot, semesters["bundle"])
        # Dismissed: back to the review, whose tab now shows the comparison.
        assert app.screen is review
        await pilot.pause(0.2)
        head = str(review.query_one("#evolution-head").content)
        assert "Référence : 2026-S2" in head and "25/25 critères comparables (100,0 %)" in head
        table = review.query_one("#review-evolution")
        retired = semesters["edits"]["retired"][0]
        first = semesters["edits"]["service"][0]
        assert first in table.keys and retired in table.keys
    with Session.open(s2, readonly=True) as s:
        remembered = comparing.load_baseline(s)
    assert remembered is not None and remembered.facts["file"] == str(semesters["bundle"].resolve())


async def test_a_tampered_bundle_is_refused_in_the_dialog(semesters, s2, tmp_path):
    with zipfile.ZipFile(semesters["bundle"]) as zf:
        entries = {n: zf.read(n) for n in zf.namelist()}
    entries["scores.json"] = entries["scores.json"].replace(b'"level":', b'"level" :', 1)
    tampered = tmp_path / "modifie.zip"
    tampered.write_bytes(zip_bytes(entries))
    async with running(s2, (100, 40)) as (app, pilot):
        await open_evolution(app, pilot)
        await pilot.press("ctrl+r")  # the review's own key for the same command
        await pilot.pause(0.2)
        dialog = await choose_baseline(app, pilot, tampered)
        assert app.screen is dialog  # still open, saying why
        said = str(dialog.query_one("#baseline-log").content)
        assert "scores.json ne correspond pas à l'empreinte signée" in said and "Rien n'a été retenu" in said
        await pilot.press("escape")
        await pilot.pause(0.2)
        assert isinstance(app.screen, ReviewScreen)
    with Session.open(s2, readonly=True) as s:
        assert comparing.load_baseline(s) is None


async def test_enter_on_a_service_of_the_tab_opens_its_grid(semesters, s2):
    with Session.open(s2) as s:
        # Verifying runs pyhanko's own event loop: off this test's loop, as the app runs it in a worker.
        baseline = await asyncio.to_thread(comparing.check_baseline, semesters["bundle"], s.ref)
        comparing.remember_baseline(s, baseline)
    first = semesters["edits"]["service"][0]
    async with running(s2, (100, 40)) as (app, pilot):
        review = await open_evolution(app, pilot)
        table = review.query_one("#review-evolution")
        assert table.has_focus
        table.move_cursor(table.keys.index(first))
        await pilot.press("enter")
        await pilot.pause(0.3)
        assert isinstance(app.screen, MainScreen)
        grid = app.screen.current_view()
        assert isinstance(grid, GridView) and grid.service_id == first


# --- the look ----------------------------------------------------------------------------------------

SIZES = {"80x24": (80, 24), "160x50": (160, 50)}


@pytest.fixture
def remembered(semesters, s2, monkeypatch):
    """The second semester with the first as its baseline, verified at a fixed moment, compared on a
    fixed day: the same picture on every machine and every run."""
    with Session.open(s2) as s:
        baseline = comparing.check_baseline(semesters["bundle"], s.ref)
        baseline.facts["verified_at"] = "2027-06-15T09:30:00Z"
        comparing.remember_baseline(s, baseline)
    monkeypatch.setattr(comparing, "today", lambda: dt.date(2027, 12, 31))
    return s2


def _app(db):
    from convergence_tui.app import ConvergenceApp
    from convergence_tui.config import Settings
    from convergence_tui.referentiel import load

    ref = load()
    return ConvergenceApp(db, ref, Session.open(db, ref), settings=Settings())


async def _to_evolution(pilot) -> None:
    pilot.app.screen.query_one("#sidebar").focus()
    await pilot.press("r")
    await pilot.pause(0.2)
    await pilot.press("6")
    await pilot.pause(0.3)


@pytest.mark.parametrize("size", SIZES)
def test_evolution_tab(snap_compare, remembered, size):
    app = _app(remembered)
    try:
        assert snap_compare(app, terminal_size=SIZES[size], run_before=_to_evolution)
    finally:
        app.session.close()


@pytest.mark.parametrize("size", SIZES)
def test_evolution_tab_without_baseline(snap_compare, demo_db, size):
    app = _app(demo_db)
    try:
        assert snap_compare(app, terminal_size=SIZES[size], run_before=_to_evolution)
    finally:
        app.session.close()
