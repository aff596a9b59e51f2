"""The TUI driven with Pilot on real campaign files; the database is checked after the keys,
without any save action."""

from __future__ import annotations

import asyncio
import json

import pytest
from textual.widgets import Input, SelectionList, TextArea

from convergence_tui.campaign.data import CAMPAIGN
from convergence_tui.screens.main import MainScreen
from convergence_tui.screens.modals import HelpScreen, SearchScreen
from convergence_tui.ui.messages import AnswerSaved, CampaignChanged
from convergence_tui.widgets.choice import Choice
from convergence_tui.widgets.dialogs import Confirm, TextPrompt
from convergence_tui.widgets.fast_table import FastTable
from convergence_tui.widgets.fields import Field
from convergence_tui.widgets.grid_view import GridView
from convergence_tui.widgets.items_view import ItemsView
from convergence_tui.widgets.level_panel import LevelPanel
from tests.tui_helpers import (
    goto,
    hold_back_background_read,
    journal_count,
    running,
    saved,
    stored,
    type_text,
    until_complete,
)


async def test_wizard_creates_the_campaign(tmp_path):
    db = tmp_path / "new.sqlite"
    async with running(db) as (app, pilot):
        screen = app.screen
        screen.query_one("#region", Choice).value = "76"
        screen.query_one("#grades_name", Input).value = "GIP e-Santé Occitanie"
        screen.query_one("#campaign_label", Input).value = "2026-S2"
        screen.query_one("#reference_date", Input).value = "31/12/2026"
        screen.query_one("#author", Input).focus()
        await type_text(pilot, "Yann Morvan")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)
        assert stored(db, CAMPAIGN, "region")[0] == "76"
        assert stored(db, CAMPAIGN, "reference_date")[0] == "2026-12-31"
        assert app.session.meta()["author"] == "Yann Morvan"


async def test_wizard_refuses_bad_date_and_keeps_fields(tmp_path):
    db = tmp_path / "new.sqlite"
    async with running(db) as (app, pilot):
        screen = app.screen
        screen.query_one("#region", Choice).value = "53"
        screen.query_one("#grades_name", Input).value = "GCS"
        screen.query_one("#reference_date", Input).value = "32/12/2026"
        screen.query_one("#author", Input).value = "Camille"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert not isinstance(app.screen, MainScreen)
        assert "n'est pas une date valide" in str(screen.query_one("#wizard-error").render())
        assert screen.query_one("#reference_date", Input).value == "32/12/2026"
        assert not db.exists() or db.stat().st_size == 0


async def field_of(app, question_id: str, pilot=None) -> Field:
    """The field of a campaign question, on screen: its section is opened with its key first, as a
    person would (the program opens on the opening view)."""
    screen = app.screen
    sections = app.session.ref.sections
    n = next(n for n, s in enumerate(sections, 1) if any(q.id == question_id for q in s.questions))
    if screen.section_id != sections[n - 1].id:
        if app.focused is not None and app.focused.id != "sidebar":
            screen.query_one("#sidebar").focus()
        await app.run_action(f"screen.goto_section({n})")
        for _ in range(100):
            await asyncio.sleep(0.01)
            view = screen.current_view()
            if view.is_mounted and view.display and view.query(f"#field-{question_id}"):
                break
    field = screen.current_view().query_one(f"#field-{question_id}", Field)
    assert field.display or question_id.endswith("_other")
    return field


@pytest.mark.parametrize(
    ("question", "typed", "value", "error"),
    [
        ("grades_name", "GIP e-Santé Armor", "GIP e-Santé Armor", None),
        ("siret", "73282932000074", "73282932000074", None),
        ("siret", "73282932000075", None, "clé de contrôle fausse"),
        ("delegate_email", "camille@", None, "n'est pas une adresse e-mail"),
        ("delegate_email", "c.legoff@esante.example", "c.legoff@esante.example", None),
        ("delegate_phone", "02 99 00 00 00", "0299000000", None),
        ("delegate_phone", "123", None, "n'est pas un numéro valide"),
        ("reference_date", "31/02/2026", None, "n'est pas une date valide"),
        ("campaign_label", "2026-S3", None, "n'est pas un semestre"),
    ],
)
async def test_typed_answers_are_saved_without_any_save_key(demo_db, question, typed, value, error):
    async with running(demo_db) as (app, pilot):
        field = await field_of(app, question)
        field.focus_control()
        field.control.value = ""
        await pilot.pause()
        await type_text(pilot, typed)
        row = await saved(pilot, demo_db, CAMPAIGN, question, lambda r: r is not None and r[1] == typed)
        assert row[1] == typed  # kept as typed
        assert row[0] == value
        if error:
            assert error in row[2]
            assert field.has_class("-invalid")
            assert error in str(field.query_one(".field-note").render())
        else:
            assert row[2] is None


