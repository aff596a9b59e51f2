"""Sign-offs in the answers document: what a sign-off covers (the digest), and whether the latest
one covers a document — the same rule for the campaign on the laptop (review.py) and for a bundle
at the ANS (bundle/verify.py). Pure.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from typing import Any

from ..referentiel.models import Referentiel
from ..wording import datetime_fr
from .problems import Problem

SIGNOFFS = "signoffs"  # key of the answers document listing the recorded sign-offs
SIGNOFF_PROBLEM = "signoff"  # kind of the Problem "no current sign-off"
SIGNOFF_FIELDS = ("name", "role", "at", "digest")


def answers_digest(doc: Mapping[str, Any]) -> str:
    """SHA-256 of an answers document in canonical JSON (sorted keys, compact, UTF-8), without its
    sign-offs: a sign-off covers the answers, not itself nor the ones before it. Sign-offs recorded
    before the document carried them hashed the same bytes, so they stay current."""
    body = {k: v for k, v in doc.items() if k != SIGNOFFS}
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def signoff_entries(records: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The document's `signoffs`, oldest first, from the store's records."""
    return [{k: r[k] for k in SIGNOFF_FIELDS} for r in records]


def latest_signoff(doc: Mapping[str, Any]) -> tuple[dict[str, Any] | None, bool]:
    """(the latest sign-off recorded in the document, whether it covers the document as it is)."""
    signoffs = doc.get(SIGNOFFS) or []
    if not signoffs:
        return None, False
    last = dict(signoffs[-1])
    return last, last["digest"] == answers_digest(doc)


def signed_by(signoff: Mapping[str, Any]) -> str:
    """"Camille Le Goff (responsable déléguée) le 02/12/2026 à 10:31 UTC" — for a person to read."""
    return f"{signoff['name']} ({signoff['role']}) le {datetime_fr(signoff['at'])}"


def signoff_problem(ref: Referentiel, message: str) -> Problem:
    """The export blocker "no sign-off covers this state", placed in the validation section."""
    section = next((s.id for s in ref.sections if s.kind == "validation"), "")
    return Problem(SIGNOFF_PROBLEM, section, "campaign", "signoff", message)


def document_signoff_problem(ref: Referentiel, doc: Mapping[str, Any]) -> Problem | None:
    """What a bundle's answers say about their sign-off, as an export blocker (None: covered)."""
    last, current = latest_signoff(doc)
    if current:
        return None
    if last is None:
        return signoff_problem(ref, "Pas encore validée par le responsable.")
    return signoff_problem(ref, f"Validation de {signed_by(last)} RETIRÉE : les réponses ont changé depuis. "
                                "Une nouvelle validation est nécessaire.")
