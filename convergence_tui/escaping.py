"""Text that came from a file, made safe to show: a name, a label or a comment must never move a
terminal's cursor, colour it, hide text, or forge a line of a verdict (DESIGN.md §5, §6).

Low and pure: every layer may import it (the CLI, the TUI, the report, the CSV tables, the checks
of what people type).
"""

from __future__ import annotations

import re

# Characters a terminal acts on instead of showing: C0 controls, DEL, C1 controls (ESC, CSI…), and
# the Unicode characters that reorder, hide or break text (bidi marks and overrides, zero-width and
# invisible operators, the line and paragraph separators).
_BIDI = {0x061C, 0x180E, 0x200B, 0x200C, 0x200D, 0x200E, 0x200F, 0x2028, 0x2029, 0x202A, 0x202B, 0x202C,
         0x202D, 0x202E, 0x2060, 0x2061, 0x2062, 0x2063, 0x2064, 0x2066, 0x2067, 0x2068, 0x2069, 0x206A,
         0x206B, 0x206C, 0x206D, 0x206E, 0x206F, 0xFEFF}


# With lone surrogates (not text), as one regex: the common case (nothing to escape) is answered in
# C, which a report of 500 services needs (55,000 values: 1.3 s character by character, 30 ms so).
_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff" + "".join(chr(c) for c in sorted(_BIDI)) + "]")


def is_control(ch: str) -> bool:
    return _CONTROLS.match(ch) is not None


def _escape(ch: str) -> str:
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: object, *, multiline: bool = False) -> str:
    """`text` with every control character written as a visible escape (ESC becomes `\\x1b`).
    With `multiline`, line feeds and tabs are kept (a comment shown as a paragraph); a carriage
    return never is (it would let a line overwrite the one before)."""
    s = text if isinstance(text, str) else str(text)
    if _CONTROLS.search(s) is None:  # the common case: nothing to copy
        return s
    return "".join(ch if (multiline and ch in "\n\t") or not is_control(ch) else _escape(ch) for ch in s)


def control_characters(text: str, *, multiline: bool = False) -> list[str]:
    """The control characters in `text` (escaped, for a message), empty when there are none."""
    return sorted({_escape(ch) for ch in _CONTROLS.findall(text) if not (multiline and ch in "\n\t")})


def json_printable(text: str) -> str:
    """JSON text with the characters a terminal acts on written as `\\uXXXX` escapes: same document,
    nothing a terminal runs. (json.dumps escapes C0 controls already; DEL, C1 and bidi characters can
    only stand inside strings, where `\\u` escapes mean the same character.)"""
    if _CONTROLS.search(text) is None:
        return text
    return _CONTROLS.sub(lambda m: m.group() if m.group() == "\n" else f"\\u{ord(m.group()):04x}", text)


def pictured(text: str) -> str:
    """`text` with each control character replaced by ONE visible character (its Unicode "control
    picture", ␛ for ESC; � for the others): for a screen laid out cell by cell, where an escape
    written as four characters would push the rest of the line out of its place."""
    return _CONTROLS.sub(_picture, text) if _CONTROLS.search(text) else text


def _picture(match: re.Match[str]) -> str:
    code = ord(match.group())
    return chr(0x2400 + code) if code < 0x20 else "\u2421" if code == 0x7F else "\ufffd"
