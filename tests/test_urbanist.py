"""What a regional urbanist meets at 80×24 (issue #14), driven with Pilot on real campaign files:
the row being rated always on screen, one key per criterion, NA only with its reason, why a
service is at its level, completeness one figure, the choice filter without accents."""

from __future__ import annotations

import pytest

from convergence_tui.config import Settings
from convergence_tui.referentiel import load
from convergence_tui.scoring import NA
from convergence_tui.screens.modals import SearchScreen
from convergence_tui.usecases.explain import level_meanings, status_reason
from convergence_tui.usecases.overview import completeness
from convergence_tui.usecases.session import Session
from convergence_tui.widgets.dialogs import Reading, TextPrompt
from convergence_tui.widgets.fast_table import FastTable
from convergence_tui.widgets.grid_view import GridView
from convergence_tui.widgets.picker import FuzzyPicker, folded
from tests.test_bundle import identity
from tests.tui_helpers import goto, running, stored, type_text

SMALL = (80, 24)


def row_on_screen(table: FastTable) -> bool:
    """The highlighted row is drawn inside the table's visible lines, with nothing over it (no scroll
    bar, no toast): the widget at that place of the screen is the table itself."""
    region = table.content_region
    y = region.y + 1 + table.cursor_row - round(table.scroll_offset.y)  # the header is line 0
    if not region.y < y < region.bottom:
        return False
    widget, _ = table.screen.get_widget_at(region.x + 2, y)
    shown = table.render_line(y - region.y).text
    return widget is table and (table.current_key or "") in shown


async def grid_at(pilot) -> GridView:
    grid = await goto(pilot, "4")
    assert isinstance(grid, GridView)
    return grid


# --- 1. the row being rated is on screen ---------------------------------------------------------


async def test_the_row_under_the_cursor_is_on_screen_at_80x24(demo_db):
    async with running(demo_db, size=SMALL) as (_app, pilot):
        grid = await grid_at(pilot)
        table = grid.table
        for _ in range(len(grid.rows) + 2):  # past the end: the cursor stops on the last row
            await pilot.press("down")
            await pilot.pause()
            assert row_on_screen(table), grid.current().criterion.id
        assert grid.current() is grid.rows[-1]
        # The horizontal scroll bar that hid the last row is gone for good.
        assert not table.show_horizontal_scrollbar
        for _ in range(len(grid.rows)):
            await pilot.press("up")
            await pilot.pause()
            assert row_on_screen(table)


async def test_search_next_problem_and_resume_land_on_a_visible_row(demo_db):
    async with running(demo_db, size=SMALL) as (app, pilot):
        # Entrée on the opening view: back where the person was, here the grid's last criterion.
        grid = await grid_at(pilot)
        last = grid.rows[-1].criterion.id
        grid.focus_criterion(last)
        await pilot.pause()
        app.screen.query_one("#sidebar").focus()
        await goto(pilot, "1")
        await pilot.press("slash")
        await pilot.pause()
        assert isinstance(app.screen, SearchScreen)
        target = grid.rows[-3].criterion.id
        await type_text(pilot, target)
        await pilot.press("enter")
        await pilot.pause()
        grid = app.screen.current_view()
        assert isinstance(grid, GridView) and grid.current().criterion.id == target
        assert row_on_screen(grid.table)
        # n: the next missing or invalid answer, wherever it is.
        app.screen.query_one("#sidebar").focus()
        for _ in range(6):
            await pilot.press("n")
            await pilot.pause()
            view = app.screen.current_view()
            if isinstance(view, GridView):
                assert row_on_screen(view.table), view.current().criterion.id


async def test_resume_from_the_opening_view_shows_the_row(demo_db, tmp_path):
    async with running(demo_db, size=SMALL) as (app, pilot):
        grid = await grid_at(pilot)
        grid.focus_criterion(grid.rows[-1].criterion.id)
        await pilot.pause()
        await pilot.press("3")  # a change: the place the opening view offers to resume
        await pilot.pause()
        place = grid.rows[-1].criterion.id
    async with running(demo_db, size=SMALL) as (app, pilot):
        await pilot.press("enter")  # « Reprendre là où vous en étiez »
        await pilot.pause()
        grid = app.screen.current_view()
        assert isinstance(grid, GridView) and grid.current().criterion.id == place
        assert row_on_screen(grid.table)


# --- 3. NA only with its reason ----------------------------------------------------------------


