"""Messages that name what happened; handlers on the screen react to them. Dataclasses, as Textual's
own messages are (`Input.Changed`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from textual.message import Message

from ..usecases.results import SaveResult


@dataclass
class AnswerSaved(Message):
    """An answer reached the campaign file (value and journal row committed)."""

    result: SaveResult


@dataclass
class CampaignChanged(Message):
    """A change reached the campaign file (an answer, an item added or deleted, a sign-off, an undo).
    Panels refresh from what moved there (Session.revision_of); `services` names those whose scores
    were recomputed, ("*",) for all."""

    services: tuple[str, ...] = ()


@dataclass
class SaveFailedMessage(Message):
    """The disk refused a write; the value stays on screen, queued, and is tried again."""

    error: str


@dataclass
class SavedAfterRetry(Message):
    """Every change that had waited is now in the file (`count` written by this last try)."""

    count: int


@dataclass
class Navigate(Message):
    """Go to a place: a section, and optionally an item or service and a field."""

    section: str
    scope: str = ""
    field: str = ""
    # Where échap brings the person back once done there (a blocker's form opened from the grid
    # returns to the gap), as (section, scope, field); None: échap goes up as usual.
    back: tuple[str, str, str] | None = None


@dataclass
class CampaignLoaded(Message):
    """A part of a campaign opened lazily is read ("essential": scores; "complete": every answer).
    Posted from the loading thread (posting is thread-safe and does not wait)."""

    stage: str


@dataclass
class ControlMessage(Message):
    """A message about one widget, which `@on(Message, "#selector")` can match (its `control`)."""

    widget: Any

    @property
    def control(self) -> Any:
        return self.widget
