"""Check a bundle as the ANS does (DESIGN.md §6): safe to open, exactly the expected entries, a valid
signature (from a trusted signer when asked), every entry as the manifest says, documents of the
right shape, the official questionnaire (or the one named), every claim of the manifest backed by
the contents, scores that recompute, and derived entries that regenerate byte for byte.
"""

from __future__ import annotations

import datetime as dt
import stat
import zipfile
import zlib
from pathlib import Path
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from .. import __version__
from ..campaign.answers import parse_json
from ..campaign.documents import ScoresDocument, answers_model
from ..campaign.rebuilt import rebuild
from ..errors import UserError, counted
from ..escaping import printable
from ..referentiel.loader import format_path, french, parse
from .claims import (
    REFUSED,
    check_campaign,
    check_created_at,
    check_final,
    check_questionnaire,
    check_signer,
    check_validation,
)
from .claims import refused as _fail
from .derived import DERIVED_ENTRIES, derived_entries, report_bytes
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
from .signature import TrustAnchors, check_signature, load_trust
from .verdict import OFFICIAL, Verified, certificate_facts


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
    official: bool | None = None  # absent from bundles of earlier versions: verify decides anyway


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
            shown = printable(name)  # a name may hold a line break or ESC: never printed raw
            if not name:  # checked first: zipfile's is_dir() raises IndexError on an empty name
                raise _fail(path, "entrée sans nom ; paquet refusé.")
            if name.startswith(("/", "\\")) or ":" in name or "\\" in name or ".." in name.split("/"):
                raise _fail(path, f"entrée « {shown} » : chemin absolu ou remontant (..) ; paquet refusé.")
            mode = info.external_attr >> 16
            if stat.S_ISLNK(mode):
                raise _fail(path, f"entrée « {shown} » : lien symbolique ; paquet refusé.")
            if info.is_dir() or "/" in name:
                raise _fail(path, f"entrée « {shown} » : dossier inattendu ; un paquet n'a que des fichiers à plat.")
            if info.file_size > MAX_ENTRY_BYTES or (total := total + info.file_size) > MAX_TOTAL_BYTES:
                raise _fail(path, f"entrée « {shown} » : taille démesurée ({info.file_size} octets) ; paquet refusé.")
            if info.compress_size and info.file_size / info.compress_size > MAX_RATIO:
                raise _fail(path, f"entrée « {shown} » : taux de compression anormal (bombe zip ?) ; paquet refusé.")
        names = [i.filename for i in infos]
        if len(set(names)) != len(names):
            raise _fail(path, "entrées en double ; paquet refusé.")
        missing = sorted(set(ALL_ENTRIES) - set(names))
        extra = sorted(set(names) - set(ALL_ENTRIES))
        if missing:
            raise _fail(path, f"entrée manquante : {', '.join(missing)}.")
        if extra:
            raise _fail(path, f"entrée inattendue : {printable(', '.join(extra))} ; un paquet n'a que "
                              f"{', '.join(ALL_ENTRIES)}.")
        out = {}
        for info in infos:
            try:
                with zf.open(info) as f:
                    data = f.read(MAX_ENTRY_BYTES + 1)
            except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError, ValueError):
                # Corrupt data, a bad checksum, an unknown compression method, encryption…
                raise _fail(path, f"entrée « {printable(info.filename)} » illisible (paquet altéré ou abîmé) ; "
                                  "paquet refusé.") from None
            if len(data) != info.file_size:
                raise _fail(path, f"entrée « {printable(info.filename)} » : taille annoncée fausse ; paquet refusé.")
            out[info.filename] = data
        return out


def _json(path: Path, name: str, data: bytes) -> Any:
    try:
        return parse_json(data, name)
    except UserError as exc:
        raise _fail(path, exc.message) from None


_Model = TypeVar("_Model", bound=BaseModel)


def _schema(path: Path, name: str, model: type[_Model], obj: Any) -> _Model:
    try:
        return model.model_validate(obj)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = printable(format_path(tuple(first["loc"])) or "document")
        raise _fail(path, f"{name} : schéma invalide — {where} : {printable(french(first))}.") from None


