"""The whole job of a regional urbanist at 80×24, keys only (issue #14): `benchmarks/walkthrough.py`
takes the real program in tmux from a file that does not exist to a final bundle signed by a pilot
certificate, which `convergence verify` and `openssl cms -verify` accept and which holds what was
typed. The benchmark prints the keys it took; this test makes sure it still does the job."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from benchmarks import walkthrough, walkthrough_scenario

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(shutil.which("tmux") is None or shutil.which("openssl") is None,
                       reason="tmux et openssl sont nécessaires"),
]


def test_a_campaign_of_three_services_typed_signed_and_verified_at_80x24(tmp_path: Path):
    result = walkthrough.walk(tmp_path)
    assert "Paquet valide" in result.verdict and "BROUILLON" not in result.verdict
    assert result.bundle.parent == tmp_path / "exports" and not result.bundle.name.endswith("-brouillon.zip")
    tally = result.tally
    assert tally.items["wizard"] == 1 and tally.items["signoff"] == 1 and tally.items["export"] == 1
    assert tally.items["services"] == len(walkthrough_scenario.SERVICES)
    assert tally.items["plan"] == sum(len(s.gaps) for s in walkthrough_scenario.SERVICES)
    # A cause is named once: one blocker and one action per cause, fewer items than gaps.
    causes = len(walkthrough_scenario.CAUSES)
    assert tally.written == {"blocker": causes, "action": causes} and causes < tally.items["plan"]
    # Rating is one key per criterion at the level due: the keys of the grid phase that are not
    # texts (justifications, evidence) nor moves are exactly one per criterion rated.
    assert tally.keys[("grid", "level")] == tally.items["grid"]