async def test_a_field_without_help_shows_then_hides_its_error(demo_db):
    """A field with no help has no note until a wrong value needs one (fewer widgets per form)."""
    async with running(demo_db) as (app, pilot):
        field = await field_of(app, "delegate_email")
        assert not field.query(".field-note")
        field.focus_control()
        field.control.value = ""
        await type_text(pilot, "camille@")
        await saved(pilot, demo_db, CAMPAIGN, "delegate_email", lambda r: r[1] == "camille@")
        await pilot.pause()
        note = field.query_one(".field-note")
        assert note.display and "n'est pas une adresse e-mail" in str(note.render())
        await type_text(pilot, "esante.example")
        await saved(pilot, demo_db, CAMPAIGN, "delegate_email", lambda r: r[0] == "camille@esante.example")
        await pilot.pause()
        assert not note.display and not field.has_class("-invalid")


async def test_every_question_type_in_a_service_item(demo_db):
    """Integer, decimal, euros, percent, long text, choice, multi choice, yes/no, date, service."""
    async with running(demo_db) as (app, pilot):
        await pilot.press("3")  # services
        await pilot.pause()
        view = app.screen.current_view()
        assert isinstance(view, ItemsView)
        view.open_item("svc-2")
        await pilot.pause(0.2)  # the form focuses its first field once mounted; let that happen first
        editor = view.editor
        cov = editor.field("coverage")
        cov.focus_control()
        cov.control.value = ""
        await pilot.pause()
        await type_text(pilot, "120")
        await pilot.press("tab")  # leaving the field saves at once
        row = await saved(pilot, demo_db, "svc-2", "coverage", lambda r: r is not None and r[1] == "120")
        assert row[2].startswith("120 dépasse le maximum 100")
        cov.focus_control()
        cov.control.value = "87,5"
        row = await saved(pilot, demo_db, "svc-2", "coverage", lambda r: r[1] == "87,5")
        assert row[:1] == (87.5,)
        editor.field("status").control.value = "pilote"
        editor.field("hds_hosted").control.value = False
        await pilot.pause()
        assert stored(demo_db, "svc-2", "status")[0] == "pilote"
        assert stored(demo_db, "svc-2", "hds_hosted")[0] == "false"  # JSON for booleans
        publics = editor.field("publics").control
        assert isinstance(publics, SelectionList)
        publics.deselect_all()
        publics.select("usagers")
        await pilot.pause()
        assert json.loads(stored(demo_db, "svc-2", "publics")[0]) == ["usagers"]
        area = editor.field("pos_position").control
        assert isinstance(area, TextArea)
        area.focus()
        area.text = ""
        await pilot.pause()
        await type_text(pilot, "Brique socle")
        row = await saved(pilot, demo_db, "svc-2", "pos_position", lambda r: r[0] == "Brique socle")
        assert row[0] == "Brique socle"
        start = editor.field("start_date")
        start.focus_control()
        start.control.value = "01/09/2019"
        row = await saved(pilot, demo_db, "svc-2", "start_date", lambda r: r[1] == "01/09/2019")
        assert row[0] == "2019-09-01"


async def test_integer_decimal_euros_in_finances_and_indicators(demo_db):
    async with running(demo_db) as (app, pilot):
        await pilot.press("6")  # finances
        await pilot.pause()
        view = app.screen.current_view()
        view.open_item(view.current_id())
        await pilot.pause(0.2)
        item = view.editing
        editor = view.editor
        for qid, raw, expected in (("year", "2031", 2031), ("amount", "12 500,5", 12500.5)):
            f = editor.field(qid)
            f.focus_control()
            f.control.value = raw
            row = await saved(pilot, demo_db, item, qid, lambda r, raw=raw: r[1] == raw)
            assert row[0] == expected
        year = editor.field("year")
        year.control.value = "deux mille"
        row = await saved(pilot, demo_db, item, "year", lambda r: r[1] == "deux mille")
        assert "n'est pas un nombre entier" in row[2]


async def test_conditional_visibility_live(demo_db):
    async with running(demo_db) as (app, pilot):
        other = await field_of(app, "grades_legal_form_other")
        assert not other.display
        (await field_of(app, "grades_legal_form")).control.value = "autre"
        await pilot.pause()
        assert other.display
        (await field_of(app, "grades_legal_form")).control.value = "gcs"
        await pilot.pause()
        assert not other.display