async def test_na_then_escape_leaves_the_criterion_as_it_was(demo_db):
    async with running(demo_db, size=SMALL) as (app, pilot):
        grid = await grid_at(pilot)
        sid = grid.service_id
        na_ok = next(r.criterion.id for r in grid.rows if r.criterion.na_allowed and r.level != NA)
        before = stored(demo_db, f"{sid}/{na_ok}", "level")
        grid.focus_criterion(na_ok)
        await pilot.pause()
        await pilot.press("x")
        await pilot.pause()
        assert isinstance(app.screen, TextPrompt)
        await type_text(pilot, "brouillon")
        await pilot.press("escape", "escape")  # a text written: the first échap warns, the second abandons
        await pilot.pause()
        assert not isinstance(app.screen, TextPrompt)
        assert stored(demo_db, f"{sid}/{na_ok}", "level") == before
        assert grid.current().criterion.id == na_ok and grid.current().level != NA
        # An empty reason is no reason either: said, nothing saved.
        await pilot.press("x")
        await pilot.pause()
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert stored(demo_db, f"{sid}/{na_ok}", "level") == before
        assert any("Sans justification" in n.message for n in app._notifications)
        # With the reason: NA and its justification, together.
        await pilot.press("x")
        await pilot.pause()
        await type_text(pilot, "Pas de flux ici")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert stored(demo_db, f"{sid}/{na_ok}", "level")[0] == NA
        assert stored(demo_db, f"{sid}/{na_ok}", "justification")[0] == "Pas de flux ici"


async def test_na_where_not_allowed_is_said_and_changes_nothing(demo_db):
    async with running(demo_db, size=SMALL) as (app, pilot):
        grid = await grid_at(pilot)
        no_na = next(r.criterion.id for r in grid.rows if not r.criterion.na_allowed)
        before = stored(demo_db, f"{grid.service_id}/{no_na}", "level")
        grid.focus_criterion(no_na)
        await pilot.pause()
        await pilot.press("x")
        await pilot.pause()
        assert not isinstance(app.screen, TextPrompt)
        assert any(f"{no_na} ne peut pas être déclaré non applicable" in n.message for n in app._notifications)
        assert stored(demo_db, f"{grid.service_id}/{no_na}", "level") == before


# --- 4. one key per criterion ------------------------------------------------------------------


@pytest.mark.parametrize("advance", [True, False])
async def test_a_level_key_moves_on_unless_the_setting_says_not(demo_db, advance):
    async with running(demo_db, size=SMALL, settings=Settings(grid_advance=advance)) as (_app, pilot):
        grid = await grid_at(pilot)
        sid = grid.service_id
        grid.focus_criterion(grid.rows[0].criterion.id)
        await pilot.pause()
        rated = []
        for _ in range(3):
            r = grid.current()
            level = max(grid.session.ref.allowed_levels(r.criterion))
            rated.append(r.criterion.id)
            await pilot.press(str(level))
            await pilot.pause()
        ids = [r.criterion.id for r in grid.rows]
        expected = ids[3] if advance else ids[0]
        assert grid.current().criterion.id == expected
        for cid in set(rated):
            assert stored(demo_db, f"{sid}/{cid}", "level")[2] is None


async def test_a_level_the_criterion_does_not_allow_is_said_and_changes_nothing(demo_db):
    async with running(demo_db, size=SMALL) as (app, pilot):
        grid = await grid_at(pilot)
        narrow = next(r.criterion for r in grid.rows if grid.session.ref.allowed_levels(r.criterion) == [0, 4])
        before = stored(demo_db, f"{grid.service_id}/{narrow.id}", "level")
        grid.focus_criterion(narrow.id)
        await pilot.pause()
        await pilot.press("2")
        await pilot.pause()
        assert grid.current().criterion.id == narrow.id
        assert any(f"{narrow.id} n'admet pas le niveau 2" in n.message for n in app._notifications)
        assert stored(demo_db, f"{grid.service_id}/{narrow.id}", "level") == before


# --- 5 and 7. what the levels mean, why the service is where it is --------------------------------


