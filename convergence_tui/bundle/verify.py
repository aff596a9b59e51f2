"""Check a bundle as the ANS does: safe to open, exactly the expected entries, a valid signature
(from a trusted signer when asked), every entry as the manifest says, documents of the right shape,
and scores that recompute from the answers with the bundled questionnaire.
"""

from __future__ import annotations

import datetime as dt
import stat
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from ..campaign.answers import parse_json, read_document
from ..campaign.documents import AnswersDocument, ScoresDocument
from ..errors import UserError, VerificationError
from ..referentiel.loader import format_path, french, parse
from ..scoring import Scorer, scores_document
from .signature import TrustAnchors, authenticated_by, check_signature, load_trust
from .signature import fail as _fail
from .format import (
    ALL_ENTRIES,
    BUNDLE_FORMAT,
    CONTENT_ENTRIES,
    MANIFEST,
    MAX_ENTRIES,
    MAX_ENTRY_BYTES,
    MAX_RATIO,
    MAX_TOTAL_BYTES,
    SIGNATURE,
    sha256,
)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class _FileEntry(_Strict):
    path: str
    size: int
    sha256: str


class _Named(_Strict):
    id: str
    version: str


class _RefPin(_Named):
    sha256: str


class _Signer(_Strict):
    subject: str
    certificate_sha256: str


class _Validation(_Strict):
    name: str
    role: str
    at: str


class _Campaign(_Strict):
    region: str | None
    label: str | None
    reference_date: str | None


class _Tool(_Strict):
    name: str
    version: str


class Manifest(_Strict):
    format: Literal["convergence-bundle"]
    format_version: Literal[1]
    tool: _Tool
    referentiel: _RefPin
    campaign: _Campaign
    created_at: str
    draft: bool
    validation: _Validation | None
    signer: _Signer
    files: list[_FileEntry]


@dataclass(frozen=True)
class Verified:
    manifest: dict
    answers: dict
    scores: dict
    signer_subject: str
    fingerprint: str
    trusted: bool
    # When trusted: the anchor the path starts from (its file, where it was named), the names down to the signer.
    anchor: str = ""
    path: tuple[str, ...] = ()

    def summary(self) -> str:
        m = self.manifest
        c = m["campaign"]
        kind = "BROUILLON" if m["draft"] else "soumission définitive"
        trust = "signataire reconnu (--trust)" if self.trusted else \
            "signature intègre ; signataire non comparé à une autorité (ajoutez --trust CERT.pem)"
        validation = m["validation"]
        lines = [
            f"Paquet valide : région {c['region']}, campagne {c['label']}, niveaux dus au {c['reference_date']}.",
            f"Signé par {self.signer_subject} le {m['created_at']} ({trust}).",
            f"Certificat SHA-256 : {self.fingerprint}",
            *([authenticated_by(self.anchor, self.path)] if self.trusted else []),
            f"Nature : {kind}" + (f" ; validée par {validation['name']} ({validation['role']})" if validation else "")
            + ".",
            f"Scores recalculés à l'identique : {len(self.scores['services'])} services, questionnaire "
            f"{m['referentiel']['id']} {m['referentiel']['version']}.",
        ]
        return "\n".join(lines)


def read_entries(path: Path) -> dict[str, bytes]:
    """The bundle's entries, refusing anything unsafe before decompressing it."""
    try:
        zf = zipfile.ZipFile(path)
    except FileNotFoundError:
        raise UserError(f"{path} : paquet introuvable ; vérifiez le chemin.") from None
    except (zipfile.BadZipFile, OSError):
        raise _fail(path, "ce n'est pas un paquet zip lisible (fichier tronqué ou d'un autre type).") from None
    with zf:
        infos = zf.infolist()
        if len(infos) > MAX_ENTRIES:
            raise _fail(path, f"{len(infos)} entrées : bien plus qu'un paquet Convergence n'en contient ; refusé.")
        total = 0
        for info in infos:
            name = info.filename
            if name.startswith(("/", "\\")) or ":" in name or "\\" in name or ".." in name.split("/"):
                raise _fail(path, f"entrée « {name} » : chemin absolu ou remontant (..) ; paquet refusé.")
            mode = info.external_attr >> 16
            if stat.S_ISLNK(mode):
                raise _fail(path, f"entrée « {name} » : lien symbolique ; paquet refusé.")
            if info.is_dir() or "/" in name:
                raise _fail(path, f"entrée « {name} » : dossier inattendu ; un paquet n'a que des fichiers à plat.")
            if info.file_size > MAX_ENTRY_BYTES or (total := total + info.file_size) > MAX_TOTAL_BYTES:
                raise _fail(path, f"entrée « {name} » : taille démesurée ({info.file_size} octets) ; paquet refusé.")
            if info.compress_size and info.file_size / info.compress_size > MAX_RATIO:
                raise _fail(path, f"entrée « {name} » : taux de compression anormal (bombe zip ?) ; paquet refusé.")
        names = [i.filename for i in infos]
        if len(set(names)) != len(names):
            raise _fail(path, "entrées en double ; paquet refusé.")
        missing = sorted(set(ALL_ENTRIES) - set(names))
        extra = sorted(set(names) - set(ALL_ENTRIES))
        if missing:
            raise _fail(path, f"entrée manquante : {', '.join(missing)}.")
        if extra:
            raise _fail(path, f"entrée inattendue : {', '.join(extra)} ; un paquet n'a que {', '.join(ALL_ENTRIES)}.")
        out = {}
        for info in infos:
            try:
                with zf.open(info) as f:
                    data = f.read(MAX_ENTRY_BYTES + 1)
            except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError, ValueError):
                # Corrupt data, a bad checksum, an unknown compression method, encryption…
                raise _fail(path, f"entrée « {info.filename} » illisible (paquet altéré ou abîmé) ; paquet refusé.") \
                    from None
            if len(data) != info.file_size:
                raise _fail(path, f"entrée « {info.filename} » : taille annoncée fausse ; paquet refusé.")
            out[info.filename] = data
        return out


