"""Export use case: from an open session to a signed bundle on disk.

The session gathers the documents, the tables and the report (it holds the
campaign); the bundle layer signs, zips, writes and verifies (it holds the
crypto and the zip). Nothing is written when anything is missing (unless
draft), when the password is wrong or the certificate is not valid.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..campaign.problems import Problem, kinds_summary
from ..errors import ListedError, UserError, counted
from .review import export_blockers

if TYPE_CHECKING:
    from ..bundle.signing import Identity
    from .session import Session


class ExportRefused(ListedError):
    """The refusal said first, counted by kind, with the first few points; the whole list only when
    asked (`details`), followed by the refusal again so that it does not scroll away."""

    SHOWN = 5

    def __init__(self, problems: list[Problem], *, details: bool = False) -> None:
        n = len(problems)
        shown = problems if details else problems[:self.SHOWN]
        lines = [f"  - {p.message}" for p in shown]
        if details:
            lines.append(f"Export définitif refusé : {'les ' if n > 1 else ''}{counted(n, 'point')} ci-dessus.")
        elif n > len(shown):
            lines.append(f"  … et {counted(n - len(shown), 'autre')} : « convergence export --details » (ou "
                         "« convergence status --details ») les liste tous.")
        super().__init__(f"Export définitif refusé : {counted(n, 'point')} à régler — {kinds_summary(problems)}. "
                         "Réglez-les, ou exportez un brouillon avec --draft.", problems, lines)


@dataclass(frozen=True)
class ExportResult:
    path: Path
    fingerprint: str
    draft: bool
    missing: int
    questionnaire: str = "official"  # referentiel.official.pin_of: "official", "modified" or "unknown"


def outcome_lines(result: ExportResult, problems: list[Problem]) -> list[str]:
    """What an export says once it is done, the same in the TUI and on the command line: where the
    bundle is (absolute), that it was verified from disk, draft or final and what keeps a draft from
    being final, the signer's fingerprint, how to verify it again."""
    import shlex

    path = result.path.resolve()
    lines = [f"Paquet écrit et vérifié (signature, empreintes et contenu relus sur le disque) : {path}"]
    if result.draft:
        what = f" : {kinds_summary(problems)}" if problems else ""
        lines.append(f"Nature : BROUILLON ({counted(result.missing, 'point')} à compléter avant un export "
                     f"définitif{what}).")
    else:
        lines.append("Nature : soumission définitive.")
    lines.append(f"Empreinte SHA-256 du certificat signataire : {result.fingerprint}")
    if result.questionnaire != "official":
        from ..report.text import PIN_WORDS

        lines.append(f"Attention, questionnaire {PIN_WORDS[result.questionnaire]}.")
    lines.append(f"Pour le vérifier à nouveau : convergence verify {shlex.quote(str(path))}")
    return lines