async def test_the_level_meanings_and_why_the_service_is_at_its_level(demo_db):
    async with running(demo_db, size=SMALL) as (app, pilot):
        grid = await grid_at(pilot)
        session = app.session
        for sid in session.data.live_ids("service"):
            score = session.scores.service(sid)
            if score is not None and score.status == "non_convergent":
                break
        grid.show_service(sid)
        await pilot.pause()
        line = grid.query_one("#grid-why")
        why = str(line.render())
        assert why.startswith("N0 non convergent : ")
        assert why in {status_reason(session, sid, limit=n) for n in (None, 0, 1, 2, 3)}
        # Every service's reason fits the line's two rows at 80 columns, naming what decides the level.
        for other in session.data.live_ids("service"):
            grid.show_service(other)
            await pilot.pause()
            lines = line.render().wrap(line.content_region.width)
            assert len(lines) <= 2, str(line.render())
            assert str(line.render()).startswith(f"N{session.scores.service(other).level} ")
        grid.show_service(sid)
        await pilot.pause()
        assert row_on_screen(grid.table)  # the why-line does not push the row off the screen
        c = grid.current().criterion
        meanings = level_meanings(c)
        level = grid.current().level
        details = str(grid.query_one("#grid-details").render())
        assert details.startswith(f"{c.id} — {c.label}")
        if isinstance(level, int) and level in meanings:
            assert f"Niveau {level} : {meanings[level]}" in details
        await pilot.press("i")  # the whole criterion, to read
        await pilot.pause()
        assert isinstance(app.screen, Reading)
        text = str(app.screen.query_one(".dialog-text").render())
        for n in session.ref.allowed_levels(c):
            assert f"  {n} — " in text
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, Reading)


def test_status_reason_names_what_decides_the_level(demo_db):
    """For every demo service, the sentence names the criteria and figures that §4's rules use."""
    session = Session.open(demo_db, load())
    try:
        thresholds = session.ref.thresholds
        for sid in session.data.live_ids("service"):
            score = session.scores.service(sid)
            if score is None:
                continue
            why = status_reason(session, sid)
            assert why.startswith(f"N{score.level} ")
            if score.status == "non_convergent":
                def at_zero(g: str) -> bool:  # a missing answer counts 0 (§4)
                    level = session.data.value(f"{sid}/{g}", "level")
                    return not isinstance(level, int) or level == 0

                critical_at_zero = [g for g in score.gaps if session.ref.criteria_by_id[g].critical and at_zero(g)]
                for g in critical_at_zero:
                    assert f"{g} ★ 0/" in why
                assert critical_at_zero or float(score.conformity) < thresholds.partial
                if float(score.conformity) < thresholds.partial:
                    assert "conformité" in why
            elif score.status == "partially_convergent":
                for g in score.gaps:
                    if session.ref.criteria_by_id[g].critical:
                        assert f"{g} ★" in why
    finally:
        session.close()


# --- 6. completeness: one figure ----------------------------------------------------------------


async def test_completeness_is_one_figure_on_every_screen(demo_db, cli):
    import json

    _code, out, _ = cli("status", "--db", str(demo_db), "--json")
    figure = json.loads(out)["region"]["completeness"]
    async with running(demo_db, size=SMALL) as (app, pilot):
        home = app.screen.current_view()
        sentence = completeness(app.session).sentence()
        assert sentence.startswith(f"{figure:.1f}".replace(".", ",") + " %")
        assert sentence in str(home.render()) or sentence in "".join(str(s.render()) for s in home.query("Static"))
        await pilot.press("r")
        await pilot.pause()
        texts = "".join(str(s.render()) for s in app.screen.query("Static"))
        assert sentence in texts
    _code, out, _ = cli("status", "--db", str(demo_db))
    assert f"Complétude {sentence} — " in out  # the command says it as the screens do


async def test_an_empty_campaign_claims_no_completeness(tmp_path, cli):
    db = tmp_path / "vide.sqlite"
    with Session.create(db, author="Camille", answers={"region": "53", "campaign_label": "2026-S2",
                                                        "reference_date": "2026-12-31"}) as session:
        shown = completeness(session)
        assert shown.percent is None and shown.sentence().startswith("—")
    _code, out, _ = cli("status", "--db", str(db))
    assert f"Complétude {shown.sentence()} — " in out and "100,0 %" not in out  # it said 100,0 %
    async with running(db, size=SMALL) as (app, _pilot):
        from convergence_tui.widgets.sidebar import Sidebar

        sidebar = app.screen.query_one(Sidebar)
        prompts = [str(o.prompt) for o in sidebar._options if o is not None and o.id]
        # Nothing entered: no section claims 100 % or ✓ when nothing is expected there.
        for section, prompt in zip(app.session.ref.sections, prompts, strict=False):
            if section.kind in ("grid", "list"):
                assert not prompt.rstrip().endswith(("100%", "✓")), prompt


