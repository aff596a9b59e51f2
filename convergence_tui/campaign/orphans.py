"""Answers the current questionnaire no longer asks for: kept, never dropped, and listed.

They appear after a migration to a new questionnaire version (a criterion or a
question removed), or when a service changes category. They do not count in
the scores and are not exported in the answers document (it must fit the
questionnaire); the campaign file keeps them, and `status` and the review list them.
"""

from __future__ import annotations

from dataclasses import dataclass

from .data import CAMPAIGN, CRITERION_FIELDS, CampaignData, split_criterion_scope


@dataclass(frozen=True, slots=True)
class Orphan:
    scope: str
    field: str
    value: object
    reason: str

    @property
    def message(self) -> str:
        return f"{self.scope} — {self.field} = {self.value!r} : {self.reason}"


def find_orphans(data: CampaignData) -> list[Orphan]:
    ref = data.ref
    out = []
    for (scope, field), cell in sorted(data.cells.items()):
        value = cell.value if cell.error is None else cell.raw
        crit = split_criterion_scope(scope)
        if scope == CAMPAIGN:
            if field not in ref.form_questions:
                out.append(Orphan(scope, field, value, "question absente du questionnaire actuel"))
        elif crit:
            sid, cid = crit
            if not data.is_live(sid) or field not in CRITERION_FIELDS:
                continue  # answers of a deleted service go with it (restorable by undo)
            if cid not in ref.criteria_by_id:
                out.append(Orphan(scope, field, value, "critère absent du questionnaire actuel"))
            elif cid not in ref.candidate_ids(data.category_of(sid) or ""):
                out.append(Orphan(scope, field, value, "critère hors de la catégorie actuelle du service"))
        else:
            item = data.items.get(scope)
            if item is None or item.deleted:
                continue
            if field not in ref.item_questions(item.kind):
                out.append(Orphan(scope, field, value, f"question absente des éléments « {item.kind} »"))
    return out
