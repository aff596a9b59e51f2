"""`convergence compare` of two 500-service campaigns: the baseline is the bundle exported from the
large campaign, the other a `convergence copy` of it edited as a next semester would be (a tenth of
the levels changed, 5 services retired and 5 added, 200 actions done)."""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
from pathlib import Path

from benchmarks.common import command_walls, row, summary, timed

PASSWORD = "motdepasse-bench"


def edited_copy(db: Path, folder: Path) -> Path:
    from convergence_tui.cli import main
    from convergence_tui.usecases.session import Session

    other = folder / "semestre-suivant.sqlite"
    assert main(["copy", "--db", str(db), "--out", str(other)]) == 0
    with Session.open(other) as s:
        services = s.data.live_ids("service")
        n = 0
        for i, sid in enumerate(services):
            for j, c in enumerate(s.candidates(sid)):
                if (i + j) % 10 == 0:  # a tenth of the levels
                    level = s.data.value(f"{sid}/{c.id}", "level")
                    s.set_level(sid, c.id, (level + 1) % 5 if isinstance(level, int) else 2)
                    n += 1
        for sid in services[:5]:
            s.delete_item(sid)
        for k in range(5):
            s.add_item("service", {"name": f"Service nouveau {k}", "category": "COORD"})
        for a in s.data.live("action")[:200]:
            s.set_answer(a.id, "status", "done")
    return other


def run(db: Path, repeat: int = 5) -> dict:
    base = [sys.executable, "-m", "convergence_tui"]
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        os.environ["CONVERGENCE_P12_PASSWORD"] = PASSWORD
        try:
            command_walls([*base, "keygen", "--out", str(tmp / "k.p12"), "--name", "Bench"], 0)
            command_walls([*base, "export", "--db", str(db), "--p12", str(tmp / "k.p12"), "--draft", "--out",
                           str(tmp / "out")], 0)
        finally:
            del os.environ["CONVERGENCE_P12_PASSWORD"]
        bundle = next((tmp / "out").glob("*.zip"))
        other = edited_copy(db, tmp)
        # Setting the baseline: the bundle verified (as `verify` does), remembered, then compared.
        setting = command_walls([*base, "compare", "--db", str(other), str(bundle), "--json"], repeat)
        remembered = command_walls([*base, "compare", "--db", str(other), "--json"], repeat)
        text = command_walls([*base, "compare", "--db", str(other)], repeat)

        from convergence_tui.usecases import comparing
        from convergence_tui.usecases.session import Session

        with Session.open(other, readonly=True) as session:
            alone = timed(lambda: comparing.campaign_comparison(session), repeat * 2)
    row("`compare --json`, baseline remembered", summary(remembered), "target ≤ 2 s",
        statistics.median(remembered) <= 2000)
    row("`compare` (French text), baseline remembered", summary(text), "target ≤ 2 s",
        statistics.median(text) <= 2000)
    row("`compare BUNDLE --json` (verify + remember)", summary(setting), "once per baseline")
    row("comparison use case (campaign open)", summary(alone))
    return {"remembered_ms": remembered, "text_ms": text, "setting_ms": setting, "use_case_ms": alone}


if __name__ == "__main__":
    # python -m benchmarks.bench_compare [FOLDER]: these figures alone (the campaign is made once in FOLDER).
    from benchmarks.common import large_campaign

    run(large_campaign(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.mkdtemp(prefix="convergence-bench-"))))