async def test_list_add_edit_delete_with_confirmation(demo_db):
    async with running(demo_db) as (app, pilot):
        await pilot.press("7")  # freins
        await pilot.pause()
        view = app.screen.current_view()
        before = view.table.row_count
        view.table.focus()
        await pilot.press("a")
        await pilot.pause()
        assert view.editing is not None
        new_id = view.editing
        view.editor.field("description").control.text = "Attente de la version 5 de l'éditeur"
        view.editor.field("description").focus_control()
        await pilot.press("end")
        row = await saved(pilot, demo_db, new_id, "description")
        assert row[0] == "Attente de la version 5 de l'éditeur"
        await pilot.press("escape")
        await pilot.pause()
        assert view.editing is None and view.table.row_count == before + 1
        view.table.move_cursor(row=view.table.get_row_index(new_id))
        await pilot.press("d")
        await pilot.pause()
        assert isinstance(app.screen, Confirm)
        await pilot.press("n")  # no: nothing deleted
        await pilot.pause()
        assert view.table.row_count == before + 1
        await pilot.press("d")
        await pilot.pause()
        await pilot.press("o")
        await pilot.pause()
        assert view.table.row_count == before
        assert app.session.journal(limit=1)[0].op == "delete"
        assert not app.session.data.is_live(new_id)


async def test_grid_keys_levels_na_justification_comment_evidence(demo_db):
    async with running(demo_db) as (app, pilot):
        await pilot.press("4")
        await pilot.pause()
        grid = app.screen.current_view()
        assert isinstance(grid, GridView)
        sid = grid.service_id
        grid.focus_criterion("URB-03")
        await pilot.press("2")
        await pilot.pause()
        assert stored(demo_db, f"{sid}/URB-03", "level")[0] == 2
        assert grid.current().criterion.id == "URB-04"  # a level key moves on to the next criterion
        assert grid.row("URB-03").state == "gap"
        grid.focus_criterion("URB-03")
        await pilot.press("x")
        await pilot.pause()
        assert isinstance(app.screen, TextPrompt)
        await type_text(pilot, "Pas de ROR ici")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert stored(demo_db, f"{sid}/URB-03", "level")[0] == "NA"
        assert stored(demo_db, f"{sid}/URB-03", "justification")[0] == "Pas de ROR ici"
        grid.focus_criterion("SEC-01")
        before = stored(demo_db, f"{sid}/SEC-01", "level")
        await pilot.press("3")  # SEC-01 allows 0 or 4 only: said, nothing changed
        await pilot.pause()
        assert stored(demo_db, f"{sid}/SEC-01", "level") == before
        assert grid.current().criterion.id == "SEC-01"  # an invalid level keeps the cursor on it
        await pilot.press("4")
        await pilot.pause()
        assert grid.current().criterion.id != "SEC-01"
        grid.focus_criterion("SEC-01")
        await pilot.press("p")
        await pilot.pause()
        area = app.screen.query_one(TextArea)
        area.text = ""
        await type_text(pilot, "Certificat HDS 2026")
        await pilot.press("ctrl+s")
        await pilot.press("c")
        await pilot.pause()
        await type_text(pilot, "Vu en comité")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert stored(demo_db, f"{sid}/SEC-01", "evidence")[0] == "Certificat HDS 2026"
        assert stored(demo_db, f"{sid}/SEC-01", "comment")[0] == "Vu en comité"
        grid.focus_criterion("URB-01")
        before = stored(demo_db, f"{sid}/URB-01", "level")
        await pilot.press("x")  # NA not allowed on URB-01: said, nothing changed
        await pilot.pause()
        assert not isinstance(app.screen, TextPrompt)
        assert stored(demo_db, f"{sid}/URB-01", "level") == before


async def test_level_panel_equals_status_json(demo_db, cli):
    messages = []
    async with running(demo_db, message_hook=messages.append) as (app, pilot):
        await pilot.press("4")
        await pilot.pause()
        grid = app.screen.current_view()
        grid.focus_criterion("IOP-02")
        await pilot.press("1")
        await pilot.pause()
        assert any(isinstance(m, AnswerSaved) for m in messages)
        assert any(isinstance(m, CampaignChanged) and grid.service_id in m.services for m in messages)
        panel_text = str(app.screen.query_one(LevelPanel).render())
        sid = grid.service_id
    _code, out, _ = cli("status", "--db", demo_db, "--json")
    doc = json.loads(out)
    service = next(s for s in doc["services"] if s["id"] == sid)
    for axis in ("URB", "IOP", "SEC", "ETH"):
        mine = service["maturity"][axis]
        theirs = doc["region"]["maturity"][axis]
        line = next(line for line in panel_text.splitlines() if line.startswith(axis))
        assert f"{mine:5.1f}".replace(".", ",") in line, (axis, line)
        assert f"{theirs:5.1f}".replace(".", ",") in line, (axis, line)
    counts = doc["region"]["status_counts"]
    assert f"{counts['convergent']} conv · {counts['partially_convergent']} part · {counts['non_convergent']} non" \
        in panel_text