# --- 8. the choice filter ----------------------------------------------------------------------


def test_folding_keeps_one_character_for_one():
    for text in ["ÉDITEUR", "Marché", "Île-de-France", "straße", "œuvre", "[bold]x[/]"]:
        assert len(folded(text)) == len(text)
    assert folded("ÉDITEUR") == "editeur" and folded("Île") == "ile"


async def test_the_filter_ignores_accents_and_a_no_match_keeps_the_keys_in_the_filter():
    from textual.app import App

    labels = ["ÉDITEUR", "NATIONAL", "MARCHÉ", "RÉGIONAL", "[b]AUTRE[/b]"]
    chosen = []

    class Host(App):
        def on_mount(self) -> None:
            self.push_screen(FuzzyPicker(labels), chosen.append)

    app = Host()
    async with app.run_test(size=SMALL) as pilot:
        await pilot.pause()
        await type_text(pilot, "edit")
        await pilot.pause()
        options = app.screen.query_one("#picker-options")
        assert str(options.get_option_at_index(0).prompt) == "ÉDITEUR"
        await pilot.press("ctrl+u")  # clear
        await type_text(pilot, "zzz")
        await pilot.pause()
        assert "Rien ne correspond" in str(options.get_option_at_index(0).prompt)
        await pilot.press("enter", "tab")
        await pilot.pause()
        assert isinstance(app.screen, FuzzyPicker) and app.focused.id == "picker-filter"
        await pilot.press("backspace", "backspace", "backspace")
        await type_text(pilot, "marche")
        await pilot.press("enter")
        await pilot.pause()
        assert chosen == [2]
        app.push_screen(FuzzyPicker(labels), chosen.append)
        await pilot.pause()
        await type_text(pilot, "autre")
        await pilot.pause()
        # A label from a file is text, never markup.
        assert str(app.screen.query_one("#picker-options").get_option_at_index(0).prompt) == "[b]AUTRE[/b]"


# --- 10. French on screen -------------------------------------------------------------------------


async def test_palette_undo_and_help_speak_french(demo_db):
    from textual.command import CommandInput, CommandPalette

    async with running(demo_db, size=SMALL) as (app, pilot):
        grid = await grid_at(pilot)
        c = grid.current().criterion
        await pilot.press("c")
        await pilot.pause()
        await type_text(pilot, "vu en COPIL")
        await pilot.press("ctrl+s")
        await pilot.pause()
        await pilot.press("ctrl+z")
        await pilot.pause()
        said = [n.message for n in app._notifications if n.message.startswith("Annulé")]
        assert said and said[-1].startswith(f"Annulé : {c.id} (") and said[-1].endswith(") : commentaire")
        await pilot.press("ctrl+p")
        await pilot.pause()
        assert isinstance(app.screen, CommandPalette)
        assert app.screen.query_one(CommandInput).placeholder == "Chercher une commande ou une section…"


# --- 5. nothing cut that a person needs ------------------------------------------------------------


async def test_long_question_labels_and_choices_wrap_instead_of_being_cut(demo_db):
    from convergence_tui.widgets.choice import Choice
    from convergence_tui.widgets.fields import Field

    async with running(demo_db, size=SMALL) as (app, pilot):
        form = await goto(pilot, "2")
        longest = max(form.query(Field), key=lambda f: len(f.label_text))
        label = longest.query_one(".field-label")
        assert len(longest.label_text) > label.content_region.width  # it would not fit on one line
        assert label.content_region.height >= 2  # so it takes two
        app.screen.query_one("#sidebar").focus()
        items = await goto(pilot, "3")
        items.table.focus()
        await pilot.press("enter")
        await pilot.pause()
        category = next(c for c in app.screen.current_view().query(Choice) if "—" in c.label())
        text = category.label()
        assert len(text) + 3 > category.content_region.width and category.content_region.height >= 2


async def test_plan_rows_of_the_review_tell_gaps_apart(demo_db):
    from convergence_tui.screens.review import ReviewScreen

    async with running(demo_db, size=SMALL) as (app, pilot):
        await pilot.press("r")
        await pilot.pause()
        assert isinstance(app.screen, ReviewScreen)
        await pilot.press("3")
        await pilot.pause()
        table = app.screen.query_one("#review-plan", FastTable)
        width = table.content_region.width
        shown = [table.render_line(y).text[:width] for y in range(1, min(table.row_count, 12) + 1)]
        # Each row starts with the criterion, its level over the level due, then the service.
        import re

        for line in shown:
            assert re.search(r"[A-Z]{3}-\d{2} \(\d/\d\) · ", line), line
        assert len(set(shown)) == len(shown)  # no two rows read the same on an 80-column screen


