"""Core figures on the 500-service campaign: scoring, one saved answer, `status --json`."""

from __future__ import annotations

import random
import subprocess
import sys
import time
from pathlib import Path

from benchmarks.common import row, summary, timed


def run(db: Path, repeat: int = 200) -> dict:
    from convergence_tui.session import Session

    results = {}
    with Session.open(db) as s:
        inputs = s.data.service_inputs()
        full = timed(lambda: s.scorer.score_all(inputs), 30)
        row("full re-score (500 services)", summary(full), "target ≤ 50 ms", max(full) <= 50)
        results["full_rescore_ms"] = full

        rng = random.Random(1)
        services = s.data.live_ids("service")

        def one_incremental():
            sid = rng.choice(services)
            svc = s.data.service_input(sid)
            s.scorer.rescore_one(s.scores, svc)

        inc = timed(one_incremental, repeat)
        row("incremental re-score (one service + region)", summary(inc), "target ≤ 2 ms", sorted(inc)[-2] <= 2)
        results["incremental_ms"] = inc

        pairs = [(sid, c.id) for sid in services[:50] for c in s.candidates(sid) if c.levels is None]

        def one_save():
            sid, cid = rng.choice(pairs)
            s.set_level(sid, cid, rng.randrange(5))

        saves = timed(one_save, repeat)
        from benchmarks.common import percentile

        row("answer saved: validate + value + journal commit + re-score", summary(saves), "target p99 ≤ 5 ms",
            percentile(saves, 99) <= 5)
        results["save_ms"] = saves

    walls = []
    for _ in range(5):
        t0 = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "convergence_tui", "status", "--json", "--db", str(db)],
                              capture_output=True)
        walls.append((time.perf_counter() - t0) * 1000)
        assert done.returncode == 0, done.stderr
    row("`convergence status --json` wall time", summary(walls), "target ≤ 1000 ms", max(walls) <= 1000)
    results["status_json_ms"] = walls
    return results
