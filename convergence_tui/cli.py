"""The `convergence` command. Every subcommand calls session or bundle code; the
TUI is one more entry point over the same use cases.

Exit codes: 0 success, 1 failed verification, 2 bad usage or bad input,
3 `status --check` found what blocks a final export.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from . import __version__
from .errors import UserError


class FrenchParser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse prints English usage errors; ours are French
        self.print_usage(sys.stderr)
        raise UserError(f"convergence : {message} ; voir « convergence --help ».")


def _common(parser: argparse.ArgumentParser, *, top: bool) -> None:
    # Accepted before and after the subcommand; the subcommand's copy must not
    # overwrite a value given before it, hence SUPPRESS there.
    default = None if top else argparse.SUPPRESS
    parser.add_argument("--db", type=Path, default=default, help="fichier de campagne (défaut : $CONVERGENCE_DB "
                        "ou le dossier de données de l'utilisateur)")
    parser.add_argument("--referentiel", type=Path, default=default, help="questionnaire à utiliser à la place "
                        "de celui fourni")


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"date invalide « {text} », attendu AAAA-MM-JJ") from None


def build_parser() -> argparse.ArgumentParser:
    p = FrenchParser(prog="convergence", description="Auto-évaluation Convergence hors ligne.")
    p.add_argument("--version", action="version", version=f"convergence-tui {__version__}")
    p.add_argument("--review", action="store_true", help="ouvrir l'écran de revue en lecture seule")
    _common(p, top=True)
    sub = p.add_subparsers(dest="command", parser_class=FrenchParser, metavar="COMMANDE")

    s = sub.add_parser("demo", help="créer une campagne fictive réaliste (≈ 20 services)")
    _common(s, top=False)
    s.add_argument("--services", type=int, default=None, help=argparse.SUPPRESS)  # benchmarks
    s.add_argument("--actions", type=int, default=None, help=argparse.SUPPRESS)

    s = sub.add_parser("referentiel", help="questionnaire : vérifier un fichier")
    rsub = s.add_subparsers(dest="ref_command", parser_class=FrenchParser, metavar="ACTION", required=True)
    c = rsub.add_parser("check", help="valider un questionnaire et lister toutes ses erreurs")
    c.add_argument("file", nargs="?", type=Path, help="fichier (défaut : le questionnaire fourni)")
    _common(c, top=False)

    s = sub.add_parser("import", help="charger un document de réponses (.json) ou un paquet (.zip)")
    s.add_argument("file", type=Path)
    s.add_argument("--replace", action="store_true", help="remplacer une campagne qui a déjà des réponses")
    s.add_argument("--trust", type=Path, help="certificat de confiance pour vérifier un paquet")
    _common(s, top=False)

    s = sub.add_parser("status", help="complétude et scores")
    s.add_argument("--json", action="store_true", help="imprimer le document des scores")
    s.add_argument("--date", type=_date, help="date de référence AAAA-MM-JJ (défaut : celle de la campagne)")
    s.add_argument("--check", action="store_true", help="code 3 si quelque chose bloque l'export définitif")
    _common(s, top=False)

    s = sub.add_parser("export", help="écrire le paquet signé pour l'ANS")
    s.add_argument("--out", type=Path, default=Path("exports"), help="dossier de sortie (défaut : exports)")
    s.add_argument("--p12", type=Path, default=None, help="certificat de signature PKCS#12 (défaut : "
                   "$CONVERGENCE_P12)")
    s.add_argument("--draft", action="store_true", help="exporter un brouillon malgré ce qui manque")
    _common(s, top=False)

    s = sub.add_parser("verify", help="vérifier un paquet : signature, empreintes, questionnaire, affirmations, "
                       "scores et fichiers dérivés")
    s.add_argument("bundle", type=Path)
    s.add_argument("--trust", type=Path, help="certificat(s) de confiance, PEM")
    s.add_argument("--report", type=Path, help="écrire dans ce fichier (nouveau) le rapport HTML régénéré depuis "
                   "les données du paquet")
    _common(s, top=False)

    s = sub.add_parser("keygen", help="créer une identité de signature auto-signée (pilotes, tests)")
    s.add_argument("--out", type=Path, required=True, help="fichier .p12 à créer (le certificat .pem est écrit à "
                   "côté)")
    s.add_argument("--name", required=True, help="nom du signataire")

    s = sub.add_parser("migrate", help="passer la campagne à la version chargée du questionnaire (réponses gardées)")
    _common(s, top=False)

    s = sub.add_parser("restore", help="lister les sauvegardes, ou en remettre une en place")
    s.add_argument("number", nargs="?", type=int, help="numéro de la sauvegarde à remettre (voir la liste)")
    _common(s, top=False)

    s = sub.add_parser("signoff", help="valider la campagne (responsable d'équipe)")
    s.add_argument("--name", required=True, help="nom du responsable")
    s.add_argument("--role", required=True, help="fonction (ex. responsable délégué(e))")
    _common(s, top=False)
    return p


def resolve_db(args: argparse.Namespace) -> Path:
    from .paths import default_db

    return args.db if args.db is not None else default_db()


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        return _dispatch(args)
    except UserError as exc:
        print(str(exc), file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("Interrompu.", file=sys.stderr)
        return 130


def _dispatch(args: argparse.Namespace) -> int:
    if args.command is None:
        from .app import run_app

        return run_app(resolve_db(args), args.referentiel, review=args.review)
    if args.command == "referentiel":
        return cmd_referentiel_check(args)
    handler = {"demo": cmd_demo, "import": cmd_import, "status": cmd_status, "signoff": cmd_signoff,
               "export": cmd_export, "verify": cmd_verify, "keygen": cmd_keygen, "migrate": cmd_migrate,
               "restore": cmd_restore}[args.command]
    return handler(args)


def cmd_referentiel_check(args: argparse.Namespace) -> int:
    from .referentiel import default_path, load

    path = args.file or args.referentiel or default_path()
    ref = load(path)
    n_questions = sum(len(s.questions) for s in ref.sections)
    print(
        f"{path} : questionnaire valide — {ref.referentiel.id} {ref.referentiel.version}, "
        f"{len(ref.axes)} axes, {len(ref.categories)} catégories, {len(ref.criteria)} critères, "
        f"{len(ref.sections)} sections, {n_questions} questions."
    )
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from .demo import make_demo

    db = resolve_db(args)
    summary = make_demo(db, args.referentiel, services=args.services, actions=args.actions)
    print(f"Campagne de démonstration créée : {db} ({summary}).")
    print(f"Ouvrez-la avec : convergence --db {db}")
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from .session import Session

    db = resolve_db(args)
    source = args.file
    if not source.is_file():
        raise UserError(f"{source} : fichier introuvable ; vérifiez le chemin.")
    if source.suffix.lower() == ".zip":
        from .bundle.reader import read_bundle_answers

        obj = read_bundle_answers(source, args.referentiel, trust=args.trust)
    else:
        from .campaign.answers import parse_json

        obj = parse_json(source.read_bytes(), str(source))
    create = not db.exists() or db.stat().st_size == 0
    if create:
        from .referentiel import load

        ref = load(args.referentiel)
        session = Session.create(db, ref, author=_author_from(obj))
    else:
        session = Session.open(db, args.referentiel)
        session.backup()  # before replacing anything
    with session:
        try:
            incoming = session.import_document(obj, str(source), replace=args.replace)
        except BaseException:
            if create:
                session.close()
                db.unlink(missing_ok=True)
                for suffix in ("-wal", "-shm"):
                    Path(f"{db}{suffix}").unlink(missing_ok=True)
            raise
        n_services = sum(1 for i in incoming.items.values() if i.kind == "service")
        flagged = session.problems()
        print(f"Importé dans {db} : {n_services} services, {len(incoming.cells)} réponses.")
        if flagged:
            print(f"{len(flagged)} point(s) à compléter avant l'export définitif (voir « convergence status »).")
    return 0


def _author_from(obj: object) -> str:
    if isinstance(obj, dict):
        name = (obj.get("answers") or {}).get("delegate_name") if isinstance(obj.get("answers"), dict) else None
        if isinstance(name, str) and name.strip():
            return name.strip()
    return "import"


def cmd_signoff(args: argparse.Namespace) -> int:
    from .review import sign_off
    from .session import Session

    with Session.open(resolve_db(args), args.referentiel) as session:
        session.backup()
        record = sign_off(session, args.name, args.role)
        left = session.problems()
    print(f"Campagne validée par {record['name']} ({record['role']}) le {record['at']}.")
    if left:
        print(f"Attention : {len(left)} point(s) restent à compléter ; l'export définitif les refusera "
              "(voir « convergence status »).")
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    from .report.text import status_text
    from .session import Session

    from .review import export_blockers

    with Session.open(resolve_db(args), args.referentiel, readonly=True) as session:
        if args.date:
            session.use_date(args.date)
        problems = export_blockers(session)
        if args.json:
            doc = session.scores_document()
            doc["problems"] = [p.to_json() for p in problems]
            # Compact: with indent, the json module falls back to its pure-Python encoder.
            sys.stdout.write(json.dumps(doc, ensure_ascii=False) + "\n")
        else:
            sys.stdout.write(status_text(session, problems))
    if args.check and problems:
        return 3
    return 0


PASSWORD_ENV = "CONVERGENCE_P12_PASSWORD"


def read_password(prompt: str, *, twice: bool = False) -> str:
    """From CONVERGENCE_P12_PASSWORD, else typed (masked) at the terminal. Never stored, never logged."""
    import os

    value = os.environ.get(PASSWORD_ENV)
    if value is not None:
        return value
    if not sys.stdin.isatty():
        raise UserError(f"Mot de passe du certificat requis : tapez-le dans un terminal ou mettez-le dans {PASSWORD_ENV}.")
    import getpass

    first = getpass.getpass(prompt)
    if twice and getpass.getpass("Confirmez : ") != first:
        raise UserError("Les deux mots de passe diffèrent ; rien n'a été créé.")
    return first


def cmd_keygen(args: argparse.Namespace) -> int:
    from .bundle.signing import keygen

    password = read_password("Mot de passe du nouveau certificat : ", twice=True)
    identity = keygen(args.out, args.name, password)
    print(f"Identité créée : {args.out} (clé privée, accès réservé à vous) et {args.out.with_suffix('.pem')} "
          "(certificat à donner au destinataire).")
    print(f"Sujet : {identity.subject}")
    print(f"Empreinte SHA-256 du certificat : {identity.fingerprint}")
    print(f"Valable jusqu'au {identity.not_after:%d/%m/%Y}.")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    import os

    from .exporting import blockers_for, export
    from .session import Session

    p12 = args.p12 or (Path(os.environ["CONVERGENCE_P12"]) if os.environ.get("CONVERGENCE_P12") else None)
    if p12 is None:
        raise UserError("Export : indiquez le certificat de signature avec --p12 FICHIER.p12 (ou CONVERGENCE_P12).")
    with Session.open(resolve_db(args), args.referentiel, readonly=True) as session:
        problems = blockers_for(session, args.draft)  # refuse before asking for a password
        password = read_password(f"Mot de passe de {p12} : ")
        result = export(session, args.out, p12, password, draft=args.draft, problems=problems,
                        progress=lambda step: print(f"… {step}", file=sys.stderr))
    kind = f"BROUILLON ({result.missing} point(s) à compléter)" if result.draft else "soumission définitive"
    print(f"Paquet écrit et vérifié : {result.path}")
    print(f"Nature : {kind}")
    print(f"Empreinte SHA-256 du certificat signataire : {result.fingerprint}")
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    from .bundle.verify import load_trust, questionnaire_file, verify_bundle, write_report

    trust = load_trust(args.trust) if args.trust else None
    # --referentiel names the questionnaire to compare with (a pilot's own, or one this version does not know).
    compare_with = questionnaire_file(args.referentiel) if args.referentiel else None
    if args.report and args.report.exists():
        raise UserError(f"{args.report} existe déjà ; choisissez un autre nom pour le rapport (--report).")
    verified = verify_bundle(args.bundle, trust, compare_with=compare_with, report=args.report is not None)
    print(verified.summary())
    if args.report:
        write_report(args.report, verified.report)
        print(f"Rapport régénéré depuis les données du paquet : {args.report}")
    return 0


def cmd_migrate(args: argparse.Namespace) -> int:
    from .campaign.orphans import find_orphans
    from .session import Session

    db = resolve_db(args)
    with Session.open(db, args.referentiel, readonly=True) as before:
        old = (before.meta().get("referentiel_version"), before.meta().get("referentiel_sha256"))
    with Session.open(db, args.referentiel, migrate=True) as session:
        orphans = find_orphans(session.data)
        version = session.ref.referentiel.version
    if old[1] == session.ref.sha256:
        print(f"{db} suit déjà le questionnaire {version} : rien à faire.")
        return 0
    print(f"{db} suit maintenant le questionnaire {version} (avant : {old[0]}). Aucune réponse supprimée.")
    if orphans:
        print(f"{len(orphans)} réponse(s) ne correspondent plus au questionnaire : gardées, listées par "
              "« convergence status ».")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    from .store.backups import list_backups, restore

    db = resolve_db(args)
    backups = list_backups(db)
    if not backups:
        print(f"Aucune sauvegarde de {db} (une copie est faite à chaque ouverture en écriture).")
        return 0
    if args.number is None:
        print(f"Sauvegardes de {db}, de la plus récente à la plus ancienne :")
        for n, b in enumerate(backups, 1):
            services = "?" if b.services is None else b.services
            print(f"  {n}  {b.taken:%d/%m/%Y %H:%M:%S} UTC  {b.size // 1024} Kio  {services} services")
        print("Remettre l'une d'elles en place : convergence restore --db … NUMÉRO")
        return 0
    if not 1 <= args.number <= len(backups):
        raise UserError(f"Sauvegarde n° {args.number} inconnue ; choisissez entre 1 et {len(backups)}.")
    chosen = backups[args.number - 1]
    kept = restore(db, chosen.path)
    print(f"{db} restauré depuis la sauvegarde du {chosen.taken:%d/%m/%Y %H:%M:%S} UTC.")
    if kept:
        print(f"Le fichier remplacé est gardé : {kept} (visible dans « convergence restore »).")
    return 0
