"""Messages that name what happened; handlers on the screen react to them."""

from __future__ import annotations

from textual.message import Message

from ..usecases.results import SaveResult


class AnswerSaved(Message):
    """An answer reached the campaign file (value and journal row committed)."""

    def __init__(self, result: SaveResult) -> None:
        super().__init__()
        self.result = result


class CampaignChanged(Message):
    """A change reached the campaign file (an answer, an item added or deleted, a sign-off, an undo).
    Panels refresh from what moved there (Session.revision_of); `services` names those whose scores
    were recomputed, ("*",) for all."""

    def __init__(self, services: tuple[str, ...] = ()) -> None:
        super().__init__()
        self.services = services


class SaveFailedMessage(Message):
    """The disk refused a write; the value stays on screen, queued, and is tried again."""

    def __init__(self, error: str) -> None:
        super().__init__()
        self.error = error


class SavedAfterRetry(Message):
    """Every change that had waited is now in the file (`count` written by this last try)."""

    def __init__(self, count: int) -> None:
        super().__init__()
        self.count = count


class Navigate(Message):
    """Go to a place: a section, and optionally an item or service and a field."""

    def __init__(self, section: str, scope: str = "", field: str = "") -> None:
        super().__init__()
        self.section = section
        self.scope = scope
        self.field = field


class CampaignLoaded(Message):
    """A part of a campaign opened lazily is read ("essential": scores; "complete": every answer).
    Posted from the loading thread (posting is thread-safe and does not wait)."""

    def __init__(self, stage: str) -> None:
        super().__init__()
        self.stage = stage
