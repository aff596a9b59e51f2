"""The workbook's sheets (`convergence report --xlsx`) as tables of typed values, from the same data
as the HTML report: the campaign read back from its answers document and scored (campaign/rebuilt.py).
Pure; `report/xlsx.py` writes them with XlsxWriter.

One function per sheet, listed in `SHEETS` in the workbook's order: a sheet is added by writing its
function and naming it there (the « Évolution » sheet is there only when a baseline campaign is set).
Values are what a spreadsheet should hold: numbers as numbers, dates as dates, percentages as
fractions (0.438, shown 43,8 %), choices by their labels; text is made inert by the writer.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from ..campaign.data import criterion_scope
from ..campaign.formats import entry_covers
from ..campaign.problems import Problem
from ..campaign.rebuilt import Rebuilt
from ..referentiel.models import Question
from ..referentiel.values import REGIONS, is_visible, parse_date
from ..scoring.engine import NA
from .format import STATUS_LABELS, date_fr, datetime_fr

# Column kinds: how a value is written and shown.
TEXT, LONG, INT, NUMBER, PERCENT, EUROS, DATE, DATETIME = (
    "text", "long", "int", "number", "percent", "euros", "date", "datetime")
KIND_OF_QUESTION = {"long_text": LONG, "integer": INT, "level": INT, "decimal": NUMBER, "euros": EUROS,
                    "percent": PERCENT, "date": DATE}
YES_NO = {True: "oui", False: "non"}


@dataclass(frozen=True)
class Column:
    header: str
    kind: str = TEXT


@dataclass(frozen=True)
class Typed:
    """A value whose kind is not its column's (the « Région » sheet lists figures of every kind)."""

    value: Any
    kind: str


@dataclass(frozen=True)
class Sheet:
    name: str
    columns: list[Column]
    rows: list[list[Any]]


Pair = tuple[str | None, str | None]


def covered(item: Mapping[str, Any]) -> list[Pair]:
    """The (service, criterion) pairs a blocker or an action covers, whatever the document's format."""
    return list(entry_covers(item))


@dataclass(frozen=True, eq=False)
class Source:
    """What every sheet reads. `claims`: created_at, signer (None for a report made outside a bundle),
    validation, referentiel, as the HTML report has them; `missing`: what blocks a final export."""

    rebuilt: Rebuilt
    claims: Mapping[str, Any]
    missing: list[Problem]
    comparison: Mapping[str, Any] | None = None  # with the baseline, when one is set (« Évolution »)

    @property
    def answers(self) -> Mapping[str, Any]:
        return self.rebuilt.answers

    @cached_property
    def names(self) -> dict[str, str]:
        return {s["id"]: s.get("name") or s["id"] for s in self.answers["services"]}

    @cached_property
    def scores(self) -> dict[str, dict[str, Any]]:
        return {s["id"]: s for s in self.rebuilt.scores_doc["services"]}

    @cached_property
    def problems(self) -> set[tuple[str, str]]:
        """(kind, scope) of every problem: a gap's plan is judged by the campaign's own rule."""
        return {(p.kind, p.scope) for p in self.missing}

    @cached_property
    def covering(self) -> dict[Pair, dict[str, list[Mapping[str, Any]]]]:
        """Per (service, criterion): the blockers and the actions that cover it."""
        index: dict[Pair, dict[str, list[Mapping[str, Any]]]] = {}
        for key in ("blockers", "actions"):
            for item in self.answers[key]:
                for pair in dict.fromkeys(covered(item)):
                    index.setdefault(pair, {"blockers": [], "actions": []})[key].append(item)
        return index

    def label(self, kind: str, q: Question, value: Any) -> Any:
        """An answer as a spreadsheet should hold it."""
        ref = self.rebuilt.ref
        if value is None or value == "":
            return None
        if q.type == "choice":
            return ref.option_label(kind, q.id, value)
        if q.type == "multi_choice" and isinstance(value, list):
            return ", ".join(ref.option_label(kind, q.id, v) for v in value)
        if q.type == "yes_no":
            return YES_NO.get(value, str(value))
        if q.type == "date":
            return parse_date(value) or str(value)
        if q.type == "service":
            return self.names.get(value, value)
        if q.type == "category":
            category = ref.categories_by_id.get(value)
            return category.label if category else str(value)
        if q.type in KIND_OF_QUESTION and isinstance(value, int | float) and not isinstance(value, bool):
            return percent(value) if q.type == "percent" else value
        return value if isinstance(value, str) else str(value)


