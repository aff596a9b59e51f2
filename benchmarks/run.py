"""Run every benchmark and print the figures beside their targets.

    python -m benchmarks.run [--keep DIR]

Timings are printed, never asserted: CI does not run this.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks import bench_compare, bench_core, bench_export, bench_merge, bench_report, bench_startup
from benchmarks.common import ACTIONS, SERVICES, git_rev, large_campaign, machine


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--keep", type=Path, help="folder for the generated campaign (reused when present)")
    args = parser.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="convergence-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    print(f"Machine: {machine()}; commit {git_rev()}")
    db = large_campaign(folder)
    print(f"Campaign: {db} ({SERVICES} services, {ACTIONS} actions, {db.stat().st_size // 1024} KiB)\n")
    print("Core")
    bench_core.run(db)
    print("\nStart-up (real pseudo-terminal, 160×50)")
    bench_startup.run(db)
    print("\nTUI (Pilot, 160×50)")
    # In a process of its own, so that its peak memory is the TUI's.
    subprocess.run([sys.executable, "-m", "benchmarks.bench_tui", str(db)], check=True)
    print("\nExport and verify")
    bench_export.run(db)
    print("\nReports (convergence report)")
    bench_report.run(db)
    print("\nCompare with the previous campaign (convergence compare)")
    bench_compare.run(db)
    print("\nTeam merge (convergence merge)")
    bench_merge.run(db)



if __name__ == "__main__":
    main()
