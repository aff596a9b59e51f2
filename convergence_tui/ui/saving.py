"""The one way the TUI saves: every change goes through the screen's `Saver`.

A view hands it a `Write` (usecases/writes.py: an answer, an item added or deleted, the sign-off);
the saver writes it at once (typing: 300 ms after the last key), or, when the file refuses writes
for now (full disk, a lock held by another program), keeps it queued, tells the views that watch
it (they show the value as not saved), tries again every 2 s and says when it is finally in the
file. It posts the messages that name what happened (`AnswerSaved`, `CampaignChanged`,
`SaveFailedMessage`, `SavedAfterRetry`); quitting asks while anything is left (app.py).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.timer import Timer
from textual.widget import Widget

from ..errors import UserError
from ..usecases.writes import AddItem, DeleteItem, Flushed, SetAnswer, Write, Writes
from .messages import AnswerSaved, CampaignChanged, SavedAfterRetry, SaveFailedMessage

DEBOUNCE = 0.3
RETRY = 2.0


class Saver:
    def __init__(self, owner: Widget, session) -> None:
        self.owner = owner  # the screen: it gets the messages and owns the timers
        self.session = session
        self.writes = Writes(session)
        self._watchers: list[tuple[Widget, Callable[[Flushed], None]]] = []
        self._debounce: Timer | None = None
        self._retry: Timer | None = None

    # --- what views read ---------------------------------------------------------

    @property
    def pending(self) -> tuple[Write, ...]:
        return self.writes.pending

    @property
    def failing(self) -> bool:
        return self.writes.failing

    @property
    def failure(self) -> str | None:
        """Why the file refused the last try (a French sentence), None when it did not."""
        return self.writes.failure

    def describe(self) -> list[str]:
        """What is not in the file yet, one French line each, in order."""
        return self.writes.describe()

    def shown_cell(self, scope: str, field: str):
        return self.writes.shown_cell(scope, field)

    def queued_answer(self, scope: str, field: str) -> SetAnswer | None:
        return self.writes.answer(scope, field)

    def watch(self, widget: Widget, callback: Callable[[Flushed], None]) -> None:
        """Call `callback(report)` whenever what is queued or saved changes, while `widget` is mounted
        (hidden views too: they show again as they are); forgotten once it is removed. Errors
        propagate (Textual's signals would log and swallow them)."""
        self._watchers = [(w, c) for w, c in self._watchers if w.is_attached]
        self._watchers.append((widget, callback))

    # --- saving ------------------------------------------------------------------

    def save(self, write: Write, *, debounce: bool = False) -> Any | None:
        """Queue a change and write it now (after DEBOUNCE with `debounce`). Returns what the write
        returned once it is in the file; None while it waits, or when it can never be saved (said)."""
        try:
            self.writes.put(write)
        except UserError as exc:  # read-only campaign, a missing name: said at once, nothing queued
            self.owner.notify(exc.message, severity="warning")
            return None
        if not self.writes.pending:  # it changed nothing (or undid what waited): nothing to write
            self._stop_timers()
            self._publish(Flushed())
            return None
        if self.writes.failing:
            # The file refused the last try: the retry timer tries again; trying on every key would
            # wait for the lock each time.
            self._publish(Flushed(failure=self.writes.failure))
            return None
        if debounce:
            if self._debounce is not None:
                self._debounce.stop()
            self._debounce = self.owner.set_timer(DEBOUNCE, self.flush)
            self._publish(Flushed())
            return None
        return self._flush().result_of(write)

    def flush(self) -> bool:
        """Write everything queued now; True when nothing is left unsaved."""
        self._flush()
        return not self.writes.pending

    def drop_all(self) -> list[str]:
        """Forget what is queued (the person chose to quit without it); what was lost, in words."""
        lost = self.writes.drop_all()
        self._stop_timers()
        return lost

    def _flush(self) -> Flushed:
        if self._debounce is not None:
            self._debounce.stop()
            self._debounce = None
        if not self.writes.pending:  # nothing to write (a flush before each navigation): nothing to say
            return Flushed()
        was_failing = self.writes.failing
        report = self.writes.flush()
        for write, result in report.done:
            self._announce(write, result)
        if report.failure is not None:
            if not was_failing:
                self.owner.post_message(SaveFailedMessage(report.failure))
            if self._retry is None:
                self._retry = self.owner.set_interval(RETRY, self._try_again)
        else:
            self._stop_timers()
            if report.caught_up:
                self.owner.post_message(SavedAfterRetry(len(report.done)))
        self._publish(report)
        return report

    def _try_again(self) -> None:
        if self.writes.pending:
            self._flush()
        else:
            self._stop_timers()

    def _stop_timers(self) -> None:
        for timer in (self._retry, self._debounce):
            if timer is not None:
                timer.stop()
        self._retry = self._debounce = None

    def _announce(self, write: Write, result: Any) -> None:
        """The messages that name what reached the file."""
        if isinstance(write, SetAnswer):
            if result.changed:
                self.owner.post_message(AnswerSaved(result))
                self.owner.post_message(CampaignChanged(result.rescored))
        elif isinstance(write, AddItem):
            self.owner.post_message(CampaignChanged(("*",) if write.kind in ("service", "action") else ()))
        else:  # an item deleted, the sign-off
            self.owner.post_message(CampaignChanged(("*",) if isinstance(write, DeleteItem) else ()))

    def _publish(self, report: Flushed) -> None:
        self._watchers = [(w, c) for w, c in self._watchers if w.is_attached]
        for _, callback in list(self._watchers):
            callback(report)
