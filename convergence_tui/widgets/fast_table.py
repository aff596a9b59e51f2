"""A read-only table drawn line by line, for lists of thousands of rows.

Textual's DataTable measures and renders every row it is given (about 0.5 ms
a row here): a list of 2,000 actions took a second to open. This table asks
for a row's cells only when the row is on screen, so opening a list costs the
same for 20 rows or 20,000.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.geometry import Region, Size
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from ..ui.commands import bindings
from ..ui.messages import ControlMessage

Cell = str | Text


@dataclass(frozen=True, slots=True)
class Column:
    key: str
    label: str
    width: int | None = None  # None: takes the room left (one such column at most)


class FastTable(ScrollView, can_focus=True):
    COMPONENT_CLASSES = {"fast-table--header", "fast-table--cursor", "fast-table--odd"}
    DEFAULT_CSS = """
    FastTable {
        background: $surface;
        scrollbar-size-vertical: 1;
        /* Never a horizontal scroll bar: the columns fit the width (the last one takes what is left,
           cut with an ellipsis), and a scroll bar would hide the last row — the one being edited. */
        overflow-x: hidden;
    }
    FastTable > .fast-table--header {
        text-style: bold;
        background: $panel;
        color: $text;
    }
    FastTable > .fast-table--cursor {
        background: $block-cursor-blurred-background;
        color: $block-cursor-blurred-foreground;
    }
    FastTable:focus > .fast-table--cursor {
        background: $block-cursor-background;
        color: $block-cursor-foreground;
        text-style: $block-cursor-text-style;
    }
    FastTable > .fast-table--odd {
        background: $surface-lighten-1;
    }
    """
    BINDINGS = bindings("table")

    cursor_row: reactive[int] = reactive(0, always_update=False)

    @dataclass
    class RowHighlighted(ControlMessage):
        key: str | None = None

        @property
        def table(self) -> FastTable:
            return self.widget

    class RowSelected(RowHighlighted):
        pass

    def __init__(self, columns: Sequence[Column], cells: Callable[[str], list[Cell]], **kwargs) -> None:
        super().__init__(**kwargs)
        self.table_columns = list(columns)
        self.cells = cells
        self.keys: list[str] = []
        self._index: dict[str, int] = {}
        self._cache: dict[str, list[Cell]] = {}

    # --- data ----------------------------------------------------------------

    def set_rows(self, keys: Sequence[str]) -> None:
        self.keys = list(keys)
        self._index = {k: i for i, k in enumerate(self.keys)}
        self._cache.clear()
        self.virtual_size = Size(self.size.width, len(self.keys) + 1)
        self.cursor_row = self.validate_cursor_row(self.cursor_row)
        self.refresh()

    def refresh_key(self, key: str) -> None:
        """The row's cells changed: fetch them again when next drawn."""
        self._cache.pop(key, None)
        if key in self._index:
            self._refresh_index(self._index[key])

    @property
    def row_count(self) -> int:
        return len(self.keys)

    def get_row_index(self, key: str) -> int:
        return self._index[key]

    @property
    def current_key(self) -> str | None:
        return self.keys[self.cursor_row] if self.keys else None

    def move_cursor(self, row: int) -> None:
        self.cursor_row = row

    # --- cursor --------------------------------------------------------------

    def validate_cursor_row(self, row: int) -> int:
        return max(0, min(row, len(self.keys) - 1)) if self.keys else 0

    def watch_cursor_row(self, old: int, new: int) -> None:
        self._refresh_index(old)
        self._refresh_index(new)
        self._keep_visible(new)
        self.post_message(self.RowHighlighted(self, self.current_key))

    def _keep_visible(self, index: int) -> None:
        height = max(1, self.size.height - 1)  # below the header
        top = self.scroll_offset.y
        if index < top:
            self.scroll_to(y=index, animate=False)
        elif index >= top + height:
            self.scroll_to(y=index - height + 1, animate=False)

    def _refresh_index(self, index: int) -> None:
        y = index - self.scroll_offset.y + 1
        if 0 < y < self.size.height:
            self.refresh(Region(0, y, self.size.width, 1))

    def action_cursor(self, step: int) -> None:
        self.cursor_row += step

    def action_page(self, step: int) -> None:
        self.cursor_row += step * max(1, self.size.height - 2)

    def action_edge(self, end: int) -> None:
        self.cursor_row = len(self.keys) - 1 if end else 0

    def action_select(self) -> None:
        if self.keys:
            self.post_message(self.RowSelected(self, self.current_key))

    def on_click(self, event) -> None:
        index = event.y + self.scroll_offset.y - 1
        if 0 <= index < len(self.keys):
            if index == self.cursor_row and event.chain >= 2:
                self.action_select()
            self.cursor_row = index

    def on_resize(self) -> None:
        self.virtual_size = Size(self.size.width, len(self.keys) + 1)
        # A smaller terminal, or a taller line above (the grid's reason of the level), must not hide
        # the row being edited: once the new size is laid out (the scroll limits come with it).
        self.call_after_refresh(self._keep_visible, self.cursor_row)

    # --- drawing -------------------------------------------------------------

    def _widths(self, total: int) -> list[int]:
        fixed = sum(c.width or 0 for c in self.table_columns) + len(self.table_columns)
        return [c.width if c.width is not None else max(8, total - fixed) for c in self.table_columns]

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        widths = self._widths(width)
        if y == 0:
            style = self.get_component_rich_style("fast-table--header")
            return self._strip([Text(c.label) for c in self.table_columns], widths, style, width)
        index = y - 1 + self.scroll_offset.y
        if index >= len(self.keys):
            return Strip.blank(width, self.rich_style)
        key = self.keys[index]
        cells = self._cache.get(key)
        if cells is None:
            cells = self._cache[key] = self.cells(key)
        if index == self.cursor_row:
            style = self.get_component_rich_style("fast-table--cursor")
        elif index % 2:
            style = self.get_component_rich_style("fast-table--odd")
        else:
            style = self.rich_style
        return self._strip(cells, widths, style, width)

    def _strip(self, cells: Sequence[Cell], widths: list[int], base: Style, width: int) -> Strip:
        segments: list[Segment] = []
        for cell, w in zip(cells, widths, strict=False):
            text = cell.copy() if isinstance(cell, Text) else Text(str(cell))
            text.truncate(w, overflow="ellipsis", pad=True)
            segments.append(Segment(" ", base))
            for seg in text.render(self.app.console):
                segments.append(Segment(seg.text, base + seg.style if seg.style else base))
        return Strip(segments).adjust_cell_length(width, base)
