"""The real program in a real terminal cannot be driven by what a campaign file holds: a service
name carrying escape sequences (a file edited by hand, or written before input was checked) shows
as visible characters, colours nothing, hides nothing and does not retitle the window."""

from __future__ import annotations

import sqlite3
import sys
from pathlib import Path

import pytest

from convergence_tui.cli import main as cli_main
from tests.terminal import Tmux, plain

pytestmark = pytest.mark.e2e

HOSTILE = "Faux\x1b[31mROUGE\x1b[0m\x1b[8mCACHE\x1b]2;pirate\x07FIN"


def test_escape_sequences_in_a_campaign_are_shown_not_run(terminal: Tmux, tmp_path: Path):
    db = tmp_path / "c.sqlite"
    assert cli_main(["demo", "--db", str(db)]) == 0
    with sqlite3.connect(db) as conn:
        conn.execute("update answers set value = ? where field = 'name' and scope = "
                     "(select id from items where kind = 'service' order by position limit 1)", [HOSTILE])
    terminal.start([sys.executable, "-m", "convergence_tui", "--db", str(db)])
    terminal.wait_for("Faux␛[31mROUGE␛[0m␛")  # the sidebar lists the services (read after the first paint)
    terminal.keys("3")  # the services' inventory; the level panel names the service
    screen = terminal.wait_for("Faux␛[31mROUGE␛[0m␛[8mCACH ")  # what would have been hidden is shown
    styled = terminal.styled()
    for row in (line for line in styled.split("\n") if "ROUGE" in line):
        assert "\x1b[31m" not in row and "\x1b[8m" not in row and "\x1b]" not in row, row
    assert "pirate" not in terminal.pane("#{pane_title}")
    # Each line keeps its width: the sidebar and the table's border stay where they belong.
    assert all(len(line) <= 100 for line in plain(styled).split("\n"))
    assert all(line.index("▕") == 30 for line in screen.split("\n")[1:20] if "▕" in line)
