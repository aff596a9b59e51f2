"""What `convergence verify` prints about a bundle that passed: only what was proven or recomputed
(DESIGN.md §6). Who signed comes from the certificate, never from the manifest; every value that
came from the bundle is shown through `printable()`, so that no name or label can move the cursor,
colour the terminal, hide text or forge a line of the verdict.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from .. import __version__
from ..escaping import printable
from ..referentiel.values import REGIONS
from ..wording import counted, date_fr, datetime_fr
from .signature import authenticated_by

OFFICIAL = "official"  # Verified.questionnaire for a known official file


@dataclass(frozen=True)
class CertificateFacts:
    subject: str
    issuer: str
    serial: str  # hexadecimal, as openssl prints it
    fingerprint: str  # SHA-256 of the DER certificate


def certificate_facts(der: bytes) -> CertificateFacts:
    from cryptography import x509

    from .signing import name_text

    cert = x509.load_der_x509_certificate(der)
    return CertificateFacts(name_text(cert.subject), name_text(cert.issuer), f"{cert.serial_number:X}",
                            hashlib.sha256(der).hexdigest())


@dataclass(frozen=True)
class Verified:
    manifest: dict[str, Any]
    answers: dict[str, Any]
    scores: dict[str, Any]
    signer_subject: str  # from the certificate
    fingerprint: str  # SHA-256 of the signer's certificate
    trusted: bool
    signer_issuer: str = ""
    signer_serial: str = ""
    questionnaire: str = OFFICIAL  # OFFICIAL, or the name of the file it was found equal to
    blockers: int = 0  # what blocks a final export, recomputed (0 for a final bundle)
    derived_compared: bool = True  # services.csv, plan.csv, rapport.html regenerated and equal
    report: bytes = field(default=b"", repr=False)  # rapport.html regenerated from the data
    # When trusted: the anchor the path starts from (its file, where it was named), the names down to the signer.
    anchor: str = ""
    path: tuple[str, ...] = ()

    def summary(self) -> str:
        m, c = self.manifest, self.answers["campaign"]
        p = printable
        region = c["region"]
        region_text = f"{p(region)} ({REGIONS[region]})" if region in REGIONS else p(region or "non renseignée")
        lines = [
            f"Paquet valide : région {region_text}, campagne {p(c['label'])}, niveaux dus au "
            f"{p(date_fr(c['reference_date']))}.",
            f"Signé par (d'après le certificat) : {p(self.signer_subject)} ; émetteur : {p(self.signer_issuer)} ; "
            f"n° de série {p(self.signer_serial)}.",
            f"Certificat SHA-256 : {p(self.fingerprint)}",
        ]
        if self.trusted:
            lines.append("Identité : signataire reconnu — le certificat est, ou remonte à, un certificat de "
                         "confiance.")
            lines.append(authenticated_by(self.anchor, self.path))
        else:
            lines.append("Identité : signataire NON authentifié — aucun certificat de confiance n'a été donné "
                         "(--trust CERT.pem, ou le réglage trust) ; seule l'intégrité du paquet est prouvée, pas "
                         "l'identité de son signataire.")
        lines.append(f"Date de signature : {p(datetime_fr(m['created_at']))}, déclarée par le signataire (non "
                     "horodatée), dans la validité du certificat et pas avant le début du semestre.")
        if m["draft"] and self.blockers:
            n = self.blockers
            nature = (f"BROUILLON ({n} point{'s bloquent' if n > 1 else ' bloque'} encore l'export définitif, "
                      f"recalculé{'s' if n > 1 else ''})")
        elif m["draft"]:
            nature = "BROUILLON (plus rien ne bloque l'export définitif, recalculé)"
        else:
            nature = "soumission définitive (aucun point bloquant, recalculé)"
        validation = m["validation"]
        if validation:
            nature += (f" ; validée par {p(validation['name'])} ({p(validation['role'])}) le "
                       f"{p(datetime_fr(validation['at']))}, "
                       "validation enregistrée dans les réponses et couvrant ces réponses")
        lines.append(f"Nature : {nature}.")
        ref = m["referentiel"]
        named = f"{p(ref['id'])} {p(ref['version'])}"
        if self.questionnaire == OFFICIAL:
            lines.append(f"Questionnaire : {named}, version officielle connue de l'outil (SHA-256 {p(ref['sha256'])}).")
        else:
            lines.append(f"Questionnaire : {named}, NON officiel — identique à {p(self.questionnaire)}, et à lui "
                         "seul.")
        lines.append(f"Scores recalculés à l'identique : {counted(len(self.scores['services']), 'service')}.")
        if self.derived_compared:
            lines.append("services.csv, plan.csv et rapport.html régénérés depuis les réponses : identiques.")
        else:
            tool = f"{p(m['tool']['name'])} {p(m['tool']['version'])}"
            lines.append(f"services.csv, plan.csv et rapport.html NON comparés : paquet écrit par {tool}, vérifié "
                         f"par convergence-tui {__version__} ; ne lisez pas ces fichiers, lisez le rapport régénéré "
                         "depuis les données (verify --report FICHIER).")
        return "\n".join(lines)
