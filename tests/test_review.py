"""Review and sign-off: completion, plan, timeline, comparison, read-only mode, `status --check`."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from convergence_tui.campaign.data import CAMPAIGN
from convergence_tui.screens.main import MainScreen
from convergence_tui.screens.review import ReviewScreen
from convergence_tui.usecases import review
from convergence_tui.usecases.session import Session
from convergence_tui.widgets.fields import Field
from convergence_tui.widgets.grid_view import GridView
from convergence_tui.widgets.validation_view import ValidationView
from tests.conftest import MINI
from tests.tui_helpers import running, stored


def test_status_check_exit_codes(cli, complete_db):
    code, out, _ = cli("status", "--referentiel", MINI, "--db", complete_db, "--check")
    assert code == 3 and "Pas encore validée" in out  # only the sign-off is missing
    assert cli("signoff", "--referentiel", MINI, "--db", complete_db, "--name", "Camille", "--role", "Responsable déléguée")[0] == 0
    code, out, _ = cli("status", "--referentiel", MINI, "--db", complete_db, "--check")
    assert code == 0 and "Rien ne manque" in out
    code, out, _ = cli("status", "--referentiel", MINI, "--db", complete_db)
    assert code == 0  # without --check, status always exits 0
    with Session.open(complete_db, MINI) as s:
        s.set_level(s.data.live_ids("service")[0], "B-2", 1)
    code, out, _ = cli("status", "--referentiel", MINI, "--db", complete_db, "--check", "--json")
    assert code == 3
    problems = json.loads(out)["problems"]
    assert [p["kind"] for p in problems] == ["signoff"]
    assert "RETIRÉE" in problems[0]["message"] and "par Yann" in problems[0]["message"]


def test_status_json_keeps_scores_fields(cli, demo_db):
    with Session.open(demo_db) as s:  # the demo's plan is complete: one cause fewer leaves gaps open
        s.delete_item(s.data.live_ids("blocker")[0])
    _, out, _ = cli("status", "--db", demo_db, "--json")
    doc = json.loads(out)
    assert set(doc) == {"referentiel", "reference_date", "region", "services", "problems"}
    assert any(p["kind"] == "no_blocker" for p in doc["problems"])


def test_signoff_withdrawn_after_change_and_back_after_undo(complete_db):
    with Session.open(complete_db, MINI) as s:
        review.sign_off(s, "Camille", "Responsable")
        assert review.signoff_state(s).current
        s.set_answer(CAMPAIGN, "legal_form", "autre")
        state = review.signoff_state(s)
        assert state.withdrawn and [(r.author, r.field) for r in state.changes] == [("Yann", "legal_form")]
        s.undo()
        # The sign-off covers a state (a digest of the answers): back to it, it is current again.
        assert review.signoff_state(s).current


def test_signoff_state_hashes_the_campaign_only_when_something_was_journaled_since(complete_db, monkeypatch):
    hashed = []
    real = review.campaign_digest
    monkeypatch.setattr(review, "campaign_digest", lambda s: hashed.append(1) or real(s))
    with Session.open(complete_db, MINI) as s:
        review.sign_off(s, "Camille", "Responsable")
        hashed.clear()
        assert review.signoff_state(s).current and not hashed  # nothing since: no hash needed
        s.set_answer(CAMPAIGN, "legal_form", "autre")
        assert review.signoff_state(s).withdrawn and hashed  # something since: the digest decides


def test_signoff_needs_name_and_role(complete_db):
    from convergence_tui.errors import UserError

    with Session.open(complete_db, MINI) as s, pytest.raises(UserError, match="nom et la fonction"):
        review.sign_off(s, "Camille", " ")


def test_timeline_of_a_known_plan(complete_db):
    with Session.open(complete_db, MINI) as s:
        first, second = s.data.live_ids("service")
        semesters, rows = review.timeline(s)
        assert semesters == ["2023-S1", "2023-S2"]
        by_id = {r.service_id: r for r in rows}
        # S: A-1 → 4 due 2023-03-31 (S1), A-2 → 3 due 2023-09-30 (S2): final targets reached in 2023-S2.
        assert by_id[first].cells == ["action", "target"]
        assert by_id[first].reached_on == dt.date(2023, 9, 30)
        # T is already at its final targets on the reference date.
        assert by_id[second].cells == ["target", "reached"]
        s.set_answer(s.data.live_ids("action")[1], "status", "abandoned")
        _, rows = review.timeline(s)
        never = next(r for r in rows if r.service_id == first)
        assert never.reached_on is None and never.cells == ["action"]  # no later semester to show


def test_comparison_with_last_signoff(complete_db):
    with Session.open(complete_db, MINI) as s:
        assert [r.level_change for r in review.service_rows(s)] == [None, None]
        review.sign_off(s, "Camille", "Responsable")
        first, second = s.data.live_ids("service")
        s.set_level(first, "A-1", 4)
        s.set_level(first, "A-2", 3)
        rows = {r.id: r for r in review.service_rows(s)}
        assert rows[first].level_change == 3  # non_convergent 0 → convergent at every final target 3
        assert rows[first].maturity_change == pytest.approx(100 * 11 / 16 - 100 * 7 / 16, abs=0.1)
        assert rows[second].level_change == 0


def test_blocker_summary(demo_db):
    with Session.open(demo_db) as s:
        summary = {b.category: b for b in review.blocker_summary(s)}
        assert set(summary) == {"vendor", "national", "market", "regional", "other"}
        assert sum(b.blockers for b in summary.values()) == len(s.data.live("blocker"))
        assert summary["vendor"].owners.get("vendor", 0) > 0


async def test_review_jump_from_missing_row_lands_on_the_field(demo_db):
    async with running(demo_db) as (app, pilot):
        app.screen.query_one("#sidebar").focus()
        await pilot.press("r")
        await pilot.pause(0.2)
        screen = app.screen
        assert isinstance(screen, ReviewScreen)
        table = screen.query_one("#review-problems")
        first = screen.problems[int(table.current_key)]
        await pilot.press("enter")
        await pilot.pause(0.3)
        assert isinstance(app.screen, MainScreen)
        grid = app.screen.current_view()
        assert isinstance(grid, GridView)
        assert f"{grid.service_id}/{grid.current().criterion.id}" == first.scope


async def test_review_jump_to_a_form_field(demo_db):
    with Session.open(demo_db) as s:
        s.set_answer(CAMPAIGN, "delegate_email", "pas-une-adresse")
    async with running(demo_db) as (app, pilot):
        app.screen.query_one("#sidebar").focus()
        await pilot.press("r")
        await pilot.pause(0.2)
        screen = app.screen
        table = screen.query_one("#review-problems")
        table.move_cursor(table.keys.index(next(k for k in table.keys
                                                  if screen.problems[int(k)].field == "delegate_email")))
        await pilot.press("enter")
        await pilot.pause(0.3)
        assert any(isinstance(a, Field) and a.question.id == "delegate_email" for a in app.focused.ancestors)


async def test_review_mode_is_read_only(demo_db):
    before = stored(demo_db, "svc-1/URB-01", "level")
    async with running(demo_db, review=True) as (app, pilot):
        blockers = len(app.session.data.live("blocker"))
        await pilot.pause(0.3)
        assert isinstance(app.screen, ReviewScreen) and app.screen.readonly
        await pilot.press("2")  # the services tab
        await pilot.pause(0.3)
        await pilot.press("down", "enter")  # below the region line, the first service: its grid
        await pilot.pause(0.3)
        grid = app.screen.current_view()
        assert isinstance(grid, GridView)
        grid.focus_criterion("URB-01")
        await pilot.press("0", "x", "c", "p", "b", "a")
        await pilot.pause(0.2)
        assert isinstance(app.screen, MainScreen)  # no prompt, no new blocker or action
        assert stored(demo_db, "svc-1/URB-01", "level") == before
        assert len(app.session.data.live("blocker")) == blockers
        await pilot.press("escape", "1")
        await pilot.pause(0.2)
        siret = app.screen.query_one("#field-siret", Field)
        assert siret.control.disabled
        await pilot.press("9")
        await pilot.pause(0.2)
        view = app.screen.current_view()
        assert isinstance(view, ValidationView)
        assert view.query_one("#sign").disabled


async def test_signoff_in_the_tui_then_withdrawn(demo_db):
    async with running(demo_db) as (app, pilot):
        app.screen.query_one("#sidebar").focus()
        await pilot.press("9")
        await pilot.pause(0.2)
        view = app.screen.current_view()
        view.query_one("#signoff-name").value = "Camille Le Goff"
        view.query_one("#signoff-role").value = "Responsable déléguée"
        await pilot.press("ctrl+s")
        await pilot.pause(0.2)
        assert review.signoff_state(app.session).current
        assert "Validée par Camille Le Goff" in str(view.query_one("#signoff-state").render())
        await pilot.press("escape", "4")
        await pilot.pause(0.2)
        app.screen.current_view().focus_criterion("URB-02")
        await pilot.press("1")
        await pilot.pause()
        await pilot.press("escape", "9")
        await pilot.pause(0.2)
        text = str(app.screen.current_view().query_one("#signoff-state").render())
        assert "RETIRÉE" in text
        assert "Modifié depuis la validation" in str(app.screen.current_view().query_one("#signoff-changes").render())
