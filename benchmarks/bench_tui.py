"""The TUI at 500 services, driven in-process with Pilot: opening, switching sections, moving in the
grid, and a level key until the answer is committed and the level panel shows it."""

from __future__ import annotations

import asyncio
import statistics
import time
from pathlib import Path

from benchmarks.common import percentile, row, summary

SECTION_KEYS = ["3", "4", "5", "6", "7", "8", "1", "2"]


async def _until(pilot, condition, timeout: float = 10.0) -> None:
    """Poll without Pilot's idle waits (they walk every widget and would dominate the figures)."""
    deadline = time.perf_counter() + timeout
    while not condition():
        if time.perf_counter() > deadline:
            raise TimeoutError("the app did not reach the expected state")
        await asyncio.sleep(0.0005)


CHARACTERS = {"full_stop": ".", "down": None}


async def _key(pilot, key: str) -> None:
    """Deliver one key the way the terminal driver does, without waiting for the app to go idle."""
    from textual import events

    pilot.app.post_message(events.Key(key, CHARACTERS.get(key, key)))
    await asyncio.sleep(0)


def _ready(app) -> bool:
    from convergence_tui.screens.main import MainScreen

    screen = app.screen
    return isinstance(screen, MainScreen) and screen.current_view() is not None and app.focused is not None


async def _measure(db: Path) -> dict:
    from convergence_tui.app import ConvergenceApp
    from convergence_tui.referentiel import load
    from convergence_tui.session import Session
    from convergence_tui.widgets.grid_view import GridView
    from convergence_tui.widgets.level_panel import LevelPanel

    t0 = time.perf_counter()
    ref = load()
    session = Session.open(db, ref)
    app = ConvergenceApp(db, ref, session)
    out: dict[str, list[float]] = {"switch": [], "switch_form": [], "grid_down": [], "next_service": [], "commit": [], "panel": [],
                                   "commit_only": []}
    async with app.run_test(size=(160, 50)) as pilot:
        await _until(pilot, lambda: _ready(app))
        out["open"] = [(time.perf_counter() - t0) * 1000]
        screen = app.screen
        sections = [s.id for s in ref.sections]
        for _ in range(3):
            for key in SECTION_KEYS:
                screen.query_one("#sidebar").focus()
                await asyncio.sleep(0.25)  # a settled screen, as when a person presses the next key
                target = sections[int(key) - 1]
                t = time.perf_counter()
                await _key(pilot, key)
                await _until(pilot, lambda target=target: screen.section_id == target and _ready(app)
                             and screen.current_view().is_mounted)
                await pilot.pause(0)
                kind = ref.sections_by_id[target].kind
                out["switch_form" if kind == "form" else "switch"].append((time.perf_counter() - t) * 1000)
        screen.query_one("#sidebar").focus()
        await pilot.press("4")
        await _until(pilot, lambda: isinstance(screen.current_view(), GridView) and screen.current_view().rows)
        grid = screen.current_view()
        grid.table.focus()
        for _ in range(60):
            if grid.table.cursor_row >= len(grid.rows) - 1:
                grid.table.move_cursor(row=0)
                await pilot.pause()
            before = grid.table.cursor_row
            t = time.perf_counter()
            await _key(pilot, "down")
            await _until(pilot, lambda b=before: grid.table.cursor_row != b)
            out["grid_down"].append((time.perf_counter() - t) * 1000)
        for _ in range(20):
            view = screen.current_view()
            sid = view.service_id
            await asyncio.sleep(0.1)
            t = time.perf_counter()
            await _key(pilot, "full_stop")
            await _until(pilot, lambda s=sid: isinstance(screen.current_view(), GridView)
                         and screen.current_view().service_id != s and screen.current_view().rows)
            await pilot.pause(0)
            out["next_service"].append((time.perf_counter() - t) * 1000)
            screen.current_view().table.focus()
        # A level key: until committed (value + journal), then until the panel shows the new figures.
        store = session.store
        original_apply = store.apply
        commit_done: list[float] = []

        def timed_apply(*args, **kwargs):
            start = time.perf_counter()
            result = original_apply(*args, **kwargs)
            commit_done.append(time.perf_counter())
            out["commit_only"].append((commit_done[-1] - start) * 1000)
            return result

        store.apply = timed_apply
        panel = screen.query_one(LevelPanel)
        for i in range(60):
            grid = screen.current_view()
            grid.table.focus()
            current = grid.current()
            level = current.level if isinstance(current.level, int) else 0
            new_level = (level + 1 + i % 3) % 5
            if new_level not in session.ref.allowed_levels(current.criterion):
                new_level = session.ref.allowed_levels(current.criterion)[0]
                if new_level == current.level:
                    await pilot.press("down")
                    continue
            shown = str(panel.render())
            await asyncio.sleep(0.05)
            commit_done.clear()
            t = time.perf_counter()
            await _key(pilot, str(new_level))
            await _until(pilot, lambda: commit_done)
            out["commit"].append((commit_done[0] - t) * 1000)
            await _until(pilot, lambda s=shown: str(panel.render()) != s or grid.current().level == new_level)
            out["panel"].append((time.perf_counter() - t) * 1000)
            await pilot.press("down")
        store.apply = original_apply
    session.close()
    return out


def run(db: Path) -> dict:
    results = asyncio.run(_measure(db))
    row("open the app to the first interactive view", f"{results['open'][0]:8.1f} ms (in-process, Pilot)")
    row("switch to a list or the grid (500 / 2,000 rows)", summary(results["switch"]), "target ≤ 100 ms",
        statistics.median(results["switch"]) <= 100)
    row("switch to a form section (5–13 questions)", summary(results["switch_form"]), "target ≤ 100 ms",
        statistics.median(results["switch_form"]) <= 100)
    row("grid: move the cursor one row", summary(results["grid_down"]), "target ≤ 100 ms",
        percentile(results["grid_down"], 99) <= 100)
    row("grid: next service", summary(results["next_service"]), "target ≤ 100 ms",
        percentile(results["next_service"], 99) <= 100)
    row("level key → committed (value + journal)", summary(results["commit"]), "(key dispatch included)")
    row("  of which the commit itself", summary(results["commit_only"]), "target p99 ≤ 5 ms",
        percentile(results["commit_only"], 99) <= 5)
    row("level key → level panel repainted", summary(results["panel"]), "target p99 ≤ 50 ms",
        percentile(results["panel"], 99) <= 50)
    results["panel_median"] = statistics.median(results["panel"])
    return results


if __name__ == "__main__":
    import resource
    import sys

    run(Path(sys.argv[1]))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    row("peak RSS of the TUI after touring every section", f"{peak:.0f} MiB", "target ≤ 150 MB",
        peak <= 150 * 1000 / 1024)
