"""Signing identities: a PKCS#12 file today (an IGC-Santé software certificate, or `keygen` for
pilots); pyhanko signs the manifest as detached CMS, which a PKCS#11 token (CPS card) can do later
through pyhanko's PKCS#11 signer without changing the bundle format.

pyhanko and cryptography are imported here only, and only when signing or verifying.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import UserError, os_reason
from ..escaping import control_characters, printable
from ..wording import date_fr

if TYPE_CHECKING:
    from cryptography import x509
    from pyhanko.sign.signers import SimpleSigner

DIGEST = "sha256"


@dataclass(frozen=True)
class Identity:
    signer: SimpleSigner | None  # None in what keygen returns: it describes the new identity, it does not sign
    subject: str
    certificate_der: bytes
    not_before: dt.datetime
    not_after: dt.datetime
    # The other certificates the signature carries (the PKCS#12's own and those of --chain), so a
    # verifier that holds only the root can build the path; and, when the certificate's issuer is
    # among none of them, that issuer's name (the ANS can authenticate the signer only if it holds it).
    chain: tuple[bytes, ...] = ()
    missing_issuer: str | None = None

    @property
    def fingerprint(self) -> str:
        return hashlib.sha256(self.certificate_der).hexdigest()

    @property
    def certificate_pem(self) -> bytes:
        from cryptography import x509
        from cryptography.hazmat.primitives.serialization import Encoding

        return x509.load_der_x509_certificate(self.certificate_der).public_bytes(Encoding.PEM)


def subject_text(cert: x509.Certificate) -> str:
    """A certificate's subject as people read it: "Camille Le Goff — GIP e-Santé (FR)"."""
    return name_text(cert.subject)


def name_text(x509_name: x509.Name) -> str:
    """An X.509 name (a subject or an issuer) as people read it."""
    from cryptography.x509.oid import NameOID

    def first(oid: x509.ObjectIdentifier) -> str:
        values = x509_name.get_attributes_for_oid(oid)
        return str(values[0].value) if values else ""

    name = first(NameOID.COMMON_NAME) or x509_name.rfc4514_string()
    org = first(NameOID.ORGANIZATION_NAME)
    country = first(NameOID.COUNTRY_NAME)
    return name + (f" — {org}" if org else "") + (f" ({country})" if country else "")


def subject_of_der(der: bytes) -> str:
    from cryptography import x509

    return subject_text(x509.load_der_x509_certificate(der))


def common_name(name: x509.Name) -> str:
    """An issuer's or subject's x509.Name in a path of authorities (its common name, else the whole name)."""
    from cryptography.x509.oid import NameOID

    values = name.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(values[0].value) if values else name.rfc4514_string()


# What a certificate must allow to sign a bundle (DESIGN.md §6); the same words at export and verify.
SIGNING_USAGES = "« signature numérique » (digitalSignature) ou « non-répudiation » (nonRepudiation)"


def signing_usage_problem(cert: x509.Certificate) -> str | None:
    """Why `cert` (a cryptography certificate) may not sign, or None. Without a keyUsage extension a
    certificate is not restricted (RFC 5280 §4.2.1.3), and openssl accepts it too."""
    from cryptography import x509
    from cryptography.x509.oid import ExtendedKeyUsageOID

    try:
        purposes = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except x509.ExtensionNotFound:
        purposes = None
    # An extended usage, when there is one, must allow signing documents: openssl's `cms -verify`
    # (what the ANS can run without us) refuses any other purpose, a TLS server's for instance.
    if purposes is not None and not ({ExtendedKeyUsageOID.EMAIL_PROTECTION, ExtendedKeyUsageOID.ANY_EXTENDED_KEY_USAGE}
                                     & set(purposes)):
        names = ", ".join(getattr(p, "_name", None) or p.dotted_string for p in purposes)
        return (f"son usage étendu ({names}) n'autorise pas la signature de documents : il faut la protection "
                "des courriels (emailProtection) ou aucun usage étendu")
    try:
        usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        return None
    if usage.digital_signature or usage.content_commitment:
        return None
    allowed = [label for flag, label in ((usage.key_encipherment, "chiffrement de clé"),
                                         (usage.data_encipherment, "chiffrement de données"),
                                         (usage.key_agreement, "accord de clé"),
                                         (usage.key_cert_sign, "signature de certificats"),
                                         (usage.crl_sign, "signature de listes de révocation")) if flag]
    return (f"son usage de clé ({', '.join(allowed) or 'aucun usage'}) n'autorise pas la signature : il faut "
            f"{SIGNING_USAGES}")


