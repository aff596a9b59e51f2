"""What `rapport.html` shows, from the bundle's data only: the campaign read back from its answers
document (campaign/rebuilt.py) and the manifest's claims. Export and verify both call this, so a
report can never say more than the data (DESIGN.md §6)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..campaign.problems import Problem
from ..campaign.rebuilt import Rebuilt
from ..campaign.timeline import plan_timeline
from ..referentiel.values import REGIONS


def report_data(rebuilt: Rebuilt, claims: Mapping[str, Any], missing: list[Problem]) -> dict[str, Any]:
    """`claims`: the manifest without its file list (created_at, draft, validation, signer,
    referentiel); `missing`: what blocks a final export, listed in a draft's report."""
    ref = rebuilt.ref
    answers, scores = rebuilt.answers, rebuilt.scores_doc
    info = answers["campaign"]
    form = answers["answers"]
    by_service: dict[str, dict[str, Any]] = {s["id"]: {"actions": [], "blockers": [], "levels": {}}
                                   for s in answers["services"]}
    for s in answers["services"]:
        by_service[s["id"]]["levels"] = {cid: c.get("level") for cid, c in s["criteria"].items()}
    for a in answers["actions"]:
        if a["service"] in by_service:
            by_service[a["service"]]["actions"].append(a)
    for b in answers["blockers"]:
        if b["service"] in by_service:
            by_service[b["service"]]["blockers"].append(b)
    services = []
    for s in scores["services"]:
        mine = by_service[s["id"]]
        gap_details = [{"criterion": cid, "label": ref.criteria_by_id[cid].label,
                        "level": mine["levels"].get(cid, 0) or 0, "due": rebuilt.scorer.due_level(cid)}
                       for cid in s["gaps"]]
        services.append({**s, "gap_details": gap_details,
                         "actions": sorted(mine["actions"], key=lambda a: (a["due"] or "", a["id"])),
                         "blockers": mine["blockers"]})
    semesters, rows = plan_timeline(rebuilt.data, rebuilt.scores, rebuilt.scorer.date)
    pin = claims["referentiel"]
    return {
        "region_code": info["region"], "region_name": REGIONS.get(info["region"] or "", "région non renseignée"),
        "label": info["label"], "reference_date": info["reference_date"],
        "ars": form.get("ars_name", ""), "grades": form.get("grades_name", ""),
        "created_at": claims["created_at"], "draft": claims["draft"],
        "signer": {"subject": claims["signer"]["subject"], "fingerprint": claims["signer"]["certificate_sha256"]},
        "validation": claims["validation"],
        "referentiel": {"id": pin["id"], "version": pin["version"], "official": pin.get("official")},
        "axes": [(a.id, a.label) for a in ref.axes],
        "region": scores["region"],
        "services": services,
        "timeline": {"semesters": semesters,
                     "rows": [{"name": r.name, "cells": r.cells, "reached_on": r.reached_on} for r in rows]},
        "missing": [p.message for p in missing],
    }