async def test_search_jumps_to_question(demo_db):
    async with running(demo_db) as (app, pilot):
        await pilot.press("4")
        await pilot.pause()
        app.screen.query_one("#sidebar").focus()
        await pilot.press("slash")
        await pilot.pause()
        assert isinstance(app.screen, SearchScreen)
        await type_text(pilot, "siret")
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)
        focused = app.focused
        assert any(isinstance(a, Field) and a.question.id == "siret" for a in focused.ancestors)
        await pilot.press("escape", "slash")
        await type_text(pilot, "IOP-05")
        await pilot.press("enter")
        await pilot.pause()
        grid = app.screen.current_view()
        assert isinstance(grid, GridView) and grid.current().criterion.id == "IOP-05"


async def test_next_problem_walks_the_campaign(demo_db):
    async with running(demo_db) as (app, pilot):
        problems = app.session.problems()
        assert problems
        app.screen.query_one("#sidebar").focus()
        await pilot.press("n")
        await pilot.pause()
        first = problems[0]
        grid = app.screen.current_view()
        assert isinstance(grid, GridView)
        assert f"{grid.service_id}/{grid.current().criterion.id}" == first.scope
        await pilot.press("n")
        await pilot.pause()
        second = next(p for p in problems if p.scope != first.scope)
        assert f"{grid.service_id}/{app.screen.current_view().current().criterion.id}" in (first.scope, second.scope)
        await pilot.press("N")
        await pilot.pause()
        view = app.screen.current_view()
        assert f"{view.service_id}/{view.current().criterion.id}" == first.scope


async def test_next_problem_finds_invalid_form_answer(demo_db):
    async with running(demo_db) as (app, pilot):
        siret = await field_of(app, "siret")
        siret.control.value = "123"
        await saved(pilot, demo_db, CAMPAIGN, "siret", lambda r: r[1] == "123")
        app.screen.query_one("#sidebar").focus()
        await pilot.press("N")  # backwards from the first section wraps to the end, forwards finds siret
        await pilot.press("n")
        await pilot.pause()
        assert any(isinstance(a, Field) and a.question.id == "siret" for a in app.focused.ancestors)


async def test_undo_restores_previous_level(demo_db):
    async with running(demo_db) as (app, pilot):
        await pilot.press("4")
        await pilot.pause()
        grid = app.screen.current_view()
        sid = grid.service_id
        grid.focus_criterion("URB-02")
        before = stored(demo_db, f"{sid}/URB-02", "level")[0]
        await pilot.press("0")
        await pilot.pause()
        assert stored(demo_db, f"{sid}/URB-02", "level")[0] == 0
        count = journal_count(demo_db)
        await pilot.press("ctrl+z")
        await pilot.pause()
        assert stored(demo_db, f"{sid}/URB-02", "level")[0] == before
        assert journal_count(demo_db) == count + 1  # the undo is journaled too


async def test_help_lists_every_binding(demo_db):
    from convergence_tui.ui.commands import COMMANDS, key_label

    async with running(demo_db) as (app, pilot):
        app.screen.query_one("#sidebar").focus()
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        text = str(app.screen.query_one("#help-text").render())
        commands, _, keymap = text.partition("Changer une touche")
        for c in COMMANDS:
            # Each command said with its keys, in French; its identifier only where a keymap names it.
            assert f"{key_label(c.id, every=True):<18} {c.help}" in commands and f"({c.id})" not in commands
            assert f"  {c.id} = « " in keymap
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)


async def test_palette_commands(demo_db):
    async with running(demo_db) as (app, pilot):
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert "À compléter" in titles and "Chercher" in titles
        assert any(t.startswith("Section 5 :") for t in titles)
        goto = next(c for c in app.get_system_commands(app.screen) if c.title.startswith("Section 7 :"))
        goto.callback()
        await pilot.pause()
        assert app.screen.section_id == "freins"
        await pilot.press("ctrl+p")
        await pilot.pause()
        await type_text(pilot, "Section 6")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await pilot.pause(0.3)
        assert app.screen.section_id == "finances"