async def test_a_toast_never_covers_the_row_or_field_being_edited(demo_db):
    async with running(demo_db, size=SMALL, notifications=True) as (app, pilot):
        grid = await grid_at(pilot)
        no_na = next(r.criterion.id for r in grid.rows if not r.criterion.na_allowed)
        grid.focus_criterion(no_na)
        await pilot.pause()
        await pilot.press("x")  # said in a toast
        await pilot.pause()
        await pilot.pause()
        from textual.widgets._toast import Toast

        toasts = list(app.screen.query(Toast))
        assert toasts
        right = grid.region  # the whole view: title, rows, details
        for toast in toasts:
            assert not toast.region.overlaps(right)
        assert row_on_screen(grid.table)


async def test_the_sign_off_fields_are_on_screen_when_the_section_opens(demo_db):
    from textual.widgets import Button, Input

    async with running(demo_db, size=SMALL) as (app, pilot):
        view = await goto(pilot, "9")
        await pilot.pause()
        screen = app.screen.region
        for widget in (view.query_one("#signoff-name", Input), view.query_one("#signoff-role", Input),
                       view.query_one("#sign", Button)):
            shown = widget.region.intersection(view.region)
            assert shown == widget.region and screen.contains_region(shown), widget.id


async def test_after_signing_off_from_the_role_the_next_key_is_a_command_not_a_letter(demo_db):
    """The lead types the role, ctrl+s: the sign-off is in the file and the focus leaves the text
    fields, so `e` opens the export instead of typing an « e » that would withdraw the sign-off."""
    from textual.widgets import Input

    from convergence_tui.screens.export import ExportScreen

    async with running(demo_db, size=SMALL) as (app, pilot):
        view = await goto(pilot, "9")
        await pilot.pause()
        role = view.query_one("#signoff-role", Input)
        role.focus()
        role.value = ""
        await type_text(pilot, "Directeur")
        await pilot.press("ctrl+s")
        for _ in range(100):
            await pilot.pause(0.05)
            if app.session.signoffs():
                break
        assert app.session.signoffs()[-1]["role"] == "Directeur"
        await pilot.pause()
        await pilot.press("e")
        await pilot.pause(0.2)
        assert isinstance(app.screen, ExportScreen)
        assert role.value == "Directeur"
        assert not review_withdrawn(app.session)


def review_withdrawn(session) -> bool:
    from convergence_tui.usecases.review import signoff_state

    return signoff_state(session).withdrawn


# --- 2. the export says what it did, until the person closes it -------------------------------------


async def export_from_the_screen(app, pilot, p12, password: str):
    from convergence_tui.screens.export import ExportScreen

    app.screen.query_one("#sidebar").focus()
    await pilot.press("e")
    await pilot.pause(0.2)
    screen = app.screen
    assert isinstance(screen, ExportScreen)
    screen.query_one("#export-p12").value = str(p12)
    screen.query_one("#export-password").value = password
    await pilot.press("ctrl+s")
    for _ in range(400):
        await pilot.pause(0.05)
        if not screen.running:
            break
    return screen


def on_screen(widget) -> bool:
    region = widget.region
    return region.height > 0 and widget.screen.region.contains_region(region)


async def test_a_draft_export_says_where_verified_and_what_blocks_until_closed(demo_db, identity, tmp_path,
                                                                                monkeypatch):
    from tests.test_bundle import PASSWORD

    monkeypatch.chdir(tmp_path)
    async with running(demo_db, size=SMALL) as (app, pilot):
        screen = await export_from_the_screen(app, pilot, identity, PASSWORD)
        (bundle,) = (tmp_path / "exports").glob("*.zip")
        outcome = screen.query_one("#export-outcome")
        said = str(outcome.render())
        assert f"Paquet écrit et vérifié (signature, empreintes et contenu relus sur le disque) : {bundle.resolve()}" \
            in said
        assert "Nature : BROUILLON (" in said and "à compléter avant un export définitif : " in said
        assert bundle.name.endswith("-brouillon.zip")
        assert on_screen(outcome) and not screen.query_one("#export-form").display
        await pilot.pause(1.0)
        assert app.screen is screen  # stays: no toast that vanishes
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is not screen


