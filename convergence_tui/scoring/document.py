"""The scores document (DESIGN.md §5): rounding happens here and only here."""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction
from typing import Any

from ..referentiel.models import Referentiel
from .engine import CampaignScores, RegionScore, ServiceScore


def ratio_round(num: int, den: int, digits: int) -> float:
    """num/den (both >= 0) rounded half up, in integers: exact, and fast enough for every output."""
    scale: int = 10**digits  # digits >= 0: an int (int ** int is typed Any, a negative power being a float)
    return ((2 * num * scale + den) // (2 * den)) / scale


def round_half_up(x: Fraction | None, digits: int) -> float | None:
    """Round an exact value half away from zero, as people round by hand.

    Python's round() on floats rounds half to even and sees 0.05 as
    0.05000000000000000277; the exact fraction avoids both surprises.
    """
    if x is None:
        return None
    x = Fraction(x)
    value = ratio_round(abs(x.numerator), x.denominator, digits)
    return -value if x < 0 else value


def _maturity(sums: Mapping[str, tuple[int, int]], scale_max: int) -> dict[str, float | None]:
    # Same as round_half_up(ServiceScore.maturity[axis], 1) without building Fractions.
    return {axis: (ratio_round(100 * total, scale_max * n, 1) if n else None) for axis, (total, n) in sums.items()}


def completeness_percent(answered: int, candidates: int) -> float:
    """DESIGN.md §4's completeness, rounded as every output gives it: answered (level or NA) over
    the candidate criteria, in percent; 100 when there is no candidate."""
    return ratio_round(100 * answered, candidates, 1) if candidates else 100.0


def region_entry(region: RegionScore) -> dict[str, Any]:
    return {
        "maturity": _maturity(region.sums, region.scale_max),
        "completeness": completeness_percent(region.answered, region.candidates),
        "status_counts": dict(region.status_counts),
    }


def service_entry(s: ServiceScore) -> dict[str, Any]:
    return {
        "id": s.id,
        "name": s.name,
        "category": s.category,
        "maturity": _maturity(s.sums, s.scale_max),
        "completeness": completeness_percent(s.answered, s.candidates),
        "conformity": ratio_round(s.met, s.due, 3) if s.due else 1.0,
        "status": s.status,
        "level": s.level,
        "gaps": list(s.gaps),
        "target_reached_on": s.target_reached_on.isoformat() if s.target_reached_on else None,
    }


def scores_document(ref: Referentiel, scores: CampaignScores) -> dict[str, Any]:
    return {
        "referentiel": {"id": ref.referentiel.id, "version": ref.referentiel.version},
        "reference_date": scores.reference_date.isoformat(),
        "region": region_entry(scores.region),
        "services": [service_entry(s) for s in scores.services],
    }
