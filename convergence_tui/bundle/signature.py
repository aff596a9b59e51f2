"""Who signed a bundle: a valid detached CMS signature over the manifest, by a certificate that may
sign, and, when the verifier names trust anchors (--trust or the settings file), a certificate path
from one of them to the signer, built from the certificates the signature carries.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import VerificationError
from ..escaping import printable
from ..wording import date_fr
from .format import MANIFEST, SIGNATURE
from .signing import common_name, issued_by, read_certificates, signing_usage_problem, subject_of_der

if TYPE_CHECKING:
    from cryptography import x509
    from pyhanko.sign.ades.report import AdESSubIndic


STRONG_DIGESTS = {"sha256", "sha384", "sha512"}  # SHA-1 and MD5 signatures can be forged


def fail(path: Path, message: str, details: Iterable[str] = ()) -> VerificationError:
    """The error of a bundle that fails verification: one line, then its details one per line.
    Values from the bundle are escaped where they are quoted; escaping each line again leaves no
    line break or control character a way to forge a line."""
    return VerificationError(printable(f"{path} : {message}"), details=[printable(d) for d in details])


@dataclass(frozen=True)
class TrustAnchors:
    """The certificates a verifier trusts, each with the file it came from (named in the verdict)."""

    certificates: tuple[bytes, ...]
    files: tuple[str, ...]  # one per certificate
    origin: str = "--trust"  # where the files were named: --trust, or the settings file

    def source_of(self, der: bytes) -> str:
        return f"{self.files[self.certificates.index(der)]} ({self.origin})"

    def named(self) -> str:
        return f"{', '.join(dict.fromkeys(printable(f) for f in self.files))} ({printable(self.origin)})"


def authenticated_by(anchor: str, path: tuple[str, ...]) -> str:
    """The verdict's line for an authenticated signer: which anchor, and the path down to them."""
    return f"Authentifié par {printable(anchor)} : {' → '.join(printable(x) for x in path)}."


@dataclass(frozen=True)
class Signer:
    subject: str
    certificate_der: bytes
    trusted: bool
    anchor: str = ""  # the anchor's file and where it was named: "ans-racine.pem (--trust)"
    path: tuple[str, ...] = ()  # names from the anchor down to the signer