def percent(value: float | None) -> float | None:
    """43.8 (a percentage of the scores document) -> 0.438, what a cell formatted « 0,0 % » holds."""
    return None if value is None else round(value / 100, 6)


def _joined(values: Iterable[str | None]) -> str:
    return "; ".join(dict.fromkeys(v for v in values if v))


def _values(item: Mapping[str, Any]) -> dict[str, Any]:
    """An item's answers, its core keys and its `fields` alike."""
    return {**item.get("fields", {}), **{k: v for k, v in item.items() if k not in ("id", "fields", "covers")}}


def _shown(questions: Iterable[Question], values: Mapping[str, Any]) -> set[str]:
    """The questions shown for these answers (a hidden question's stored answer is not said)."""
    answers = dict(values)
    return {q.id for q in questions if is_visible(q, answers)}


def _question_columns(questions: Iterable[Question], skip: tuple[str, ...]) -> list[Question]:
    return [q for q in questions if q.type not in skip and q.id not in skip]


def region_sheet(src: Source) -> Sheet:
    """The campaign and the region's figures, one per row."""
    info, form = src.answers["campaign"], src.answers.get("answers", {})
    ref, region, claims = src.rebuilt.ref, src.rebuilt.scores_doc["region"], src.claims
    code = info.get("region")
    pin = claims["referentiel"]
    official = {True: " (version officielle)", False: " (non officiel : questionnaire propre à ce pilote)"}
    validation = claims.get("validation")
    signer = claims.get("signer")
    rows: list[list[Any]] = [
        ["Région", f"{REGIONS.get(code or '', 'région non renseignée')}{f' ({code})' if code else ''}"],
        ["Campagne", info.get("label")],
        ["Date de référence (niveaux dus)", Typed(parse_date(info.get("reference_date")), DATE)],
        ["ARS", form.get("ars_name")],
        ["GRADeS", form.get("grades_name")],
        ["Questionnaire", f"{pin['id']} {pin['version']}{official.get(pin.get('official'), '')}"],
        ["Produit le (UTC)", Typed(_moment(claims["created_at"]), DATETIME)],
        ["Nature", "rapport de travail non signé, tiré du fichier de campagne : seul le paquet exporté et "
                   "signé (convergence export) est une soumission" if signer is None
         else f"paquet signé par {signer['subject']}"],
        ["Validation", f"{validation['name']} ({validation['role']}), le {datetime_fr(validation['at'])}"
         if validation else "pas de validation en cours"],
        ["Points à régler avant l'export définitif", Typed(len(src.missing), INT)],
        ["Services", Typed(len(src.rebuilt.scores_doc["services"]), INT)],
        *([f"Services {STATUS_LABELS[k]}s", Typed(n, INT)] for k, n in region["status_counts"].items()),
        ["Complétude", Typed(percent(region["completeness"]), PERCENT)],
        *([f"Maturité {a.label}", Typed(percent(region["maturity"].get(a.id)), PERCENT)] for a in ref.axes),
        ["Maturité globale", Typed(percent(region["maturity"].get("global")), PERCENT)],
    ]
    return Sheet("Région", [Column("Élément"), Column("Valeur")], rows)


def _moment(stamp: str) -> dt.datetime:
    return dt.datetime.fromisoformat(stamp.replace("Z", "+00:00")).astimezone(dt.UTC).replace(tzinfo=None)


