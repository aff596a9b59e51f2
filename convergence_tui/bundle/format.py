"""The submission bundle (DESIGN.md §6): its entries, its manifest, and the zip's fixed form."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from collections.abc import Mapping
from typing import Any

BUNDLE_FORMAT = "convergence-bundle"
BUNDLE_VERSION = 1
MANIFEST = "manifest.json"
SIGNATURE = "manifest.json.p7s"
CONTENT_ENTRIES = ("answers.json", "plan.csv", "rapport.html", "referentiel.toml", "scores.json", "services.csv")
ALL_ENTRIES = tuple(sorted((*CONTENT_ENTRIES, MANIFEST, SIGNATURE)))

# Fixed zip metadata: the same state gives the same bytes (DOS epoch; rw-r--r--).
ZIP_DATE = (1980, 1, 1, 0, 0, 0)
ZIP_MODE = 0o100644 << 16

# What a bundle may hold, checked before anything is decompressed or written.
MAX_ENTRIES = 300
MAX_ENTRY_BYTES = 64 * 1024 * 1024
MAX_TOTAL_BYTES = 256 * 1024 * 1024
MAX_RATIO = 200  # uncompressed / compressed: beyond, a zip bomb


def canonical_json(obj: Any, *, pretty: bool = False) -> bytes:
    """The bytes written for a JSON entry: key order as given, UTF-8, final newline.

    Compact by default: with an indent, the json module uses its pure-Python
    encoder (1.2 s for a 500-service campaign instead of 0.1 s). The manifest,
    small and read by people, is indented.
    """
    if pretty:
        return (json.dumps(obj, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
    return (json.dumps(obj, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def file_list(entries: Mapping[str, bytes]) -> list[dict[str, Any]]:
    return [{"path": name, "size": len(data), "sha256": sha256(data)} for name, data in sorted(entries.items())]


def zip_bytes(entries: Mapping[str, bytes]) -> bytes:
    """A deterministic zip: sorted entries, fixed dates and permissions, deflate."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name in sorted(entries):
            info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
            info.external_attr = ZIP_MODE
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3  # unix, whatever machine writes it
            zf.writestr(info, entries[name], compress_type=zipfile.ZIP_DEFLATED, compresslevel=9)
    return buffer.getvalue()


def bundle_name(region: str | None, label: str | None, created_at: str, *, draft: bool = False) -> str:
    """`53-2026-S2-20261122T231000Z.zip` (DESIGN.md §6); a draft's name ends `-brouillon.zip`, so a
    folder of exports tells drafts from final bundles before anyone opens them."""
    stamp = created_at.replace("-", "").replace(":", "")  # 2026-11-22T23:10:00Z -> 20261122T231000Z
    safe = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in f"{region or 'XX'}-{label or 'campagne'}")
    return f"{safe}-{stamp}{'-brouillon' if draft else ''}.zip"
