"""`convergence national` over 180 bundles: 18 regions × 10 semesters (2022-S1 … 2026-S2), 60 services
each, as the ANS receives them after five years.

The bundles are made by the real export path (`usecases.exporting.export`: a campaign file, its
answers, the signed bundle verified from disk), signed with a `convergence keygen` identity, and
kept in a folder (default: the user cache) so that a rerun does not make them again; their making
is timed apart. Each region is the demo campaign drawn with a seed of its own; its semesters climb
towards the last one (every level one step lower per two semesters back, where the criterion allows
it), so that the trends move.

    python -m benchmarks.bench_national [FOLDER] [--repeat N]
"""

from __future__ import annotations

import copy
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.common import command_walls, row, summary

REGIONS = ["01", "02", "03", "04", "06", "11", "24", "27", "28", "32", "44", "52", "53", "75", "76", "84", "93", "94"]
SEMESTERS = [f"{year}-S{half}" for year in range(2022, 2027) for half in (1, 2)]
SERVICES = 60
PASSWORD = "motdepasse-bench"
TARGET_S = 30.0


def semester_end(label: str) -> str:
    year, half = label.split("-S")
    return f"{year}-06-30" if half == "1" else f"{year}-12-31"


def semester_doc(ref: Any, base: dict[str, Any], region: str, index: int) -> dict[str, Any]:
    """The region's answers document at semester `index` (0 the first, 9 the last)."""
    doc = copy.deepcopy(base)
    label = SEMESTERS[index]
    doc["campaign"] = {"region": region, "label": label, "reference_date": semester_end(label)}
    step = (len(SEMESTERS) - 1 - index) // 2
    for service in doc["services"]:
        for cid, answer in service["criteria"].items():
            level = answer.get("level")
            if isinstance(level, int) and step:
                lower = level - step
                if lower in ref.allowed_levels(ref.criteria_by_id[cid]):
                    answer["level"] = lower
    return doc


def make_bundles(folder: Path) -> list[Path]:
    """The 180 bundles, made once in `folder/bundles` (listed in `folder/bundles/done` once complete)."""
    from convergence_tui.cli import main
    from convergence_tui.referentiel import load
    from convergence_tui.usecases.demo import make_document
    from convergence_tui.usecases.exporting import created_now, export
    from convergence_tui.usecases.session import Session

    out = folder / "bundles"
    done = out / "done"
    if done.exists():
        return [out / line for line in done.read_text(encoding="utf-8").splitlines()]
    out.mkdir(parents=True, exist_ok=True)
    p12 = folder / "ans-bench.p12"
    os.environ["CONVERGENCE_P12_PASSWORD"] = PASSWORD
    if not p12.exists():
        assert main(["keygen", "--out", str(p12), "--name", "Banc d'essai national"]) == 0
    ref = load()
    made: list[Path] = []
    created = created_now()
    for n, region in enumerate(REGIONS):
        base = make_document(ref, services=SERVICES, seed=1000 + n)
        for index in range(len(SEMESTERS)):
            db = out / f"{region}-{SEMESTERS[index]}.sqlite"
            db.unlink(missing_ok=True)
            with Session.creating(db, ref, author="Banc d'essai") as session:
                session.import_document(semester_doc(ref, base, region, index), "banc d'essai")
                result = export(session, out, p12, PASSWORD, draft=True, created=created)
            db.unlink()
            made.append(result.path)
        print(f"  … {region} : {len(SEMESTERS)} paquets", file=sys.stderr)
    done.write_text("".join(f"{p.name}\n" for p in made), encoding="utf-8")
    return made


def run(folder: Path | None = None, repeat: int = 3) -> dict[str, Any]:
    folder = folder or Path(tempfile.gettempdir()) / "convergence-bench-national"
    folder.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    bundles = make_bundles(folder)
    made_s = time.perf_counter() - t0
    assert len(bundles) == len(REGIONS) * len(SEMESTERS)
    row("bundles ready (made, or found in the folder)", f"{made_s:7.1f} s  ({len(bundles)} bundles, {folder})")
    with tempfile.TemporaryDirectory() as tmp:
        argv = [sys.executable, "-m", "convergence_tui", "national", *map(str, bundles), "--out", str(Path(tmp) / "n")]
        # The CPU time of the command and its worker processes beside the wall time: on a machine shared
        # with other work, the wall time says the load as much as the program.
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        walls = command_walls(argv, repeat)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime) / (repeat + 1)
        sizes = {p.name: p.stat().st_size // 1024 for p in (Path(tmp) / "n").iterdir()}
    p50 = statistics.median(walls) / 1000
    row(f"`convergence national` ({len(bundles)} bundles, {os.cpu_count()} cores)", summary(walls),
        f"target ≤ {TARGET_S:.0f} s", p50 <= TARGET_S)
    row("CPU time per run (the command and its workers)", f"{cpu:7.1f} s  (load average {os.getloadavg()[0]:.1f})")
    row("files", ", ".join(f"{k} {v} Kio" for k, v in sorted(sizes.items())))
    return {"make_s": made_s, "national_ms": walls, "cpu_s": cpu, "sizes_kib": sizes}


if __name__ == "__main__":
    args = sys.argv[1:]
    repeat = 3
    if "--repeat" in args:
        i = args.index("--repeat")
        repeat = int(args[i + 1])
        del args[i:i + 2]
    run(Path(args[0]) if args else None, repeat)
