"""The gaps a blocker or an action covers: a checklist of the campaign's gaps (« service/criterion »
values), one key to tick a group of them at once."""

from __future__ import annotations

from textual.message import Message
from textual.widgets import SelectionList

from ..ui.commands import bindings


class CoversList(SelectionList[str]):
    BINDINGS = bindings("covers")

    class GroupWanted(Message):
        """The person asks for a group of gaps around `value` (the gap under the cursor)."""

        def __init__(self, covers: CoversList, value: str) -> None:
            super().__init__()
            self.covers = covers
            self.value = value

    def action_group(self) -> None:
        highlighted = self.highlighted
        if highlighted is not None:
            self.post_message(self.GroupWanted(self, self.get_option_at_index(highlighted).value))