async def test_keymap_from_settings(demo_db):
    from convergence_tui.config import Settings

    async with running(demo_db, settings=Settings(keymap={"next_section": "ctrl+n"})) as (app, pilot):
        app.screen.query_one("#sidebar").focus()
        await pilot.press("ctrl+n")  # from the opening view: the first section
        await pilot.pause()
        assert app.screen.section_id == app.session.ref.sections[0].id
        app.screen.query_one("#sidebar").focus()
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert app.screen.section_id == app.session.ref.sections[1].id


async def test_section_keys(demo_db):
    async with running(demo_db) as (app, pilot):
        app.screen.query_one("#sidebar").focus()
        await pilot.press("right_square_bracket")  # from the opening view: the first section
        await pilot.pause()
        assert app.screen.section_id == "acteur"
        app.screen.query_one("#sidebar").focus()
        await pilot.press("right_square_bracket")
        await pilot.pause()
        assert app.screen.section_id == "socle"
        await pilot.press("left_square_bracket", "left_square_bracket")
        await pilot.pause()
        assert app.screen.section_id == "validation"
        await pilot.press("8")
        await pilot.pause()
        assert isinstance(app.screen.current_view(), ItemsView)
        assert isinstance(app.focused, FastTable)


async def test_blocker_from_gap_in_one_key(demo_db):
    async with running(demo_db) as (app, pilot):
        await pilot.press("4")
        await pilot.pause()
        grid = app.screen.current_view()
        sid = grid.service_id
        grid.focus_criterion("URB-04")
        await pilot.press("b")
        await pilot.pause()
        view = app.screen.current_view()
        assert isinstance(view, ItemsView) and view.section.item == "blocker"
        item = view.editing
        assert app.session.data.covers_of(item) == ((sid, "URB-04"),)
        await pilot.press("escape")  # back to the grid, on the gap (a « 4 » here would rate URB-04)
        await pilot.pause()
        app.screen.current_view().focus_criterion("URB-04")
        await pilot.press("a")
        await pilot.pause()
        view = app.screen.current_view()
        assert view.section.item == "action"
        assert app.session.data.value(view.editing, "target_level") == 4


async def test_b_and_a_on_a_row_that_is_no_gap_create_nothing(demo_db):
    """After rating a gap the cursor moves on, often to a met row: `b` there made an empty blocker
    covering a met criterion, ticked but hidden (the checklist lists gaps only). Now it says why."""
    async with running(demo_db, size=(80, 24), notifications=True) as (app, pilot):
        await pilot.press("4")
        await pilot.pause()
        grid = app.screen.current_view()
        met = next(r for r in grid.rows if r.state == "met")
        before = {kind: len(app.session.data.live_ids(kind)) for kind in ("blocker", "action")}
        for key in ("b", "a"):
            grid.focus_criterion(met.criterion.id)
            await pilot.press(key)
            await pilot.pause(0.2)
            assert app.screen.current_view() is grid
        assert {kind: len(app.session.data.live_ids(kind)) for kind in ("blocker", "action")} == before
        said = [n.message for n in app._notifications]
        assert any(f"{met.criterion.id} n'est pas un écart ici (✓ atteint)" in m and "Rien n'a été créé" in m
                   for m in said), said


async def test_sidebar_follows_a_blocker_added_from_the_grid(demo_db):
    """The blockers' list figure moves when a blocker is added from the grid (it stayed at 100 %
    when the refresh was wired message by message): every figure of the sidebar is what the session
    counts, after any change."""
    from convergence_tui.usecases.overview import section_progress
    from convergence_tui.widgets.sidebar import Sidebar, section_mark

    async with running(demo_db) as (app, pilot):
        session = app.session
        blockers = next(s for s in session.ref.sections if s.kind == "list" and s.item == "blocker")
        sidebar = app.screen.query_one(Sidebar)

        def shown(section) -> str:
            return str(sidebar.get_option(f"section:{section.id}").prompt)

        await pilot.press("4")
        await pilot.pause()
        assert shown(blockers).rstrip().endswith("✓")  # every blocker described
        app.screen.current_view().focus_criterion("URB-04")
        await pilot.press("b")
        await pilot.pause()
        figure = section_progress(session, blockers)
        assert figure.problems  # the new blocker has no description yet
        assert shown(blockers).rstrip().endswith(f"{figure.problems} ⚠")
        for section in session.ref.sections:  # and every other figure is the session's too
            if section.kind != "validation":
                mark, _style = section_mark(section.kind, section_progress(session, section))
                assert shown(section).rstrip().endswith(mark.strip())


