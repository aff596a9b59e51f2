"""What a newcomer met walking a team campaign at 80×24 (second pair of eyes after #14), driven with
Pilot on real campaign files: what the top line must keep in sight, what the review says when only
the sign-off is missing, the words of a deletion, the verdict's count."""

from __future__ import annotations

from convergence_tui.app import ConvergenceApp
from convergence_tui.referentiel import load
from convergence_tui.usecases.session import Session
from convergence_tui.widgets.dialogs import Confirm
from tests.test_bundle import PASSWORD, identity
from tests.tui_helpers import goto, running

SMALL = (80, 24)


async def test_read_only_is_in_sight_at_80_columns_whatever_the_path(demo_db):
    """A second window on a campaign: the top line said « LECTURE SEULE » after the path, so at 80
    columns (a region and a file path of ordinary length) it was cut off and the line read only
    « ● enregistré  Convergence · … »: the person typed on, believing it saved."""
    holder = Session.open(demo_db)
    try:
        ref = load()
        session = Session.open(demo_db, ref, fallback_readonly=True)
        app = ConvergenceApp(demo_db, ref, session)
        async with app.run_test(size=SMALL) as pilot:
            await pilot.pause(0.3)
            bar = app.screen.query_one("#topbar")
            shown = bar.render_line(0).text
            assert len(shown) <= SMALL[0]
            assert "LECTURE SEULE (ouvert ailleurs)" in shown, shown
            assert "● enregistré" in shown
        session.close()
    finally:
        holder.close()


async def test_the_review_says_the_sign_off_is_what_is_missing(complete_db):
    """Everything answered, not signed off: the review's head said « Pas encore validée par le
    responsable. » then « Rien ne manque pour l'export définitif. », while a final export is refused
    for want of that very sign-off."""
    from tests.conftest import MINI

    async with running(complete_db, size=SMALL, referentiel=MINI) as (app, pilot):
        await pilot.press("r")
        await pilot.pause()
        head = str(app.screen.query_one("#review-head").render())
        assert "Pas encore validée" in head
        assert "Rien ne manque" not in head, head
        assert "Il ne manque que la validation du responsable pour l'export définitif." in head
    with Session.open(complete_db, MINI) as s:
        from convergence_tui.usecases.review import sign_off

        sign_off(s, "Yann Morvan", "Responsable délégué")
    async with running(complete_db, size=SMALL, referentiel=MINI) as (app, pilot):
        await pilot.press("r")
        await pilot.pause()
        assert "Rien ne manque pour l'export définitif." in str(app.screen.query_one("#review-head").render())


async def test_deleting_an_action_asks_in_french_that_agrees(demo_db):
    """d on an action asked « Supprimer le action n° 1 ? » (and « le ligne financière », « le
    indicateur »): the question now agrees with any item label, and says the undo key of the keymap."""
    async with running(demo_db, size=SMALL) as (app, pilot):
        await goto(pilot, "8")
        await pilot.press("d")
        await pilot.pause()
        assert isinstance(app.screen, Confirm)
        question = app.screen.question
        assert question.startswith("Supprimer cet élément : action n° 1"), question
        assert "le action" not in question
        assert "ctrl+z pour annuler ensuite." in question
        await pilot.press("n")
        await pilot.pause()
        assert not isinstance(app.screen, Confirm)


def test_the_verdict_counts_one_service_in_the_singular(tmp_path, identity, cli, monkeypatch):
    """A team's first bundle often holds one service: the verdict said « Scores recalculés à
    l'identique : 1 services. »"""
    db = tmp_path / "un.sqlite"
    with Session.create(db, author="Hélène", answers={"region": "52", "campaign_label": "2026-S2",
                                                       "reference_date": "2026-12-31"}) as s:
        s.add_item("service", {"name": "ROR", "category": "SOCLE_REF", "status": "production"})
    monkeypatch.setenv("CONVERGENCE_P12_PASSWORD", PASSWORD)
    code, _out, err = cli("export", "--db", db, "--p12", identity, "--draft", "--out", tmp_path / "exports")
    assert code == 0, err
    (bundle,) = (tmp_path / "exports").glob("*.zip")
    code, out, err = cli("verify", bundle)
    assert code == 0, err
    assert "Scores recalculés à l'identique : 1 service." in out, out


async def test_a_laptop_that_knows_no_name_asks_it_before_anything_is_journaled(demo_db, monkeypatch):
    """A teammate opens a copy of the campaign on their own laptop: every change was journaled under
    the file creator's name (the journal, the opening view and the merge then said the wrong
    person). The program asks « Votre nom » once, remembers it, and journals under it."""
    from convergence_tui.config import Remembered
    from convergence_tui.paths import state_file
    from convergence_tui.widgets.dialogs import NamePrompt
    from tests.tui_helpers import stored, type_text

    monkeypatch.delenv("CONVERGENCE_AUTHOR")
    async with running(demo_db, size=SMALL, remembered=Remembered.load()) as (app, pilot):
        for _ in range(40):
            await pilot.pause(0.05)
            if isinstance(app.screen, NamePrompt):
                break
        assert isinstance(app.screen, NamePrompt)
        await pilot.press("enter")  # nothing typed: asked again, not taken
        await pilot.pause()
        assert isinstance(app.screen, NamePrompt) and "écrivez votre nom" in str(
            app.screen.query_one("#name-error").render())
        await type_text(pilot, "Bob Le Gall")
        await pilot.press("enter")
        await pilot.pause()
        assert not isinstance(app.screen, NamePrompt) and app.session.author == "Bob Le Gall"
        grid = await goto(pilot, "4")
        cid = grid.current().criterion.id
        await pilot.press("0")
        for _ in range(40):
            await pilot.pause(0.05)
            if stored(demo_db, f"{grid.service_id}/{cid}", "level")[0] == 0:
                break
    import sqlite3

    conn = sqlite3.connect(demo_db)
    (author,) = conn.execute("select author from journal order by seq desc limit 1").fetchone()
    conn.close()
    assert author == "Bob Le Gall"
    assert 'author = "Bob Le Gall"' in state_file().read_text(encoding="utf-8")  # asked once


async def test_the_list_keys_are_not_hinted_under_an_open_form(demo_db):
    """« a ajouter · Entrée modifier · d supprimer » stayed under an item's form, where they do nothing."""
    async with running(demo_db, size=SMALL) as (_app, pilot):
        view = await goto(pilot, "7")
        hint_line = view.query_one(".view-hint")
        assert hint_line.display
        view.table.focus()
        await pilot.press("enter")
        await pilot.pause(0.2)
        assert view.editing and not hint_line.display
        await pilot.press("escape")
        await pilot.pause(0.2)
        assert not view.editing and hint_line.display
