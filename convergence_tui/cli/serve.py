"""`convergence serve`: the same program in the person's web browser, for people who will not open
a terminal.

textual-serve starts, for each browser tab, the very command the terminal runs
(`python -m convergence_tui --db F`), relays its screen and keys over a websocket, and its page draws
them with xterm.js. So the served app is the terminal's app: same file, same saving, same lock (a
second tab, or a terminal already open on the file, gets the campaign read-only with its banner).

What this module adds around textual-serve (pinned in pyproject.toml: we use its websocket bridge
`AppService`, its message loop and its static files, not its `serve()`):
- it listens on 127.0.0.1 only, on a free port unless `--port` names one;
- the address carries a secret (`?jeton=…`, as Jupyter's token): another account on the machine, or
  a web page open in the same browser, cannot drive the app (and through it read or write the
  person's files); the Host header must name the loopback (DNS rebinding) and the websocket's Origin
  this server;
- its own page (serve_page.html): textual-serve's asks fonts.googleapis.com for its font; ours uses
  the copy textual-serve ships, so the page needs no network; French text;
- one French line on the terminal, the browser opened (`webbrowser`), and ctrl+c stops the apps
  first (each saves what is pending, as when its terminal closes), then the server.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import shlex
import signal
import subprocess
import sys
import webbrowser
from pathlib import Path

import jinja2
from aiohttp import web
from textual_serve.app_service import AppService
from textual_serve.server import Server, to_int

from ..errors import UserError, os_reason
from ..escaping import printable
from .common import resolve_db

LOOPBACK = "127.0.0.1"
PAGE = Path(__file__).with_name("serve_page.html")
TOKEN = "jeton"  # the query parameter of the address that carries the secret
STOP_WAIT = 10.0  # seconds an app has to save and quit once asked, before it is killed


def cmd_serve(args: argparse.Namespace) -> int:
    db = resolve_db(args)
    _check_opens(db, args.referentiel)  # messages name the files as the person gave them
    referentiel = args.referentiel.absolute() if args.referentiel is not None else None
    server = LocalServer(app_command(db.absolute(), referentiel), port=args.port or 0,
                         open_browser=not args.no_browser, title=f"Convergence — {printable(db.name)}")
    return server.run()


def app_command(db: Path, referentiel: Path | None) -> str:
    """The terminal's own command line, for textual-serve's shell."""
    argv = [sys.executable, "-m", "convergence_tui", "--db", str(db)]
    if referentiel is not None:
        argv += ["--referentiel", str(referentiel)]
    if sys.platform == "win32":
        return subprocess.list2cmdline(argv)
    return "exec " + shlex.join(argv)  # the shell gives way to the app: signals reach the app itself


def _check_opens(db: Path, referentiel: Path | None) -> None:
    """What the app would refuse at start (a questionnaire with errors, a file that is no campaign, a
    campaign of another questionnaire) is said here, on the terminal, before a browser opens on a tab
    that would only say the app ended."""
    from ..referentiel import load
    from ..usecases.session import Session

    ref = load(referentiel)
    if db.exists() and db.stat().st_size > 0:
        Session.open(db, ref, fallback_readonly=True, lazy=True).close()


def _can_open_browser() -> bool:
    """Without a display, Python's `webbrowser` falls back on a text browser (lynx, w3m) that would
    take this terminal over and cannot run the page's script: give the address instead."""
    if sys.platform in ("win32", "darwin") or os.environ.get("BROWSER"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def _open_browser(address: str) -> None:
    try:
        webbrowser.open(address)
    except (webbrowser.Error, OSError):  # no browser found: the line printed gives the address
        pass


class LocalServer(Server):
    def __init__(self, command: str, *, port: int, open_browser: bool, title: str) -> None:
        super().__init__(command, host=LOOPBACK, port=port, title=title)
        self.token = secrets.token_urlsafe(16)
        self.open_browser = open_browser
        self.page = jinja2.Environment(autoescape=True).from_string(PAGE.read_text(encoding="utf-8"))
        self.services: set[AppService] = set()

    # --- running -------------------------------------------------------------------

    def run(self) -> int:
        try:
            asyncio.run(self._run())
        except KeyboardInterrupt:  # Windows: ctrl+c reaches us as this, the apps are already stopped
            pass
        return 0

    async def _run(self) -> None:
        runner = web.AppRunner(await self._make_app(), handle_signals=False, access_log=None, shutdown_timeout=5)
        await runner.setup()
        try:
            site = web.TCPSite(runner, LOOPBACK, self.port)
            try:
                await site.start()
            except OSError as exc:
                raise UserError(f"port {self.port} : {os_reason(exc)} ; choisissez-en un autre avec --port, ou "
                                "omettez --port pour un port libre.") from None
            self.port = runner.addresses[0][1]
            self.public_url = f"http://{LOOPBACK}:{self.port}"
            address = f"{self.public_url}/?{TOKEN}={self.token}"
            if self.open_browser and _can_open_browser():
                print(f"Convergence s'ouvre dans votre navigateur ; sinon, ouvrez {address} — ctrl+c pour arrêter.",
                      flush=True)
                asyncio.get_running_loop().run_in_executor(None, _open_browser, address)
            else:
                print(f"Ouvrez {address} dans votre navigateur — ctrl+c pour arrêter.", flush=True)
            await self._until_stopped()
        finally:
            await self._stop_apps()
            await runner.cleanup()

    async def _until_stopped(self) -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for name in ("SIGINT", "SIGTERM", "SIGHUP"):
            if hasattr(signal, name):
                try:
                    loop.add_signal_handler(getattr(signal, name), stop.set)
                except (NotImplementedError, RuntimeError):  # Windows: ctrl+c cancels this wait instead
                    pass
        await stop.wait()

    async def _stop_apps(self) -> None:
        """Ask every app to quit (they save what is pending), wait for them, kill what does not go."""
        services = list(self.services)
        await asyncio.gather(*(service.stop() for service in services), return_exceptions=True)
        await asyncio.gather(*(_reap(service) for service in services), return_exceptions=True)

    # --- the web side ------------------------------------------------------------------

    async def _make_app(self) -> web.Application:
        app = web.Application(middlewares=[self._only_here])
        app.add_routes([
            web.get("/", self.handle_index),
            web.get("/ws/{token}", self.handle_websocket),
            web.static("/static", self.statics_path),
        ])
        return app

    def _hosts(self) -> set[str]:
        return {f"{LOOPBACK}:{self.port}", f"localhost:{self.port}"}

    @web.middleware
    async def _only_here(self, request: web.Request, handler) -> web.StreamResponse:
        # A name that resolves to 127.0.0.1 is not enough: a web page on another site could use one
        # (DNS rebinding) to read this server as if it were its own.
        if request.host not in self._hosts():
            raise web.HTTPForbidden(text=f"Refusé : ce serveur ne répond qu'à l'adresse {self.public_url}.")
        response = await handler(request)
        response.headers["Cache-Control"] = "no-store"
        response.headers["Referrer-Policy"] = "no-referrer"
        return response

    def _is_ours(self, token: str) -> bool:
        return secrets.compare_digest(token.encode(), self.token.encode())

    async def handle_index(self, request: web.Request) -> web.Response:
        if not self._is_ours(request.query.get(TOKEN, "")):
            raise web.HTTPForbidden(text="Adresse incomplète : ouvrez l'adresse entière que « convergence serve » "
                                    "a affichée dans le terminal (avec son jeton).")
        html = self.page.render(
            title=self.title, static_url="/static/", font_size=to_int(request.query.get("fontsize", "16"), 16),
            websocket_url=f"ws://{request.host}/ws/{self.token}",
        )
        return web.Response(text=html, content_type="text/html")

    async def handle_websocket(self, request: web.Request) -> web.WebSocketResponse:
        # Browsers let any page open a websocket to any address: the Origin says whose page it is.
        origin = request.headers.get("Origin", "")
        if not self._is_ours(request.match_info["token"]) or origin not in {f"http://{h}" for h in self._hosts()}:
            raise web.HTTPForbidden(text="Refusé : connexion d'une autre page que celle de « convergence serve ».")
        websocket = web.WebSocketResponse(heartbeat=15)
        await websocket.prepare(request)
        service = AppService(self.command, write_bytes=websocket.send_bytes, write_str=websocket.send_str,
                             close=websocket.close, download_manager=self.download_manager)
        self.services.add(service)
        try:
            await service.start(to_int(request.query.get("width", "80"), 80),
                                to_int(request.query.get("height", "24"), 24))
            await self._process_messages(websocket, service)
        finally:
            # The tab closed (or the server stops): the app quits as when its terminal closes.
            await service.stop()
            await _reap(service)
            self.services.discard(service)
            await websocket.close()
        return websocket


async def _reap(service: AppService) -> None:
    process = service._process  # textual-serve keeps it private; the app must not outlive the server
    if process is None or process.returncode is not None:
        return
    try:
        await asyncio.wait_for(process.wait(), STOP_WAIT)
    except TimeoutError:
        process.kill()
        await process.wait()