def issued_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    """`issuer` names and signed `cert` (cryptography certificates)."""
    from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm

    try:
        cert.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature, UnsupportedAlgorithm):
        return False
    return True


def read_certificates(path: Path, role: str) -> list[x509.Certificate]:
    """The certificates of a PEM (one or more) or DER file, as cryptography objects.
    `role` names where the path came from, for the message (« --trust », « le réglage trust de … »)."""
    from cryptography import x509

    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise UserError(f"{path} : fichier de certificats illisible ({os_reason(exc)}) ; vérifiez le chemin donné "
                        f"par {role}.") from None
    try:
        certs = x509.load_pem_x509_certificates(raw) if b"-----BEGIN" in raw else [x509.load_der_x509_certificate(raw)]
    except ValueError:
        raise UserError(f"{path} : ce n'est pas un certificat PEM ou DER lisible (fichier donné par {role}).") from None
    return certs


def load_identity(p12: Path, password: str, *, at: dt.datetime | None = None, chain: Path | None = None,
                  chain_origin: str = "--chain") -> Identity:
    """Open a PKCS#12 file; refuse a wrong password, a certificate not valid at `at` (now), or one that
    may not sign. `chain` (PEM) adds the intermediate certificates the PKCS#12 lacks; they are
    embedded in every signature, with those the PKCS#12 carries."""
    from asn1crypto import x509 as asn1_x509
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import Encoding
    from pyhanko.sign.signers import SimpleSigner

    extra = read_certificates(chain, chain_origin) if chain is not None else []
    try:
        data = p12.read_bytes()
    except FileNotFoundError:
        raise UserError(f"{p12} : certificat de signature introuvable ; donnez le bon fichier avec --p12 "
                        "(ou créez-en un pour un pilote avec « convergence keygen »).") from None
    except OSError as exc:
        raise UserError(f"{p12} : lecture impossible ({os_reason(exc)}).") from None
    try:
        # One decryption (the key derivation is deliberately slow): pyhanko reads the file itself.
        signer = SimpleSigner.load_pkcs12_data(data, other_certs=[], passphrase=password.encode("utf-8"))
    except (ValueError, TypeError):
        raise UserError(f"{p12} : mot de passe incorrect ou fichier PKCS#12 illisible ; "
                        "vérifiez le mot de passe (rien n'a été écrit).") from None
    if signer.signing_cert is None or signer.signing_key is None:
        raise UserError(f"{p12} : le fichier ne contient pas de clé et de certificat de signature.")
    cert_der = signer.signing_cert.dump()
    cert = x509.load_der_x509_certificate(cert_der)
    at = at or dt.datetime.now(dt.UTC)
    if not cert.not_valid_before_utc <= at <= cert.not_valid_after_utc:
        raise UserError(
            f"{p12} : certificat hors de sa période de validité (du {date_fr(cert.not_valid_before_utc)} au "
            f"{date_fr(cert.not_valid_after_utc)}) ; utilisez un certificat en cours de validité."
        )
    problem = signing_usage_problem(cert)
    if problem:
        raise UserError(f"{p12} : ce certificat ne peut pas signer le paquet ; {problem}. C'est sans doute un "
                        "certificat d'authentification ou de chiffrement : utilisez le certificat de signature du "
                        "signataire (IGC-Santé), ou pour un pilote « convergence keygen ». Rien n'a été écrit.")
    # A full chain file may repeat the signer's own certificate: it is embedded once anyway.
    extra = [c for c in extra if c.public_bytes(Encoding.DER) != cert_der]
    signer.cert_registry.register_multiple([asn1_x509.Certificate.load(c.public_bytes(Encoding.DER)) for c in extra])
    others = [c.dump() for c in signer.cert_registry if c.dump() != cert_der]
    self_issued = cert.issuer == cert.subject and issued_by(cert, cert)
    has_issuer = self_issued or any(issued_by(cert, x509.load_der_x509_certificate(d)) for d in others)
    if chain is not None and not has_issuer:
        raise UserError(f"{chain} ({chain_origin}) ne contient pas le certificat de l'autorité qui a émis le vôtre "
                        f"(« {printable(common_name(cert.issuer))} ») ; donnez le fichier PEM des certificats "
                        "intermédiaires de "
                        "votre autorité (IGC-Santé). Rien n'a été écrit.")
    return Identity(signer, subject_text(cert), cert_der, cert.not_valid_before_utc, cert.not_valid_after_utc,
                    tuple(others), None if has_issuer else common_name(cert.issuer))


