"""Helpers shared by the benchmarks: the large campaign, timing, and printing."""

from __future__ import annotations

import os
import platform
import statistics
import subprocess
import time
from pathlib import Path

SERVICES = 500
ACTIONS = 2000


def large_campaign(folder: Path) -> Path:
    """The 500-service campaign (all criteria answered, indicators, finances, 2,000 actions), made once."""
    path = folder / f"large-{SERVICES}.sqlite"
    if not path.exists():
        from convergence_tui.cli import main

        assert main(["demo", "--db", str(path), "--services", str(SERVICES), "--actions", str(ACTIONS)]) == 0
    return path


def command_walls(argv: list[str], repeat: int) -> list[float]:
    """Wall times of a whole command, as a user runs it: bytecode cached (as `pip install` leaves
    it, even where PYTHONDONTWRITEBYTECODE is set for development), one warm-up run first."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    walls = []
    for i in range(repeat + 1):
        t0 = time.perf_counter()
        done = subprocess.run(argv, capture_output=True, env=env)
        if i:
            walls.append((time.perf_counter() - t0) * 1000)
        assert done.returncode == 0, done.stderr
    return walls


def timed(fn, repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t0) * 1000)
    return out


def percentile(values: list[float], p: float) -> float:
    values = sorted(values)
    k = min(len(values) - 1, max(0, round(p / 100 * (len(values) - 1))))
    return values[k]


def summary(values: list[float]) -> str:
    return (f"p50 {statistics.median(values):7.2f} ms  p99 {percentile(values, 99):7.2f} ms  "
            f"max {max(values):7.2f} ms  (n={len(values)})")


def row(name: str, value: str, target: str = "", ok: bool | None = None) -> None:
    mark = "" if ok is None else ("  OK" if ok else "  MISSED")
    print(f"  {name:<44} {value:<52} {target}{mark}")


def machine() -> str:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores, {cpu}, "
            f"Python {platform.python_version()}")


def git_rev() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    except OSError:
        return "?"
