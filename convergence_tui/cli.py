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
    handler = {"demo": cmd_demo, "import": cmd_import, "status": cmd_status, "signoff": cmd_signoff}[args.command]
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
