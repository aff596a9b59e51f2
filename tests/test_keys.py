"""One registry for every key (ui/commands.py): each binding has an id there; the key bar, the help,
the palette, the hints written on screen and docs/keymap.md all come from it, with the user's keymap."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest
from textual.binding import Binding

import convergence_tui
from convergence_tui.ui.commands import BY_ID, markdown, use_keymap
from tests.conftest import ROOT
from tests.tui_helpers import running


def test_every_binding_of_the_program_comes_from_the_registry():
    """No binding defined outside ui/commands.py: each has an id the registry knows, with its keys."""
    checked = 0
    for module in pkgutil.walk_packages(convergence_tui.__path__, "convergence_tui."):
        if module.name.endswith("__main__"):
            continue  # runs the command line
        mod = importlib.import_module(module.name)
        for _, cls in inspect.getmembers(mod, inspect.isclass):
            if cls.__module__ != mod.__name__:
                continue
            for binding in cls.__dict__.get("BINDINGS", ()):
                assert isinstance(binding, Binding), (cls, binding)
                assert binding.id in BY_ID, (cls, binding)
                assert binding.key == BY_ID[binding.id].keys and binding.action == BY_ID[binding.id].action
                checked += 1
    assert checked >= len(BY_ID) - 5  # every screen and widget was seen


def test_keymap_doc_is_the_registry():
    assert (ROOT / "docs" / "keymap.md").read_text(encoding="utf-8") == markdown(), (
        "docs/keymap.md is stale: python -m convergence_tui.ui.commands > docs/keymap.md")


@pytest.fixture
def remapped():
    """The keymap a user writes in the settings file; the registry is put back as it was after."""
    keymap = {"next_problem": "ctrl+n", "review": "ctrl+r", "not_applicable": "ctrl+x"}
    yield keymap
    use_keymap({})


async def test_a_remapped_key_is_shown_remapped_everywhere(demo_db, remapped):
    from convergence_tui.config import Settings
    from convergence_tui.screens.modals import HelpScreen

    async with running(demo_db, settings=Settings(keymap=remapped)) as (app, pilot):
        await pilot.pause(0.3)
        home = str(app.screen.current_view().render())
        assert "ctrl+n à compléter" in home and "ctrl+r la revue" in home and " n à compléter" not in home
        assert "ctrl+n" in str(app.screen.query_one("#keys").render())  # the key bar
        titles = {c.title: c.help for c in app.get_system_commands(app.screen)}
        assert titles["À compléter"].endswith("(ctrl+n)") and titles["Revue"].endswith("(ctrl+r)")
        await pilot.press("ctrl+n")  # the new key works, and the old one no longer does
        await pilot.pause()
        assert app.screen.section_id != "@accueil"
        await pilot.press("4")
        await pilot.pause()
        details = str(app.screen.current_view().query_one("#grid-details").render())
        if "NA possible" in details:
            assert "NA possible (ctrl+x)" in details
        app.screen.query_one("#sidebar").focus()
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        help_text = str(app.screen.query_one("#help-text").render())
        assert "ctrl+n" in help_text and "ctrl+r" in help_text
