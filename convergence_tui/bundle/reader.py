"""`convergence import BUNDLE.zip`: verify first, then hand over its answers document."""

from __future__ import annotations

from pathlib import Path

from .verify import load_trust, questionnaire_file, verify_bundle


def read_bundle_answers(path: Path, referentiel: Path | None = None, *, trust: Path | None = None) -> dict:
    """The answers of a bundle that verifies (signature, hashes, schema, claims, scores); raises otherwise.

    `referentiel` is the questionnaire of the campaign being imported into: the bundle's own may be
    that file or an official one; the import itself then checks that the answers fit it.
    """
    compare_with = questionnaire_file(referentiel) if referentiel is not None else None
    verified = verify_bundle(path, load_trust(trust) if trust else None, compare_with=compare_with,
                             or_official=True)
    return verified.answers
