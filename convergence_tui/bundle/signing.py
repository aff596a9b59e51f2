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

from ..errors import UserError

DIGEST = "sha256"


@dataclass(frozen=True)
class Identity:
    signer: object  # pyhanko SimpleSigner
    subject: str
    certificate_der: bytes
    not_before: dt.datetime
    not_after: dt.datetime

    @property
    def fingerprint(self) -> str:
        return hashlib.sha256(self.certificate_der).hexdigest()

    @property
    def certificate_pem(self) -> bytes:
        from cryptography import x509
        from cryptography.hazmat.primitives.serialization import Encoding

        return x509.load_der_x509_certificate(self.certificate_der).public_bytes(Encoding.PEM)


def subject_text(cert) -> str:
    """A certificate's subject as people read it: "Camille Le Goff — GIP e-Santé (FR)"."""
    return name_text(cert.subject)


def name_text(x509_name) -> str:
    """An X.509 name (a subject or an issuer) as people read it."""
    from cryptography.x509.oid import NameOID

    def first(oid) -> str:
        values = x509_name.get_attributes_for_oid(oid)
        return str(values[0].value) if values else ""

    name = first(NameOID.COMMON_NAME) or x509_name.rfc4514_string()
    org = first(NameOID.ORGANIZATION_NAME)
    country = first(NameOID.COUNTRY_NAME)
    return name + (f" — {org}" if org else "") + (f" ({country})" if country else "")


def subject_of_der(der: bytes) -> str:
    from cryptography import x509

    return subject_text(x509.load_der_x509_certificate(der))


def load_identity(p12: Path, password: str, *, at: dt.datetime | None = None) -> Identity:
    """Open a PKCS#12 file; refuse a wrong password or a certificate not valid at `at` (now)."""
    from cryptography import x509
    from pyhanko.sign.signers import SimpleSigner

    try:
        data = p12.read_bytes()
    except FileNotFoundError:
        raise UserError(f"{p12} : certificat de signature introuvable ; donnez le bon fichier avec --p12 "
                        "(ou créez-en un pour un pilote avec « convergence keygen »).") from None
    except OSError as exc:
        raise UserError(f"{p12} : lecture impossible ({exc.strerror}).") from None
    try:
        # One decryption (the key derivation is deliberately slow): pyhanko reads the file itself.
        signer = SimpleSigner.load_pkcs12_data(data, other_certs=[], passphrase=password.encode("utf-8"))
    except (ValueError, TypeError):
        raise UserError(f"{p12} : mot de passe incorrect ou fichier PKCS#12 illisible ; "
                        "vérifiez le mot de passe (rien n'a été écrit).") from None
    if signer.signing_cert is None or signer.signing_key is None:
        raise UserError(f"{p12} : le fichier ne contient pas de clé et de certificat de signature.")
    cert = x509.load_der_x509_certificate(signer.signing_cert.dump())
    at = at or dt.datetime.now(dt.UTC)
    if not cert.not_valid_before_utc <= at <= cert.not_valid_after_utc:
        raise UserError(
            f"{p12} : certificat hors de sa période de validité (du {cert.not_valid_before_utc:%d/%m/%Y} au "
            f"{cert.not_valid_after_utc:%d/%m/%Y}) ; utilisez un certificat en cours de validité."
        )
    return Identity(signer, subject_text(cert), signer.signing_cert.dump(), cert.not_valid_before_utc,
                    cert.not_valid_after_utc)


def sign_detached(identity: Identity, content: bytes, signing_time: dt.datetime) -> bytes:
    """A DER CMS SignedData over `content`, detached, with the signer's certificate embedded."""
    import asyncio

    from pyhanko.sign.signers.pdf_cms import PdfCMSSignedAttributes

    attrs = PdfCMSSignedAttributes(signing_time=signing_time)
    info = asyncio.run(identity.signer.async_sign_general_data(content, DIGEST, detached=True,
                                                               signed_attr_settings=attrs))
    return info.dump()


def keygen(out: Path, name: str, password: str, *, days: int = 730,
           not_before: dt.datetime | None = None) -> Identity:
    """A self-signed EC P-256 identity for pilots and tests, as a password-protected PKCS#12 (mode 0600)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.serialization import pkcs12
    from cryptography.x509.oid import NameOID

    if not name.strip():
        raise UserError("keygen : donnez un nom (--name « Prénom Nom, GRADeS »).")
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
    pem = out.with_suffix(".pem")
    pem.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return Identity(None, subject_text(cert), cert.public_bytes(serialization.Encoding.DER),
                    cert.not_valid_before_utc, cert.not_valid_after_utc)


def write_private(path: Path, data: bytes) -> None:
    """Create a file readable by its owner only; never overwrite."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise UserError(f"{path} existe déjà ; choisissez un autre nom (un certificat n'est jamais écrasé).") from None
    except OSError as exc:
        raise UserError(f"{path} : écriture impossible ({exc.strerror}) ; vérifiez le dossier.") from None
    with os.fdopen(fd, "wb") as f:
        f.write(data)
