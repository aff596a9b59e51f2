"""What `rapport.html` shows, from the bundle's data only: the campaign read back from its answers
document (campaign/rebuilt.py) and the manifest's claims. Export and verify both call this, so a
report can never say more than the data (DESIGN.md §6)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..campaign.formats import entry_covers
from ..campaign.problems import Problem
from ..campaign.rebuilt import Rebuilt
from ..campaign.timeline import plan_timeline
from ..referentiel.models import Question, Referentiel
from ..referentiel.values import REGIONS, parse_date
from .format import number

# What the team wrote about a criterion, in the order the report says it.
CRITERION_TEXTS = (("justification", "Justification du NA"), ("evidence", "Preuve"), ("comment", "Commentaire"))


def _by_service(entry: Mapping[str, Any]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for sid, cid in entry_covers(entry):
        out.setdefault(sid, []).append(cid)
    return out


def report_data(rebuilt: Rebuilt, claims: Mapping[str, Any], missing: list[Problem],
                comparison: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """`claims`: the manifest without its file list (created_at, draft, validation, signer,
    referentiel); `missing`: what blocks a final export, listed in a draft's report; `comparison`:
    the comparison with the baseline (`convergence report` only, never a bundle's report)."""
    ref = rebuilt.ref
    answers, scores = rebuilt.answers, rebuilt.scores_doc
    info = answers["campaign"]
    form = answers.get("answers", {})
    by_service: dict[str, dict[str, Any]] = {s["id"]: {"actions": [], "blockers": [], "levels": {}}
                                   for s in answers["services"]}
    service_texts = [q for q in ref.item_questions("service").values() if q.type == "long_text"]
    for s in answers["services"]:
        mine = by_service[s["id"]]
        fields, criteria = s.get("fields", {}), s.get("criteria", {})
        mine["levels"] = {cid: c.get("level") for cid, c in criteria.items()}
        mine["texts"] = [(q.label, fields[q.id]) for q in service_texts if fields.get(q.id)] + child_texts(ref, s)
        mine["notes"] = criterion_notes(ref, criteria)
    # Under each service, the items covering its gaps, with the criteria of that service they cover.
    for a in answers["actions"]:
        for sid, criteria in _by_service(a).items():
            if sid in by_service:
                by_service[sid]["actions"].append({
                    **a, "criterion": " ".join(criteria), "covers_count": len(entry_covers(a)),
                    "owner_label": ref.option_label("action", "owner", a["owner"]),
                    "status_label": ref.option_label("action", "status", a["status"]),
                    "comment": a.get("fields", {}).get("comment")})
    for b in answers["blockers"]:
        for sid, criteria in _by_service(b).items():
            if sid in by_service:
                by_service[sid]["blockers"].append(
                    {**b, "criterion": " ".join(criteria), "covers_count": len(entry_covers(b)),
                     "category_label": ref.option_label("blocker", "category", b["category"])})
    # Each gap with its causes and actions, named as the plan below numbers them.
    numbered = {i["id"]: f"{prefix}{n}" for key, prefix in (("blockers", "F"), ("actions", "A"))
                for n, i in enumerate(answers[key], 1)}
    on_gap: dict[tuple[str, str], list[str]] = {}
    for key in ("blockers", "actions"):
        for item in answers[key]:
            for pair in entry_covers(item):
                on_gap.setdefault(pair, []).append(numbered[item["id"]])
    services = []
    for s in scores["services"]:
        mine = by_service[s["id"]]
        gap_details = [{"criterion": cid, "label": ref.criteria_by_id[cid].label,
                        "level": mine["levels"].get(cid, 0) or 0, "due": rebuilt.scorer.due_level(cid),
                        "plan": on_gap.get((s["id"], cid), [])}
                       for cid in s["gaps"]]
        category = ref.categories_by_id.get(s["category"] or "")
        services.append({**s, "gap_details": gap_details,
                         "category_label": category.label if category else s["category"],
                         "actions": sorted(mine["actions"], key=lambda a: (a["due"] or "", a["id"])),
                         "blockers": mine["blockers"], "texts": mine["texts"], "notes": mine["notes"]})
    semesters, rows = plan_timeline(rebuilt.data, rebuilt.scores, rebuilt.scorer.date)
    pin = claims["referentiel"]
    return {
        "region_code": info["region"], "region_name": REGIONS.get(info["region"] or "", "région non renseignée"),
        "label": info["label"], "reference_date": info["reference_date"],
        "ars": form.get("ars_name", ""), "grades": form.get("grades_name", ""),
        "created_at": claims["created_at"], "draft": claims["draft"],
        # None: a working report made from the campaign file (`convergence report`), signed by nobody.
        "signer": None if claims["signer"] is None else {"subject": claims["signer"]["subject"],
                                                         "fingerprint": claims["signer"]["certificate_sha256"]},
        "validation": claims["validation"],
        "referentiel": {"id": pin["id"], "version": pin["version"], "official": pin.get("official")},
        "context": regional_texts(ref, form),
        "axes": [(a.id, a.label) for a in ref.axes],
        "region": scores["region"],
        "services": services,
        "timeline": {"semesters": semesters,
                     "rows": [{"name": r.name, "cells": r.cells, "reached_on": r.reached_on} for r in rows]},
        "missing": [p.message for p in missing],
        "plan": plan_items(ref, answers, numbered),
        "comparison": comparison,
    }


def plan_items(ref: Referentiel, answers: Mapping[str, Any], numbered: Mapping[str, str]) -> dict[str, Any]:
    """Each blocker and each action once, with the gaps it covers; the actions by the semester they
    are due (the plan's calendar, one row per action)."""
    from ..campaign.timeline import semester_label, semester_of

    names = {s["id"]: s["name"] for s in answers["services"]}

    def covering(item: Mapping[str, Any]) -> dict[str, Any]:
        pairs = entry_covers(item)
        by_service: dict[str, list[str]] = {}
        for sid, cid in pairs:
            by_service.setdefault(names.get(sid, sid), []).append(cid)
        return {"number": numbered[item["id"]], "count": len(pairs),
                "where": [(name, " ".join(cids)) for name, cids in by_service.items()]}

    blockers = [{**covering(b), "category_label": ref.option_label("blocker", "category", b["category"]),
                 "description": b["description"]} for b in answers["blockers"]]
    def semester(due: Any) -> str | None:
        day = parse_date(due)
        return semester_label(semester_of(day)) if day is not None else None

    actions = [{**covering(a), "title": a["title"], "target_level": a["target_level"], "due": a["due"],
                "owner_label": ref.option_label("action", "owner", a["owner"]),
                "status_label": ref.option_label("action", "status", a["status"]), "semester": semester(a["due"])}
               for a in answers["actions"]]
    return {"blockers": blockers, "actions": actions}


def regional_texts(ref: Referentiel, form: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The texts the team wrote for the whole campaign (« Choix régionaux et contexte », « Équipe
    régionale »…): every long-text question of the form sections that has an answer, in the
    questionnaire's order, under its label. Read from the questionnaire, so a new version's texts
    reach the report without a code change."""
    return [(q.label, form[q.id]) for q in ref.form_questions.values() if q.type == "long_text" and form.get(q.id)]


CHILDREN = (("indicator", "indicators"), ("finance", "finances"))  # items a service holds in its document


def child_texts(ref: Referentiel, service: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The long texts written on a service's indicators and finance lines (a comment on a budget
    line…), each under what it is about: « Bilan financier (2025, Fonctionnement, Réalisé N-1,
    359 000 €) — Commentaire »."""
    out = []
    for kind, key in CHILDREN:
        section = ref.list_section(kind)
        if section is None:
            continue
        texts = [q for q in section.questions if q.type == "long_text"]
        shown = [q for q in section.questions if q.column and q.type not in ("service", "long_text")]
        for child in service.get(key, []):
            fields = child.get("fields", {})
            written = [q for q in texts if fields.get(q.id)]
            if not written:
                continue
            about = ", ".join(_value(ref, kind, q, fields[q.id]) for q in shown if fields.get(q.id) is not None)
            for q in written:
                out.append((f"{section.title}{f' ({about})' if about else ''} — {q.label}", fields[q.id]))
    return out


def _value(ref: Referentiel, kind: str, q: Question, value: Any) -> str:
    if q.options:
        return ref.option_label(kind, q.id, value)
    if q.type in ("euros", "decimal") and isinstance(value, int | float):  # a year stays 2025
        return f"{number(value)}{f' {q.unit}' if q.unit else ''}"
    return f"{value}{f' {q.unit}' if q.unit else ''}"


def criterion_notes(ref: Referentiel, criteria: Mapping[str, Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Every criterion of a service on which the team wrote something (NA justification, evidence,
    comment), in the questionnaire's order."""
    notes = []
    for c in ref.criteria:
        entry = criteria.get(c.id)
        if not entry:
            continue
        texts = [(label, entry[key]) for key, label in CRITERION_TEXTS if entry.get(key)]
        if texts:
            notes.append({"criterion": c.id, "label": c.label, "level": entry.get("level"), "texts": texts})
    return notes
