"""Check a bundle as the ANS does: safe to open, exactly the expected entries, a valid signature
(from a trusted signer when asked), every entry as the manifest says, documents of the right shape,
and scores that recompute from the answers with the bundled questionnaire.
"""

from __future__ import annotations

import datetime as dt
import logging
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
from .signing import subject_of_der
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
            f"Nature : {kind}" + (f" ; validée par {validation['name']} ({validation['role']})" if validation else "")
            + ".",
            f"Scores recalculés à l'identique : {len(self.scores['services'])} services, questionnaire "
            f"{m['referentiel']['id']} {m['referentiel']['version']}.",
        ]
        return "\n".join(lines)


def _fail(path: Path, message: str) -> VerificationError:
    return VerificationError(f"{path} : {message}")


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


def check_signature(path: Path, manifest_bytes: bytes, p7s: bytes, trust_der: list[bytes] | None,
                    signing_time: dt.datetime):
    """(subject, certificate DER, trusted) of a valid detached signature over the manifest."""
    import asyncio

    from asn1crypto import cms
    from asn1crypto import x509 as asn1_x509
    from pyhanko.sign.validation.settings import KeyUsageConstraints
    from pyhanko.sign.validation.generic_cms import async_validate_detached_cms
    from pyhanko_certvalidator import ValidationContext

    try:
        info = cms.ContentInfo.load(p7s)
        signed_data = info["content"]
        _ = signed_data["signer_infos"][0]
    except Exception:  # noqa: BLE001 - any parse failure of the DER is the same problem for the user
        raise _fail(path, f"{SIGNATURE} : signature illisible (ce n'est pas du CMS DER).") from None
    # Never fetch anything (offline by design); without --trust there is nothing to chain to and
    # only the signature itself is checked. pyhanko logs a failed path search as an error with a
    # traceback: that is an expected outcome here, not ours to print.
    for name in ("pyhanko", "pyhanko_certvalidator"):
        logger = logging.getLogger(name)
        if not logger.handlers:
            logger.addHandler(logging.NullHandler())
        logger.propagate = False
    roots = [asn1_x509.Certificate.load(d) for d in trust_der or []]
    context = ValidationContext(trust_roots=roots, allow_fetching=False, moment=signing_time,
                                best_signature_time=signing_time)
    try:
        status = asyncio.run(async_validate_detached_cms(
            manifest_bytes, signed_data, signer_validation_context=context,
            key_usage_settings=KeyUsageConstraints(key_usage={"digital_signature"}, match_all_key_usages=False)))
    except Exception as exc:  # noqa: BLE001 - pyhanko raises several types for a broken signature
        raise _fail(path, f"{SIGNATURE} : signature invalide ({exc.__class__.__name__}).") from None
    if not (status.intact and status.valid):
        raise _fail(path, f"signature invalide : {MANIFEST} a été modifié après la signature, ou la signature "
                          "est altérée ; ne faites pas confiance à ce paquet.")
    cert = status.signing_cert
    subject = subject_of_der(cert.dump())
    validity = cert["tbs_certificate"]["validity"]
    not_before, not_after = validity["not_before"].native, validity["not_after"].native
    if not not_before <= signing_time <= not_after:
        raise _fail(path, f"certificat du signataire hors de sa période de validité à la date de signature "
                          f"({signing_time:%d/%m/%Y} ; valable du {not_before:%d/%m/%Y} au {not_after:%d/%m/%Y}).")
    trusted = False
    if trust_der is not None:
        trusted = bool(status.trusted) or cert.dump() in trust_der
        if not trusted:
            raise _fail(path, f"signataire non reconnu : {subject} ne correspond à aucun certificat de confiance "
                              "donné par --trust.")
    return subject, cert.dump(), trusted


def verify_bundle(path: Path, trust_der: bytes | list[bytes] | None = None) -> Verified:
    if isinstance(trust_der, bytes):
        trust_der = [trust_der]
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
    subject, cert_der, trusted = check_signature(path, manifest_bytes, entries[SIGNATURE], trust_der, created)
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
    return Verified(manifest, answers, scores, subject, sha256(cert_der), trusted)


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


def load_trust(path: Path) -> list[bytes]:
    """DER certificates from a PEM (or DER) file given to --trust."""
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import Encoding

    try:
        raw = path.read_bytes()
    except OSError:
        raise UserError(f"{path} : certificat de confiance introuvable ; vérifiez le chemin donné à --trust.") from None
    try:
        certs = x509.load_pem_x509_certificates(raw) if b"-----BEGIN" in raw else [x509.load_der_x509_certificate(raw)]
    except ValueError:
        raise UserError(f"{path} : ce n'est pas un certificat PEM ou DER lisible.") from None
    return [c.public_bytes(Encoding.DER) for c in certs]


__all__ = ["Verified", "load_trust", "read_entries", "verify_bundle"]
