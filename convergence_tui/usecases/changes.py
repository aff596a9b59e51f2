"""What a batch of changes touches: the areas views show (so that a view kept hidden is shown again
as it is, or redrawn), and the services whose scores may move (so that only those are re-scored)."""

from __future__ import annotations

from ..campaign.data import CAMPAIGN, CampaignData, split_criterion_scope
from ..cells import ITEM_FIELD, Change

ACTION_SCORED_FIELDS = {"covers", "service", "criterion", "target_level", "due", "status"}
SERVICE_SCORED_FIELDS = {"name", "category"}


def areas_of(data: CampaignData, changes: list[Change]) -> set[str]:
    """The areas a batch of changes touches: "campaign" and "campaign:<question>", "levels" (a
    criterion's answers), or an item kind (see Session.revision_of)."""
    kinds = {ch.scope: _item_kind(ch) for ch in changes if ch.field == ITEM_FIELD}
    out: set[str] = set()
    for ch in changes:
        if ch.scope == CAMPAIGN:  # and per question: a form shows only its own (and their conditions)
            out.update(("campaign", f"campaign:{ch.field}"))
        elif split_criterion_scope(ch.scope):
            out.add("levels")
        else:
            item = data.items.get(ch.scope)
            out.add(kinds.get(ch.scope) or (item.kind if item else "?"))
    return out


def touched_services(data: CampaignData, changes: list[Change]) -> set[str]:
    """Services whose scores may change; "*" when everything must be re-scored."""
    out: set[str] = set()
    for ch in changes:
        crit = split_criterion_scope(ch.scope)
        if crit:
            if ch.field == "level":
                out.add(crit[0])
            continue
        if ch.scope == CAMPAIGN:
            if ch.field == "reference_date":
                out.add("*")
            continue
        item = data.items.get(ch.scope)
        if ch.field == ITEM_FIELD:
            kind = _item_kind(ch)
            if kind in ("service", "action"):
                out.add("*")
            continue
        if item is None:
            continue
        if item.kind == "service" and ch.field in SERVICE_SCORED_FIELDS:
            out.add(item.id)
        elif item.kind == "action" and ch.field in ACTION_SCORED_FIELDS:
            # The services of the gaps it covers now, and of those it covered before the change.
            out.update(data.services_of(item.id))
            if ch.field == "covers":
                for cell in (ch.old, ch.new):
                    if cell is not None and isinstance(cell.value, list):
                        out.update(pair[0] for pair in cell.value)
            elif ch.field == "service":
                out.update(cell.value for cell in (ch.old, ch.new) if cell is not None and cell.value)
    return out


def _item_kind(change: Change) -> str:
    """The kind of the item an item change creates, deletes or restores."""
    state = change.new or change.old
    assert state is not None, "an item change has the item's state before it, after it or both"
    kind: str = state.value["kind"]
    return kind
