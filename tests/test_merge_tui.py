"""The merge screen (issue #16 point 3), driven with Pilot on real campaign files at 80×24: reached by
its key, the palette and the sidebar entry while conflicts remain; each conflict with its place, both
values, who and when; o / t / e resolve, n / N go through them; a copy merged from the screen."""

from __future__ import annotations

import shutil

from convergence_tui.screens.main import MainScreen
from convergence_tui.screens.merge import MergeScreen
from convergence_tui.usecases.copying import copy_campaign
from convergence_tui.usecases.merging import merge
from convergence_tui.usecases.session import Session
from convergence_tui.widgets.dialogs import PathPrompt, TextPrompt
from convergence_tui.widgets.fast_table import FastTable
from tests.conftest import MINI
from tests.tui_helpers import running, stored, type_text

SMALL = (80, 24)


def two_copies(complete_db, tmp_path, *, merged: bool = True):
    """Anne's campaign and Paul's copy, each with its own values on two services' names and one
    comment; merged into Anne's (three conflicts) unless `merged` is False."""
    anne, paul = tmp_path / "anne.sqlite", tmp_path / "paul.sqlite"
    shutil.copy(complete_db, anne)
    copy_campaign(anne, paul)
    with Session.open(anne, MINI, author="Anne") as s:
        s1, s2 = s.data.live_ids("service")
        s.set_answer(s1, "name", "Annuaire (Anne)")
        s.set_answer(s2, "name", "Télé (Anne)")
        s.set_answer(f"{s1}/A-1", "comment", "Vu avec l'éditeur en mars")
    with Session.open(paul, MINI, author="Paul") as s:
        s.set_answer(s1, "name", "Annuaire (Paul)")
        s.set_answer(s2, "name", "Télé (Paul)")
        s.set_answer(f"{s1}/A-1", "comment", "L'éditeur livre en juin")
    if merged:
        with Session.open(anne, MINI, author="Anne") as s:
            assert merge(s, paul).conflicts == 3
    return anne, paul, s1, s2


def screen_text(app) -> str:
    """What the screen's texts and its table draw (the table's lines as painted)."""
    lines = [str(w.render()) for w in app.screen.query("Static")]
    for table in app.screen.query(FastTable):
        lines += ["".join(seg.text for seg in table.render_line(y)) for y in range(table.size.height)]
    return "\n".join(lines)


async def test_the_sidebar_entry_opens_the_merge_screen_with_both_values_who_and_when(complete_db, tmp_path):
    anne, _paul, _s1, _ = two_copies(complete_db, tmp_path)
    async with running(anne, SMALL, referentiel=MINI) as (app, pilot):
        sidebar = app.screen.query_one("#sidebar")
        assert "Fusion : 3 conflits" in str(sidebar.get_option("merge:").prompt)
        home = app.screen.current_view()
        assert "Fusion : 3 conflits à résoudre" in str(home.render())
        sidebar.focus()
        sidebar.highlight("merge:")
        await pilot.press("enter")
        await pilot.pause(0.2)
        assert isinstance(app.screen, MergeScreen)
        text = screen_text(app)
        assert "3 conflits à résoudre" in text
        assert "Annuaire (Anne)" in text and "Annuaire (Paul)" in text
        assert "Anne, le" in text and "Paul, le" in text and "paul.sqlite" in text, text
        await pilot.press("escape")
        await pilot.pause(0.2)
        app.screen.query_one("#sidebar").focus()
        await pilot.press("r")  # the review counts them among what blocks a final export
        await pilot.pause(0.3)
        assert "3 conflits de fusion à résoudre" in str(app.screen.query_one("#review-head").render())


