"""The one way a widget saves: through the session, then messages that name what happened."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.widget import Widget

from ..errors import UserError
from ..messages import AnswerSaved, SaveFailedMessage, ScoresChanged
from ..session import SaveFailed, SaveResult


def save_answer(widget: Widget, scope: str, field: str, raw: Any) -> SaveResult | None:
    session = widget.app.session
    try:
        result = session.set_answer(scope, field, raw)
    except SaveFailed as exc:
        widget.post_message(SaveFailedMessage(exc.message))
        return None
    except UserError as exc:  # read-only campaign
        widget.notify(exc.message, severity="warning")
        return None
    if result.changed:
        widget.post_message(AnswerSaved(result))
        if result.rescored:
            widget.post_message(ScoresChanged(result.rescored))
    return result


def themed(widget: Widget, text: str, variable: str, bold: bool = False) -> Text:
    """Rich text coloured with the current theme's variable (table cells are Rich text, which cannot read `$vars`)."""
    color = widget.app.theme_variables.get(variable)
    style = f"{'bold ' if bold else ''}{color}" if color else ("bold" if bold else "")
    return Text(text, style=style)


def add_item(widget: Widget, kind: str, values: dict[str, Any] | None = None) -> str | None:
    session = widget.app.session
    try:
        item_id = session.add_item(kind, values)
    except SaveFailed as exc:
        widget.post_message(SaveFailedMessage(exc.message))
        return None
    except UserError as exc:
        widget.notify(exc.message, severity="warning")
        return None
    widget.post_message(ScoresChanged(("*",)) if kind in ("service", "action") else ScoresChanged(()))
    return item_id


def delete_item(widget: Widget, item_id: str) -> list[str]:
    session = widget.app.session
    try:
        deleted = session.delete_item(item_id)
    except SaveFailed as exc:
        widget.post_message(SaveFailedMessage(exc.message))
        return []
    except UserError as exc:
        widget.notify(exc.message, severity="warning")
        return []
    widget.post_message(ScoresChanged(("*",)))
    return deleted
