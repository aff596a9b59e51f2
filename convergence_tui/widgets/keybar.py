"""The keys that apply now, on one line.

Textual's Footer rebuilds one widget per key on every focus change (about
100 ms a time on a modest laptop, measured): this bar redraws one line of text.
"""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Static

from ..ui.commands import key_name


class KeyBar(Static):
    DEFAULT_CSS = """
    KeyBar {
        height: 1;
        background: $footer-background;
        color: $footer-foreground;
        padding: 0 1;
    }
    """

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)
        self._bindings_changed(self.screen)

    def _bindings_changed(self, screen) -> None:
        if not self.is_attached or screen is not self.screen:
            return
        seen: set[str] = set()
        parts: list[Content] = []
        for _node, binding, enabled, _tooltip in screen.active_bindings.values():
            if not binding.show or binding.action in seen:
                continue
            seen.add(binding.action)
            # The key that works here (Textual resolves the keymap and what the focused widget takes
            # for itself: `?` is typed in a field, F1 still helps), named as every hint names keys.
            key = key_name(binding.key)
            style = "$footer-key-foreground" if enabled else "dim"
            parts.append(Content.assemble((key, f"bold {style}"), " ", binding.description))
        if self.app.ENABLE_COMMAND_PALETTE:
            entry = screen.active_bindings.get(self.app.COMMAND_PALETTE_BINDING)
            if entry is not None:
                key = key_name(entry[1].key)
                parts.append(Content.assemble((key, "bold $footer-key-foreground"), " palette"))
        self.update(Content("  ").join(parts))
