"""`convergence import BUNDLE.zip`: verify first, then hand over its answers document."""

from __future__ import annotations

from pathlib import Path

from .verify import load_trust, verify_bundle


def read_bundle_answers(path: Path, referentiel: Path | None = None, *, trust: Path | None = None) -> dict:
    """The answers of a bundle that verifies (signature, hashes, schema, scores); raises otherwise.

    `referentiel` is the questionnaire of the campaign being imported into; the import itself
    checks that the answers fit it (the bundle was verified against its own copy).
    """
    verified = verify_bundle(path, load_trust(trust) if trust else None)
    return verified.answers
