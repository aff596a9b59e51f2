"""The campaign against an earlier one of the region (DESIGN.md §9, `convergence compare`): what
moved, as a document. Pure: both sides are *snapshots* — what the comparison needs of a campaign,
taken from its answers and scores documents and its questionnaire's criteria — so the baseline can
be remembered in the campaign file (usecases/comparing.py) and compared without its bundle.

Decisions (docs/documents.md, « Comparison document »):
- services are matched by id only (ids are stable across copies, imports and exports); an added
  service whose name is a retired one's is said (`same_name_as`), never matched silently;
- only criteria present in both questionnaires are compared; the share is over their union;
- an action of the baseline's plan (not abandoned then) was due when its date is on or before
  `as_of` (today, unless asked otherwise); it *happened* when it is `done` now, or when every gap it
  covered that can still be compared now has at least the level it promised (`reached`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ..scoring.document import ratio_round
from .formats import entry_covers

FORMAT = "convergence-comparison"
FORMAT_VERSION = 1
SNAPSHOT_VERSION = 1
STATUS_RANK = {"non_convergent": 0, "partially_convergent": 1, "convergent": 2}


def snapshot(criteria: Iterable[tuple[str, str]], axes: Iterable[tuple[str, str]], answers: Mapping[str, Any],
             scores: Mapping[str, Any]) -> dict[str, Any]:
    """What the comparison needs of one campaign. `criteria`: (id, axis) of its questionnaire's
    criteria; `axes`: (id, label); `answers`, `scores`: its two documents (format 1 or 2)."""
    levels = {s["id"]: {cid: c["level"] for cid, c in (s.get("criteria") or {}).items()
                        if isinstance(c, Mapping) and c.get("level") is not None}
              for s in answers["services"]}
    return {
        "version": SNAPSHOT_VERSION,
        "referentiel": {"id": answers["referentiel"]["id"], "version": answers["referentiel"]["version"]},
        "campaign": dict(answers["campaign"]),
        "criteria": [[cid, axis] for cid, axis in criteria],
        "axes": [[aid, label] for aid, label in axes],
        "region": scores["region"],
        "services": [{"id": s["id"], "name": s["name"], "category": s["category"], "status": s["status"],
                      "level": s["level"], "maturity": s["maturity"], "levels": levels.get(s["id"], {})}
                     for s in scores["services"]],
        "actions": [{"id": a["id"], "title": a.get("title"), "due": a.get("due"),
                     "target_level": a.get("target_level"), "status": a.get("status"),
                     "covers": [[sid, cid] for sid, cid in entry_covers(a)]}
                    for a in answers["actions"]],
    }


def _pair(then: Any, now: Any) -> dict[str, Any]:
    return {"baseline": then, "current": now}


def _delta(then: float | None, now: float | None) -> float | None:
    return None if then is None or now is None else round(now - then, 1)


def _direction(then: Any, now: Any, rank: Mapping[Any, int] | None = None) -> str:
    """« up », « down », « same », or « other » when the two cannot be ordered (NA on one side)."""
    if then == now:
        return "same"
    if rank is not None:
        a, b = rank.get(then), rank.get(now)
    else:  # levels: a missing answer counts 0 (DESIGN.md §4); NA is not on the scale
        a = 0 if then is None else then if isinstance(then, int) else None
        b = 0 if now is None else now if isinstance(now, int) else None
    if a is None or b is None:
        return "other"
    return "same" if a == b else ("up" if b > a else "down")


def _folded(name: Any) -> str:
    return " ".join(str(name or "").split()).casefold()


def compare(then: Mapping[str, Any], now: Mapping[str, Any], as_of: dt.date) -> dict[str, Any]:
    """The comparison of two snapshots (see the module's docstring); the caller adds what it knows
    of the baseline's file and signer (`baseline`)."""
    then_criteria = [cid for cid, _ in then["criteria"]]
    now_criteria = [cid for cid, _ in now["criteria"]]
    comparable = [cid for cid in now_criteria if cid in set(then_criteria)]
    union = len(set(then_criteria) | set(now_criteria))
    shared = set(comparable)

    then_services = {s["id"]: s for s in then["services"]}
    now_services = {s["id"]: s for s in now["services"]}
    retired_names = {_folded(s["name"]): s["id"] for s in then["services"] if s["id"] not in now_services}
    axes = [aid for aid, _ in now["axes"]] + [aid for aid, _ in then["axes"]
                                              if aid not in {a for a, _ in now["axes"]}]
    services = []
    for s in now["services"]:
        before = then_services.get(s["id"])
        if before is None:
            services.append({"id": s["id"], "name": s["name"], "state": "added",
                             "same_name_as": retired_names.get(_folded(s["name"])),
                             **_service_figures(None, s, axes), "criteria": []})
            continue
        rows = []
        for cid in comparable:
            a, b = before["levels"].get(cid), s["levels"].get(cid)
            if a is None and b is None:
                continue
            rows.append({"criterion": cid, **_pair(a, b), "change": _direction(a, b)})
        services.append({"id": s["id"], "name": s["name"], "state": "kept", "same_name_as": None,
                         **_service_figures(before, s, axes), "criteria": rows})
    for s in then["services"]:
        if s["id"] not in now_services:
            services.append({"id": s["id"], "name": s["name"], "state": "retired", "same_name_as": None,
                             **_service_figures(s, None, axes), "criteria": []})

    region_then, region_now = then["region"], now["region"]
    statuses = list(STATUS_RANK)[::-1]
    kept = [s for s in services if s["state"] == "kept"]
    changes = [c for s in kept for c in s["criteria"]]
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "as_of": as_of.isoformat(),
        "current": {"campaign": dict(now["campaign"]), "referentiel": dict(now["referentiel"])},
        "criteria": {"comparable": len(comparable), "total": union,
                     "share": ratio_round(100 * len(comparable), union, 1) if union else 100.0,
                     "only_baseline": [c for c in then_criteria if c not in shared],
                     "only_current": [c for c in now_criteria if c not in shared]},
        "region": {
            "maturity": {a: {**_pair(region_then["maturity"].get(a), region_now["maturity"].get(a)),
                             "delta": _delta(region_then["maturity"].get(a), region_now["maturity"].get(a))}
                         for a in [*axes, "global"]},
            "completeness": _pair(region_then["completeness"], region_now["completeness"]),
            "status_counts": {k: _pair(region_then["status_counts"].get(k, 0), region_now["status_counts"].get(k, 0))
                              for k in statuses},
        },
        "summary": {
            "services_kept": len(kept),
            "services_added": sum(1 for s in services if s["state"] == "added"),
            "services_retired": sum(1 for s in services if s["state"] == "retired"),
            "status_up": sum(1 for s in kept if s["status"]["change"] == "up"),
            "status_down": sum(1 for s in kept if s["status"]["change"] == "down"),
            "level_up": sum(1 for s in kept if s["level"]["change"] == "up"),
            "level_down": sum(1 for s in kept if s["level"]["change"] == "down"),
            "criteria_up": sum(1 for c in changes if c["change"] == "up"),
            "criteria_down": sum(1 for c in changes if c["change"] == "down"),
            "criteria_other": sum(1 for c in changes if c["change"] == "other"),
        },
        "services": services,
        "actions": _actions_due(then, now, shared, as_of),
    }