def check_signature(path: Path, manifest_bytes: bytes, p7s: bytes, trust: TrustAnchors | None,
                    signing_time: dt.datetime) -> Signer:
    """Who made a valid detached signature over the manifest, authenticated when `trust` is given."""
    import asyncio

    from asn1crypto import cms
    from asn1crypto import x509 as asn1_x509
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import Encoding
    from pyhanko.sign.validation.generic_cms import async_validate_detached_cms
    from pyhanko.sign.validation.settings import KeyUsageConstraints
    from pyhanko_certvalidator import ValidationContext

    try:
        info = cms.ContentInfo.load(p7s)
        signed_data = info["content"]
        _ = signed_data["signer_infos"][0]
        embedded = [c.chosen.dump() for c in signed_data["certificates"] if c.name == "certificate"]
    except Exception:  # noqa: BLE001 - any parse failure of the DER is the same problem for the user
        raise fail(path, f"{SIGNATURE} : signature illisible (ce n'est pas du CMS DER).") from None
    # Never fetch anything (offline by design); without --trust there is nothing to chain to and
    # only the signature itself is checked. pyhanko logs a failed path search as an error with a
    # traceback: that is an expected outcome here, not ours to print.
    for name in ("pyhanko", "pyhanko_certvalidator"):
        logger = logging.getLogger(name)
        if not logger.handlers:
            logger.addHandler(logging.NullHandler())
        logger.propagate = False
    roots = [asn1_x509.Certificate.load(d) for d in (trust.certificates if trust else ())]
    context = ValidationContext(trust_roots=roots, allow_fetching=False, moment=signing_time,
                                best_signature_time=signing_time)
    try:
        status = asyncio.run(async_validate_detached_cms(
            manifest_bytes, signed_data, signer_validation_context=context,
            key_usage_settings=KeyUsageConstraints(key_usage={"digital_signature", "non_repudiation"},
                                                   match_all_key_usages=False)))
    except Exception as exc:  # noqa: BLE001 - pyhanko raises several types for a broken signature
        raise fail(path, f"{SIGNATURE} : signature invalide ({exc.__class__.__name__}).") from None
    digest = signed_data["signer_infos"][0]["digest_algorithm"]["algorithm"].native
    if digest not in STRONG_DIGESTS:
        raise fail(path, f"{SIGNATURE} : signature faite avec l'empreinte {digest}, trop faible (attendu : "
                         f"{', '.join(sorted(STRONG_DIGESTS))}) ; paquet refusé.")
    if not (status.intact and status.valid):
        raise fail(path, f"signature invalide : {MANIFEST} a été modifié après la signature, ou la signature "
                         "est altérée ; ne faites pas confiance à ce paquet.")
    # The manifest's created_at and the signingTime the signature carries are both the signer's word:
    # they must tell the same day (a manifest backdated after signing does not), not the same second.
    declared = _signing_time(signed_data)
    if declared is None or abs((declared - signing_time).total_seconds()) > 86400:
        said = f"{declared:%Y-%m-%dT%H:%M:%SZ}" if declared is not None else "absente"
        raise fail(path, f"{MANIFEST} : date de création {signing_time:%Y-%m-%dT%H:%M:%SZ} différente de l'heure "
                         f"de signature inscrite dans {SIGNATURE} ({said}) ; paquet refusé.")
    der = status.signing_cert.dump()
    cert = x509.load_der_x509_certificate(der)
    subject = subject_of_der(der)
    # Checked here, before any trust: pyhanko does not check the usage of a certificate trusted as
    # such (a pilot's), and a refused path would read as an unknown signer, not as the real reason.
    problem = signing_usage_problem(cert)
    if problem:
        raise fail(path, f"le certificat du signataire ({printable(subject)}) ne permet pas de signer : {problem}. "
                         "Ce paquet ne peut pas être accepté ; le signataire doit exporter à nouveau avec son "
                         "certificat de signature.")
    not_before, not_after = cert.not_valid_before_utc, cert.not_valid_after_utc
    if not not_before <= signing_time <= not_after:
        raise fail(path, f"certificat du signataire hors de sa période de validité à la date de signature "
                         f"({date_fr(signing_time)} ; valable du {date_fr(not_before)} au {date_fr(not_after)}).")
    if trust is None:
        return Signer(subject, der, False)
    if status.trusted and status.validation_path is not None:  # (pyhanko's `trusted` implies a path)
        chain = [x509.load_der_x509_certificate(c.dump()) for c in status.validation_path]
        anchor_der = chain[0].public_bytes(Encoding.DER)
        if len(chain) > 1 and not is_authority(chain[0]):
            # pyhanko trusts an anchor as it is; openssl, and the ANS, accept an anchor as the issuer of
            # another certificate only if it is a certification authority. A pilot's own certificate
            # given to --trust authenticates that pilot, never a certificate made with its key.
            raise fail(path, f"le certificat de confiance « {printable(common_name(chain[0].subject))} » "
                             f"({printable(trust.source_of(anchor_der))}) n'est pas une autorité de certification "
                             f"(CA:FALSE ou sans keyCertSign) : il n'authentifie que son titulaire, pas « "
                             f"{printable(subject)} », dont le certificat a été fabriqué avec sa clé ; paquet refusé.")
        return Signer(subject, der, True, trust.source_of(anchor_der), tuple(common_name(c.subject) for c in chain))
    if der in trust.certificates:  # the signer's own certificate given as trusted (a pilot's, self-signed)
        return Signer(subject, der, True, trust.source_of(der), (common_name(cert.subject),))
    raise fail(path, _untrusted(cert, subject, [x509.load_der_x509_certificate(d) for d in embedded if d != der],
                                trust, status.trust_problem_indic, signing_time))


def is_authority(cert: x509.Certificate) -> bool:
    """A certification authority (basicConstraints CA:TRUE, and keyCertSign when the usage is said)."""
    from cryptography import x509

    try:
        if not cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca:
            return False
    except x509.ExtensionNotFound:
        return False
    try:
        return bool(cert.extensions.get_extension_for_class(x509.KeyUsage).value.key_cert_sign)
    except x509.ExtensionNotFound:
        return True


def _signing_time(signed_data: Any) -> dt.datetime | None:
    """The signingTime attribute the signer put in the signature (it is signed)."""
    try:
        for attr in signed_data["signer_infos"][0]["signed_attrs"]:
            if attr["type"].native == "signing_time":
                when: dt.datetime = attr["values"][0].native
                return when.astimezone(dt.UTC)
    except Exception:  # noqa: BLE001 - a malformed attribute is the same as none
        return None
    return None