def created_now() -> dt.datetime:
    """Export time, or SOURCE_DATE_EPOCH when set (reproducible bundles: same state, same bytes)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch:
        try:
            return dt.datetime.fromtimestamp(int(epoch), dt.UTC)
        except ValueError:
            raise UserError(f"SOURCE_DATE_EPOCH « {epoch} » n'est pas un nombre de secondes.") from None
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def blockers_for(session: Session, draft: bool, *, details: bool = False) -> list[Problem]:
    problems = export_blockers(session)
    if problems and not draft:
        raise ExportRefused(problems, details=details)
    return problems


def export(session: Session, out_dir: Path, p12: Path, password: str, *, draft: bool = False,
           created: dt.datetime | None = None, progress: Callable[[str], None] = lambda _: None,
           problems: list[Problem] | None = None, chain: Path | None = None,
           chain_origin: str = "--chain") -> ExportResult:
    progress("Contrôle de la campagne")
    problems = blockers_for(session, draft) if problems is None else problems
    created = created or created_now()
    progress("Ouverture du certificat")
    identity = open_identity(p12, password, created, chain, chain_origin)
    for note in chain_notes(identity):
        progress(note)
    prepared = prepare(session, identity, problems, draft, created, progress)
    return prepared.write(out_dir, progress)


def open_identity(p12: Path, password: str, created: dt.datetime, chain: Path | None = None,
                  chain_origin: str = "--chain") -> Identity:
    """The signing identity (wrong password, unreadable file, expired certificate, one that may not
    sign, or a chain that does not hold its issuer: a UserError)."""
    from ..bundle.signing import load_identity

    return load_identity(p12, password, at=created, chain=chain, chain_origin=chain_origin)


def chain_notes(identity: Identity) -> list[str]:
    """What the signature will carry besides the signer's certificate, and a warning when the
    certificate's issuer is not among it (the ANS then authenticates the signer only if it holds it)."""
    from ..bundle.signing import subject_of_der
    from ..escaping import printable

    notes = []
    if identity.chain:
        names = ", ".join(printable(subject_of_der(d)) for d in identity.chain)
        notes.append(f"Chaîne jointe à la signature : {names}")
    if identity.missing_issuer is not None:
        notes.append(f"Attention : le certificat de l'autorité qui a émis le vôtre (« "
                     f"{printable(identity.missing_issuer)} ») n'est pas joint ; si l'ANS ne détient que la racine, "
                     "elle ne pourra pas vous authentifier : exportez avec --chain INTERMEDIAIRES.pem")
    return notes


@dataclass(frozen=True)
class Prepared:
    """Everything a bundle holds, gathered from the session; writing it needs no database."""

    entries: dict[str, bytes]
    meta: dict[str, Any]
    identity: Identity
    created: dt.datetime
    draft: bool
    missing: int
    questionnaire: str = "official"

    def write(self, out_dir: Path, progress: Callable[[str], None] = lambda _: None) -> ExportResult:
        from ..bundle.writer import write_bundle

        written = write_bundle(self.entries, self.meta, self.identity, out_dir, self.created, progress)
        return ExportResult(written.path, written.fingerprint, self.draft, self.missing, self.questionnaire)


def campaign_meta(session: Session, answers: dict[str, Any], draft: bool) -> tuple[dict[str, Any], str]:
    """What a bundle's manifest claims of the campaign (questionnaire, campaign, draft, validation),
    and the questionnaire's pin (referentiel.official.pin_of). The unsigned report
    (usecases/reporting.py) says the same."""
    from ..campaign.signoffs import latest_signoff
    from ..referentiel.official import pin_of

    ref = session.ref
    # The validation claimed is the one verify will find: the latest sign-off recorded in the
    # answers, when its digest is theirs.
    last, current = latest_signoff(answers)
    validation = {k: last[k] for k in ("name", "role", "at")} if last is not None and current else None
    pin = pin_of(ref.referentiel.id, ref.referentiel.version, ref.sha256)
    meta = {
        "referentiel": {"id": ref.referentiel.id, "version": ref.referentiel.version, "sha256": ref.sha256,
                        "official": pin == "official"},
        "campaign": answers["campaign"],
        "draft": draft,
        "validation": validation,
    }
    return meta, pin


def prepare(session: Session, identity: Identity, problems: list[Problem], draft: bool, created: dt.datetime,
            progress: Callable[[str], None] = lambda _: None) -> Prepared:
    from ..bundle.derived import derived_entries
    from ..bundle.format import canonical_json
    from ..bundle.writer import manifest_claims, utc_stamp
    from ..campaign.rebuilt import rebuild

    answers = session.answers_document()
    scores = session.scores_document()
    ref = session.ref
    ref_bytes = ref.source_text.encode("utf-8")
    meta, pin = campaign_meta(session, answers, draft)
    progress("Rapport et tableaux")
    # Made from the answers document read back, exactly as verify regenerates them.
    rebuilt = rebuild(ref, answers, session.reference_date)
    derived = derived_entries(rebuilt, manifest_claims(meta, identity, utc_stamp(created)))
    entries = {
        "answers.json": canonical_json(answers),
        "scores.json": canonical_json(scores),
        "referentiel.toml": ref_bytes,
        **derived,
    }
    return Prepared(entries, meta, identity, created, draft, len(problems), pin)