def _service_figures(then: Mapping[str, Any] | None, now: Mapping[str, Any] | None,
                     axes: Sequence[str]) -> dict[str, Any]:
    def get(s: Mapping[str, Any] | None, key: str) -> Any:
        return None if s is None else s[key]

    def maturity(s: Mapping[str, Any] | None, axis: str) -> float | None:
        return None if s is None else s["maturity"].get(axis)

    return {
        "category": _pair(get(then, "category"), get(now, "category")),
        "status": {**_pair(get(then, "status"), get(now, "status")),
                   "change": _direction(get(then, "status"), get(now, "status"), STATUS_RANK)},
        "level": {**_pair(get(then, "level"), get(now, "level")),
                  "change": _direction(get(then, "level"), get(now, "level"), {n: n for n in range(4)})},
        "maturity": {a: _pair(maturity(then, a), maturity(now, a)) for a in [*axes, "global"]},
    }


def _day(value: Any) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _actions_due(then: Mapping[str, Any], now: Mapping[str, Any], comparable: set[str],
                 as_of: dt.date) -> list[dict[str, Any]]:
    now_actions = {a["id"]: a for a in now["actions"]}
    now_levels = {s["id"]: s["levels"] for s in now["services"]}
    out = []
    for a in then["actions"]:
        due = _day(a["due"])
        if a["status"] == "abandoned" or due is None or due > as_of:
            continue
        target = a["target_level"]
        pairs = [(sid, cid) for sid, cid in a["covers"] if cid in comparable and sid in now_levels]
        if not pairs or not isinstance(target, int):
            reached = None
        else:
            reached = all(isinstance(lv := now_levels[sid].get(cid), int) and lv >= target for sid, cid in pairs)
        current = now_actions.get(a["id"])
        status_now = current["status"] if current is not None else None
        out.append({"id": a["id"], "title": a["title"], "due": a["due"], "target_level": target,
                    "covers": len(a["covers"]), "status": _pair(a["status"], status_now), "reached": reached,
                    "happened": status_now == "done" or reached is True})
    out.sort(key=lambda x: (x["due"], x["id"]))
    return out
