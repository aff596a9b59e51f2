#!/usr/bin/env python3
"""Render a bundle's `rapport.html` in headless Chromium and save a PNG screenshot.

    python scripts/report_screenshot.py BUNDLE.zip|rapport.html OUT.png [--height 4000]

Chromium runs offline (no background networking) with a throwaway profile; the
report must render from the file alone. Exit 1 when Chromium fails or the
page asks for anything outside itself.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--hide-scrollbars", "--enable-logging=stderr", "--v=0"]
EXTERNAL = re.compile(r"""(?:src|href)\s*=\s*["'](?!#|data:)|url\(\s*["']?(?!#|data:)|@import""", re.I)


def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    sys.exit("chromium introuvable : installez le paquet Debian « chromium ».")


def screenshot(html: bytes, out: Path, width: int = 1280, height: int = 4000) -> str:
    """Render `html`; return Chromium's log. Raises RuntimeError when rendering fails."""
    if EXTERNAL.search(html.decode("utf-8")):
        raise RuntimeError("le rapport fait référence à une ressource extérieure")
    with tempfile.TemporaryDirectory() as tmp:
        page = Path(tmp) / "rapport.html"
        page.write_bytes(html)
        run = subprocess.run(
            [chromium(), *FLAGS, f"--user-data-dir={tmp}/profile", f"--screenshot={out.resolve()}",
             f"--window-size={width},{height}", page.as_uri()],
            capture_output=True, text=True, timeout=120,
        )
    log = run.stderr
    if run.returncode != 0 or not out.exists() or out.stat().st_size < 10_000:
        raise RuntimeError(f"Chromium n'a pas rendu le rapport (code {run.returncode}) :\n{log[-2000:]}")
    # Page-level failures Chromium logs: script errors, blocked or failed loads.
    bad = [line for line in log.splitlines()
           if "CONSOLE" in line or "Failed to load resource" in line or "net::ERR" in line]
    if bad:
        raise RuntimeError("erreurs pendant le rendu :\n" + "\n".join(bad[:20]))
    return log


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path, help="paquet .zip ou rapport.html")
    parser.add_argument("out", type=Path, help="image PNG à écrire")
    parser.add_argument("--height", type=int, default=4000)
    args = parser.parse_args()
    if args.source.suffix == ".zip":
        with zipfile.ZipFile(args.source) as zf:
            html = zf.read("rapport.html")
    else:
        html = args.source.read_bytes()
    try:
        screenshot(html, args.out, height=args.height)
    except RuntimeError as exc:
        print(exc, file=sys.stderr)
        return 1
    print(f"Capture écrite : {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
