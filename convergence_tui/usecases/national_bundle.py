"""One regional bundle, as `convergence national` needs it (DESIGN.md §9): verified by the very code
of `convergence verify` (`bundle.verify.verify_bundle`, same trust anchors, same questionnaire rule),
then read into plain data — the region's figures and each service's entry exactly as the bundle's
`scores.json` gives them (verify recomputed them: they agree), one row per service and criterion,
one per blocker and action.

`check_bundle` is the work of one process of the pool: a top-level function taking and returning
only what pickles (strings, numbers, tuples, dicts); a bundle that fails is a `Rejected` with the
verifier's own French sentence, never an exception crossing the process boundary.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..campaign.formats import entry_covers
from ..errors import UserError

if TYPE_CHECKING:
    from ..bundle.signature import TrustAnchors
    from ..referentiel.models import Referentiel

# One row per service and criterion of its category (DESIGN.md §4's candidates):
# service id, criterion id, axis, level (None when not answered), NA, due level (None: not due),
# met (None when not due or NA), in gap (as scores.json's `gaps` says).
CriterionRow = tuple[str, str, str, int | None, bool, int | None, bool | None, bool]


@dataclass(frozen=True)
class Item:
    """A blocker or an action of the bundle. `national`: a blocker of category `national` or an action
    the national level carries (owner `national`): the ANS's own to-do."""

    kind: str  # "blocker" or "action"
    id: str
    text: str  # a blocker's description, an action's title
    category: str | None  # blocker
    owner: str | None  # action
    status: str | None  # action
    target_level: int | None  # action
    due: str | None  # action, ISO date
    national: bool
    covers: tuple[tuple[str, str], ...]
    status_label: str = ""  # as the questionnaire names the status (« Planifiée »)


@dataclass(frozen=True)
class Checked:
    """A bundle that verified, and what it holds."""

    path: str
    file_sha256: str
    region: str  # "" when the campaign does not say (a draft may not)
    label: str
    reference_date: str
    draft: bool
    created_at: str
    signer: str  # from the certificate
    fingerprint: str
    trusted: bool
    referentiel: tuple[str, str]  # id, version
    questionnaire: str  # "official" or the file it was found equal to (--referentiel)
    figures: dict[str, Any]  # scores.json's "region", as it is
    services: list[dict[str, Any]]  # scores.json's "services", as they are
    criteria: list[CriterionRow]
    criterion_info: dict[str, tuple[str, str]]  # id -> (axis, label), from the bundle's questionnaire
    axes: list[tuple[str, str]]  # the questionnaire's axes: id, label
    items: list[Item] = field(default_factory=list)
    blockers_left: int = 0  # what still blocks a final export (0 for a final bundle), recomputed

    @property
    def created(self) -> dt.datetime:
        return dt.datetime.fromisoformat(self.created_at.replace("Z", "+00:00"))


@dataclass(frozen=True)
class Rejected:
    path: str
    reason: str  # the verifier's French sentence, details on the following lines
    exit_code: int  # 1 a verification failed, 2 the file could not be read as given


_REFERENTIELS: dict[str, Referentiel] = {}  # per process: a few questionnaire versions for many bundles


def _questionnaire(path: Path, sha256: str) -> Referentiel:
    """The bundle's questionnaire, re-read after the bundle verified: the bytes must still be the ones
    whose hash the signed manifest gives (the file could have changed since it was verified)."""
    known = _REFERENTIELS.get(sha256)
    if known is not None:
        return known
    from ..bundle.claims import refused
    from ..referentiel.loader import parse

    with zipfile.ZipFile(path) as zf:
        data = zf.read("referentiel.toml")
    if hashlib.sha256(data).hexdigest() != sha256:
        raise refused(path, "referentiel.toml a changé pendant la vérification ; paquet refusé.")
    ref = _REFERENTIELS[sha256] = parse(data, "referentiel.toml")
    return ref


def check_bundle(path: str, trust: TrustAnchors | None = None,
                 compare_with: tuple[str, bytes] | None = None) -> Checked | Rejected:
    """Verify one bundle exactly as `convergence verify` does, then read it. Runs in a worker process."""
    from ..bundle.verify import verify_bundle

    where = Path(path)
    try:
        with where.open("rb") as f:
            before = hashlib.file_digest(f, "sha256").hexdigest()
        verified = verify_bundle(where, trust, compare_with=compare_with)
        ref = _questionnaire(where, verified.manifest["referentiel"]["sha256"])
        with where.open("rb") as f:  # the file named in national.sqlite is the one verified
            if hashlib.file_digest(f, "sha256").hexdigest() != before:
                raise UserError(f"{where} : le fichier a changé pendant sa vérification ; relancez la consolidation.")
    except UserError as exc:
        return Rejected(path, str(exc), exc.exit_code)
    except OSError as exc:
        from ..errors import os_reason

        return Rejected(path, f"{path} : lecture impossible ({os_reason(exc)}).", 2)
    return _read(path, before, verified.manifest, verified.answers, verified.scores, ref,
                 signer=verified.signer_subject, fingerprint=verified.fingerprint, trusted=verified.trusted,
                 questionnaire=verified.questionnaire, blockers_left=verified.blockers)


def _read(path: str, file_sha256: str, manifest: dict[str, Any], answers: dict[str, Any], scores: dict[str, Any],
          ref: Referentiel, **facts: Any) -> Checked:
    from ..scoring import Scorer

    campaign = answers["campaign"]
    date = dt.date.fromisoformat(scores["reference_date"])
    scorer = Scorer(ref, date)
    gaps = {s["id"]: set(s["gaps"]) for s in scores["services"]}
    rows: list[CriterionRow] = []
    for service in answers["services"]:
        sid = service["id"]
        answered = service.get("criteria") or {}
        in_gap = gaps.get(sid, set())
        for c in ref.candidates(service.get("category") or ""):
            level = (answered.get(c.id) or {}).get("level")
            na = level == "NA"
            number = level if isinstance(level, int) else None
            due = scorer.due_level(c.id)
            met = None if due is None or na else (number or 0) >= due
            rows.append((sid, c.id, c.axis, number, na, due, met, c.id in in_gap))
    items = [_blocker(b) for b in answers.get("blockers") or []]
    items += [_action(a, ref.option_label("action", "status", a.get("status"))) for a in answers.get("actions") or []]
    return Checked(
        path=path, file_sha256=file_sha256, region=campaign.get("region") or "", label=campaign.get("label") or "",
        reference_date=scores["reference_date"], draft=manifest["draft"], created_at=manifest["created_at"],
        referentiel=(ref.referentiel.id, ref.referentiel.version), figures=scores["region"],
        services=scores["services"], criteria=rows,
        criterion_info={c.id: (c.axis, c.label) for c in ref.criteria},
        axes=[(a.id, a.label) for a in ref.axes], items=items, **facts)


def _covers(entry: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    return tuple(dict.fromkeys(entry_covers(entry)))


def _blocker(b: dict[str, Any]) -> Item:
    category = b.get("category")
    return Item("blocker", b["id"], b.get("description") or "", category, None, None, None, None,
                category == "national", _covers(b))


def _action(a: dict[str, Any], status_label: str) -> Item:
    owner = a.get("owner")
    return Item("action", a["id"], a.get("title") or "", None, owner, a.get("status"), a.get("target_level"),
                a.get("due"), owner == "national", _covers(a), status_label)
