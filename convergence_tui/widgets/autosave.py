"""Typing is saved 300 ms after the last key, at once on Enter or when leaving the field.

A failed write (full disk, read-only folder) keeps the value pending and
retries; the screen says "non enregistré" until it succeeds.
"""

from __future__ import annotations

from typing import Any

from textual.timer import Timer
from textual.widget import Widget

from ..errors import UserError
from ..messages import AnswerSaved, SaveFailedMessage, ScoresChanged
from ..session import SaveFailed, SaveResult
from .fields import Field

DEBOUNCE = 0.3
RETRY = 2.0


class Autosaver:
    def __init__(self, owner: Widget) -> None:
        self.owner = owner
        self.pending: dict[tuple[str, str], tuple[Any, Field | None]] = {}
        self._timer: Timer | None = None
        self._retry: Timer | None = None
        self.failing = False

    @property
    def dirty(self) -> bool:
        return bool(self.pending)

    def edited(self, field: Field, raw: Any, immediate: bool) -> None:
        self.pending[(field.scope, field.question.id)] = (raw, field)
        if immediate:
            self.flush()
        else:
            if self._timer is not None:
                self._timer.stop()
            self._timer = self.owner.set_timer(DEBOUNCE, self.flush)

    def flush(self) -> bool:
        """Save everything pending; True when nothing is left unsaved."""
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        session = self.owner.app.session
        for key in list(self.pending):
            raw, field = self.pending[key]
            try:
                result: SaveResult = session.set_answer(key[0], key[1], raw)
            except SaveFailed as exc:
                self.failing = True
                self.owner.post_message(SaveFailedMessage(exc.message))
                if self._retry is None:
                    self._retry = self.owner.set_interval(RETRY, self._try_again)
                return False
            except UserError as exc:  # read-only campaign: nothing can be saved, say so once
                self.pending.pop(key)
                self.owner.notify(exc.message, severity="warning")
                continue
            self.pending.pop(key, None)
            if field is not None and field.is_attached:
                field.show_error(result.error)
            if result.changed:
                self.owner.post_message(AnswerSaved(result))
                if result.rescored:
                    self.owner.post_message(ScoresChanged(result.rescored))
        if self.failing:
            self.failing = False
            if self._retry is not None:
                self._retry.stop()
                self._retry = None
        return True

    def _try_again(self) -> None:
        if self.pending:
            self.flush()