def services_sheet(src: Source) -> Sheet:
    ref = src.rebuilt.ref
    questions = _question_columns(ref.item_questions("service").values(), ("name", "category"))
    columns = [Column("Identifiant"), Column("Service"), Column("Catégorie"), Column("Statut de convergence"),
               Column("Niveau (0 à 3)", INT), *(Column(f"Maturité {a.label}", PERCENT) for a in ref.axes),
               Column("Maturité globale", PERCENT), Column("Complétude", PERCENT), Column("Conformité", PERCENT),
               Column("Nombre d'écarts", INT), Column("Écarts"), Column("Cibles finales atteintes le", DATE),
               *(Column(q.label, KIND_OF_QUESTION.get(q.type, TEXT)) for q in questions)]
    fields = {s["id"]: {**s.get("fields", {}), "name": s.get("name"), "category": s.get("category")}
              for s in src.answers["services"]}
    rows = []
    for s in src.rebuilt.scores_doc["services"]:
        category = ref.categories_by_id.get(s["category"] or "")
        values = fields.get(s["id"], {})
        shown = _shown(questions, values)
        m = s["maturity"]
        rows.append([s["id"], s["name"], category.label if category else s["category"], STATUS_LABELS[s["status"]],
                     s["level"], *(percent(m.get(a.id)) for a in ref.axes), percent(m.get("global")),
                     percent(s["completeness"]), s["conformity"], len(s["gaps"]), " ".join(s["gaps"]),
                     parse_date(s["target_reached_on"]) or "jamais",
                     *(src.label("service", q, values.get(q.id)) if q.id in shown else None for q in questions)])
    return Sheet("Services", columns, rows)


def grid_sheet(src: Source) -> Sheet:
    """One row per service and criterion of its category: the level, what is due, what the team wrote."""
    ref, scorer = src.rebuilt.ref, src.rebuilt.scorer
    columns = [Column("Identifiant du service"), Column("Service"), Column("Critère"), Column("Axe"),
               Column("Libellé du critère", LONG), Column("Bloquant"), Column("Niveau", INT), Column("NA"),
               Column("Niveau dû", INT), Column("Atteint"), Column("Cible finale", INT),
               Column("Justification du NA", LONG), Column("Preuve", LONG), Column("Commentaire", LONG)]
    rows = []
    for s in src.answers["services"]:
        gaps = set(src.scores[s["id"]]["gaps"]) if s["id"] in src.scores else set()
        criteria = s.get("criteria", {})
        for c in ref.candidates(s.get("category") or ""):
            entry = criteria.get(c.id, {})
            level = entry.get("level")
            due = scorer.due_level(c.id)
            met = None if due is None or level == NA else YES_NO[c.id not in gaps]
            rows.append([s["id"], src.names[s["id"]], c.id, c.axis, c.label, YES_NO[c.critical],
                         level if isinstance(level, int) else None,
                         None if level is None else YES_NO[level == NA], due, met, scorer.final_level(c.id),
                         entry.get("justification"), entry.get("evidence"), entry.get("comment")])
    return Sheet("Grille", columns, rows)


def gaps_sheet(src: Source) -> Sheet:
    """Every gap (a due criterion not met), with what the plan says about it."""
    ref, scorer = src.rebuilt.ref, src.rebuilt.scorer
    columns = [Column("Identifiant du service"), Column("Service"), Column("Critère"), Column("Axe"),
               Column("Libellé du critère", LONG), Column("Bloquant"), Column("Niveau", INT), Column("Niveau dû", INT),
               Column("Frein décrit"), Column("Action qui atteint le niveau dû"), Column("Freins", LONG),
               Column("Actions", LONG)]
    levels = {s["id"]: s.get("criteria", {}) for s in src.answers["services"]}
    rows = []
    for s in src.rebuilt.scores_doc["services"]:
        for cid in s["gaps"]:
            c = ref.criteria_by_id[cid]
            level = levels.get(s["id"], {}).get(cid, {}).get("level")
            scope = criterion_scope(s["id"], cid)
            plan = src.covering.get((s["id"], cid), {"blockers": [], "actions": []})
            rows.append([s["id"], src.names.get(s["id"], s["id"]), cid, c.axis, c.label, YES_NO[c.critical],
                         level if isinstance(level, int) else 0, scorer.due_level(cid),
                         YES_NO[("no_blocker", scope) not in src.problems],
                         YES_NO[("no_action", scope) not in src.problems],
                         "\n".join(f"{ref.option_label('blocker', 'category', b.get('category'))} : "
                                   f"{b.get('description') or ''}" for b in plan["blockers"]) or None,
                         "\n".join(f"{a.get('title') or ''} (niveau {a.get('target_level')}, "
                                   f"{date_fr(a.get('due'))}, {ref.option_label('action', 'status', a.get('status'))})"
                                   for a in plan["actions"]) or None])
    return Sheet("Écarts", columns, rows)


