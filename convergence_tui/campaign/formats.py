"""Names and versions of the machine documents (kept apart from their pydantic models, which are
loaded only when a document is read)."""

from collections.abc import Mapping
from typing import Any

ANSWERS_FORMAT = "convergence-answers"
ANSWERS_VERSION = 2  # 1 (one gap per blocker or action) is still read


def entry_covers(entry: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The gaps a blocker or an action of an answers document covers, whatever its format_version:
    its « covers » (2), or its one « service » and « criterion » (1)."""
    covers = entry.get("covers")
    if covers:
        return [(c["service"], c["criterion"]) for c in covers]
    service, criterion = entry.get("service"), entry.get("criterion")
    return [(service, criterion)] if service is not None and criterion is not None else []