def _untrusted(cert: x509.Certificate, subject: str, embedded: list[x509.Certificate], trust: TrustAnchors,
               indication: AdESSubIndic | None, signing_time: dt.datetime) -> str:
    """Why no path leads from the signer to an anchor, in words: the link that is missing (the
    signer exported without --chain), a chain that ends at another authority, or a path refused."""
    from cryptography import x509

    anchors = [x509.load_der_x509_certificate(d) for d in trust.certificates]
    current = cert
    authorities: list[x509.Certificate] = []
    for _ in range(len(embedded) + 1):
        anchor = next((a for a in anchors if issued_by(current, a)), None)
        if anchor is not None:
            reason = next(filter(None, (_not_an_authority(c, signing_time) for c in authorities)), None) or \
                _INDICATIONS.get(getattr(indication, "name", ""), "chemin de certification refusé")
            return (f"signataire non reconnu : la chaîne de {printable(subject)} mène bien à "
                    f"« {printable(common_name(anchor.subject))} » ({trust.named()}) mais elle est refusée ({reason}).")
        if current.issuer == current.subject and issued_by(current, current):
            own = "son certificat est auto-signé" if current is cert else \
                f"sa chaîne aboutit à l'autorité « {printable(common_name(current.subject))} »"
            return (f"signataire non reconnu : {printable(subject)} — {own}, qui n'est aucun des certificats de "
                    f"confiance donnés ({trust.named()}).")
        parent = next((c for c in embedded if c is not current and issued_by(current, c)), None)
        if parent is None:
            break
        current = parent
        authorities.append(parent)
    if current is not cert:  # the signer's authority is joined; what it hangs from is not trusted
        return (f"signataire non reconnu : la chaîne de {printable(subject)} remonte à l'autorité « "
                f"{printable(common_name(current.issuer))} », dont le certificat n'est ni parmi les certificats de "
                f"confiance ({trust.named()}) ni joint au paquet ; si c'est votre autorité racine, donnez son "
                "certificat à --trust.")
    return (f"chaîne de certification incomplète : le certificat de l'autorité « "
            f"{printable(common_name(current.issuer))} », qui a émis celui de « "
            f"{printable(common_name(current.subject))} »"
            f", n'est ni joint au paquet ni parmi les certificats de confiance ({trust.named()}) ; le signataire "
            "doit exporter à nouveau en joignant sa chaîne : « convergence export --chain INTERMEDIAIRES.pem » "
            "(les certificats intermédiaires de son autorité).")


def _not_an_authority(cert: x509.Certificate, signing_time: dt.datetime) -> str | None:
    """Why an intermediate of the path may not vouch for the signer, or None."""
    from cryptography import x509

    name = printable(common_name(cert.subject))
    try:
        is_ca = cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    except x509.ExtensionNotFound:
        is_ca = False
    if not is_ca:
        return f"« {name} » n'est pas une autorité de certification (basicConstraints sans CA)"
    try:
        if not cert.extensions.get_extension_for_class(x509.KeyUsage).value.key_cert_sign:
            return f"« {name} » n'a pas le droit de signer des certificats (keyUsage sans keyCertSign)"
    except x509.ExtensionNotFound:
        pass
    if not cert.not_valid_before_utc <= signing_time <= cert.not_valid_after_utc:
        return (f"le certificat de « {name} » n'était pas valide à la date de signature (valable du "
                f"{date_fr(cert.not_valid_before_utc)} au {date_fr(cert.not_valid_after_utc)})")
    return None


# pyhanko's reasons for refusing a path it could build, in words (the others: a generic phrase).
_INDICATIONS = {
    "CHAIN_CONSTRAINTS_FAILURE": "contraintes de la chaîne non respectées : autorité non habilitée ou usage de clé",
    "OUT_OF_BOUNDS_NO_POE": "un certificat de la chaîne n'était pas valide à la date de signature",
    "OUT_OF_BOUNDS_NOT_REVOKED": "un certificat de la chaîne n'était pas valide à la date de signature",
    "NOT_YET_VALID": "un certificat de la chaîne n'était pas encore valide à la date de signature",
    "EXPIRED": "un certificat de la chaîne était expiré à la date de signature",
    "REVOKED": "un certificat de la chaîne est révoqué",
    "CRYPTO_CONSTRAINTS_FAILURE": "algorithme de la chaîne trop faible",
    "CERTIFICATE_CHAIN_GENERAL_FAILURE": "chaîne mal formée",
}


def load_trust(paths: Path | list[Path], origin: str = "--trust") -> TrustAnchors:
    """The certificates of the PEM (or DER) files given to --trust or set in the settings file."""
    from cryptography.hazmat.primitives.serialization import Encoding

    certificates, files = [], []
    for path in [paths] if isinstance(paths, Path) else paths:
        for cert in read_certificates(path, origin):
            certificates.append(cert.public_bytes(Encoding.DER))
            files.append(path.name)
    return TrustAnchors(tuple(certificates), tuple(files), origin)
