"""`national.xlsx`: the national document (`convergence national --json`) as sheets, written by the
campaign workbook's own writer (`report/xlsx.workbook_bytes`: French headers, filters, frozen header
rows, Excel numbers and dates, text made inert). Pure: the document and the services in, bytes out.

The grid (one row per region, semester, service and criterion: 270,000 rows for 180 bundles) is in
`national.sqlite`, not here: a spreadsheet of that size is slow to write and to open, and the
question it answers is a query.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from .format import STATUS_LABELS
from .sheets import DATE, DATETIME, INT, LONG, PERCENT, YES_NO, Column, Sheet, percent
from .xlsx import workbook_bytes

NATURE = {True: "brouillon", False: "définitif"}


def _date(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _moment(value: str) -> dt.datetime | str:
    try:
        return dt.datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(dt.UTC).replace(tzinfo=None)
    except ValueError:
        return value


def regions_sheet(doc: Mapping[str, Any]) -> Sheet:
    axes = doc["axes"]
    columns = [Column("Région"), Column("Code"), Column("Semestre"), Column("Nature"),
               Column("Date de référence", DATE), Column("Questionnaire"), Column("Services", INT),
               *(Column(f"Services {STATUS_LABELS[k]}s", INT) for k in STATUS_LABELS),
               Column("Complétude", PERCENT), *(Column(f"Maturité {a['label']}", PERCENT) for a in axes),
               Column("Maturité globale", PERCENT), Column("Signé par"), Column("Signataire authentifié"),
               Column("Créé le (UTC)", DATETIME), Column("Paquet")]
    rows = []
    for region in doc["regions"]:
        for s in region["semesters"]:
            f = s["figures"]
            rows.append([region["name"], region["region"], s["semester"], NATURE[s["draft"]],
                         _date(s["reference_date"]), f"{s['referentiel']['id']} {s['referentiel']['version']}",
                         s["services"], *(f["status_counts"][k] for k in STATUS_LABELS),
                         percent(f["completeness"]), *(percent(f["maturity"].get(a["id"])) for a in axes),
                         percent(f["maturity"].get("global")), s["signer"], YES_NO[s["trusted"]],
                         _moment(s["created_at"]), s["bundle"]])
    return Sheet("Régions", columns, rows)


def services_sheet(names: Mapping[str, str], services: Iterable[tuple[str, str, Mapping[str, Any]]]) -> Sheet:
    columns = [Column("Région"), Column("Code"), Column("Semestre"), Column("Identifiant"), Column("Service"),
               Column("Catégorie"), Column("Statut de convergence"), Column("Niveau (0 à 3)", INT),
               Column("Conformité", PERCENT), Column("Complétude", PERCENT), Column("Maturité globale", PERCENT),
               Column("Nombre d'écarts", INT), Column("Écarts"), Column("Cibles finales atteintes le", DATE)]
    rows = [[names.get(code, code), code, semester, s["id"], s["name"], s["category"], STATUS_LABELS[s["status"]],
             s["level"], s["conformity"], percent(s["completeness"]), percent(s["maturity"].get("global")),
             len(s["gaps"]), " ".join(s["gaps"]) or None, _date(s["target_reached_on"]) or "jamais"]
            for code, semester, s in services]
    return Sheet("Services", columns, rows)


def gaps_sheet(doc: Mapping[str, Any]) -> Sheet:
    columns = [Column("Critère"), Column("Axe"), Column("Libellé", LONG), Column("Services en écart", INT),
               Column("Services où il est dû", INT), Column("Part en écart", PERCENT),
               Column("Régions en écart", INT), Column("Régions dont le questionnaire l'a", INT)]
    rows = [[c["criterion"], c["axis"], c["label"], c["gaps"], c["due"],
             round(c["gaps"] / c["due"], 6) if c["due"] else None, c["regions"], c["bundles"]]
            for c in doc["criteria_in_gap"]]
    return Sheet("Écarts nationaux", columns, rows)


def blockers_sheet(doc: Mapping[str, Any]) -> Sheet:
    rows = [[b["label"], b["count"]] for b in doc["blockers_by_category"]]
    return Sheet("Freins par origine", [Column("Origine"), Column("Freins", INT)], rows)


def todo_sheet(names: Mapping[str, str], doc: Mapping[str, Any]) -> Sheet:
    columns = [Column("Région"), Column("Semestre"), Column("Sorte"), Column("Identifiant"), Column("Texte", LONG),
               Column("Statut"), Column("Échéance", DATE), Column("Écarts couverts", INT)]
    rows = [[names.get(t["region"], t["region"]), t["semester"], t["kind_label"], t["id"], t["text"],
             t["status_label"], _date(t["due"]), t["gaps"]] for t in doc["national_todo"]]
    return Sheet("À faire national", columns, rows)


def bundles_sheet(doc: Mapping[str, Any]) -> Sheet:
    columns = [Column("Paquet"), Column("Décision"), Column("Région"), Column("Semestre"), Column("Nature"),
               Column("Créé le (UTC)", DATETIME), Column("Remplacé par"), Column("Motif du refus", LONG)]
    rows: list[list[Any]] = []
    for region in doc["regions"]:
        rows += [[s["bundle"], "retenu", region["region"], s["semester"], NATURE[s["draft"]], _moment(s["created_at"]),
                  None, None] for s in region["semesters"]]
    rows += [[s["bundle"], "remplacé", s["region"], s["semester"], NATURE[s["draft"]], _moment(s["created_at"]),
              s["replaced_by"], None] for s in doc["superseded"]]
    rows += [[r["bundle"], "refusé", None, None, None, None, None, r["reason"]] for r in doc["rejected"]]
    return Sheet("Paquets", columns, rows)


def workbook(doc: Mapping[str, Any], services: Iterable[tuple[str, str, Mapping[str, Any]]]) -> bytes:
    names = {r["region"]: r["name"] for r in doc["regions"]}
    sheets = [regions_sheet(doc), services_sheet(names, services), gaps_sheet(doc), blockers_sheet(doc),
              todo_sheet(names, doc), bundles_sheet(doc)]
    return workbook_bytes(sheets, {"title": "Convergence — vue nationale", "subject": "Consolidation nationale",
                                   "comments": "Paquets régionaux vérifiés et consolidés (convergence national)."})

