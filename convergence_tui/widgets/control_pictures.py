"""The last word before the terminal: no character that came from a file can act on it.

Names, comments and labels are checked when typed or imported, but a campaign file written by an
older version or edited by hand may still hold an escape sequence; Textual would send it to the
terminal as it is (it could colour the screen, hide text, set the window title). This line filter,
applied by the app to every line it draws, shows each control character as one visible character
(␛ for ESC) and keeps the line at its width.
"""

from __future__ import annotations

from rich.cells import cell_len
from rich.segment import Segment
from textual.color import Color
from textual.filter import LineFilter

from ..escaping import pictured


class ControlPictures(LineFilter):
    def apply(self, segments: list[Segment], background: Color) -> list[Segment]:
        changed = False
        out = []
        for seg in segments:
            if seg.control is None and seg.text:
                text = pictured(seg.text)
                if text is not seg.text:
                    changed = True
                    seg = Segment(text, seg.style)
            out.append(seg)
        if not changed:
            return segments
        # A control character takes no cell, its picture one: crop back to the width laid out.
        width = sum(cell_len(s.text) for s in segments if s.control is None)
        return list(Segment.adjust_line_length(out, width))
