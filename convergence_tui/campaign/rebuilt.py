"""A campaign read back from its answers document and scored: what a bundle's derived entries and
claims are computed from, at export and at verify alike (one path, so the bytes agree). Pure.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..referentiel.models import Referentiel
from ..scoring import CampaignScores, Scorer, scores_document
from .answers import read_document
from .data import CampaignData
from .problems import Problem, find_problems
from .signoffs import document_signoff_problem


@dataclass(frozen=True, eq=False)
class Rebuilt:
    ref: Referentiel
    answers: Mapping[str, Any]  # the answers document, as JSON
    data: CampaignData
    scorer: Scorer
    scores: CampaignScores
    scores_doc: dict[str, Any]

    def blockers(self) -> list[Problem]:
        """What blocks a final export (DESIGN.md §4), as `review.export_blockers` lists it for an open
        campaign: the problems, then a missing or withdrawn sign-off (said from the document)."""
        problems = find_problems(self.data, self.scores, self.scorer)
        signoff = document_signoff_problem(self.ref, self.answers)
        return problems if signoff is None else [*problems, signoff]


def rebuild(ref: Referentiel, answers: Mapping[str, Any], date: dt.date, *, checked: Any = None,
            source: str = "answers.json") -> Rebuilt:
    """`answers` read against `ref` (ImportRejected when it does not fit) and scored at `date`.
    `checked`: the same document already validated by its pydantic model (saves a validation)."""
    data = read_document(ref, checked if checked is not None else answers, source)
    scorer = Scorer(ref, date)
    scores = scorer.score_all(data.service_inputs())
    return Rebuilt(ref, answers, data, scorer, scores, scores_document(ref, scores))
