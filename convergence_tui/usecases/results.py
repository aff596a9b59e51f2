"""What a save returns, and what it raises when the disk refuses it."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

from ..cells import Cell
from ..errors import UserError
from ..store.sqlite import sqlite_problem


class SaveFailed(UserError):
    """The disk refused a write: the value is not saved and must be kept by the caller."""


def save_failure(path: Path, exc: sqlite3.Error) -> str:
    """Why a write was refused, and what to do, in one French sentence (said the same way by the
    CLI and the TUI; the TUI says on its own that the value waits on screen)."""
    why, fix = sqlite_problem(path, exc)
    return f"Enregistrement impossible dans {path} : {why} ; {fix}."


@dataclass(frozen=True, slots=True)
class SaveResult:
    scope: str
    field: str
    cell: Cell | None
    changed: bool  # False when the value was already stored (nothing written)
    rescored: tuple[str, ...] = ()  # services whose scores changed; ("*",) for all

    @property
    def error(self) -> str | None:
        return self.cell.error if self.cell else None


def same_answer(old: Cell | None, new: Cell | None) -> bool:
    """Equal for saving purposes: a valid value equals itself however it was typed.

    Widgets re-emit values when they are restored (a choice at mount, an Input
    when set in code): these must not become journal rows.
    """
    if old is None or new is None:
        return old is new
    if old.error is None and new.error is None:
        return old.value == new.value and type(old.value) is type(new.value)
    return old == new
