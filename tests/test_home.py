"""The opening view: where to resume (from the journal), completion and sign-off, one key away."""

from __future__ import annotations

from convergence_tui.campaign.data import CAMPAIGN
from convergence_tui.usecases.overview import resume_point
from convergence_tui.usecases.session import Session
from convergence_tui.widgets.form_view import FormView
from convergence_tui.widgets.grid_view import GridView
from convergence_tui.widgets.home_view import HomeView
from convergence_tui.widgets.items_view import ItemsView
from tests.conftest import MINI
from tests.tui_helpers import running


def test_a_new_campaign_begins_at_the_first_section(tmp_path):
    with Session.create(tmp_path / "c.sqlite", MINI, author="Camille") as s:
        resume = resume_point(s)
        first = s.ref.sections[0]
        assert (resume.section, resume.scope, resume.field, resume.when) == (first.id, "", "", "")
        assert resume.where == f"1 {first.title}"


def test_resume_follows_the_newest_change_of_each_kind(demo_db):
    with Session.open(demo_db) as s:
        s.set_answer(CAMPAIGN, "siret", "73282932000074")
        resume = resume_point(s)
        assert (resume.section, resume.scope, resume.field) == ("acteur", "", "siret")
        assert "SIRET" in resume.where and resume.who == s.author and resume.when

        sid = s.data.live_ids("service")[2]
        criterion = s.candidates(sid)[1]
        s.set_level(sid, criterion.id, 3)
        resume = resume_point(s)
        grid = next(x for x in s.ref.sections if x.kind == "grid")
        assert (resume.section, resume.scope, resume.field) == (grid.id, f"{sid}/{criterion.id}", criterion.id)
        assert s.data.name_of(sid) in resume.where and criterion.id in resume.where

        action = s.data.live_ids("action")[0]
        s.set_answer(action, "status", "abandoned")
        resume = resume_point(s)
        plan = next(x for x in s.ref.sections if x.kind == "list" and x.item == "action")
        assert (resume.section, resume.scope, resume.field) == (plan.id, action, "status")

        s.delete_item(action)
        resume = resume_point(s)
        assert (resume.section, resume.scope, resume.field) == (plan.id, "", "")  # no editor on a deleted item
        assert f"suppression de {action}" in resume.where


def test_resume_is_known_before_the_background_read(demo_db):
    with Session.open(demo_db) as s:
        sid = s.data.live_ids("service")[0]
        criterion = s.candidates(sid)[0]
        s.set_level(sid, criterion.id, 1)
        expected = resume_point(s)
    with Session.open(demo_db, lazy=True) as s:
        assert s.stage == "first"
        resume = resume_point(s)  # the journal is read; only the service's name waits for the read
        assert (resume.section, resume.scope, resume.field) == (expected.section, expected.scope, expected.field)
        assert sid in resume.where
        s.ensure_complete()
        assert resume_point(s) == expected


async def test_enter_resumes_where_the_last_change_was_made(demo_db):
    with Session.open(demo_db) as s:
        sid = s.data.live_ids("service")[3]
        criterion = s.candidates(sid)[4]
        s.set_level(sid, criterion.id, 2)
        name = s.data.name_of(sid)
    async with running(demo_db) as (app, pilot):
        home = app.screen.current_view()
        assert isinstance(home, HomeView) and app.focused is home
        text = str(home.render())
        assert name[:20] in text and criterion.id in text and "Complétude" in text
        await pilot.press("enter")
        await pilot.pause()
        grid = app.screen.current_view()
        assert isinstance(grid, GridView) and grid.service_id == sid
        assert grid.current().criterion.id == criterion.id
        await pilot.press("2")  # the level key works at once: the grid has the keyboard
        await pilot.press("h")
        await pilot.pause()
        assert app.screen.current_view() is home and app.focused is home
        assert app.screen.section_id == "@accueil"


async def test_resume_opens_the_item_being_edited(demo_db):
    with Session.open(demo_db) as s:
        blocker = s.data.live_ids("blocker")[5]
        s.set_answer(blocker, "description", "Connecteur INS attendu")
    async with running(demo_db) as (app, pilot):
        await pilot.press("enter")
        await pilot.pause()
        view = app.screen.current_view()
        assert isinstance(view, ItemsView) and view.editing == blocker
        assert app.focused is view.editor.field("description").control


async def test_from_the_opening_view_n_goes_to_the_first_problem(demo_db):
    async with running(demo_db) as (app, pilot):
        first = app.session.problems()
        await pilot.press("n")
        await pilot.pause()
        assert app.screen.section_id == min(
            first, key=lambda p: [s.id for s in app.session.ref.sections].index(p.section)).section