def _json(path: Path, name: str, data: bytes):
    try:
        return parse_json(data, name)
    except UserError as exc:
        raise _fail(path, exc.message) from None


def _schema(path: Path, name: str, model, obj):
    try:
        return model.model_validate(obj)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise _fail(path, f"{name} : schéma invalide — {format_path(tuple(first['loc'])) or 'document'} : "
                          f"{french(first)}.") from None


def verify_bundle(path: Path, trust_der: TrustAnchors | bytes | list[bytes] | None = None) -> Verified:
    if isinstance(trust_der, bytes):
        trust_der = [trust_der]
    if isinstance(trust_der, list):
        trust_der = TrustAnchors(tuple(trust_der), ("certificat donné",) * len(trust_der))
    entries = read_entries(path)
    manifest_bytes = entries[MANIFEST]
    manifest = _json(path, MANIFEST, manifest_bytes)
    if isinstance(manifest, dict) and manifest.get("format") != BUNDLE_FORMAT:
        raise _fail(path, f"{MANIFEST} : ce n'est pas un manifeste de paquet Convergence.")
    _schema(path, MANIFEST, Manifest, manifest)
    try:
        created = dt.datetime.fromisoformat(manifest["created_at"].replace("Z", "+00:00"))
    except ValueError:
        raise _fail(path, f"{MANIFEST} : date de création illisible « {manifest['created_at']} ».") from None
    signer = check_signature(path, manifest_bytes, entries[SIGNATURE], trust_der, created)
    subject, cert_der, trusted = signer.subject, signer.certificate_der, signer.trusted
    if sha256(cert_der) != manifest["signer"]["certificate_sha256"]:
        raise _fail(path, f"{MANIFEST} : le certificat annoncé n'est pas celui qui a signé.")
    listed = {f["path"]: f for f in manifest["files"]}
    if sorted(listed) != sorted(CONTENT_ENTRIES):
        raise _fail(path, f"{MANIFEST} : la liste des fichiers ne correspond pas au contenu du paquet.")
    for name in CONTENT_ENTRIES:
        data = entries[name]
        if len(data) != listed[name]["size"] or sha256(data) != listed[name]["sha256"]:
            raise _fail(path, f"entrée modifiée : {name} ne correspond pas à l'empreinte signée du manifeste.")
    answers = _json(path, "answers.json", entries["answers.json"])
    scores = _json(path, "scores.json", entries["scores.json"])
    checked_answers = _schema(path, "answers.json", AnswersDocument, answers)
    _schema(path, "scores.json", ScoresDocument, scores)
    if "problems" in scores:
        raise _fail(path, "scores.json : schéma invalide — clé « problems » inattendue dans un paquet.")
    ref_bytes = entries["referentiel.toml"]
    if sha256(ref_bytes) != manifest["referentiel"]["sha256"]:
        raise _fail(path, "referentiel.toml : empreinte différente de celle du manifeste.")
    try:
        ref = parse(ref_bytes, "referentiel.toml")
    except UserError as exc:
        raise _fail(path, f"referentiel.toml invalide : {exc.message}") from None
    try:
        data = read_document(ref, checked_answers, "answers.json")
    except UserError as exc:
        raise _fail(path, f"answers.json ne correspond pas au questionnaire : {exc}") from None
    try:
        date = dt.date.fromisoformat(scores["reference_date"])
    except ValueError:
        raise _fail(path, "scores.json : date de référence illisible.") from None
    if answers["campaign"]["reference_date"] != scores["reference_date"]:
        raise _fail(path, "scores.json : la date de référence diffère de celle de la campagne.")
    recomputed = scores_document(ref, Scorer(ref, date).score_all(data.service_inputs()))
    if recomputed != scores:
        raise _fail(path, f"les scores ne se recalculent pas : {_first_difference(recomputed, scores)}.")
    return Verified(manifest, answers, scores, subject, sha256(cert_der), trusted, signer.anchor, signer.path)


def _first_difference(expected: dict, found: dict) -> str:
    if expected["region"] != found["region"]:
        return "chiffres de la région différents"
    by_id = {s["id"]: s for s in found["services"]}
    for s in expected["services"]:
        other = by_id.get(s["id"])
        if other is None:
            return f"service {s['id']} absent de scores.json"
        for key, value in s.items():
            if other.get(key) != value:
                return f"service {s['id']}, {key} : {other.get(key)!r} annoncé, {value!r} recalculé"
    return "liste des services différente"


__all__ = ["TrustAnchors", "Verified", "load_trust", "read_entries", "verify_bundle"]
