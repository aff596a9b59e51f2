"""Charts drawn with block characters, as Textual Content (the theme's colours, no dependency): a
person looks at them rather than reading the figures, which stay written beside them.

- `maturity_bars`: one row per axis. With a baseline, each character cell is an upper half block
  « ▀ » whose top half (its colour) is the reference and bottom half (its background) is now: two
  bars in one line, so four axes and the global figure fit in five lines at 80×24.
- `status_bars`: the services by status, one stacked bar per moment, each status with its colour
  and its own block (█ ▓ ░), readable without colour too.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from textual.content import Content

THEN, NOW, TRACK = "$foreground-darken-2", "$primary", "$panel"
STATUS_BLOCKS = (("convergent", "█", "$success"), ("partially_convergent", "▓", "$warning"),
                 ("non_convergent", "░", "$error"))
LABEL_WIDTH = 17


def _cells(value: float | None, width: int) -> int:
    return 0 if value is None else max(0, min(width, round(width * value / 100)))


def _figure(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}".replace(".", ",")


def bar_width(total: int, figures: int) -> int:
    """The width of the bars in a line `total` wide, beside the label and `figures` characters."""
    return max(10, min(60, total - LABEL_WIDTH - figures - 2))


def maturity_bars(title: str, rows: Sequence[tuple[str, float | None, float | None]], total: int, *,
                  paired: bool = True) -> Content:
    """`title` then one line per row: (label, reference, now) in percent. Without `paired` (no
    baseline) the reference is ignored and each bar is a full block of now."""
    figures = 15 if paired else 6
    width = bar_width(total, figures)
    head: list[str | tuple[str, str]] = [(title, "bold")]
    if paired:
        head += [" — ", ("▀", f"{THEN} on {TRACK}"), " haut : référence · ", ("▄", f"{NOW} on {TRACK}"),
                 " bas : maintenant"]
    lines = [Content.assemble(*head)]
    for label, then, now in rows:
        t, n = _cells(then, width), _cells(now, width)
        parts: list[str | tuple[str, str]] = [f"{label[:LABEL_WIDTH - 1]:<{LABEL_WIDTH}}"]
        if paired:
            parts += [("▀", f"{THEN if i < t else TRACK} on {NOW if i < n else TRACK}") for i in range(width)]
            parts.append(f" {_figure(then):>5} → {_figure(now):>5}")
        else:
            parts += [("█" * n, NOW), ("█" * (width - n), TRACK), f" {_figure(now):>5}"]
        lines.append(Content.assemble(*parts))
    return Content("\n").join(lines)


def _segments(counts: Mapping[str, int], width: int) -> list[int]:
    """Cells per status, summing to `width` (largest remainders), a status with services never 0."""
    total = sum(counts.get(k, 0) for k, _, _ in STATUS_BLOCKS)
    if not total:
        return [0] * len(STATUS_BLOCKS)
    exact = [width * counts.get(k, 0) / total for k, _, _ in STATUS_BLOCKS]
    cells = [int(x) for x in exact]
    for i in sorted(range(len(exact)), key=lambda i: exact[i] - cells[i], reverse=True)[:width - sum(cells)]:
        cells[i] += 1
    for i, (k, _, _) in enumerate(STATUS_BLOCKS):
        if counts.get(k, 0) and not cells[i]:
            cells[i] = 1
            cells[cells.index(max(cells))] -= 1
    return cells


def status_bars(title: str, rows: Sequence[tuple[str, Mapping[str, int]]], total: int) -> Content:
    """`title` with the legend, then one stacked bar per row: (label, services per status), the
    counts written after it."""
    width = bar_width(total, 12)
    head: list[str | tuple[str, str]] = [(title, "bold"), " —"]
    for k, block, colour in STATUS_BLOCKS:
        head += [" ", (block, colour), f" {LEGEND[k]}"]
    lines = [Content.assemble(*head)]
    for label, counts in rows:
        cells = _segments(counts, width)
        parts: list[str | tuple[str, str]] = [f"{label[:LABEL_WIDTH - 1]:<{LABEL_WIDTH}}"]
        parts += [(block * n, colour) for (_, block, colour), n in zip(STATUS_BLOCKS, cells, strict=True)]
        if not any(cells):
            parts.append((" " * width, f"on {TRACK}"))
        parts.append(" " + " / ".join(str(counts.get(k, 0)) for k, _, _ in STATUS_BLOCKS))
        lines.append(Content.assemble(*parts))
    return Content("\n").join(lines)


LEGEND = {"convergent": "convergents", "partially_convergent": "partiels", "non_convergent": "non conv."}
