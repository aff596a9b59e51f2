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

from .campaign.problems import Problem
from .errors import UserError
from .referentiel.values import REGIONS
from .review import export_blockers, signoff_state, timeline


class ExportRefused(UserError):
    def __init__(self, problems: list[Problem]) -> None:
        n = len(problems)
        super().__init__(
            f"Export définitif refusé : {n} point{'s' if n > 1 else ''} à régler (ou exportez un brouillon avec "
            "--draft).",
            details=[f"  - {p.message}" for p in problems],
        )
        self.problems = problems


@dataclass(frozen=True)
class ExportResult:
    path: Path
    fingerprint: str
    draft: bool
    missing: int


def created_now() -> dt.datetime:
    """Export time, or SOURCE_DATE_EPOCH when set (reproducible bundles: same state, same bytes)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch:
        try:
            return dt.datetime.fromtimestamp(int(epoch), dt.UTC)
        except ValueError:
            raise UserError(f"SOURCE_DATE_EPOCH « {epoch} » n'est pas un nombre de secondes.") from None
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def blockers_for(session, draft: bool) -> list[Problem]:
    problems = export_blockers(session)
    if problems and not draft:
        raise ExportRefused(problems)
    return problems


def export(session, out_dir: Path, p12: Path, password: str, *, draft: bool = False,
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
                  chain_origin: str = "--chain"):
    """The signing identity (wrong password, unreadable file, expired certificate, one that may not
    sign, or a chain that does not hold its issuer: a UserError)."""
    from .bundle.signing import load_identity

    return load_identity(p12, password, at=created, chain=chain, chain_origin=chain_origin)


def chain_notes(identity) -> list[str]:
    """What the signature will carry besides the signer's certificate, and a warning when the
    certificate's issuer is not among it (the ANS then authenticates the signer only if it holds it)."""
    from .bundle.signing import subject_of_der
    from .escaping import printable

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

    entries: dict
    meta: dict
    identity: object
    created: dt.datetime
    draft: bool
    missing: int

    def write(self, out_dir: Path, progress: Callable[[str], None] = lambda _: None) -> ExportResult:
        from .bundle.writer import write_bundle

        written = write_bundle(self.entries, self.meta, self.identity, out_dir, self.created, progress)
        return ExportResult(written.path, written.fingerprint, self.draft, self.missing)


def prepare(session, identity, problems: list[Problem], draft: bool, created: dt.datetime,
            progress: Callable[[str], None] = lambda _: None) -> Prepared:
    from .bundle.format import canonical_json
    from .bundle.writer import utc_stamp
    from .report import html, tables

    answers = session.answers_document()
    scores = session.scores_document()
    ref = session.ref
    ref_bytes = ref.source_text.encode("utf-8")
    state = signoff_state(session)
    validation = ({k: state.last[k] for k in ("name", "role", "at")} if state.current else None)
    meta = {
        "referentiel": {"id": ref.referentiel.id, "version": ref.referentiel.version, "sha256": ref.sha256},
        "campaign": answers["campaign"],
        "draft": draft,
        "validation": validation,
    }
    progress("Rapport et tableaux")
    report = html.render(report_data(session, answers, scores, problems if draft else [], draft, identity,
                                     utc_stamp(created), validation))
    entries = {
        "answers.json": canonical_json(answers),
        "scores.json": canonical_json(scores),
        "referentiel.toml": ref_bytes,
        "services.csv": tables.services_csv(scores, answers, ref.axis_ids),
        "plan.csv": tables.plan_csv(answers),
        "rapport.html": report,
    }
    return Prepared(entries, meta, identity, created, draft, len(problems))


def report_data(session, answers: dict, scores: dict, missing: list[Problem], draft: bool, identity,
                created_at: str, validation: dict | None) -> dict:
    ref = session.ref
    info = answers["campaign"]
    form = answers["answers"]
    by_service: dict[str, dict] = {s["id"]: {"actions": [], "blockers": []} for s in answers["services"]}
    for a in answers["actions"]:
        if a["service"] in by_service:
            by_service[a["service"]]["actions"].append(a)
    for b in answers["blockers"]:
        if b["service"] in by_service:
            by_service[b["service"]]["blockers"].append(b)
    services = []
    for s in scores["services"]:
        sid = s["id"]
        levels = {cid: c.get("level") for cid, c in next(x for x in answers["services"] if x["id"] == sid)
                  ["criteria"].items()}
        gap_details = [{"criterion": cid, "label": ref.criteria_by_id[cid].label, "level": levels.get(cid, 0) or 0,
                        "due": session.scorer.due_level(cid)} for cid in s["gaps"]]
        services.append({**s, "gap_details": gap_details,
                         "actions": sorted(by_service[sid]["actions"], key=lambda a: (a["due"] or "", a["id"])),
                         "blockers": by_service[sid]["blockers"]})
    semesters, rows = timeline(session)
    return {
        "region_code": info["region"], "region_name": REGIONS.get(info["region"] or "", "région non renseignée"),
        "label": info["label"], "reference_date": info["reference_date"],
        "ars": form.get("ars_name", ""), "grades": form.get("grades_name", ""),
        "created_at": created_at, "draft": draft,
        "signer": {"subject": identity.subject, "fingerprint": identity.fingerprint},
        "validation": validation,
        "referentiel": {"id": ref.referentiel.id, "version": ref.referentiel.version},
        "axes": [(a.id, a.label) for a in ref.axes],
        "region": scores["region"],
        "services": services,
        "timeline": {"semesters": semesters,
                     "rows": [{"name": r.name, "cells": r.cells, "reached_on": r.reached_on} for r in rows]},
        "missing": [p.message for p in missing],
    }
