"""An independent, literal transcription of DESIGN.md §4 (scoring).

Deliberately slow and naive, and it imports nothing from `convergence_tui.scoring`:
tests compare the engine's scores document with `reference_scores(...)`.

`services` items are either objects with the attributes of `ServiceInput`
(id, name, category, answers, actions) or plain dicts with the same keys;
instead of `answers` a dict may carry `criteria` shaped as in the answers
document (`{"IOP-01": {"level": 3}}`). Actions are objects or dicts with
criterion, target_level, due (date or ISO string) and status.
`services_from_answers_document` turns an answers document (DESIGN.md §5)
into that form.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from fractions import Fraction

STATUSES = ("convergent", "partially_convergent", "non_convergent")


def _get(obj, key, default=None):
    return obj.get(key, default) if isinstance(obj, Mapping) else getattr(obj, key, default)


def _date(value) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(value)


def _answers(svc) -> dict:
    answers = _get(svc, "answers")
    if answers is None:  # answers-document shape
        answers = {cid: (e or {}).get("level") for cid, e in (_get(svc, "criteria") or {}).items()}
    return {cid: v for cid, v in answers.items() if v is not None}


def _actions(svc) -> list[tuple[str, int, dt.date, str]]:
    return [
        (_get(a, "criterion"), _get(a, "target_level"), _date(_get(a, "due")), _get(a, "status", "planned"))
        for a in (_get(svc, "actions") or ())
    ]


def half_up(x: Fraction | None, digits: int) -> float | None:
    """Round a non-negative exact value half up, with integers only."""
    if x is None:
        return None
    x, scale = Fraction(x), 10**digits
    return ((2 * x.numerator * scale + x.denominator) // (2 * x.denominator)) / scale


def reference_scores(ref, services, date) -> dict:
    d, mx = _date(date), ref.scale.max
    conv, part = Fraction(str(ref.thresholds.convergent)), Fraction(str(ref.thresholds.partial))
    keys = [a.id for a in ref.axes] + ["global"]
    on = lambda c, x: x == "global" or c.axis == x  # noqa: E731
    pool = {x: [0, 0] for x in keys}  # Σ l, n over every (service, applicable criterion) pair
    pool_answered = pool_candidates = 0
    counts = dict.fromkeys(STATUSES, 0)
    rows = []
    for s in services:
        ans, acts = _answers(s), _actions(s)
        C = [c for c in ref.criteria if c.categories is None or _get(s, "category") in c.categories]
        A = [c for c in C if ans.get(c.id) != "NA"]
        lv = {c.id: ans.get(c.id, 0) for c in A}  # a missing answer counts as 0
        answered = sum(1 for c in C if c.id in ans)
        pool_answered, pool_candidates = pool_answered + answered, pool_candidates + len(C)
        maturity = {}
        for x in keys:
            total, n = sum(lv[c.id] for c in A if on(c, x)), sum(1 for c in A if on(c, x))
            pool[x][0], pool[x][1] = pool[x][0] + total, pool[x][1] + n
            maturity[x] = Fraction(100 * total, mx * n) if n else None

        def due(c):
            past = [t for t in c.targets if t.date <= d]
            return max(past, key=lambda t: t.date).level if past else None

        def final(c):
            return max(c.targets, key=lambda t: t.date).level

        D = [c for c in A if due(c) is not None]
        unmet = [c for c in D if lv[c.id] < due(c)]
        K = Fraction(len(D) - len(unmet), len(D)) if D else Fraction(1)
        critical_unmet = [c for c in unmet if c.critical]
        if not critical_unmet and conv <= K:
            status = "convergent"
        elif part <= K and all(lv[c.id] >= 1 for c in critical_unmet):
            status = "partially_convergent"
        else:
            status = "non_convergent"
        counts[status] += 1
        targeted = [c for c in A if c.targets]
        at_final = all(lv[c.id] >= final(c) for c in targeted)
        level = {"non_convergent": 0, "partially_convergent": 1}.get(status, 3 if at_final else 2)

        def projected(c, t):
            return max([lv[c.id]] + [tl for cid, tl, due_, st in acts if cid == c.id and st != "abandoned" and due_ <= t])

        times = sorted({d} | {due_ for _, _, due_, _ in acts if due_ >= d})
        reached = next((t for t in times if all(projected(c, t) >= final(c) for c in targeted)), None)
        rows.append({
            "id": _get(s, "id"), "name": _get(s, "name"), "category": _get(s, "category"),
            "maturity": {x: half_up(v, 1) for x, v in maturity.items()},
            "completeness": half_up(Fraction(100 * answered, len(C)) if C else Fraction(100), 1),
            "conformity": half_up(K, 3), "status": status, "level": level,
            "gaps": sorted(c.id for c in unmet),
            "target_reached_on": reached.isoformat() if reached else None,
        })
    return {
        "referentiel": {"id": ref.referentiel.id, "version": ref.referentiel.version},
        "reference_date": d.isoformat(),
        "region": {
            "maturity": {x: half_up(Fraction(100 * t, mx * n), 1) if n else None for x, (t, n) in pool.items()},
            "completeness": half_up(
                Fraction(100 * pool_answered, pool_candidates) if pool_candidates else Fraction(100), 1
            ),
            "status_counts": counts,
        },
        "services": rows,
    }


def services_from_answers_document(doc: Mapping) -> list[dict]:
    """The services of an answers document (DESIGN.md §5), with their actions, for `reference_scores`:
    an action covering several gaps (format_version 2) acts on each of them (one entry per covered
    criterion of that service); format_version 1 names one service and one criterion."""
    def pairs(a: Mapping) -> list[tuple[str, str]]:
        if "covers" in a:
            return [(c["service"], c["criterion"]) for c in a["covers"] or []]
        return [(a.get("service"), a.get("criterion"))]

    return [
        {
            "id": s["id"], "name": s["name"], "category": s["category"], "criteria": s.get("criteria") or {},
            "actions": [{**a, "criterion": cid} for a in doc.get("actions") or [] for sid, cid in pairs(a)
                        if sid == s["id"]],
        }
        for s in doc.get("services") or []
    ]
