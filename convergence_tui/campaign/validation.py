"""What an input becomes once checked: a cell holding the value, the text as typed, and the reason
it is invalid. Pure: it reads the campaign (references, the item's service and criterion) and the
questionnaire, and writes nothing."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..cells import Cell
from ..referentiel.models import Question
from ..referentiel.values import check_value, is_empty, text_problem, unknown_item
from ..scoring.engine import NA
from .data import CAMPAIGN, CRITERION_FIELDS, CampaignData, split_criterion_scope


def validate_cell(data: CampaignData, scope: str, field: str, raw: Any) -> Cell | None:
    """None for an empty input (not answered); otherwise a cell, valid or not."""
    if is_empty(raw):
        return None
    ref = data.ref
    shown = raw if isinstance(raw, str) else str(raw)
    crit_scope = split_criterion_scope(scope)
    if crit_scope:
        if field not in CRITERION_FIELDS:
            raise ValueError(f"unknown criterion field {field}")
        if field != "level":
            if not isinstance(raw, str):
                return Cell(None, shown, "un texte est attendu")
            error = text_problem(raw, multiline=True)
            return Cell(None, raw, error) if error else Cell(raw, raw)
        return level_cell(data, crit_scope[1], raw)
    if scope == CAMPAIGN:
        q = ref.form_questions[field]
        value, error = check_value(q, raw, scale_max=ref.scale.max)
    else:
        item = data.items[scope]
        q = ref.item_questions(item.kind)[field]
        value, error = check_value(q, raw, **references(data, scope))
        if q.type == "level" and error is None:
            error = _level_for_criterion(data, scope, value)
            value = None if error else value
    return Cell(value, shown, error)


def level_cell(data: CampaignData, criterion_id: str, raw: Any) -> Cell:
    """A grid key or typed level: a level the criterion allows, NA where allowed, or the reason."""
    ref = data.ref
    crit = ref.criteria_by_id[criterion_id]
    text = str(raw).strip().upper()
    if text in (NA, "X"):
        if crit.na_allowed:
            return Cell(NA, NA)
        return Cell(None, NA, f"NA n'est pas permis pour {crit.id} ; choisissez un niveau")
    allowed = ref.allowed_levels(crit)
    if text.isdigit() and int(text) in allowed:
        return Cell(int(text), text)
    choices = ", ".join(map(str, allowed))
    return Cell(None, text, f"niveau « {text} » non permis pour {crit.id} ; choisissez parmi {choices}")


def references(data: CampaignData, item_id: str) -> dict[str, Any]:
    """What an item's reference questions may name: live services, criteria of its service, categories,
    the live items of each kind its « item » questions designate."""
    ref = data.ref
    sid = data.value(item_id, "service")
    category = data.category_of(sid) if sid else None
    questions = ref.item_questions(data.items[item_id].kind).values()
    kinds = {q.item for q in questions if q.type == "item" and q.item}
    services = data.live_ids("service")
    return {
        "services": services,
        "criteria_of": ({sid: ref.applicable_ids(data.category_of(sid)) for sid in services}
                        if any(q.type == "covers" for q in questions) else {}),
        "criteria": ref.applicable_ids(category),
        "categories": list(ref.categories_by_id),
        "items": {kind: set(data.live_ids(kind)) for kind in kinds},
        "scale_max": ref.scale.max,
    }


def misplaced_criterion(data: CampaignData, item_id: str) -> str | None:
    """Why a gap a blocker or an action covers is no longer one it can cover (its service's category
    changed since, or the service was deleted), or None. Kept as chosen, like any invalid answer: the
    person chooses again."""
    if data.value(item_id, "covers") is not None:
        bad = data.misplaced_pairs(item_id)
        if not bad:
            return None
        s, c = bad[0]
        first = (f"le service {s} a été supprimé" if not data.is_live(s)
                 else f"le critère {c} ne s'applique pas au service « {data.name_of(s) or s} »")
        more = f" (et {len(bad) - 1} autre{'s' if len(bad) > 2 else ''} écart{'s' if len(bad) > 2 else ''})" \
            if len(bad) > 1 else ""
        return f"{first}{more} ; retirez-le des écarts couverts"
    crit = data.value(item_id, "criterion")
    sid = data.value(item_id, "service")
    if crit is None or sid is None or crit in data.ref.applicable_ids(data.category_of(sid)):
        return None
    return f"le critère {crit} ne s'applique pas à ce service ; choisissez-en un autre"


def dangling_reference(data: CampaignData, scope: str, q: Question) -> str | None:
    """Why the item an answer of type « item » designates is not in the campaign (deleted since it was
    chosen, or a text an earlier questionnaire let people type), or None. The answer is kept as it is:
    the person chooses again (it is then an invalid answer, in the problems and the answers document)."""
    return designates_nothing(data, q, data.value(scope, q.id)) if q.type == "item" else None


def designates_nothing(data: CampaignData, q: Question, value: Any) -> str | None:
    """Why `value`, an answer to `q` of type « item », names no item of the campaign; None if it does
    (or is empty)."""
    if value is None:
        return None
    item = data.items.get(value) if isinstance(value, str) else None
    if item is not None and not item.deleted and item.kind == q.item:
        return None
    return unknown_item(q, str(value))


def dangling_references(data: CampaignData) -> Iterator[tuple[str, Question, str]]:
    """(item id, question, reason) of every answer designating an item that is not in the campaign."""
    for section in data.ref.sections:
        questions = [q for q in section.questions if q.type == "item"] if section.kind == "list" else []
        if not questions or section.item is None:
            continue
        for item in data.live(section.item):
            for q in questions:
                reason = dangling_reference(data, item.id, q)
                if reason is not None:
                    yield item.id, q, reason


def _level_for_criterion(data: CampaignData, item_id: str, level: int) -> str | None:
    """A target level every criterion the action covers can take (a criterion rated 0 or 4 only
    cannot be aimed at 3)."""
    ref = data.ref
    for cid in dict.fromkeys(c for _, c in data.covers_of(item_id)):
        crit = ref.criteria_by_id.get(cid)
        if crit is not None and level not in ref.allowed_levels(crit):
            choices = ", ".join(map(str, ref.allowed_levels(crit)))
            return f"niveau {level} impossible pour {crit.id} ; choisissez parmi {choices}"
    return None