def verify_bundle(path: Path, trust_der: TrustAnchors | bytes | list[bytes] | None = None, *,
                  compare_with: tuple[str, bytes] | None = None, or_official: bool = False,
                  report: bool = False) -> Verified:
    """Everything §6 says a valid bundle proves, or a VerificationError naming what is wrong.

    `compare_with`: (name, bytes) of the questionnaire the verifier names (`--referentiel`): the
    bundle's must be that file; otherwise it must be an official one (or either, `or_official`).
    `report`: regenerate `rapport.html` from the data even when the bundle comes from another
    version of the tool (it is regenerated anyway, and compared, for the same version).
    """
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
        raise _fail(path, f"{MANIFEST} : date de création illisible « {printable(manifest['created_at'])} ».") \
            from None
    if created.tzinfo is None:
        created = created.replace(tzinfo=dt.UTC)
    signer = check_signature(path, manifest_bytes, entries[SIGNATURE], trust_der, created)
    subject, cert_der, trusted = signer.subject, signer.certificate_der, signer.trusted
    if sha256(cert_der) != manifest["signer"]["certificate_sha256"]:
        raise _fail(path, f"{MANIFEST} : le certificat annoncé n'est pas celui qui a signé.")
    check_signer(path, manifest, subject)
    listed = {f["path"]: f for f in manifest["files"]}
    if sorted(listed) != sorted(CONTENT_ENTRIES):
        raise _fail(path, f"{MANIFEST} : la liste des fichiers ne correspond pas au contenu du paquet.")
    for name in CONTENT_ENTRIES:
        data = entries[name]
        if len(data) != listed[name]["size"] or sha256(data) != listed[name]["sha256"]:
            raise _fail(path, f"entrée modifiée : {name} ne correspond pas à l'empreinte signée du manifeste.")
    answers = _json(path, "answers.json", entries["answers.json"])
    scores = _json(path, "scores.json", entries["scores.json"])
    checked_answers = _schema(path, "answers.json", answers_model(answers), answers)  # format 1 or 2
    _schema(path, "scores.json", ScoresDocument, scores)
    if "problems" in scores:
        raise _fail(path, "scores.json : schéma invalide — clé « problems » inattendue dans un paquet.")
    check_campaign(path, manifest, answers)
    check_created_at(path, manifest, created)
    ref_bytes = entries["referentiel.toml"]
    if sha256(ref_bytes) != manifest["referentiel"]["sha256"]:
        raise _fail(path, "referentiel.toml : empreinte différente de celle du manifeste.")
    try:
        ref = parse(ref_bytes, "referentiel.toml")
    except UserError as exc:
        raise _fail(path, f"referentiel.toml invalide : {exc.message}", exc.details) from None
    questionnaire = check_questionnaire(path, manifest["referentiel"], ref, ref_bytes, compare_with, or_official)
    try:
        date = dt.date.fromisoformat(scores["reference_date"])
    except ValueError:
        raise _fail(path, "scores.json : date de référence illisible.") from None
    if answers["campaign"]["reference_date"] != scores["reference_date"]:
        raise _fail(path, "scores.json : la date de référence diffère de celle de la campagne.")
    try:
        rebuilt = rebuild(ref, answers, date, checked=checked_answers)
    except UserError as exc:
        # Said to the verifier, not to someone importing: what does not fit, each on its line.
        raise _fail(path, "answers.json ne correspond pas au questionnaire du paquet : "
                          f"{counted(len(exc.details), 'problème')}", exc.details) from None
    if rebuilt.scores_doc != scores:
        raise _fail(path, f"les scores ne se recalculent pas : {_first_difference(rebuilt.scores_doc, scores)}.")
    check_validation(path, manifest, answers)
    blockers = rebuilt.blockers()
    check_final(path, manifest, blockers)
    claims = {k: v for k, v in manifest.items() if k != "files"}
    same_tool = manifest["tool"] == {"name": "convergence-tui", "version": __version__}
    regenerated = b""
    if same_tool:
        derived = derived_entries(rebuilt, claims, blockers)
        for name in DERIVED_ENTRIES:
            if derived[name] != entries[name]:
                raise _fail(path, f"entrée dérivée fausse : {name} n'est pas ce que produisent answers.json, "
                                  f"referentiel.toml et le manifeste (régénérée par la même version de l'outil, elle "
                                  f"diffère) ; {REFUSED}")
        regenerated = derived["rapport.html"]
    elif report:
        # Said from what was verified, not from the manifest of another version.
        pin = {**claims["referentiel"], "official": questionnaire == OFFICIAL}
        regenerated = report_bytes(rebuilt, {**claims, "referentiel": pin}, blockers)
    facts = certificate_facts(cert_der)
    return Verified(manifest, answers, scores, facts.subject, facts.fingerprint, trusted,
                    anchor=signer.anchor, path=signer.path,
                    signer_issuer=facts.issuer, signer_serial=facts.serial, questionnaire=questionnaire,
                    blockers=len(blockers), derived_compared=same_tool, report=regenerated)


def _first_difference(expected: dict[str, Any], found: dict[str, Any]) -> str:
    if expected["region"] != found["region"]:
        return "chiffres de la région différents"
    by_id = {s["id"]: s for s in found["services"]}
    for s in expected["services"]:
        other = by_id.get(s["id"])
        if other is None:
            return f"service {s['id']} absent de scores.json"
        for key, value in s.items():
            if other.get(key) != value:
                return printable(f"service {s['id']}, {key} : {other.get(key)!r} annoncé, {value!r} recalculé")
    return "liste des services différente"


def questionnaire_file(path: Path) -> tuple[str, bytes]:
    """(name, bytes) of the questionnaire named with --referentiel, for `compare_with`."""
    from ..referentiel import load

    return str(path), load(path).source_text.encode("utf-8")  # a file that is not a questionnaire: its errors


def write_report(path: Path, data: bytes) -> None:
    """`verify --report FILE`: never over an existing file, never half-written; readable by others
    (the ANS passes it on)."""
    from ..paths import write_whole

    write_whole(path, data, mode=0o644, exists_hint="choisissez un autre nom pour le rapport (--report)")


__all__ = ["TrustAnchors", "Verified", "load_trust", "questionnaire_file", "read_entries", "verify_bundle",
           "write_report"]
