"""Theme colours for Rich text (table cells are Rich text, which cannot read `$vars`)."""

from __future__ import annotations

from rich.text import Text
from textual.widget import Widget


def themed(widget: Widget, text: str, variable: str, bold: bool = False) -> Text:
    """Rich text coloured with the current theme's variable."""
    color = widget.app.theme_variables.get(variable)
    style = f"{'bold ' if bold else ''}{color}" if color else ("bold" if bold else "")
    return Text(text, style=style)
