"""`convergence merge`: two copies of the 500-service campaign that differ on 10 % of their answers
(DESIGN.md §8: ≤ 2 s). Of the answers that differ, 80 % were changed on their side only (taken),
10 % on ours only (kept) and 10 % on both to different values (stored as conflicts)."""

from __future__ import annotations

import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.common import row, summary

TARGET_MS = 2000


def prepare(db: Path, folder: Path) -> tuple[Path, Path, dict[str, int]]:
    """Ours and theirs, copies of `db`, each edited in one batch (as a day's work, journaled)."""
    from convergence_tui.cells import Cell, Change
    from convergence_tui.usecases.copying import copy_campaign
    from convergence_tui.usecases.session import Session

    ours, theirs = folder / "ours.sqlite", folder / "theirs.sqlite"
    for path in (ours, theirs):
        path.unlink(missing_ok=True)
        copy_campaign(db, path)
    with Session.open(ours, author="Anne") as s:
        answers = len(s.data.cells) + len(s.data.items)
        scopes = sorted(f"{sid}/{c.id}" for sid in s.data.live_ids("service") for c in s.ref.criteria)
    differ = answers // 10
    keys = random.Random(7).sample(scopes, min(differ, len(scopes)))
    theirs_only, both, ours_only = keys[: len(keys) * 8 // 10], keys[len(keys) * 8 // 10: len(keys) * 9 // 10], \
        keys[len(keys) * 9 // 10:]
    for path, who, edited in ((ours, "Anne", both + ours_only), (theirs, "Paul", theirs_only + both)):
        with Session.open(path, author=who) as s:
            s.commit([Change(scope, "comment", s.data.cells.get((scope, "comment")),
                             Cell(f"vu par {who}, {i}", f"vu par {who}, {i}")) for i, scope in enumerate(edited)])
    return ours, theirs, {"answers": answers, "differ": len(keys), "conflicts": len(both)}


def run(db: Path, repeat: int = 5) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        ours, theirs, counts = prepare(db, folder)
        pristine = folder / "ours-before.sqlite"
        shutil.copy(ours, pristine)
        walls, in_process = [], []
        for i in range(repeat + 1):
            shutil.copy(pristine, ours)
            t0 = time.perf_counter()
            done = subprocess.run([sys.executable, "-m", "convergence_tui", "merge", "--db", str(ours), str(theirs)],
                                  capture_output=True, text=True)
            if i:
                walls.append((time.perf_counter() - t0) * 1000)
            assert done.returncode == 3, done.stderr  # the conflicts are stored, to be resolved
        from convergence_tui.usecases.merging import merge
        from convergence_tui.usecases.session import Session

        for _ in range(repeat):
            shutil.copy(pristine, ours)
            with Session.open(ours, author="Anne") as s:
                t0 = time.perf_counter()
                merged = merge(s, theirs)
                in_process.append((time.perf_counter() - t0) * 1000)
            assert merged.conflicts == counts["conflicts"], merged
        what = (f"{counts['differ']} of {counts['answers']} answers differ, {counts['conflicts']} conflicts")
        row("`convergence merge`, 500 services, 10 % differ", summary(walls), f"≤ {TARGET_MS} ms",
            sorted(walls)[len(walls) // 2] <= TARGET_MS)
        row("the merge itself (use case, campaign open)", summary(in_process))
        print(f"  ({what}; {len(merged.taken)} answers taken)")
    return {"command": walls, "use case": in_process, **counts}


if __name__ == "__main__":
    # python -m benchmarks.bench_merge [FOLDER]: these figures alone (the campaign is made once in FOLDER).
    from benchmarks.common import large_campaign

    run(large_campaign(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.mkdtemp(prefix="convergence-bench-"))))
