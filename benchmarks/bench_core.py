"""Core figures on the 500-service campaign: scoring, one saved answer, `status --json`."""

from __future__ import annotations

import random
import statistics
import sys
from pathlib import Path

from benchmarks.common import command_walls, row, summary, timed


def run(db: Path, repeat: int = 200) -> dict:
    from convergence_tui.usecases.session import Session

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
            current = s.data.value(f"{sid}/{cid}", "level")
            level = (current if isinstance(current, int) else 0) + 1 + rng.randrange(4)
            assert s.set_level(sid, cid, level % 5).changed  # always a real write

        one_save()  # first write loads sqlite-utils (the TUI warms it up in the background)
        saves = timed(one_save, repeat)
        from benchmarks.common import percentile

        row("answer saved: validate + value + journal commit + re-score", summary(saves), "target p99 ≤ 5 ms",
            percentile(saves, 99) <= 5)
        results["save_ms"] = saves

    walls = command_walls([sys.executable, "-m", "convergence_tui", "status", "--json", "--db", str(db)], 10)
    row("`convergence status --json` wall time", summary(walls), "target p50 ≤ 1000 ms",
        statistics.median(walls) <= 1000)
    results["status_json_ms"] = walls
    return results
