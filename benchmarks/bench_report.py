"""`convergence report`: the workbook (and, for comparison, the HTML report) of the 20-service demo
campaign and of the 500-service campaign, as commands."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from benchmarks.common import command_walls, row, summary


def run(db: Path, repeat: int = 5) -> dict:
    base = [sys.executable, "-m", "convergence_tui"]
    figures = {}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        demo = tmp / "demo.sqlite"
        command_walls([*base, "demo", "--db", str(demo)], 0)
        for name, campaign in (("demo (20 services)", demo), ("500 services", db)):
            for option, file in (("--xlsx", "c.xlsx"), ("--html", "r.html")):
                walls = command_walls([*base, "report", "--db", str(campaign), option, str(tmp / file), "--replace"],
                                      repeat)
                size = (tmp / file).stat().st_size // 1024
                row(f"`convergence report {option}`, {name}", f"{summary(walls)}  {size} Kio")
                figures[f"{option[2:]} {name}"] = walls
    return figures


if __name__ == "__main__":
    # python -m benchmarks.bench_report [FOLDER]: these figures alone (the campaign is made once in FOLDER).
    from benchmarks.common import large_campaign

    run(large_campaign(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.mkdtemp(prefix="convergence-bench-"))))
