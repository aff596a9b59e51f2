"""The official questionnaire files the tool knows, by id, version and SHA-256 (DESIGN.md §6).

The list is data (`official.toml`, beside this module): a new official version is one more block
there, no code change.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal

OFFICIAL_LIST = Path(__file__).with_name("official.toml")

Pin = Literal["official", "modified", "unknown"]


@dataclass(frozen=True, slots=True)
class OfficialFile:
    id: str
    version: str
    sha256: str


@cache
def official_files() -> tuple[OfficialFile, ...]:
    with OFFICIAL_LIST.open("rb") as f:
        raw = tomllib.load(f)
    return tuple(OfficialFile(e["id"], e["version"], e["sha256"].lower()) for e in raw.get("official", []))


def pin_of(ref_id: str, version: str, sha256: str) -> Pin:
    """"official" when the file is a known official one; "modified" when its id and version are
    known but its bytes are not those; "unknown" otherwise."""
    same = [f for f in official_files() if (f.id, f.version) == (ref_id, version)]
    if any(f.sha256 == sha256.lower() for f in same):
        return "official"
    return "modified" if same else "unknown"