def _plan_items(src: Source, kind: str, key: str, name: str) -> Sheet:
    """Blockers or actions, each once: the gaps it covers (services, criteria, how many), then its
    questions in the questionnaire's order."""
    section = src.rebuilt.ref.list_section(kind)
    questions = _question_columns(section.questions if section else [], ("service", "criterion", "covers"))
    columns = [Column("Identifiant"), Column("Services"), Column("Critères"), Column("Écarts", INT),
               *(Column(q.label, KIND_OF_QUESTION.get(q.type, TEXT)) for q in questions)]
    rows = []
    for item in src.answers[key]:
        values = _values(item)
        pairs = covered(item)
        shown = _shown(questions, values)
        rows.append([item["id"], _joined(src.names.get(sid or "", sid) for sid in dict.fromkeys(s for s, _ in pairs)),
                     _joined(dict.fromkeys(cid for _, cid in pairs)), len(pairs),
                     *(src.label(kind, q, values.get(q.id)) if q.id in shown else None for q in questions)])
    return Sheet(name, columns, rows)


def blockers_sheet(src: Source) -> Sheet:
    return _plan_items(src, "blocker", "blockers", "Freins")


def plan_sheet(src: Source) -> Sheet:
    return _plan_items(src, "action", "actions", "Plan")


def _service_items(src: Source, kind: str, key: str, name: str) -> Sheet:
    """Indicators or finance lines: the service they belong to, then their questions."""
    section = src.rebuilt.ref.list_section(kind)
    questions = _question_columns(section.questions if section else [], ("service",))
    columns = [Column("Identifiant"), Column("Service"),
               *(Column(q.label, KIND_OF_QUESTION.get(q.type, TEXT)) for q in questions)]
    rows = []
    for s in src.answers["services"]:
        for child in s.get(key, []):
            values = child.get("fields", {})
            shown = _shown(questions, values)
            rows.append([child["id"], src.names[s["id"]],
                         *(src.label(kind, q, values.get(q.id)) if q.id in shown else None for q in questions)])
    return Sheet(name, columns, rows)


def indicators_sheet(src: Source) -> Sheet:
    return _service_items(src, "indicator", "indicators", "Indicateurs")


def finances_sheet(src: Source) -> Sheet:
    return _service_items(src, "finance", "finances", "Finances")


def evolution_sheet(src: Source) -> Sheet | None:
    """One row per service then and now (matched by id), when a baseline is set: what moved."""
    from .evolution import service_change

    doc = src.comparison
    if doc is None:
        return None
    states = {"kept": "suivi", "added": "ajouté", "retired": "retiré"}
    columns = [Column("Identifiant"), Column("Service"), Column("Depuis la référence"),
               Column("Statut (référence)"), Column("Statut (maintenant)"), Column("Niveau (référence)", INT),
               Column("Niveau (maintenant)", INT), Column("Maturité globale (référence)", PERCENT),
               Column("Maturité globale (maintenant)", PERCENT), Column("Critères en hausse", INT),
               Column("Critères en baisse", INT), Column("Ce qui a changé", LONG)]
    rows = []
    for s in doc["services"]:
        status, level, glob = s["status"], s["level"], s["maturity"]["global"]
        rows.append([s["id"], s["name"], states[s["state"]],
                     STATUS_LABELS.get(status["baseline"] or ""), STATUS_LABELS.get(status["current"] or ""),
                     level["baseline"], level["current"], percent(glob["baseline"]), percent(glob["current"]),
                     sum(1 for c in s["criteria"] if c["change"] == "up"),
                     sum(1 for c in s["criteria"] if c["change"] == "down"), service_change(s)])
    return Sheet("Évolution", columns, rows)


SHEETS: list[Callable[[Source], Sheet | None]] = [region_sheet, services_sheet, grid_sheet, gaps_sheet,
                                                  blockers_sheet, plan_sheet, indicators_sheet, finances_sheet,
                                                  evolution_sheet]


def workbook_sheets(src: Source) -> list[Sheet]:
    """The sheets that apply (« Évolution » only with a baseline)."""
    return [sheet for make in SHEETS if (sheet := make(src)) is not None]
