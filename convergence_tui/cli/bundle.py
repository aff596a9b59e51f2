"""The commands on signed bundles and identities: keygen, export, verify (and the trust anchors import uses)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..errors import UserError, counted
from .common import resolve_db

PASSWORD_ENV = "CONVERGENCE_P12_PASSWORD"


def read_password(prompt: str, *, twice: bool = False) -> str:
    """From CONVERGENCE_P12_PASSWORD, else typed (masked) at the terminal. Never stored, never logged."""
    import os

    value = os.environ.get(PASSWORD_ENV)
    if value is not None:
        return value
    if not sys.stdin.isatty():
        raise UserError("Mot de passe du certificat requis : tapez-le dans un terminal ou mettez-le dans "
                        f"{PASSWORD_ENV}.")
    import getpass

    first = getpass.getpass(prompt)
    if twice and getpass.getpass("Confirmez : ") != first:
        raise UserError("Les deux mots de passe diffèrent ; rien n'a été créé.")
    return first


def cmd_keygen(args: argparse.Namespace) -> int:
    from ..bundle.signing import keygen, keygen_name, keygen_targets
    from ..wording import date_fr

    keygen_targets(args.out)  # refuse before asking for a password
    keygen_name(args.name)
    password = read_password("Mot de passe du nouveau certificat : ", twice=True)
    identity = keygen(args.out, args.name, password)
    print(f"Identité créée : {args.out} (clé privée, accès réservé à vous) et {args.out.with_suffix('.pem')} "
          "(certificat à donner au destinataire).")
    print(f"Sujet : {identity.subject}")
    print(f"Empreinte SHA-256 du certificat : {identity.fingerprint}")
    print(f"Valable jusqu'au {date_fr(identity.not_after)}.")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    import os

    from ..usecases.exporting import blockers_for, export, outcome_lines
    from ..usecases.session import Session

    p12 = args.p12 or (Path(os.environ["CONVERGENCE_P12"]) if os.environ.get("CONVERGENCE_P12") else None)
    if p12 is None:
        raise UserError("Export : indiquez le certificat de signature avec --p12 FICHIER.p12 (ou CONVERGENCE_P12).")
    chain, chain_origin = args.chain, "--chain"
    if chain is None:
        settings = load_settings("Aucune chaîne de certificats n'en a été lue.")
        if settings.chain:
            chain, chain_origin = settings.path_of(settings.chain), f"réglage chain de {settings.origin}"
    with Session.open(resolve_db(args), args.referentiel, readonly=True) as session:
        problems = blockers_for(session, args.draft, details=args.details)  # refuse before asking for a password
        password = read_password(f"Mot de passe de {p12} : ")
        result = export(session, args.out, p12, password, draft=args.draft, problems=problems,
                        progress=lambda step: print(f"… {step}", file=sys.stderr), chain=chain,
                        chain_origin=chain_origin)
    for line in outcome_lines(result, problems):
        print(line)
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    from ..bundle.verify import questionnaire_file, verify_bundle, write_report

    bundles: list[Path] = args.bundles
    if args.report and len(bundles) > 1:
        raise UserError(f"--report écrit le rapport d'un seul paquet ; {len(bundles)} sont donnés : vérifiez avec "
                        "--report le paquet dont vous voulez le rapport, seul.")
    # --referentiel names the questionnaire to compare with (a pilot's own, or one this version does not know).
    compare_with = questionnaire_file(args.referentiel) if args.referentiel else None
    if args.report and args.report.exists():
        raise UserError(f"{args.report} existe déjà ; choisissez un autre nom pour le rapport (--report).")
    anchors = trust_anchors(args)
    if len(bundles) == 1:
        verified = verify_bundle(bundles[0], anchors, compare_with=compare_with, report=args.report is not None)
        print(verified.summary())
        if args.report:
            write_report(args.report, verified.report)
            print(f"Rapport régénéré depuis les données du paquet : {args.report}")
        return 0
    # Several (a shell pattern such as exports/53-2026-S2-*.zip): each its own verdict, the refusals
    # on stderr as for one bundle, then the count; the worst exit code (1 refused, 2 not found).
    refused: list[tuple[Path, int]] = []
    for n, bundle in enumerate(bundles, 1):
        if n > 1:
            print()
        print(f"[{n}/{len(bundles)}] {bundle}")
        sys.stdout.flush()
        try:
            print(verify_bundle(bundle, anchors, compare_with=compare_with).summary())
        except UserError as exc:
            print(f"REFUSÉ — {exc}", file=sys.stderr)
            sys.stderr.flush()
            refused.append((bundle, exc.exit_code))
    valid = len(bundles) - len(refused)
    print(f"\n{len(bundles)} paquets vérifiés : {counted(valid, 'valide')}, {counted(len(refused), 'refusé')}"
          + (" (" + ", ".join(str(b) for b, _ in refused) + ")." if refused else "."))
    return max((code for _, code in refused), default=0)


def trust_anchors(args: argparse.Namespace):
    """The certificates `--trust` names, else those of the settings file's `trust` (set once by the
    ANS), else None: the signature is then checked, its signer not authenticated."""
    from ..bundle.verify import load_trust

    if args.trust:
        return load_trust(args.trust, "--trust")
    from ..config import Settings
    from ..usecases.comparing import trust_from_settings

    return trust_from_settings(Settings.load())


def load_settings(unread: str):
    """The settings file; one that cannot be read is said on stderr (with what was therefore not
    used) and the defaults apply, as in the TUI."""
    from ..config import Settings

    settings = Settings.load()
    if settings.problem:
        print(f"Attention : {settings.problem} {unread}", file=sys.stderr)
    return settings


def signer_lines(verified) -> list[str]:
    """Who signed a bundle, from its certificate (never from its manifest), and whether a trust anchor
    authenticated them."""
    from ..bundle.signature import authenticated_by
    from ..escaping import printable

    lines = [f"Paquet vérifié, signé par {printable(verified.signer_subject)} (certificat SHA-256 "
             f"{verified.fingerprint})."]
    if verified.trusted:
        lines.append(authenticated_by(verified.anchor, verified.path))
    else:
        lines.append("Signataire NON authentifié : aucun certificat de confiance (--trust, ou le réglage trust) ; "
                     "la signature prouve seulement que le paquet n'a pas changé depuis sa signature, pas qui "
                     "l'a signé.")
    return lines
