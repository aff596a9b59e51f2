"""`convergence import BUNDLE.zip`: verify first, then hand over what was verified."""

from __future__ import annotations

from pathlib import Path

from .verify import TrustAnchors, Verified, questionnaire_file, verify_bundle


def read_bundle(path: Path, referentiel: Path | None = None, *, trust: TrustAnchors | None = None) -> Verified:
    """A bundle that verifies (signature, hashes, schema, claims, scores), with who signed it; raises
    otherwise.

    `referentiel` is the questionnaire of the campaign being imported into: the bundle's own may be
    that file or an official one; the import itself then checks that the answers fit it.
    """
    compare_with = questionnaire_file(referentiel) if referentiel is not None else None
    return verify_bundle(path, trust, compare_with=compare_with, or_official=True)