async def test_reference_selects_in_an_action_and_region(demo_db):
    """Service, criterion, level and category choices; the region code list; a decimal indicator."""
    async with running(demo_db) as (app, pilot):
        region = await field_of(app, "region")
        assert ("76 Occitanie", "76") in region.options
        region.control.value = "76"
        row = await saved(pilot, demo_db, CAMPAIGN, "region", lambda r: r[0] == "76")
        assert row[0] == "76"
        app.screen.query_one("#sidebar").focus()
        await pilot.press("8")
        await pilot.pause()
        view = app.screen.current_view()
        view.table.focus()
        await pilot.press("a")
        await pilot.pause(0.2)
        item = view.editing
        editor = view.editor
        covers = editor.field("covers")  # the campaign's gaps, ticked in a list
        gap = next(value for _, value in covers.options if value.startswith("svc-3/"))
        covers.control.select(gap)
        await saved(pilot, demo_db, item, "covers", lambda r: json.loads(r[0]) == [gap.split("/")])
        level = editor.field("target_level")
        level.control.value = 4
        row = await saved(pilot, demo_db, item, "target_level", lambda r: r[0] == 4)
        assert row[2] is None
        # The new action's service is re-scored: its plan projection now counts it.
        assert app.session.data.actions_of("svc-3")[-1] == item
        await pilot.press("escape")
        await pilot.press("3")
        await pilot.pause()
        services = app.screen.current_view()
        services.open_item("svc-3", "category")
        await pilot.pause(0.2)
        category = services.editor.field("category")
        assert any(label.startswith("PORTAIL — ") for label, _ in category.options)
        category.control.value = "PORTAIL"
        await saved(pilot, demo_db, "svc-3", "category", lambda r: r[0] == "PORTAIL")
        assert app.session.scores.service("svc-3").category == "PORTAIL"
        await pilot.press("escape")
        await pilot.press("5")
        await pilot.pause()
        indicators = app.screen.current_view()
        indicators.open_item(indicators.current_id(), "value")
        await pilot.pause(0.2)
        value = indicators.editor.field("value")
        value.control.value = "1 234,5"
        row = await saved(pilot, demo_db, indicators.editing, "value", lambda r: r[1] == "1 234,5")
        assert row[0] == 1234.5


async def test_choice_picker_puts_the_best_match_first(tmp_path):
    db = tmp_path / "new.sqlite"
    async with running(db) as (app, pilot):
        app.screen.query_one("#region", Choice).focus()
        await pilot.press("enter")
        await pilot.pause(0.2)
        await type_text(pilot, "bret")
        await pilot.press("enter")
        await pilot.pause(0.2)
        assert app.screen.query_one("#region", Choice).value == "53"


async def test_first_screen_comes_before_the_scores_then_fills_in(demo_db, monkeypatch):
    """A large campaign shows its opening view at once; figures, levels and services follow from
    the background read, and a form asked for before it is built from what is already read."""
    from convergence_tui.app import ConvergenceApp
    from convergence_tui.referentiel import load
    from convergence_tui.usecases.session import Session
    from convergence_tui.widgets.form_view import FormView
    from convergence_tui.widgets.home_view import HomeView
    from convergence_tui.widgets.sidebar import Sidebar

    release = hold_back_background_read(monkeypatch)
    ref = load()
    session = Session.open(demo_db, ref, lazy=True)
    app = ConvergenceApp(demo_db, ref, session)
    at_ready = []  # what the start-up benchmark's stamp sees: the opening view, with the keyboard
    app.first_screen_ready = lambda: at_ready.append(
        (app.screen.current_view(), app.focused, str(app.screen.current_view().render())))
    async with app.run_test(size=(120, 24)) as pilot:
        await pilot.pause()
        screen = app.screen
        [(view, focused, text)] = at_ready
        assert isinstance(view, HomeView) and focused is view
        assert "Reprendre là où vous en étiez" in text and "Lecture de la campagne" in text
        assert isinstance(screen, MainScreen) and release.asked  # the read starts after the first paint
        assert "Calcul des niveaux" in str(screen.query_one(LevelPanel).render())
        sidebar = screen.query_one(Sidebar)
        assert not any((o.id or "").startswith("service:") for o in sidebar._options)
        # The forms are built ahead, hidden, from the campaign's answers, before the read (held back:
        # waiting for them cannot let it in; a loaded machine takes a few frames).
        for _ in range(50):
            if ref.sections[0].id in screen.views.kept:
                break
            await pilot.pause(0.05)
        built = screen.views.kept.get(ref.sections[0].id, (None,))[0]
        assert isinstance(built, FormView) and not built.display
        assert await goto(pilot, "1") is built and built.display and not session.scored
        # A form built when asked for (as after an undo) shows the fields in view first.
        at_reveal = []  # what the first frame of the form holds: the fields in view, the rest after
        real_revealed = FormView.revealed
        monkeypatch.setattr(FormView, "revealed", lambda self: (
            at_reveal.append((len(self.query(Field)), len(self._pending))), real_revealed(self)))
        await goto(pilot, "escape", "2")
        screen.views.forget_kept()  # the first form is put away and dropped
        form = await goto(pilot, "escape", "1")
        assert isinstance(form, FormView) and form is not built and not session.scored
        (mounted, held_back), *_ = at_reveal
        assert mounted >= 2 and held_back > 0 and mounted + held_back == len(ref.sections[0].questions)
        await pilot.pause()
        assert len(form.query(Field)) == len(ref.sections[0].questions)
        assert any(isinstance(w, Field) for w in app.focused.ancestors)  # the form has the keyboard
        release(session)
        await until_complete(pilot, session)
        services = [o for o in sidebar._options if (o.id or "").startswith("service:")]
        assert len(services) == len(session.data.live_ids("service"))
        region = session.scores_document()["region"]
        shown = str(screen.query_one(LevelPanel).render())
        assert f"{region['maturity']['global']:5.1f}".replace(".", ",").strip() in shown
        await pilot.press("escape", "h")  # back to the opening view: its figures are there now
        await pilot.pause()
        home = screen.current_view()
        assert isinstance(home, HomeView) and app.focused is home
        text = str(home.render())
        assert "Lecture de la campagne" not in text and "Complétude" in text
    session.close()


