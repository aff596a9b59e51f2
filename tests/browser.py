"""A real headless Chromium driven through its DevTools protocol (CDP), for `convergence serve`.

Chromium is started with a throwaway profile, no background networking, and
`--remote-debugging-port=0` (it says the port it took on stderr). A `Tab` is one page's CDP
websocket (aiohttp's client): it sends commands, keeps the events, types real key events and reads
the terminal the page draws.

xterm.js draws on a canvas, so the page's text is not in the DOM. A script run before the page's own
catches the `Terminal` textual.js creates (the first object given a `.terminal` property whose value
has a buffer) and keeps it as `window.__xterm`; `Tab.screen()` reads its rows as they are shown.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--window-size=1280,800"]

CATCH_TERMINAL = """
Object.defineProperty(Object.prototype, "terminal", {
  configurable: true,
  get() { return undefined; },
  set(value) {
    Object.defineProperty(this, "terminal", {value, writable: true, configurable: true, enumerable: true});
    if (value && value.buffer && typeof value.write === "function" && !window.__xterm) window.__xterm = value;
  },
});
"""

READ_SCREEN = """(() => {
  const t = window.__xterm;
  if (!t || !document.body.classList.contains("-first-byte")) return null;
  const b = t.buffer.active, rows = [];
  for (let i = 0; i < t.rows; i++) {
    const line = b.getLine(b.viewportY + i);
    rows.push(line ? line.translateToString(true) : "");
  }
  return rows.join("\\n");
})()"""

KEYS = {  # key → (code, Windows virtual key code), what a real keyboard sends
    **{str(n): (f"Digit{n}", 48 + n) for n in range(10)},
    **{c: (f"Key{c.upper()}", ord(c.upper())) for c in "abcdefghijklmnopqrstuvwxyz"},
}


def chromium() -> str | None:
    return next((found for name in ("chromium", "chromium-browser") if (found := shutil.which(name))), None)


class Chromium:
    """The browser process, in its own process group (killed whole at the end). With
    `--remote-debugging-port=0` it takes a free port and writes it to `DevToolsActivePort` in its
    profile; its own output goes to a file (a pipe nobody reads could fill up and stop it)."""

    def __init__(self, profile: Path) -> None:
        exe = chromium()
        assert exe is not None
        self.log = profile.parent / "chromium.log"
        # On a loaded machine (CI, two cores) Chromium has been seen to give up before announcing its
        # port: a second start, with a profile of its own, before calling it a failure.
        for attempt in (1, 2):
            where = profile if attempt == 1 else profile.with_name(profile.name + "-2")
            where.mkdir(parents=True, exist_ok=True)
            with self.log.open("ab") as log:
                self.process = subprocess.Popen(
                    [exe, *FLAGS, f"--user-data-dir={where}", "--remote-debugging-port=0", "about:blank"],
                    stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
            try:
                self.port = self._devtools_port(where / "DevToolsActivePort")
                return
            except AssertionError:
                if attempt == 2:
                    raise

    def _devtools_port(self, announced: Path, timeout: float = 45.0) -> int:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.process.poll() is None:
            lines = announced.read_text().splitlines() if announced.exists() else []
            if len(lines) == 2:  # written whole: the port, then the browser's path
                return int(lines[0])
            time.sleep(0.05)
        self.close()
        raise AssertionError("Chromium n'a pas ouvert son port DevTools :\n" + self.log.read_text()[-2000:])

    async def new_tab(self, session: aiohttp.ClientSession) -> Tab:
        base = f"http://127.0.0.1:{self.port}"
        async with session.put(f"{base}/json/new?about:blank") as response:
            target = await response.json(content_type=None)
        ws = await session.ws_connect(target["webSocketDebuggerUrl"], max_msg_size=0)
        tab = Tab(ws, target["id"])
        tab.listen()
        return tab

    def close(self) -> None:
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.process.wait(10)


class Tab:
    def __init__(self, ws: aiohttp.ClientWebSocketResponse, target_id: str) -> None:
        self.ws = ws
        self.target_id = target_id
        self.events: list[dict[str, Any]] = []
        self._next = 0
        self._waiting: dict[int, asyncio.Future] = {}
        self._reader: asyncio.Task | None = None

    def listen(self) -> None:
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        async for message in self.ws:
            data = json.loads(message.data)
            if "id" in data and data["id"] in self._waiting:
                self._waiting.pop(data["id"]).set_result(data)
            elif "method" in data:
                self.events.append(data)

    async def send(self, method: str, **params: Any) -> dict[str, Any]:
        self._next += 1
        future = asyncio.get_running_loop().create_future()
        self._waiting[self._next] = future
        await self.ws.send_json({"id": self._next, "method": method, "params": params})
        reply = await asyncio.wait_for(future, 15)
        assert "error" not in reply, (method, reply)
        return reply.get("result", {})

    async def open(self, url: str) -> None:
        """Load `url`, with the terminal caught for `screen()`."""
        await self.send("Page.enable")
        await self.send("Page.addScriptToEvaluateOnNewDocument", source=CATCH_TERMINAL)
        await self.send("Page.navigate", url=url)

    async def evaluate(self, expression: str) -> Any:
        result = await self.send("Runtime.evaluate", expression=expression, returnByValue=True)
        assert "exceptionDetails" not in result, result
        return result["result"].get("value")

    async def screen(self) -> str:
        return await self.evaluate(READ_SCREEN) or ""

    async def wait_for(self, check: Callable[[str], bool], what: str, timeout: float = 20.0) -> str:
        """The terminal's text once `check` holds on it."""
        deadline = time.monotonic() + timeout
        text = ""
        while time.monotonic() < deadline:
            text = await self.screen()
            if check(text):
                return text
            await asyncio.sleep(0.1)
        raise AssertionError(f"{what} : pas à l'écran du navigateur après {timeout} s ; il montre :\n{text}")

    async def press(self, key: str, *, ctrl: bool = False) -> None:
        """A real key press: keyDown (with its text, unless ctrl is held), then keyUp, to the focused
        element (xterm's hidden textarea)."""
        code, vk = KEYS[key]
        common = {"key": key, "code": code, "windowsVirtualKeyCode": vk, "nativeVirtualKeyCode": vk,
                  "modifiers": 2 if ctrl else 0}
        text = {} if ctrl else {"text": key, "unmodifiedText": key}
        await self.send("Input.dispatchKeyEvent", type="rawKeyDown" if ctrl else "keyDown", **text, **common)
        await self.send("Input.dispatchKeyEvent", type="keyUp", **common)

    def requested_urls(self) -> list[str]:
        """Every address the page asked for: documents, scripts, styles, fonts, websockets."""
        return ([e["params"]["request"]["url"] for e in self.events if e["method"] == "Network.requestWillBeSent"]
                + [e["params"]["url"] for e in self.events if e["method"] == "Network.webSocketCreated"])

    async def close(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
        await self.ws.close()
