"""The scores document (DESIGN.md §5): rounding happens here and only here."""

from __future__ import annotations

import math
from fractions import Fraction

from ..referentiel.models import Referentiel
from .engine import CampaignScores


def round_half_up(x: Fraction | None, digits: int) -> float | None:
    """Round an exact value half away from zero, as people round by hand.

    Python's round() on floats rounds half to even and sees 0.05 as
    0.05000000000000000277; the exact fraction avoids both surprises.
    """
    if x is None:
        return None
    scale = 10**digits
    q = abs(Fraction(x)) * scale
    n = math.floor(q + Fraction(1, 2))
    return math.copysign(n / scale, x) if n else 0.0


def _maturity(m: dict) -> dict[str, float | None]:
    return {axis: round_half_up(v, 1) for axis, v in m.items()}


def scores_document(ref: Referentiel, scores: CampaignScores) -> dict:
    region = scores.region
    return {
        "referentiel": {"id": ref.referentiel.id, "version": ref.referentiel.version},
        "reference_date": scores.reference_date.isoformat(),
        "region": {
            "maturity": _maturity(region.maturity),
            "completeness": round_half_up(region.completeness, 1),
            "status_counts": dict(region.status_counts),
        },
        "services": [
            {
                "id": s.id,
                "name": s.name,
                "category": s.category,
                "maturity": _maturity(s.maturity),
                "completeness": round_half_up(s.completeness, 1),
                "conformity": round_half_up(s.conformity, 3),
                "status": s.status,
                "level": s.level,
                "gaps": list(s.gaps),
                "target_reached_on": s.target_reached_on.isoformat() if s.target_reached_on else None,
            }
            for s in scores.services
        ],
    }
