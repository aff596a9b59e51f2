"""Write a signed bundle: manifest, detached signature, deterministic zip, written under a
temporary name, verified from disk, and only then renamed to its final name."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import __version__
from ..errors import UserError, os_reason
from ..paths import fsync_folder, temporary_file
from .format import (
    BUNDLE_FORMAT,
    BUNDLE_VERSION,
    CONTENT_ENTRIES,
    MANIFEST,
    SIGNATURE,
    bundle_name,
    canonical_json,
    file_list,
    zip_bytes,
)
from .signing import Identity, sign_detached


@dataclass(frozen=True)
class Written:
    path: Path
    manifest: dict[str, Any]
    fingerprint: str


def utc_stamp(when: dt.datetime) -> str:
    return when.astimezone(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def manifest_claims(meta: dict[str, Any], identity: Identity, created_at: str) -> dict[str, Any]:
    """The manifest without its file list: what the derived entries (the report) are made from,
    before they exist to be listed."""
    return {
        "format": BUNDLE_FORMAT,
        "format_version": BUNDLE_VERSION,
        "tool": {"name": "convergence-tui", "version": __version__},
        "referentiel": meta["referentiel"],
        "campaign": meta["campaign"],
        "created_at": created_at,
        "draft": meta["draft"],
        "validation": meta.get("validation"),
        "signer": {"subject": identity.subject, "certificate_sha256": identity.fingerprint},
    }


def build_manifest(
    entries: Mapping[str, bytes], meta: dict[str, Any], identity: Identity, created_at: str
) -> dict[str, Any]:
    return {**manifest_claims(meta, identity, created_at), "files": file_list(entries)}


def write_bundle(entries: Mapping[str, bytes], meta: dict[str, Any], identity: Identity, out_dir: Path,
                 created: dt.datetime, progress: Callable[[str], None] = lambda _: None) -> Written:
    if sorted(entries) != sorted(CONTENT_ENTRIES):
        raise AssertionError(f"bundle entries {sorted(entries)}")  # our bug, not the user's
    created_at = utc_stamp(created)
    manifest = build_manifest(entries, meta, identity, created_at)
    manifest_bytes = canonical_json(manifest, pretty=True)
    progress("Signature du manifeste")
    signature = sign_detached(identity, manifest_bytes, created.astimezone(dt.UTC).replace(microsecond=0))
    data = zip_bytes({**entries, MANIFEST: manifest_bytes, SIGNATURE: signature})
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError(f"{out_dir} : dossier de sortie impossible à créer ({os_reason(exc)}).") from None
    final = out_dir / bundle_name(meta["campaign"]["region"], meta["campaign"]["label"], created_at,
                                   draft=meta["draft"])
    if final.exists():
        raise UserError(f"{final} existe déjà ; relancez dans une seconde ou choisissez un autre dossier (--out).")
    progress("Écriture du paquet")
    remove_stale_partials(out_dir)
    tmp: Path | None = None
    try:
        tmp = temporary_file(out_dir, data, prefix=".", suffix=PARTIAL)
        progress("Vérification du paquet écrit")
        from .verify import verify_bundle

        # Against the questionnaire the campaign used, official or not (a pilot's own file).
        verify_bundle(tmp, trust_der=identity.certificate_der,
                      compare_with=("le questionnaire de la campagne", entries["referentiel.toml"]))
        os.chmod(tmp, 0o644)  # a bundle is meant to be sent: readable, unlike the temporary file
        os.replace(tmp, final)
        fsync_folder(out_dir)
    except OSError as exc:
        if tmp is not None:
            tmp.unlink(missing_ok=True)
        raise UserError(f"{out_dir} : écriture du paquet impossible ({os_reason(exc)}) ; rien n'a été écrit.") from None
    except BaseException:
        if tmp is not None:
            tmp.unlink(missing_ok=True)
        raise
    return Written(final, manifest, identity.fingerprint)


PARTIAL = ".zip.partiel"
# An export writes its temporary file in a few seconds; one older than this was left by an export
# that was killed (power cut, kill -9) and will never be finished.
STALE_AFTER = 15 * 60


def remove_stale_partials(out_dir: Path) -> None:
    import time

    for stale in out_dir.glob(f".*{PARTIAL}"):
        try:
            if time.time() - stale.stat().st_mtime > STALE_AFTER:
                stale.unlink()
        except OSError:
            pass