async def test_damage_found_after_the_first_screen_is_said_and_nothing_is_written(demo_db):
    from tests.test_session import _damage_a_page_nobody_reads_at_opening

    _damage_a_page_nobody_reads_at_opening(demo_db)
    before = demo_db.read_bytes()
    async with running(demo_db) as (app, pilot):
        assert app.session.readonly
        assert any("endommagé" in n.message for n in app._notifications)
        assert "lecture seule" in str(app.screen.query_one("#topbar").render())
        # The forms built ahead before the check found the damage are read-only too.
        await pilot.press("1")
        await pilot.pause()
        fields = list(app.screen.current_view().query(Field))
        assert fields and all(f.control.disabled for f in fields)
        await type_text(pilot, "x")
        await pilot.press("enter")
        await pilot.pause()
    assert demo_db.read_bytes() == before


async def test_section_views_are_kept_until_an_answer_changes(demo_db):
    async with running(demo_db) as (app, pilot):
        screen = app.screen
        await pilot.press("escape", "3")
        await pilot.pause()
        services = screen.current_view()
        rows = services.table.row_count
        await pilot.press("escape", "1")
        await pilot.pause()
        form = screen.current_view()
        assert not services.display and services.is_attached  # kept, hidden
        await pilot.press("escape", "3")
        await pilot.pause()
        assert screen.current_view() is services and services.display and not form.display
        assert app.focused is services.table
        # A level changed in the grid: the services list does not show levels, it is kept as it is.
        sid = app.session.data.live_ids("service")[0]
        crit = app.session.candidates(sid)[0].id
        app.session.set_level(sid, crit, 0 if app.session.data.value(f"{sid}/{crit}", "level") != 0 else 1)
        await pilot.press("escape", "1")
        await pilot.pause()
        await pilot.press("escape", "3")
        await pilot.pause()
        assert screen.current_view() is services
        # A change made elsewhere: the kept list is redrawn from the campaign, not shown stale.
        await pilot.press("escape", "1")
        await pilot.pause()
        app.session.add_item("service", {"name": "Service ajouté ailleurs"})
        await pilot.press("escape", "3")
        await pilot.pause()
        fresh = screen.current_view()
        assert fresh is not services and not services.is_attached
        assert fresh.table.row_count == rows + 1
        # Undo redraws the view on screen; a kept view is redrawn only if the undo touched what it
        # shows (the services are not in the first form).
        await pilot.press("ctrl+z")
        await pilot.pause()
        again = screen.current_view()
        assert again is not fresh and again.table.row_count == rows
        await pilot.press("escape", "1")
        await pilot.pause()
        assert screen.current_view() is form


