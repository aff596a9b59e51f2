"""Start-up to the first interactive screen, in a real pseudo-terminal, against a bare Textual app;
peak memory of the TUI; what is imported at start-up."""

from __future__ import annotations

import fcntl
import os
import pty
import select
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import time
from pathlib import Path

from benchmarks.common import row, summary

HEAVY = ("pyhanko", "cryptography", "asn1crypto", "convergence_tui.bundle", "convergence_tui.report.html",
         "convergence_tui.usecases.exporting", "jsonschema")


def _env() -> dict:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env.update(TERM="xterm-256color", CONVERGENCE_EXIT_WHEN_READY="1", COLUMNS="160", LINES="50")
    return env


def _run(argv: list[str], env: dict) -> tuple[float, int, float]:
    """Start `argv` in a pseudo-terminal: (ms to its first interactive screen, peak RSS in KiB from
    wait4, ms to its exit). The child stamps the wall-clock time of its first screen in a file."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 160, 0, 0))
    fd, stamp = tempfile.mkstemp(prefix="ready-")
    os.close(fd)
    env = {**env, "CONVERGENCE_READY_STAMP": stamp}
    started = time.time()
    t0 = time.perf_counter()
    pid = os.fork()
    if pid == 0:  # child: the pty is its terminal
        os.setsid()
        fcntl.ioctl(slave, termios.TIOCSCTTY, 0)
        for fd in (0, 1, 2):
            os.dup2(slave, fd)
        os.close(master)
        os.execvpe(argv[0], argv, env)
    os.close(slave)
    while True:
        done, status, usage = os.wait4(pid, os.WNOHANG)
        if done:
            break
        ready, _, _ = select.select([master], [], [], 0.02)
        if ready:
            try:
                os.read(master, 65536)
            except OSError:
                pass
    wall = (time.perf_counter() - t0) * 1000
    os.close(master)
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"{argv} exited with {os.waitstatus_to_exitcode(status)}")
    ready = (float(Path(stamp).read_text()) - started) * 1000
    os.unlink(stamp)
    return ready, usage.ru_maxrss, wall


def run(db: Path, repeat: int = 10) -> dict:
    env = _env()
    ours = [sys.executable, "-m", "convergence_tui", "--db", str(db)]
    bare = [sys.executable, str(Path(__file__).with_name("bare_app.py"))]
    _run(ours, env), _run(bare, env)  # warm the bytecode and the disk cache
    ours_t, bare_t, rss, ours_exit, bare_exit = [], [], [], [], []
    for _ in range(repeat):
        ready, r, wall = _run(ours, env)
        ours_t.append(ready)
        ours_exit.append(wall)
        rss.append(r)
        ready, _, wall = _run(bare, env)
        bare_t.append(ready)
        bare_exit.append(wall)
    ratio = statistics.median(ours_t) / statistics.median(bare_t)
    row(f"start-up: convergence on {db.name}", summary(ours_t))
    row("start-up: bare Textual app (Header, Static, Footer)", summary(bare_t))
    row("start-up ratio (medians)", f"{ratio:.2f}", "target ≤ 1.5", ratio <= 1.5)
    row("  for reference, start to process exit: ours", summary(ours_exit))
    row("  for reference, start to process exit: bare", summary(bare_exit))
    row("peak RSS of the TUI at its first screen", f"{max(rss) / 1024:.0f} MiB", "target ≤ 150 MB",
        max(rss) / 1024 <= 150 * 1000 / 1024)
    with tempfile.TemporaryDirectory() as tmp:
        listing = Path(tmp) / "modules.txt"
        _run(ours, {**env, "CONVERGENCE_READY_MODULES": str(listing)})
        loaded = listing.read_text().split()
    heavy = [m for m in loaded if m.startswith(HEAVY)]
    row("heavy modules loaded at start-up", ", ".join(heavy) or "none (pyhanko, cryptography, report: lazy)",
        "", not heavy)
    profile = subprocess.run([sys.executable, "-X", "importtime", "-c", "import convergence_tui.app"],
                             capture_output=True, text=True, env=env).stderr
    top = sorted((line for line in profile.splitlines() if line.startswith("import time:") and "|" in line
                  and line.split("|")[1].strip().isdigit()),
                 key=lambda line: -int(line.split("|")[1]))[:8]
    print("  import-time profile of convergence_tui.app (cumulative µs, top 8):")
    for line in top:
        print("   ", line.replace("import time:", "").strip())
    return {"ours": ours_t, "bare": bare_t, "ratio": ratio, "rss_kib": rss, "heavy": heavy}
