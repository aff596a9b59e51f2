"""`convergence serve`: the real program, served on 127.0.0.1, used from a real headless Chromium.

The server runs as a subprocess on a demo campaign; Chromium loads the address it printed, the test
types real key events into the page (`4` opens the grid, `2` rates the first criterion), and the
level is read back from the SQLite file with its own connection. Every address the page asked for
is the local server's (no network needed). A second tab gets the campaign read-only, as a second
terminal would. Stopping the server (its signal, as ctrl+c) stops every app it started.
"""

from __future__ import annotations

import asyncio
import os
import re
import select
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import aiohttp
import pytest

from tests.browser import Chromium, chromium

LINE = re.compile(r"Ouvrez (http://127\.0\.0\.1:(\d+)/\?jeton=[\w-]+) dans votre navigateur — ctrl\+c pour arrêter\.")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def level(db: Path, service: str, criterion: str):
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        row = conn.execute("select value from answers where scope = ? and field = 'level'",
                           (f"{service}/{criterion}",)).fetchone()
    return None if row is None else row[0]


def apps_on(db: Path) -> list[int]:
    """The processes running the app on `db` (their command line names the file)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                argv = (entry / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if b"convergence_tui" in argv and str(db).encode() in argv and b"serve" not in argv:
                found.append(int(entry.name))
    return found


class Served:
    """`convergence serve` in its own process group, started in `cwd` (the campaign's folder, as a
    person would: the top bar names the file shortly); the line it prints, parsed."""

    def __init__(self, cwd: Path, *args: str, env: dict[str, str] | None = None, browser: bool = False) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "convergence_tui", "serve", *([] if browser else ["--no-browser"]), *args],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True, cwd=cwd,
            env={**os.environ, **(env or {})})
        self.first_line = self._first_line()
        found = re.search(r"(http://127\.0\.0\.1:(\d+)/\?jeton=([\w-]+))", self.first_line)
        assert found, self.first_line
        self.address, self.port, self.token = found.group(1), int(found.group(2)), found.group(3)

    def _first_line(self, timeout: float = 20.0) -> str:
        assert self.process.stdout is not None
        ready, _, _ = select.select([self.process.stdout], [], [], timeout)
        line = self.process.stdout.readline() if ready else ""
        if not line:
            self.stop()
            raise AssertionError(f"serve n'a rien affiché ; stderr :\n{self.process.stderr.read()}")
        return line.strip()

    def stop(self, sig: int = signal.SIGKILL) -> int:
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, sig)
            except ProcessLookupError:
                pass
        try:
            return self.process.wait(20)
        finally:
            for stream in (self.process.stdout, self.process.stderr):
                if stream is not None:
                    stream.close()


@pytest.mark.e2e
@pytest.mark.skipif(chromium() is None, reason="chromium absent (installé par .ci/run)")
async def test_browser_rates_a_criterion_into_the_file(demo_db, tmp_path):
    started = time.monotonic()
    assert level(demo_db, "svc-1", "URB-01") == 4
    port = free_port()
    served = Served(demo_db.parent, "--db", str(demo_db), "--port", str(port))
    browser = None
    try:
        assert LINE.fullmatch(served.first_line), served.first_line
        address = served.address
        assert served.port == port
        browser = Chromium(tmp_path / "profile")
        async with aiohttp.ClientSession() as http:
            tab = await browser.new_tab(http)
            await tab.send("Network.enable")
            await tab.open(address)
            # The app's opening view, drawn by the page's terminal.
            await tab.wait_for(lambda s: "enregistré  Convergence · Bretagne 2026-S2 · demo.sqlite" in s, "l'application")
            assert await tab.evaluate("document.title") == f"Convergence — {demo_db.name}"
            # The terminal's font is the local copy, loaded (not a fallback).
            assert await tab.evaluate("[...document.fonts].some(f => f.family.includes('Roboto Mono') "
                                      "&& f.status === 'loaded')")
            await tab.evaluate("document.querySelector('.xterm-helper-textarea').focus()")

            await tab.press("4")
            await tab.wait_for(lambda s: "URB-01 — " in s and re.search(r"URB-01 ★ 4\s", s), "la grille")
            await tab.press("2")
            await tab.wait_for(lambda s: re.search(r"URB-01 ★ 2\s", s), "le niveau 2")
            await tab.press("p", ctrl=True)  # the page keeps ctrl+p from the browser (print): the palette
            await tab.wait_for(lambda s: "Chercher une commande" in s and "Aide" in s, "la palette")
            for _ in range(50):
                if level(demo_db, "svc-1", "URB-01") == 2:
                    break
                await asyncio.sleep(0.1)
            assert level(demo_db, "svc-1", "URB-01") == 2

            # Nothing asked of another address: the page works without network.
            urls = tab.requested_urls()
            assert any(u.startswith(f"ws://127.0.0.1:{port}/ws/") for u in urls), urls
            assert any(u.endswith("/static/js/textual.js") for u in urls), urls
            assert all(u.startswith((f"http://127.0.0.1:{port}/", f"ws://127.0.0.1:{port}/")) for u in urls), urls

            # A second tab is a second app on the same file: read-only, as a second terminal.
            second = await browser.new_tab(http)
            await second.open(address)
            await second.wait_for(lambda s: "LECTURE SEULE (ouvert ailleurs) · Convergence" in s, "le second onglet en lecture seule")
            assert len(apps_on(demo_db)) == 2
            await second.close()
            await tab.close()

        # ctrl+c (the signal, to the server alone): it stops its apps, then itself.
        served.process.send_signal(signal.SIGINT)
        assert served.process.wait(20) == 0
        assert apps_on(demo_db) == []
    finally:
        served.stop()
        if browser is not None:
            browser.close()
    assert apps_on(demo_db) == []
    assert time.monotonic() - started < 30



def listening(port: int) -> list[str]:
    """The local addresses (hex, as the kernel lists them) of the sockets listening on `port`."""
    found = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            if state == "0A" and int(local.rsplit(":", 1)[1], 16) == port:  # 0A: LISTEN
                found.append(local.rsplit(":", 1)[0])
    return found


async def test_serve_answers_only_its_own_page_on_the_loopback(demo_db, tmp_path):
    """127.0.0.1 only; the address's secret, the Host and the websocket's Origin are checked; the
    campaign is the one CONVERGENCE_DB names (the terminal's rules) and each websocket runs the
    terminal's program on it, which ends when the tab closes; SIGTERM stops the server."""
    served = Served(tmp_path, env={"CONVERGENCE_DB": str(demo_db)})
    try:
        assert LINE.fullmatch(served.first_line), served.first_line
        assert listening(served.port) == ["0100007F"]  # 127.0.0.1, and nothing on IPv6 or 0.0.0.0
        base, port, token = f"http://127.0.0.1:{served.port}", served.port, served.token
        async with aiohttp.ClientSession() as http:
            async with http.get(f"{base}/") as r:
                assert r.status == 403 and "jeton" in await r.text()
            async with http.get(f"{base}/?jeton=x{token}") as r:
                assert r.status == 403
            async with http.get(served.address, headers={"Host": f"rebind.example:{port}"}) as r:
                assert r.status == 403 and "127.0.0.1" in await r.text()
            async with http.get(served.address) as r:
                assert r.status == 200
                page = await r.text()
            assert "googleapis" not in page and not re.search(r"(src|href)=\"(?!/static/)", page), page
            assert f'data-session-websocket-url="ws://127.0.0.1:{port}/ws/{token}"' in page
            for font in ("RobotoMono-VariableFont_wght.ttf", "RobotoMono-Italic-VariableFont_wght.ttf"):
                async with http.get(f"{base}/static/fonts/{font}") as r:
                    assert r.status == 200 and len(await r.read()) > 50_000
            for origin, path in ((f"http://evil.example:{port}", token), (base, f"x{token}"), (None, token)):
                with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
                    await http.ws_connect(f"ws://127.0.0.1:{port}/ws/{path}", origin=origin)
                assert refused.value.status == 403
            assert apps_on(demo_db) == []

            ws = await http.ws_connect(f"ws://127.0.0.1:{port}/ws/{token}?width=80&height=24", origin=base)
            drawn = b""
            while b"Bretagne" not in drawn:
                message = await asyncio.wait_for(ws.receive(), 20)
                assert message.type == aiohttp.WSMsgType.BINARY, message
                drawn += message.data
            (pid,) = apps_on(demo_db)
            argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
            assert argv[:5] == [sys.executable.encode(), b"-m", b"convergence_tui", b"--db", str(demo_db).encode()]
            await ws.close()  # the tab closes: its app ends
            for _ in range(100):
                if not apps_on(demo_db):
                    break
                await asyncio.sleep(0.1)
            assert apps_on(demo_db) == []
        served.process.send_signal(signal.SIGTERM)
        assert served.process.wait(20) == 0
    finally:
        served.stop()


def test_serve_opens_the_browser_on_its_address(demo_db, tmp_path):
    opened = tmp_path / "opened.txt"
    script = tmp_path / "navigateur"
    script.write_text(f"#!/bin/sh\nprintf %s \"$1\" > {opened}\n")
    script.chmod(0o755)
    served = Served(tmp_path, "--db", str(demo_db), env={"BROWSER": f"{script} %s"}, browser=True)
    try:
        assert served.first_line == (f"Convergence s'ouvre dans votre navigateur ; sinon, ouvrez {served.address} "
                                     "— ctrl+c pour arrêter.")
        for _ in range(100):
            if opened.exists() and opened.read_text():
                break
            time.sleep(0.1)
        assert opened.read_text() == served.address
    finally:
        served.stop(signal.SIGINT)


@pytest.mark.parametrize(("argv", "message"), [
    (["--port", "0"], "port invalide « 0 »"),
    (["--port", "huit"], "port invalide « huit »"),
    (["--host", "0.0.0.0"], "--host"),
])
def test_serve_refuses_a_bad_port_or_another_host(cli, demo_db, argv, message):
    code, _, err = cli("serve", "--db", demo_db, "--no-browser", *argv)
    assert code == 2 and message in err and "Traceback" not in err


def test_serve_says_a_taken_port_and_a_file_that_is_no_campaign(cli, demo_db, tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code, out, err = cli("serve", "--db", demo_db, "--no-browser", "--port", port)
    assert code == 2 and f"port {port} : déjà utilisé par un autre programme ;" in err and "--port" in err and out == ""
    (notes := tmp_path / "notes.sqlite").write_text("pas une base\n" * 100)
    code, out, err = cli("serve", "--db", notes, "--no-browser")
    assert code == 2 and str(notes) in err and out == ""  # said on the terminal; no server, no browser

async def test_an_app_ended_by_the_server_saves_what_was_just_typed(demo_db):
    """Closing the browser tab, or stopping `serve`, ends the app with textual-serve's "quit"
    (Textual's ExitApp), not with ctrl+q: what was typed less than 300 ms before, its save still
    waiting for the typing to pause, reaches the file as when a terminal closes."""
    from textual.messages import ExitApp

    from convergence_tui.campaign.data import CAMPAIGN
    from tests.test_tui import field_of
    from tests.tui_helpers import running, stored, type_text

    async with running(demo_db) as (app, pilot):
        field = await field_of(app, "grades_name")
        field.focus_control()
        field.control.value = ""
        await type_text(pilot, "GIP Armor")
        assert app.screen.saver.pending  # typed, not written yet
        app.post_message(ExitApp())  # what textual's web driver posts on textual-serve's "quit"
        await pilot.pause()
    assert not app.return_code and app.lost == []  # None: ended by the message, as run_app reads it (0)
    assert stored(demo_db, CAMPAIGN, "grades_name")[1] == "GIP Armor"


async def test_an_app_ended_by_the_server_keeps_what_the_file_refuses(demo_db, tmp_path):
    """The same end while the file refuses writes (a lock held by another program): the level goes
    to a file of its own in the data folder and the app ends with status 1, as when a terminal
    closes; run_app then lists it (the server shows the app's error output)."""
    from textual.messages import ExitApp

    from tests.obstacles import lock_held_by_another_process
    from tests.tui_helpers import running, stored

    with lock_held_by_another_process(demo_db):
        async with running(demo_db) as (app, pilot):
            await pilot.press("4")
            await pilot.pause()
            grid = app.screen.current_view()
            grid.focus_criterion("URB-03")
            old = stored(demo_db, f"{grid.service_id}/URB-03", "level")
            await pilot.press("1" if old[0] != 1 else "2")
            await pilot.pause()
            assert app.screen.saver.pending
            app.post_message(ExitApp())
            await pilot.pause()
    assert app.return_code == 1 and len(app.lost) == 1 and "URB-03" in app.lost[0]
    assert app.kept_in is not None and app.kept_in.is_file()
    assert stored(demo_db, f"{grid.service_id}/URB-03", "level") == old
