"""`convergence import BUNDLE.zip`: verify first, then hand over its answers document."""

from __future__ import annotations

from pathlib import Path

from .verify import TrustAnchors, Verified, verify_bundle


def read_bundle(path: Path, referentiel: Path | None = None, *, trust: TrustAnchors | None = None) -> Verified:
    """A bundle that verifies (signature, hashes, schema, scores), with who signed it; raises otherwise.

    `referentiel` is the questionnaire of the campaign being imported into; the import itself
    checks that the answers fit it (the bundle was verified against its own copy).
    """
    return verify_bundle(path, trust)
