"""`convergence compare` and the review's « Évolution » tab: the campaign against the region's
previous bundle (DESIGN.md §9), the baseline, set once and remembered in the campaign.

Setting a baseline verifies the bundle with the verifier's own code (`bundle.verify.verify_bundle`,
as `verify` and `import` do) and remembers, in the campaign's `meta` table (no schema change):
- `baseline`: what the person is told about it — the file's path, SHA-256 and size, when it was
  verified, who signed it (from the certificate) and whether a trust anchor authenticated them, its
  campaign and questionnaire;
- `baseline_data`: the verified snapshot the comparison needs (campaign/comparison.py), compressed.

Why the snapshot and not only the path: the bundle may be moved, renamed or deleted (it is last
semester's file), and verifying it again takes about as long as the comparison is allowed (2 s at
500 services). The comparison is therefore made from what was verified, and the file is only
looked at to say whether it is still there and unchanged (`file_state`): « missing » or « changed »
is said in words, never an error. Changing the baseline is giving another bundle.

`check_baseline` touches no campaign (a worker thread may run it: verifying is slow);
`remember_baseline` writes on the session's thread.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..campaign.comparison import SNAPSHOT_VERSION, compare, snapshot
from ..errors import UserError, VerificationError

if TYPE_CHECKING:
    from ..config import Settings
    from ..referentiel import Referentiel
    from .session import Session

BASELINE = "baseline"  # meta key: the facts about the baseline's file and its verification
BASELINE_DATA = "baseline_data"  # meta key: the verified snapshot, JSON compressed (zlib, base64)
HOW_TO_SET = "convergence compare PAQUET.zip"


@dataclass(frozen=True)
class Baseline:
    facts: dict[str, Any]
    snapshot: dict[str, Any]


def _sha256_of(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def check_baseline(path: Path, ref: Referentiel, trust: Any = None) -> Baseline:
    """Verify the bundle (VerificationError, exit 1, with the verifier's reason) and take what the
    comparison needs. `ref`: the campaign's questionnaire (the bundle's may be it or an official
    one, as for `import`); `trust`: the trust anchors (`trust_from_settings`, or `--trust`)."""
    from ..bundle.verify import verify_bundle
    from ..referentiel.loader import parse

    path = path.expanduser()
    if not path.is_file():
        raise UserError(f"{path} : paquet introuvable ; vérifiez le chemin (un paquet .zip exporté par "
                        "convergence export).")
    before = _sha256_of(path)
    mine = ("le questionnaire de la campagne", ref.source_text.encode("utf-8"))
    verified = verify_bundle(path, trust, compare_with=mine, or_official=True)
    data = path.read_bytes()
    if hashlib.sha256(data).hexdigest() != before:
        raise VerificationError(f"{path} : le fichier a changé pendant sa vérification ; recommencez.")
    import io
    import zipfile

    # The questionnaire the bundle was made with: its criteria say what can be compared. The bytes
    # verified equal the manifest's SHA-256, which the signature covers.
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        bundle_ref = parse(zf.read("referentiel.toml"), "referentiel.toml")
    shot = snapshot(((c.id, c.axis) for c in bundle_ref.criteria), ((a.id, a.label) for a in bundle_ref.axes),
                    verified.answers, verified.scores)
    manifest = verified.manifest
    facts = {
        "file": str(path.resolve()),
        "sha256": before,
        "size": len(data),
        "verified_at": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "created_at": manifest["created_at"],
        "draft": manifest["draft"],
        "campaign": dict(verified.answers["campaign"]),
        "referentiel": {"id": manifest["referentiel"]["id"], "version": manifest["referentiel"]["version"]},
        "signer": {"subject": verified.signer_subject, "certificate_sha256": verified.fingerprint,
                   "authenticated": verified.trusted},
    }
    return Baseline(facts, shot)


def trust_from_settings(settings: Settings) -> Any:
    """The trust anchors the settings file names (`trust`, set once by the ANS), or None: the
    signature is then checked, its signer not authenticated. `verify`, `import` and `compare` (the
    command and the TUI) read them here."""
    if settings.problem:
        # It may name the trust anchors: verifying without them would say "not authenticated" where
        # the person expects "authenticated", and a script would take the bundle. Stop instead.
        raise UserError(f"{settings.problem} Ses certificats de confiance (réglage trust) ne peuvent donc pas être "
                        "lus : corrigez-le, ou donnez les certificats avec --trust.")
    if not settings.trust:
        return None
    from ..bundle.verify import load_trust

    return load_trust([settings.path_of(t) for t in settings.trust], f"réglage trust de {settings.origin}")


def remember_baseline(session: Session, baseline: Baseline) -> None:
    """Keep the baseline in the campaign (replacing the previous one). A bundle of another region is
    refused: the comparison is with the region's own previous campaign."""
    mine = session.data.campaign_info().get("region")
    theirs = baseline.facts["campaign"].get("region")
    if mine and theirs and mine != theirs:
        raise UserError(f"{baseline.facts['file']} : paquet de la région {theirs}, la campagne est celle de la région "
                        f"{mine} ; choisissez un paquet de votre région (rien n'a été retenu).")
    packed = base64.b64encode(zlib.compress(json.dumps(baseline.snapshot, ensure_ascii=False,
                                                       separators=(",", ":")).encode("utf-8"), 6)).decode("ascii")
    session.set_meta(**{BASELINE: baseline.facts, BASELINE_DATA: packed})


def load_baseline(session: Session) -> Baseline | None:
    """The baseline remembered in the campaign, or None."""
    meta = session.meta()
    facts, packed = meta.get(BASELINE), meta.get(BASELINE_DATA)
    if not isinstance(facts, dict) or not isinstance(packed, str):
        return None
    try:
        shot = json.loads(zlib.decompress(base64.b64decode(packed)))
    except (ValueError, zlib.error):
        shot = None
    if not isinstance(shot, dict) or shot.get("version") != SNAPSHOT_VERSION:
        raise UserError(f"{session.path} : la référence retenue est illisible (écrite par une autre version de "
                        f"l'outil ?) ; redonnez le paquet de la campagne précédente : {HOW_TO_SET}.")
    return Baseline(facts, shot)


def file_state(facts: dict[str, Any]) -> str:
    """« present » (the same bytes as verified), « changed » or « missing »."""
    path = Path(facts["file"])
    if not path.is_file():
        return "missing"
    return "present" if _sha256_of(path) == facts["sha256"] else "changed"


def current_snapshot(session: Session) -> dict[str, Any]:
    ref = session.ref
    return snapshot(((c.id, c.axis) for c in ref.criteria), ((a.id, a.label) for a in ref.axes),
                    session.answers_document(), session.scores_document())


def today() -> dt.date:
    """The date the baseline's actions are due by, unless one is given (`compare --date`)."""
    return dt.date.today()


def comparison(session: Session, baseline: Baseline, as_of: dt.date | None = None) -> dict[str, Any]:
    """The comparison document (schemas/comparison.schema.json): the campaign now against the
    baseline; actions due on or before `as_of` (today by default)."""
    doc = compare(baseline.snapshot, current_snapshot(session), as_of or today())
    return {"format": doc.pop("format"), "format_version": doc.pop("format_version"),
            "baseline": {**baseline.facts, "file_state": file_state(baseline.facts)}, **doc}


def campaign_comparison(session: Session, as_of: dt.date | None = None) -> dict[str, Any] | None:
    """The comparison with the remembered baseline, or None when none is set."""
    baseline = load_baseline(session)
    return None if baseline is None else comparison(session, baseline, as_of)
