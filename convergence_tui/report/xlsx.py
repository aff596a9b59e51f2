"""The workbook (`convergence report --xlsx`) written with XlsxWriter, in memory: one sheet per table
of `report/sheets.py`, French headers, numbers and dates as Excel types with French-readable formats,
a filter and a frozen header row on every sheet, columns sized to what they hold.

Text that came from a file is made inert by the CSV tables' rule (`tables.inert`: control
characters made visible, a leading apostrophe before what a spreadsheet would run as a formula), and
is always written as a string cell, never parsed (no formula, number or link is made of text)."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ..escaping import printable
from ..referentiel.values import REGIONS
from .sheets import DATE, DATETIME, EUROS, INT, LONG, NUMBER, PERCENT, TEXT, Sheet, Source, Typed, workbook_sheets
from .tables import inert

if TYPE_CHECKING:
    from xlsxwriter.format import Format
    from xlsxwriter.worksheet import Worksheet

FORMATS: dict[str, dict[str, Any]] = {
    TEXT: {"valign": "top", "text_wrap": True},
    LONG: {"valign": "top", "text_wrap": True},
    INT: {"valign": "top", "num_format": "0"},
    NUMBER: {"valign": "top", "num_format": "General"},
    PERCENT: {"valign": "top", "num_format": "0.0%"},
    EUROS: {"valign": "top", "num_format": '#,##0.00 "€"'},
    DATE: {"valign": "top", "num_format": "dd/mm/yyyy"},
    DATETIME: {"valign": "top", "num_format": "dd/mm/yyyy hh:mm"},
}
HEADER = {"bold": True, "text_wrap": True, "valign": "top", "bg_color": "#E8EDF2", "bottom": 1}
# Column widths, in characters: at least a short header word, at most what a screen shows beside others.
MIN_WIDTH, MAX_WIDTH = {TEXT: 6, LONG: 30}, {TEXT: 40, LONG: 60}
SHOWN_WIDTH = {PERCENT: 7, DATE: 10, DATETIME: 16}
MAX_CELL = 32_767  # Excel's limit on the characters of one cell
CUT = " […] (texte coupé : le rapport HTML le donne en entier)"


def text_cell(value: str) -> str:
    text = inert(value)
    return text if len(text) <= MAX_CELL else text[:MAX_CELL - len(CUT)] + CUT


def text_width(text: str) -> int:
    return max(len(line) for line in text.split("\n")) if "\n" in text else len(text)


def shown_width(kind: str, value: float | dt.date) -> int:
    """About how many characters a number or a date takes once formatted."""
    if kind in SHOWN_WIDTH:
        return SHOWN_WIDTH[kind]
    if kind == EUROS:
        return len(f"{value:,.2f}") + 2
    return len(str(value))


def workbook(src: Source) -> bytes:
    """The campaign's workbook: every sheet of `sheets.SHEETS`, titled after the campaign."""
    info = src.answers["campaign"]
    region = REGIONS.get(info.get("region") or "", "région non renseignée")
    signed = src.claims.get("signer") is not None
    return workbook_bytes(workbook_sheets(src), {
        "title": printable(f"Convergence — {region} {info.get('label') or ''}".strip()),
        "subject": "Auto-évaluation Convergence",
        "comments": "Tiré d'un paquet signé." if signed else "Rapport de travail non signé, tiré du fichier de "
                    "campagne (convergence report).",
        "created": dt.datetime.fromisoformat(src.claims["created_at"].replace("Z", "+00:00")),
    })


def workbook_bytes(sheets: Sequence[Sheet], properties: Mapping[str, Any]) -> bytes:
    """The .xlsx file's bytes. `properties`: the document's title, subject, comments, created."""
    import xlsxwriter

    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False,
                                        "strings_to_numbers": False})
    book.set_properties({"author": "convergence-tui", **properties})
    formats = {kind: book.add_format(spec) for kind, spec in FORMATS.items()}
    header = book.add_format(HEADER)
    for sheet in sheets:
        _write(book.add_worksheet(sheet.name), sheet, formats, header)
    book.close()
    return buffer.getvalue()


def _write(ws: Worksheet, sheet: Sheet, formats: Mapping[str, Format], header: Format) -> None:
    widths = [max(6, *(len(word) + 1 for word in c.header.split())) for c in sheet.columns]
    for col, column in enumerate(sheet.columns):
        ws.write_string(0, col, column.header, header)
    # The same texts come back on many rows (service names, labels, « oui »): made inert and measured once.
    texts: dict[str, tuple[str, int]] = {}
    kinds = [c.kind for c in sheet.columns]
    text_formats = [formats[LONG if k == LONG else TEXT] for k in kinds]
    for r, row in enumerate(sheet.rows, 1):
        for col, value in enumerate(row):
            if value is None:
                continue
            if value.__class__ is str:
                known = texts.get(value)
                if known is None:
                    made = text_cell(value)
                    known = texts[value] = (made, text_width(made))
                ws.write_string(r, col, known[0], text_formats[col])
                if known[1] > widths[col]:
                    widths[col] = known[1]
                continue
            kind = kinds[col]
            if isinstance(value, Typed):
                kind, value = value.kind, value.value
                if value is None:
                    continue
                if isinstance(value, str):
                    ws.write_string(r, col, text_cell(value), text_formats[col])
                    widths[col] = max(widths[col], text_width(text_cell(value)))
                    continue
            if isinstance(value, dt.date):  # a datetime too
                ws.write_datetime(r, col, value, formats[kind if kind in (DATE, DATETIME) else DATE])
            elif isinstance(value, int | float) and not isinstance(value, bool):
                ws.write_number(r, col, value, formats[kind if kind not in (TEXT, LONG) else NUMBER])
            else:  # our bug: every value of a sheet is one of the above
                raise TypeError(f"{sheet.name}: {value!r}")
            widths[col] = max(widths[col], shown_width(kind, value))
    for col, column in enumerate(sheet.columns):
        if column.kind in (TEXT, LONG):
            width = min(max(widths[col], MIN_WIDTH[column.kind]), MAX_WIDTH[column.kind])
        else:
            width = widths[col]
        ws.set_column(col, col, width + 1)
    ws.freeze_panes(1, 0)
    ws.autofilter(0, 0, max(len(sheet.rows), 1), len(sheet.columns) - 1)