async def test_a_final_export_says_so(complete_db, identity, tmp_path, monkeypatch, cli):
    from tests.conftest import MINI
    from tests.test_bundle import PASSWORD

    code, _out, err = cli("signoff", "--db", complete_db, "--referentiel", MINI, "--name", "Yann Morvan",
                          "--role", "Responsable délégué")
    assert code == 0, err
    monkeypatch.chdir(tmp_path)
    async with running(complete_db, size=SMALL, referentiel=MINI) as (app, pilot):
        screen = await export_from_the_screen(app, pilot, identity, PASSWORD)
        said = str(screen.query_one("#export-outcome").render())
        assert "Nature : soumission définitive." in said and "BROUILLON" not in said, said
        (bundle,) = (tmp_path / "exports").glob("*.zip")
        assert not bundle.name.endswith("-brouillon.zip") and str(bundle.resolve()) in said
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is not screen


async def test_changing_a_category_says_what_it_leaves_aside(demo_db):
    """A service moved to a category without some criteria it had answered: a toast says how many
    answers are set aside and kept (and how to get them back), and what must be attached again."""
    with Session.open(demo_db) as s:
        blocker = s.data.live_ids("blocker")[0]
        sid, cid = s.data.covers_of(blocker)[0]
        new = next(c.id for c in s.ref.categories if cid not in s.ref.candidate_ids(c.id))
        misplaced = [i for kind in ("blocker", "action") for i in s.data.live_ids(kind)
                     if any(p == sid and c not in s.ref.candidate_ids(new) for p, c in s.data.covers_of(i))]
        gone = [c for c in s.data.answers_of(sid) if c not in s.ref.candidate_ids(new)]
    async with running(demo_db, size=SMALL) as (app, pilot):
        services = await goto(pilot, "3")
        services.open_item(sid, "category")
        await pilot.pause(0.2)
        services.editor.field("category").control.value = new
        for _ in range(50):
            said = [n.message for n in app._notifications if n.title == "Catégorie changée"]
            if said:
                break
            await pilot.pause(0.05)
        assert said == [f"La catégorie {new} n'a pas tous les critères de ce service. {len(gone)} critères déjà "
                        f"renseignés ({', '.join(sorted(gone)[:3])} et {len(gone) - 3} autres) : réponses gardées "
                        "dans le fichier, hors scores et export ; elles reviennent avec l'ancienne catégorie. "
                        f"{len(misplaced)} freins ou actions : écarts couverts à revoir."]


async def test_escape_in_a_text_dialog_never_throws_away_what_was_written_on_one_key(demo_db):
    """`p`, a reference typed, échap: the dialog stays and says the text is not saved; ctrl+s then
    saves it. Échap twice abandons it; échap on a text left unchanged closes at once."""
    async with running(demo_db, size=SMALL) as (app, pilot):
        grid = await grid_at(pilot)
        cid = grid.current().criterion.id
        await pilot.press("p")
        await pilot.pause()
        await type_text(pilot, "Schéma directeur v3")
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, TextPrompt)
        assert "n'est pas enregistré" in str(app.screen.query_one(".view-hint").render())
        await pilot.press("ctrl+s")
        for _ in range(40):
            await pilot.pause(0.05)
            if stored(demo_db, f"{grid.service_id}/{cid}", "evidence"):
                break
        assert stored(demo_db, f"{grid.service_id}/{cid}", "evidence")[0].endswith("Schéma directeur v3")
        await pilot.press("c")
        await pilot.pause()
        await type_text(pilot, "brouillon")
        await pilot.press("escape", "escape")
        await pilot.pause()
        assert not isinstance(app.screen, TextPrompt)
        await pilot.press("c")
        await pilot.pause()
        await pilot.press("escape")  # nothing written: closes at once
        await pilot.pause()
        assert not isinstance(app.screen, TextPrompt)


async def test_rating_the_last_criterion_says_the_grid_ends_there(demo_db):
    async with running(demo_db, size=SMALL, notifications=True) as (app, pilot):
        grid = await grid_at(pilot)
        last = grid.rows[-1].criterion
        grid.focus_criterion(last.id)
        await pilot.pause()
        level = app.session.ref.allowed_levels(last)[-1]
        await pilot.press(str(level))
        await pilot.pause()
        said = [n.message for n in app._notifications]
        assert f"{last.id} noté {level} : dernier critère de ce service ; . pour le service suivant." in said
        assert grid.current().criterion.id == last.id