def sign_detached(identity: Identity, content: bytes, signing_time: dt.datetime) -> bytes:
    """A DER CMS SignedData over `content`, detached, with the signer's certificate embedded."""
    import asyncio

    from pyhanko.sign.signers.pdf_cms import PdfCMSSignedAttributes

    assert identity.signer is not None, "an identity from load_identity signs; keygen's only describes"
    attrs = PdfCMSSignedAttributes(signing_time=signing_time)
    info = asyncio.run(identity.signer.async_sign_general_data(content, DIGEST, detached=True,
                                                               signed_attr_settings=attrs))
    der: bytes = info.dump()  # asn1crypto has no types
    return der


def keygen_name(name: str) -> str:
    """The signer's name as it goes into the certificate (its common name: 64 characters at most, one
    line, nothing a terminal would act on); a UserError otherwise, before anything is asked or written."""
    name = name.strip()
    if not name:
        raise UserError("keygen : donnez un nom (--name « Prénom Nom, GRADeS »).")
    bad = control_characters(name)
    if bad:
        raise UserError(f"keygen : le nom contient des caractères de contrôle ({', '.join(bad)}) ; un nom tient "
                        "sur une ligne de texte. Rien n'a été écrit.")
    if len(name) > 64:
        raise UserError(f"keygen : nom de {len(name)} caractères ; un certificat en permet 64 au plus "
                        "(« Prénom Nom, GRADeS »). Rien n'a été écrit.")
    return name


def keygen_targets(out: Path) -> tuple[Path, Path]:
    """The PKCS#12 to create and the certificate (.pem) written beside it; refuses, before anything is
    written or asked, an output that is not a .p12 (the certificate would overwrite the key) and any
    file already there (a key or a certificate is never overwritten)."""
    if out.suffix.lower() != ".p12":
        raise UserError(f"keygen : « {out} » doit se terminer par .p12 (le fichier de la clé privée) ; le "
                        f"certificat est écrit à côté en .pem. Exemple : --out {out.with_suffix('.p12').name}. "
                        "Rien n'a été écrit.")
    pem = out.with_suffix(".pem")
    for path, what in ((out, "la clé d'une autre identité"), (pem, "le certificat à écrire à côté de la clé")):
        if os.path.lexists(path):
            raise UserError(f"{path} existe déjà ({what}) ; choisissez un autre nom avec --out ou déplacez ce "
                            "fichier (une clé ou un certificat n'est jamais écrasé ; rien n'a été écrit).")
    return out, pem


def keygen(out: Path, name: str, password: str, *, days: int = 730,
           not_before: dt.datetime | None = None) -> Identity:
    """A self-signed EC P-256 identity for pilots and tests, as a password-protected PKCS#12 (mode 0600)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.serialization import pkcs12
    from cryptography.x509.oid import NameOID

    out, pem = keygen_targets(out)
    name = keygen_name(name)
    if len(password) < 8:
        raise UserError("keygen : mot de passe trop court ; 8 caractères au moins.")
    key = ec.generate_private_key(ec.SECP256R1())
    start = not_before or dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name.strip()),
                         x509.NameAttribute(NameOID.ORGANIZATION_NAME, "convergence-tui (pilote)")])
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + dt.timedelta(days=days))
        .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False, key_cert_sign=False,
                                     crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    blob = pkcs12.serialize_key_and_certificates(
        name.strip().encode("utf-8"), key, cert, None,
        serialization.BestAvailableEncryption(password.encode("utf-8")),
    )
    write_private(out, blob)
    try:
        write_new(pem, cert.public_bytes(serialization.Encoding.PEM), 0o644)
    except BaseException:
        out.unlink(missing_ok=True)  # a key without its certificate is no identity: leave nothing half-made
        raise
    return Identity(None, subject_text(cert), cert.public_bytes(serialization.Encoding.DER),
                    cert.not_valid_before_utc, cert.not_valid_after_utc)


def write_private(path: Path, data: bytes) -> None:
    """Create a file readable by its owner only; never overwrite."""
    write_new(path, data, 0o600)


def write_new(path: Path, data: bytes, mode: int) -> None:
    """Create `path` with `mode`; never overwrite (O_EXCL, so not even a file created meanwhile)."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    except FileExistsError:
        raise UserError(f"{path} existe déjà ; choisissez un autre nom (un certificat n'est jamais écrasé).") from None
    except OSError as exc:
        raise UserError(f"{path} : écriture impossible ({os_reason(exc)}) ; vérifiez le dossier.") from None
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
    except OSError as exc:
        path.unlink(missing_ok=True)
        raise UserError(f"{path} : écriture impossible ({os_reason(exc)}) ; vérifiez la place libre.") from None