async def test_a_kept_form_is_redrawn_only_when_its_own_answers_change(demo_db):
    """Answers changed elsewhere (here through the session, as an import or an undo would) while
    the forms are kept hidden: only the form showing them is redrawn."""
    async with running(demo_db) as (app, pilot):
        socle = await goto(pilot, "2")
        acteur = await goto(pilot, "escape", "1")
        await goto(pilot, "escape", "3")
        policy = app.session.data.value(CAMPAIGN, "security_policy")
        assert app.session.set_answer(CAMPAIGN, "security_policy", not policy).changed
        assert await goto(pilot, "escape", "1") is acteur  # an answer of the other form: kept as it is
        redrawn = await goto(pilot, "escape", "2")
        assert redrawn is not socle  # it shows that answer: redrawn, its condition applied
        assert redrawn.field("security_policy_date").display == (not policy)
        await goto(pilot, "escape", "3")
        assert app.session.data.value(CAMPAIGN, "grades_legal_form") != "autre"
        assert app.session.set_answer(CAMPAIGN, "grades_legal_form", "autre").changed
        assert await goto(pilot, "escape", "2") is redrawn
        again = await goto(pilot, "escape", "1")
        assert again is not acteur and again.field("grades_legal_form_other").display


async def test_a_kept_form_scrolls_to_the_field_asked_for(demo_db):
    """Going back to a form kept hidden, at a field far down: focused and in view."""
    async with running(demo_db, size=(80, 24)) as (app, pilot):
        screen = app.screen
        await pilot.press("1")
        await pilot.pause()
        form = screen.current_view()
        await pilot.press("escape", "3")
        await pilot.pause()
        screen.show_section("acteur", "", "delegate_name")
        for _ in range(20):
            await pilot.pause(0.03)
        assert screen.current_view() is form  # shown again, not rebuilt
        field = form.field("delegate_name")
        assert app.focused is field.control
        assert form.region.contains_region(field.control.region)  # scrolled into view


async def test_grid_asked_for_before_the_background_read_waits_on_screen_not_in_the_ui_thread(demo_db, monkeypatch):
    """The screen never waits for the campaign's read: a section asked for before its part is read
    says so in its place, and comes as soon as the read is done; the keys go on meanwhile."""
    from convergence_tui.app import ConvergenceApp
    from convergence_tui.referentiel import load
    from convergence_tui.screens.views import Waiting
    from convergence_tui.usecases.session import Session

    release = hold_back_background_read(monkeypatch)
    ref = load()
    session = Session.open(demo_db, ref, lazy=True)
    app = ConvergenceApp(demo_db, ref, session)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert not session.scored
        app.screen.query_one("#sidebar").focus()
        await pilot.press("4")
        await pilot.pause()
        waiting = app.screen.current_view()
        assert isinstance(waiting, Waiting) and "Lecture de la campagne" in str(waiting.render())
        assert not session.scored  # nothing was read by the UI thread
        await pilot.press("h")  # the keys still work: back to the opening view, and to the grid
        await pilot.pause()
        await pilot.press("4")
        release(session)
        for _ in range(100):
            await pilot.pause(0.05)
            if isinstance(app.screen.current_view(), GridView) and app.screen.current_view().rows:
                break
        grid = app.screen.current_view()
        assert isinstance(grid, GridView) and grid.rows and session.complete
    session.close()


async def test_moving_the_focus_does_not_redraw_the_whole_screen(demo_db):
    """Tab and section switches redraw what changed, not the whole screen (Textual's default)."""
    async with running(demo_db) as (app, pilot):
        await pilot.press("1")
        await pilot.pause(0.2)
        compositor = app.screen._compositor
        full = []
        real = compositor.render_full_update
        compositor.render_full_update = lambda *a, **k: full.append(1) or real(*a, **k)
        before = app.focused
        await pilot.press("tab")
        await pilot.pause(0.2)
        assert app.focused is not before
        await pilot.press("escape", "2")
        await pilot.pause(0.2)
        assert app.screen.section_id == "socle" and not full


async def test_a_form_on_screen_when_damage_is_found_becomes_read_only(demo_db, monkeypatch):
    from convergence_tui.app import ConvergenceApp
    from convergence_tui.referentiel import load
    from convergence_tui.usecases.session import Session
    from tests.test_session import _damage_a_page_nobody_reads_at_opening

    _damage_a_page_nobody_reads_at_opening(demo_db)
    before = demo_db.read_bytes()
    release = hold_back_background_read(monkeypatch)
    ref = load()
    session = Session.open(demo_db, ref, lazy=True)
    app = ConvergenceApp(demo_db, ref, session)
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            form = await goto(pilot, "1")  # before the integrity check: an editable form
            assert not form.query(Field).first().control.disabled
            release(session)
            await until_complete(pilot, session)
            await pilot.pause()
            fields = list(app.screen.current_view().query(Field))
            assert session.readonly and fields and all(f.control.disabled for f in fields)
            await type_text(pilot, "x")
            await pilot.press("enter")
            await pilot.pause()
    finally:
        session.close()
    assert demo_db.read_bytes() == before
