"""The `convergence` command. Every subcommand calls session or bundle code; the
TUI is one more entry point over the same use cases.

Exit codes: 0 success, 1 failed verification, 2 bad usage or bad input,
3 `status --check` found what blocks a final export.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from . import __version__
from .errors import UserError
from .escaping import json_printable, printable


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
    s.add_argument("--trust", type=Path, action="append", help="certificat(s) de confiance (PEM) pour authentifier "
                   "le signataire d'un paquet ; répétable (défaut : le réglage trust)")
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
    s.add_argument("--chain", type=Path, default=None, help="certificats intermédiaires de votre autorité (PEM), "
                   "joints à la signature (défaut : le réglage chain)")
    _common(s, top=False)

    s = sub.add_parser("verify", help="vérifier un paquet : signature, empreintes, questionnaire, affirmations, "
                       "scores et fichiers dérivés")
    s.add_argument("bundle", type=Path)
    s.add_argument("--trust", type=Path, action="append", help="certificat(s) de confiance (PEM) : la racine de "
                   "l'autorité des signataires ; répétable (défaut : le réglage trust)")
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


class _Printable(io.TextIOBase):
    """The CLI's stdout and stderr: everything printed has its control characters escaped (names,
    labels and comments come from files: they must not move the cursor, colour the terminal or
    forge a line of a verdict), and a reader that stops reading (`… | head -3`) ends the output
    quietly instead of with a traceback; the command still finishes and returns its own code."""

    def __init__(self, stream) -> None:
        super().__init__()
        self.stream = stream
        self.closed_by_reader = False

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        if not self.closed_by_reader:
            try:
                self.stream.write(printable(text, multiline=True))
            except BrokenPipeError:
                self._reader_gone()
        return len(text)

    def flush(self) -> None:
        if not self.closed_by_reader:
            try:
                self.stream.flush()
            except BrokenPipeError:
                self._reader_gone()

    def isatty(self) -> bool:
        return self.stream.isatty()

    def fileno(self) -> int:
        return self.stream.fileno()

    def _reader_gone(self) -> None:
        self.closed_by_reader = True
        # Python flushes the real stream again at exit: point it at /dev/null so that final flush
        # has nowhere to fail.
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, self.stream.fileno())
            os.close(devnull)
        except (OSError, ValueError):
            pass


def resolve_db(args: argparse.Namespace) -> Path:
    from .paths import default_db

    return args.db if args.db is not None else default_db()


def main(argv: Sequence[str] | None = None) -> int:
    # The TUI writes to the terminal through Textual (sys.__stderr__), never through these.
    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = _Printable(sys.stdout), _Printable(sys.stderr)
    try:
        parser = build_parser()
        try:
            args = parser.parse_args(argv)
            return _dispatch(args)
        except UserError as exc:
            print(printable(str(exc), multiline=True), file=sys.stderr)
            return exc.exit_code
        except KeyboardInterrupt:
            print("Interrompu.", file=sys.stderr)
            return 130
    finally:
        sys.stdout.flush()
        sys.stdout, sys.stderr = saved


def _dispatch(args: argparse.Namespace) -> int:
    if args.command is None:
        from .app import run_app

        if isinstance(sys.stdout, _Printable):  # the terminal is Textual's now
            sys.stdout, sys.stderr = sys.stdout.stream, sys.stderr.stream
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
    from .usecases.demo import make_demo

    db = resolve_db(args)
    summary = make_demo(db, args.referentiel, services=args.services, actions=args.actions)
    print(f"Campagne de démonstration créée : {db} ({summary}).")
    print(f"Ouvrez-la avec : convergence --db {db}")
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from .usecases.session import Session

    db = resolve_db(args)
    source = args.file
    if not source.is_file():
        raise UserError(f"{source} : fichier introuvable ; vérifiez le chemin.")
    signed_by: list[str] = []
    if source.suffix.lower() == ".zip":
        from .bundle.reader import read_bundle

        verified = read_bundle(source, args.referentiel, trust=trust_anchors(args))
        obj = verified.answers
        signed_by = signer_lines(verified)
    else:
        from .campaign.answers import parse_json

        obj = parse_json(source.read_bytes(), str(source))

    def load_into(session: Session) -> tuple[int, int, int]:
        incoming = session.import_document(obj, str(source), replace=args.replace)
        n_services = sum(1 for i in incoming.items.values() if i.kind == "service")
        return n_services, len(incoming.cells), len(session.problems())

    if not db.exists() or db.stat().st_size == 0:
        from .referentiel import load

        # Built under a temporary name: a document refused half way leaves no file behind.
        with Session.creating(db, load(args.referentiel), author=_author_from(obj)) as session:
            n_services, n_cells, flagged = load_into(session)
    else:
        with Session.open(db, args.referentiel) as session:
            backup_or_say(session)  # before replacing anything
            n_services, n_cells, flagged = load_into(session)
    for line in signed_by:
        print(line)
    print(f"Importé dans {db} : {n_services} services, {n_cells} réponses.")
    if flagged:
        print(f"{flagged} point(s) à compléter avant l'export définitif (voir « convergence status »).")
    return 0


def _author_from(obj: object) -> str:
    if isinstance(obj, dict):
        name = (obj.get("answers") or {}).get("delegate_name") if isinstance(obj.get("answers"), dict) else None
        if isinstance(name, str) and name.strip():
            return name.strip()
    return "import"


def cmd_signoff(args: argparse.Namespace) -> int:
    from .usecases.review import sign_off
    from .usecases.session import Session

    with Session.open(resolve_db(args), args.referentiel) as session:
        backup_or_say(session)
        record = sign_off(session, args.name, args.role)
        left = session.problems()
    print(f"Campagne validée par {record['name']} ({record['role']}) le {record['at']}.")
    if left:
        print(f"Attention : {len(left)} point(s) restent à compléter ; l'export définitif les refusera "
              "(voir « convergence status »).")
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    from .report.text import status_text
    from .usecases.review import export_blockers
    from .usecases.session import Session

    with Session.open(resolve_db(args), args.referentiel, readonly=True) as session:
        if args.date:
            session.use_date(args.date)
        problems = export_blockers(session)
        if args.json:
            doc = session.scores_document()
            doc["problems"] = [p.to_json() for p in problems]
            # Compact: with indent, the json module falls back to its pure-Python encoder.
            sys.stdout.write(json_printable(json.dumps(doc, ensure_ascii=False)) + "\n")
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
        raise UserError("Mot de passe du certificat requis : tapez-le dans un terminal ou mettez-le dans "
                        f"{PASSWORD_ENV}.")
    import getpass

    first = getpass.getpass(prompt)
    if twice and getpass.getpass("Confirmez : ") != first:
        raise UserError("Les deux mots de passe diffèrent ; rien n'a été créé.")
    return first


def cmd_keygen(args: argparse.Namespace) -> int:
    from .bundle.signing import keygen, keygen_name, keygen_targets

    keygen_targets(args.out)  # refuse before asking for a password
    keygen_name(args.name)
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

    from .usecases.exporting import blockers_for, export
    from .usecases.session import Session

    p12 = args.p12 or (Path(os.environ["CONVERGENCE_P12"]) if os.environ.get("CONVERGENCE_P12") else None)
    if p12 is None:
        raise UserError("Export : indiquez le certificat de signature avec --p12 FICHIER.p12 (ou CONVERGENCE_P12).")
    chain, chain_origin = args.chain, "--chain"
    if chain is None:
        settings = load_settings("Aucune chaîne de certificats n'en a été lue.")
        if settings.chain:
            chain, chain_origin = settings.path_of(settings.chain), f"réglage chain de {settings.origin}"
    with Session.open(resolve_db(args), args.referentiel, readonly=True) as session:
        problems = blockers_for(session, args.draft)  # refuse before asking for a password
        password = read_password(f"Mot de passe de {p12} : ")
        result = export(session, args.out, p12, password, draft=args.draft, problems=problems,
                        progress=lambda step: print(f"… {step}", file=sys.stderr), chain=chain,
                        chain_origin=chain_origin)
    kind = f"BROUILLON ({result.missing} point(s) à compléter)" if result.draft else "soumission définitive"
    print(f"Paquet écrit et vérifié : {result.path}")
    print(f"Nature : {kind}")
    print(f"Empreinte SHA-256 du certificat signataire : {result.fingerprint}")
    if result.questionnaire != "official":
        from .report.text import PIN_WORDS

        print(f"Attention, questionnaire {PIN_WORDS[result.questionnaire]}.")
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    from .bundle.verify import questionnaire_file, verify_bundle, write_report

    # --referentiel names the questionnaire to compare with (a pilot's own, or one this version does not know).
    compare_with = questionnaire_file(args.referentiel) if args.referentiel else None
    if args.report and args.report.exists():
        raise UserError(f"{args.report} existe déjà ; choisissez un autre nom pour le rapport (--report).")
    verified = verify_bundle(args.bundle, trust_anchors(args), compare_with=compare_with,
                             report=args.report is not None)
    print(verified.summary())
    if args.report:
        write_report(args.report, verified.report)
        print(f"Rapport régénéré depuis les données du paquet : {args.report}")
    return 0


def backup_or_say(session) -> None:
    """A copy before a change; one that cannot be made (its folder full) is said, and the change goes
    on: it is journaled and can be undone."""
    try:
        session.backup()
    except UserError as exc:
        print(f"Attention : {exc.message} La modification est faite quand même (elle reste annulable).",
              file=sys.stderr)


def trust_anchors(args: argparse.Namespace):
    """The certificates `--trust` names, else those of the settings file's `trust` (set once by the
    ANS), else None: the signature is then checked, its signer not authenticated."""
    from .bundle.verify import load_trust

    if args.trust:
        return load_trust(args.trust, "--trust")
    from .config import Settings

    settings = Settings.load()
    if settings.problem:
        # It may name the trust anchors: verifying without them would say "not authenticated" where
        # the person expects "authenticated", and a script would take the bundle. Stop instead.
        raise UserError(f"{settings.problem} Ses certificats de confiance (réglage trust) ne peuvent donc pas être "
                        "lus : corrigez-le, ou donnez les certificats avec --trust.")
    if not settings.trust:
        return None
    return load_trust([settings.path_of(t) for t in settings.trust], f"réglage trust de {settings.origin}")


def load_settings(unread: str):
    """The settings file; one that cannot be read is said on stderr (with what was therefore not
    used) and the defaults apply, as in the TUI."""
    from .config import Settings

    settings = Settings.load()
    if settings.problem:
        print(f"Attention : {settings.problem} {unread}", file=sys.stderr)
    return settings


def signer_lines(verified) -> list[str]:
    """Who signed a bundle, from its certificate (never from its manifest), and whether a trust anchor
    authenticated them."""
    from .bundle.signature import authenticated_by
    from .escaping import printable

    lines = [f"Paquet vérifié, signé par {printable(verified.signer_subject)} (certificat SHA-256 "
             f"{verified.fingerprint})."]
    if verified.trusted:
        lines.append(authenticated_by(verified.anchor, verified.path))
    else:
        lines.append("Signataire NON authentifié : aucun certificat de confiance (--trust, ou le réglage trust) ; "
                     "la signature prouve seulement que le paquet n'a pas changé depuis sa signature, pas qui "
                     "l'a signé.")
    return lines


def cmd_migrate(args: argparse.Namespace) -> int:
    from .campaign.orphans import find_orphans
    from .usecases.session import Session

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