async def test_a_new_campaign_opens_on_begin_then_the_first_form(tmp_path):
    db = tmp_path / "c.sqlite"
    Session.create(db, author="Camille").close()
    async with running(db) as (app, pilot):
        text = str(app.screen.current_view().render())
        assert "Commencer" in text
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen.current_view(), FormView)
        assert app.screen.section_id == app.session.ref.sections[0].id


def test_section_progress_is_recounted_only_after_a_change_where_it_comes_from(demo_db, monkeypatch):
    import convergence_tui.usecases.overview as overview

    counted = []
    real = overview._count_progress
    monkeypatch.setattr(overview, "_count_progress", lambda s, section: counted.append(section.id) or real(s, section))
    with Session.open(demo_db) as s:
        sections = {x.id: x for x in s.ref.sections}
        first = {sid: overview.section_progress(s, x) for sid, x in sections.items()}
        counted.clear()
        assert {sid: overview.section_progress(s, x) for sid, x in sections.items()} == first and not counted
        blocker = s.data.live_ids("blocker")[0]
        s.set_answer(blocker, "description", "")  # a required answer removed: one more to complete
        freins = overview.section_progress(s, sections["freins"])
        assert counted == ["freins"] and freins.problems == first["freins"].problems + 1
        counted.clear()
        sid = s.data.live_ids("service")[0]
        s.set_level(sid, s.candidates(sid)[0].id, None)  # a level removed: the grid only
        assert overview.section_progress(s, sections["grille"]).done == first["grille"].done - 1
        assert [overview.section_progress(s, x) for x in sections.values()] and counted == ["grille"]


async def test_quitting_as_the_first_screen_shows_is_clean(demo_db, monkeypatch):
    """What the start-up benchmark does (and a quick ctrl+q): the work planned after the first paint
    (forms built ahead, the background read) must not fail on a screen going away."""
    from convergence_tui.app import ConvergenceApp
    from convergence_tui.referentiel import load

    monkeypatch.setenv("CONVERGENCE_EXIT_WHEN_READY", "1")
    ref = load()
    session = Session.open(demo_db, ref, lazy=True)
    app = ConvergenceApp(demo_db, ref, session)
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            for _ in range(50):
                await pilot.pause(0.02)
                if app._exit_renderables or app.return_code is not None:
                    break
        assert app.return_code == 0
    finally:
        session.close()


def test_recent_changes_say_undos_and_deletions(demo_db):
    from convergence_tui.usecases.overview import recent_places

    with Session.open(demo_db) as s:
        plan = next(x for x in s.ref.sections if x.kind == "list" and x.item == "action")
        action = s.add_item("action", {"title": "Étape"})
        s.set_answer(CAMPAIGN, "siret", "73282932000074")
        s.undo()  # the SIRET back
        s.undo()  # the action's creation undone (one action: one line, whatever its rows)
        newest, siret_back, siret, created = recent_places(s, 4)
        assert newest.where.endswith(f"(création de {action} annulée)") and newest.scope == ""
        assert newest.section == plan.id
        assert siret_back.where.endswith("(annulation)") and siret_back.field == "siret"
        assert "annul" not in siret.where and created.scope == action


def test_a_merge_and_its_undo_name_the_copy(demo_db, tmp_path):
    """The opening view said « fusion de ? (annulation) » once a merge was undone (the undo row holds
    the merge's marker as its old value), and named a teammate's answer for the merge itself."""
    from convergence_tui.usecases.copying import copy_campaign
    from convergence_tui.usecases.merging import merge
    from convergence_tui.usecases.overview import recent_places

    paul = tmp_path / "paul.sqlite"
    copy_campaign(demo_db, paul)
    with Session.open(paul, author="Paul") as s:
        s.set_answer(CAMPAIGN, "siret", "73282932000074")
    with Session.open(demo_db, author="Camille") as s:
        merge(s, paul)
        (merged,) = recent_places(s, 1)
        assert merged.where == f"fusion de {paul}" and merged.who == "Camille"
        s.undo()
        undone, again = recent_places(s, 2)
        assert undone.where == f"fusion de {paul} (annulation)" and again.where == merged.where


async def test_the_opening_view_lists_the_last_changes(demo_db):
    with Session.open(demo_db) as s:
        s.set_answer(CAMPAIGN, "siret", "73282932000074")
        s.set_answer(CAMPAIGN, "delegate_name", "Aurélie Kerouanton")
    async with running(demo_db, size=(160, 50)) as (app, _pilot):
        text = str(app.screen.current_view().render())
        assert "Dernières modifications" in text
        assert text.index("Responsable délégué") < text.index("SIRET", text.index("Dernières modifications"))
