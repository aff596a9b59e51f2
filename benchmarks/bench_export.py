"""Export (which re-verifies what it wrote) and verify of the 500-service campaign, as commands."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks.common import command_walls, row, summary

PASSWORD = "motdepasse-bench"


def run(db: Path, repeat: int = 5) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        os.environ["CONVERGENCE_P12_PASSWORD"] = PASSWORD
        try:
            base = [sys.executable, "-m", "convergence_tui"]
            command_walls([*base, "keygen", "--out", str(tmp / "k.p12"), "--name", "Bench"], 0)
            exports = []
            for i in range(repeat):
                out = tmp / f"out{i}"
                exports += command_walls([*base, "export", "--db", str(db), "--p12", str(tmp / "k.p12"), "--draft",
                                          "--out", str(out)], 1)
                bundle = next(out.glob("*.zip"))
            verifies = command_walls([*base, "verify", str(bundle)], repeat)
            # The figure must cover the whole check, derived entries regenerated and compared included.
            said = subprocess.run([*base, "verify", str(bundle)], capture_output=True, text=True).stdout
            assert "rapport.html régénérés depuis les réponses : identiques" in said, said
        finally:
            del os.environ["CONVERGENCE_P12_PASSWORD"]
    row("`convergence export --draft` (writes, re-verifies)", summary(exports), "target ≤ 3 s",
        statistics.median(exports) <= 3000)
    row("`convergence verify` (all regenerated)", summary(verifies), "target ≤ 3 s",
        statistics.median(verifies) <= 3000)
    return {"export_ms": exports, "verify_ms": verifies}


if __name__ == "__main__":
    # python -m benchmarks.bench_export [FOLDER]: these two figures alone (the campaign is made once in FOLDER).
    from benchmarks.common import large_campaign

    run(large_campaign(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.mkdtemp(prefix="convergence-bench-"))))