async def test_o_t_and_e_resolve_and_n_goes_through_them(complete_db, tmp_path):
    anne, _paul, s1, s2 = two_copies(complete_db, tmp_path)
    async with running(anne, SMALL, referentiel=MINI) as (app, pilot):
        app.screen.query_one("#sidebar").focus()
        await pilot.press("m")
        await pilot.pause(0.2)
        screen = app.screen
        assert isinstance(screen, MergeScreen)
        places = [r.place for r in screen.rows]
        await pilot.press("n")
        assert screen._current().place == places[1]
        await pilot.press("N")
        assert screen._current().place == places[0]
        by_place = {r.place: r.conflict for r in screen.rows}
        # Resolve each by what its place is: the first name kept, the second taken, the comment written.
        for _ in range(3):
            row = screen._current()
            if row.conflict.field == "comment":
                await pilot.press("e")
                await pilot.pause(0.1)
                assert isinstance(app.screen, TextPrompt)
                await type_text(pilot, " ; livraison en juin")  # the edit starts from the value here
                await pilot.press("ctrl+s")
            elif row.conflict.scope == s1:
                await pilot.press("o")
            else:
                await pilot.press("t")
            await pilot.pause(0.1)
        assert screen.rows == [] and "aucun conflit" in screen_text(app)
        assert len(by_place) == 3
        await pilot.press("escape")
        await pilot.pause(0.2)
        assert isinstance(app.screen, MainScreen)
        assert "merge:" not in [o.id for o in app.screen.query_one("#sidebar")._options]
    assert stored(anne, s1, "name")[0] == "Annuaire (Anne)"
    assert stored(anne, s2, "name")[0] == "Télé (Paul)"
    assert stored(anne, f"{s1}/A-1", "comment")[0] == "Vu avec l'éditeur en mars ; livraison en juin"
    with Session.open(anne, MINI, readonly=True) as s:
        assert s.conflicts() == []
        assert [r.op for r in s.journal(limit=3)] == ["resolve"] * 3


async def test_a_copy_merged_from_the_palette_entry(complete_db, tmp_path):
    anne, paul, s1, _ = two_copies(complete_db, tmp_path, merged=False)
    async with running(anne, SMALL, referentiel=MINI) as (app, pilot):
        app.screen.query_one("#sidebar").focus()
        await pilot.press("M")  # « Fusionner une copie » (also in the palette)
        await pilot.pause(0.2)
        assert isinstance(app.screen, PathPrompt)
        await type_text(pilot, str(paul))
        await pilot.press("enter")
        await pilot.pause(0.3)
        screen = app.screen
        assert isinstance(screen, MergeScreen) and len(screen.rows) == 3
        await pilot.press("f")
        await pilot.pause(0.1)
        await type_text(pilot, str(tmp_path / "paul.sqlit"))  # a typo
        await pilot.press("enter")
        await pilot.pause(0.2)
        assert len(screen.rows) == 3  # said, nothing changed; asked again with the path as typed
        assert isinstance(app.screen, PathPrompt)
        assert app.screen.query_one("#path-input").value == str(tmp_path / "paul.sqlit")
        await pilot.press("escape")  # given up: back to the conflicts
        await pilot.pause(0.2)
        assert app.screen is screen
        await pilot.press("escape")
        await pilot.pause(0.2)
        await pilot.press("ctrl+z")  # the whole merge, one step
        await pilot.pause(0.2)
    with Session.open(anne, MINI, readonly=True) as s:
        assert s.conflicts() == [] and s.data.value(s1, "name") == "Annuaire (Anne)"


async def test_the_palette_lists_the_merge_commands(complete_db, tmp_path):
    anne, *_ = two_copies(complete_db, tmp_path)
    async with running(anne, SMALL, referentiel=MINI) as (app, _pilot):
        labels = {c.title for c in app.get_system_commands(app.screen)}
        assert {"Fusion", "Fusionner une copie"} <= labels


async def test_a_toast_naming_a_service_is_plain_text(complete_db, tmp_path):
    """A resolution's toast names the service: a name that looks like markup is shown as typed."""
    anne, paul = tmp_path / "anne.sqlite", tmp_path / "paul.sqlite"
    shutil.copy(complete_db, anne)
    copy_campaign(anne, paul)
    with Session.open(anne, MINI, author="Anne") as s:
        s1 = s.data.live_ids("service")[0]
        s.set_answer(s1, "name", "Annuaire [/b] [bold]régional")
    with Session.open(paul, MINI, author="Paul") as s:
        s.set_answer(s1, "name", "Annuaire (Paul)")
    with Session.open(anne, MINI, author="Anne") as s:
        assert merge(s, paul).conflicts == 1
    async with running(anne, SMALL, referentiel=MINI, notifications=True) as (app, pilot):
        app.screen.query_one("#sidebar").focus()
        await pilot.press("m")
        await pilot.pause(0.2)
        await pilot.press("o")
        await pilot.pause(0.2)
        toasts = [n.message for n in app._notifications]
        assert any("Annuaire [/b] [bold]régional" in m for m in toasts), toasts
        assert all(not n.markup for n in app._notifications)
