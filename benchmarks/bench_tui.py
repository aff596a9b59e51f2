"""The TUI at 500 services, driven in-process with Pilot: opening, switching sections, moving in the
grid, and a level key until the answer is committed and the level panel shows it."""

from __future__ import annotations

import asyncio
import gc
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


class Frames:
    """When the app hands a frame to the terminal. The headless driver skips turning the frame into
    terminal output; it is done here, so that its cost counts as it does in a real terminal."""

    def __init__(self, app) -> None:
        self.times: list[float] = []
        original = app._display

        def display(screen, renderable) -> None:
            original(screen, renderable)
            if renderable is not None:
                if hasattr(renderable, "render_segments"):
                    renderable.render_segments(app.console)
                self.times.append(time.perf_counter())

        app._display = display

    async def next_after(self, since: float, timeout: float = 10.0) -> float:
        """ms from `since` to the end of the first frame composed after `since`."""
        deadline = time.perf_counter() + timeout
        mark = time.perf_counter()
        while not (self.times and self.times[-1] > mark):
            if time.perf_counter() > deadline:
                raise TimeoutError("no frame")
            await asyncio.sleep(0.0005)
        return (next(t for t in self.times if t > mark) - since) * 1000

    async def settled(self, since: float, quiet: float = 0.06, timeout: float = 10.0) -> float:
        """ms from `since` to the last frame, once no frame has come for `quiet` seconds."""
        deadline = time.perf_counter() + timeout
        while True:
            last = self.times[-1] if self.times and self.times[-1] > since else None
            now = time.perf_counter()
            if last is not None and now - last >= quiet:
                return (last - since) * 1000
            if now > deadline:
                raise TimeoutError("no frame after the key")
            await asyncio.sleep(0.002)


def _ready(app) -> bool:
    from convergence_tui.screens.main import MainScreen

    screen = app.screen
    return isinstance(screen, MainScreen) and screen.current_view() is not None and app.focused is not None


def _shown(app, section) -> bool:
    """The section's view is on screen with what it shows: its fields, its rows, and the focus."""
    from convergence_tui.widgets.fields import Field

    screen = app.screen
    view = screen.current_view()
    if screen.section_id != section.id or not _ready(app) or not view.is_mounted or not view.display:
        return False
    if app.focused not in view.walk_children():
        return False
    if section.kind == "form":  # the fields in view (those further down come a frame later)
        fields = list(view.query(Field))
        return len(fields) + len(view._pending) == len(section.questions) and all(f.children for f in fields)
    table = getattr(view, "table", None)
    return table is None or table.row_count > 0 or not view.session.data.live_ids(section.item or "service")


async def _measure(db: Path) -> dict:
    from convergence_tui.app import ConvergenceApp
    from convergence_tui.referentiel import load
    from convergence_tui.usecases.session import Session
    from convergence_tui.widgets.grid_view import GridView
    from convergence_tui.widgets.level_panel import LevelPanel

    t0 = time.perf_counter()
    ref = load()
    session = Session.open(db, ref)
    app = ConvergenceApp(db, ref, session)
    out: dict[str, list[float]] = {"grid_down": [], "next_service": [], "commit": [], "panel": [],
                                   "commit_only": []}
    async with app.run_test(size=(160, 50)) as pilot:
        frames = Frames(app)
        await _until(pilot, lambda: _ready(app))
        out["open"] = [(time.perf_counter() - t0) * 1000]
        screen = app.screen
        sections = [s.id for s in ref.sections]
        seen = {id(screen.current_view())}  # the first screen's view
        # Three rounds as a person browses (views of sections left are kept and shown again), then
        # three where every view is built anew, as after a change to what it shows.
        for rnd in range(6):
            for key in SECTION_KEYS:
                if rnd >= 3:
                    # Dropping every kept view at once (lists of 2,000 rows) is the measurement's doing,
                    # not a person's: let the removal and the garbage it leaves go before timing.
                    screen.views.forget_kept()
                    await pilot.pause()
                    gc.collect()
                screen.query_one("#sidebar").focus()
                await asyncio.sleep(0.25)  # a settled screen, as when a person presses the next key
                target = sections[int(key) - 1]
                t = time.perf_counter()
                await _key(pilot, key)
                section = ref.sections_by_id[target]
                await _until(pilot, lambda section=section: _shown(app, section))
                # Done when the frame showing it has been composed (and turned into terminal output);
                # what comes later (scroll bars settling) is reported apart.
                built = id(screen.current_view()) not in seen
                seen.add(id(screen.current_view()))
                name = ("switch_form" if section.kind == "form" else "switch") + ("" if built else "_again")
                out.setdefault(name, []).append(await frames.next_after(t))
                out.setdefault(f"{name}_last", []).append(await frames.settled(t))
        # The opening view (`h`), from a list: its figures are recomputed each time it is shown.
        for i in range(10):
            screen.query_one("#sidebar").focus()
            await pilot.press(SECTION_KEYS[i % 3])
            await _until(pilot, lambda: _shown(app, ref.sections_by_id[sections[int(SECTION_KEYS[i % 3]) - 1]]))
            screen.query_one("#sidebar").focus()
            await asyncio.sleep(0.25)
            t = time.perf_counter()
            await _key(pilot, "h")
            await _until(pilot, lambda: getattr(screen.current_view(), "KIND", "") == "home"
                         and screen.current_view().display and app.focused is screen.current_view())
            out.setdefault("home", []).append(await frames.next_after(t))
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
            out["next_service"].append(await frames.next_after(t))
            screen.current_view().table.focus()
        # A level key: until committed (value + journal), then until the panel shows the new figures.
        store = session._store  # timing the commit itself: the benchmark wraps the store's write
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
    for name, label in (("switch", "switch to a list or the grid (500 / 2,000 rows)"),
                        ("switch_form", "switch to a form section (5–13 questions)")):
        for suffix, when in (("", "view built"), ("_again", "view kept, shown again")):
            values = results[name + suffix]
            row(f"{label}, {when}", summary(values), "target ≤ 100 ms", statistics.median(values) <= 100)
            row("  until the last frame (scroll bars…)", summary(results[f"{name}{suffix}_last"]))
    row("switch to the opening view (h)", summary(results["home"]), "target ≤ 100 ms",
        statistics.median(results["home"]) <= 100)
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
