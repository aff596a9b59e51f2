"""The spreadsheet entries of a bundle: `;`-separated, UTF-8 with BOM, French numbers, so French
Excel opens them right (DESIGN.md §6). Choices are written as people read them (the questionnaire's
labels: « GRADeS », « Planifiée »), conformity as a percentage like the maturity columns beside it.
Dates stay ISO (AAAA-MM-JJ): French Excel and LibreOffice both read them as dates (and show them
JJ/MM/AAAA), they sort as text too, and no spreadsheet set to another language can take 01/12 for
the 12th of January."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping
from typing import Any

from ..campaign.formats import entry_covers
from ..escaping import printable
from ..referentiel.models import Referentiel
from .format import STATUS_LABELS, conformity_percent


def _fr(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, float):
        return f"{value:.3f}".rstrip("0").rstrip(".").replace(".", ",")
    return str(value)


FORMULA_START = ("=", "+", "@", "\t", "\r")  # a spreadsheet runs what starts so as a formula
NEGATIVE_NUMBER = re.compile(r"-\d+(,\d+)?")  # as _fr writes them: -3, -2,5


def inert(text: str) -> str:
    """Text for a spreadsheet cell, control characters made visible (line breaks and tabs kept: a
    cell may span lines), and text a spreadsheet would run as a formula written with a leading
    apostrophe (DESIGN.md §6): starting with `=`, `+`, `@`, a tab or a carriage return, or with `-`
    unless the whole cell is a number (-3 stays a number; "-2+cmd|…" is a formula even though a
    digit follows the sign). The one rule of the CSV tables and the workbook."""
    text = printable(text, multiline=True)
    if text.startswith(FORMULA_START) or (text[:1] == "-" and len(text) > 1 and not NEGATIVE_NUMBER.fullmatch(text)):
        return "'" + text
    return text


def cell(value: object) -> str:
    """A CSV cell: French number or text, made inert."""
    return inert(_fr(value))


def _csv(header: list[str], rows: list[list[Any]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(header)
    for r in rows:
        writer.writerow([cell(v) for v in r])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def services_csv(ref: Referentiel, scores: Mapping[str, Any], answers: Mapping[str, Any]) -> bytes:
    axes = ref.axis_ids
    fields = {s["id"]: s.get("fields", {}) for s in answers["services"]}
    header = ["id", "service", "catégorie", "statut du service", "éditeur", "statut de convergence", "niveau",
              *(f"maturité {a} (%)" for a in axes), "maturité globale (%)", "complétude (%)", "conformité (%)",
              "écarts", "cible atteinte le"]
    rows = []
    for s in scores["services"]:
        f = fields.get(s["id"], {})
        category = ref.categories_by_id.get(s["category"] or "")
        rows.append([s["id"], s["name"], category.label if category else s["category"],
                     ref.option_label("service", "status", f.get("status")), f.get("vendor"),
                     STATUS_LABELS[s["status"]], s["level"], *(s["maturity"].get(a) for a in axes),
                     s["maturity"].get("global"), s["completeness"], conformity_percent(s["conformity"]),
                     " ".join(s["gaps"]), s["target_reached_on"]])
    return _csv(header, rows)


def plan_csv(ref: Referentiel, answers: Mapping[str, Any]) -> bytes:
    names = {s["id"]: s["name"] for s in answers["services"]}
    blockers = {b["id"]: b for b in answers["blockers"]}
    by_gap: dict[tuple[str, str], list[dict[str, Any]]] = {}  # (service, criterion) -> blockers
    for b in answers["blockers"]:
        for pair in entry_covers(b):
            by_gap.setdefault(pair, []).append(b)
    # One row per action, with every gap it covers (« écarts » : how many; services and criteria listed).
    header = ["id", "services", "critères", "écarts", "action", "niveau cible", "échéance", "porteur", "statut",
              "coût (€)", "financement", "freins sur ses écarts"]
    rows = []
    for a in answers["actions"]:
        f = a.get("fields", {})
        covers = entry_covers(a)
        linked = ([blockers[f["blocker"]]] if f.get("blocker") in blockers
                  else list({b["id"]: b for pair in covers for b in by_gap.get(pair, [])}.values()))
        services = list(dict.fromkeys(names.get(s, s) for s, _ in covers))
        criteria = list(dict.fromkeys(c for _, c in covers))
        rows.append([a["id"], " | ".join(services), " ".join(criteria), len(covers), a["title"], a["target_level"],
                     a["due"], ref.option_label("action", "owner", a["owner"]),
                     ref.option_label("action", "status", a["status"]), f.get("cost"),
                     ref.option_label("action", "funding", f.get("funding")),
                     " | ".join(f"{ref.option_label('blocker', 'category', b['category'])} : {b['description']}"
                                for b in linked)])
    return _csv(header, rows)
