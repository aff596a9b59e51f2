"""Scoring (DESIGN.md §4): pure functions over the referential and the answers."""

from .document import region_entry, round_half_up, scores_document, service_entry
from .engine import (
    NA,
    STATUSES,
    ActionInput,
    CampaignScores,
    RegionScore,
    Scorer,
    ServiceInput,
    ServiceScore,
)

__all__ = [
    "NA",
    "STATUSES",
    "ActionInput",
    "CampaignScores",
    "RegionScore",
    "Scorer",
    "ServiceInput",
    "ServiceScore",
    "region_entry",
    "round_half_up",
    "scores_document",
    "service_entry",
]
