"""What every screen and widget of the TUI shares: the command registry (keys, labels, help), the
messages that name what happened, the save driver and the theme helpers. Textual lives here and
above; nothing below imports it."""
