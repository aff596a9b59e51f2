"""The `convergence` command. Every subcommand calls session or bundle code; the
TUI is one more entry point over the same use cases.

Exit codes: 0 success, 1 failed verification, 2 bad usage or bad input,
3 `status --check` found what blocks a final export.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Sequence
from pathlib import Path

from .. import __version__
from ..errors import UserError
from ..escaping import printable
from .bundle import cmd_export, cmd_keygen, cmd_verify
from .campaign import (
    cmd_copy,
    cmd_demo,
    cmd_import,
    cmd_merge,
    cmd_migrate,
    cmd_referentiel_check,
    cmd_report,
    cmd_restore,
    cmd_signoff,
    cmd_status,
)
from .common import resolve_db
from .comparing import cmd_compare
from .french import french_argparse
from .output import _Printable


class FrenchParser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one French sentence (french.py), exit 2, never argparse's exit
        self.print_usage(sys.stderr)
        raise UserError(f"{self.prog} : {message} ; voir « {self.prog} --help ».")


def _common(parser: argparse.ArgumentParser, *, top: bool) -> None:
    # Accepted before and after the subcommand; the subcommand's copy must not
    # overwrite a value given before it, hence SUPPRESS there.
    default = None if top else argparse.SUPPRESS
    parser.add_argument("--db", type=Path, default=default, metavar="FICHIER", help="fichier de campagne (défaut : "
                        "$CONVERGENCE_DB ou le dossier de données de l'utilisateur)")
    parser.add_argument("--referentiel", type=Path, default=default, metavar="FICHIER", help="questionnaire à "
                        "utiliser à la place de celui fourni")


def _date(text: str) -> dt.date:
    from ..referentiel.values import parse_date

    found = parse_date(text)
    if found is None:
        raise argparse.ArgumentTypeError(f"date invalide « {text} », attendu JJ/MM/AAAA (ou AAAA-MM-JJ)")
    return found


def _command(sub: argparse._SubParsersAction[argparse.ArgumentParser], name: str,
             summary: str) -> argparse.ArgumentParser:
    """A subcommand whose own --help opens with what it does."""
    return sub.add_parser(name, help=summary, description=summary[:1].upper() + summary[1:] + ".")


def port_number(text: str) -> int:
    """`serve --port`: a TCP port a person may choose."""
    try:
        port = int(text)
    except ValueError:
        port = 0
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"port invalide « {text} », attendu un nombre entre 1 et 65535")
    return port


def build_parser() -> argparse.ArgumentParser:
    p = FrenchParser(prog="convergence", description="Auto-évaluation Convergence hors ligne.")
    p.add_argument("--version", action="version", version=f"convergence-tui {__version__}",
                   help="afficher la version et quitter")
    p.add_argument("--review", action="store_true", help="ouvrir l'écran de revue en lecture seule")
    _common(p, top=True)
    sub = p.add_subparsers(dest="command", parser_class=FrenchParser, metavar="COMMANDE")

    s = _command(sub, "demo", "créer une campagne fictive réaliste (≈ 20 services)")
    _common(s, top=False)
    s.add_argument("--services", type=int, default=None, help=argparse.SUPPRESS)  # benchmarks
    s.add_argument("--actions", type=int, default=None, help=argparse.SUPPRESS)

    s = _command(sub, "referentiel", "questionnaire : vérifier un fichier")
    rsub = s.add_subparsers(dest="ref_command", parser_class=FrenchParser, metavar="ACTION", required=True)
    c = _command(rsub, "check", "valider un questionnaire et lister toutes ses erreurs")
    c.add_argument("file", nargs="?", type=Path, metavar="FICHIER", help="fichier (défaut : le questionnaire fourni)")
    _common(c, top=False)

    s = _command(sub, "import", "charger un document de réponses (.json) ou un paquet (.zip)")
    s.add_argument("file", type=Path, metavar="FICHIER", help="document de réponses (.json) ou paquet (.zip)")
    s.add_argument("--replace", action="store_true", help="remplacer une campagne qui a déjà des réponses")
    s.add_argument("--trust", type=Path, action="append", metavar="CERT.pem", help="certificat de confiance (PEM) "
                   "pour authentifier le signataire d'un paquet ; répétable (défaut : le réglage trust)")
    _common(s, top=False)

    s = _command(sub, "status", "complétude et scores")
    s.add_argument("--json", action="store_true", help="imprimer le document des scores")
    s.add_argument("--date", type=_date, metavar="JJ/MM/AAAA", help="date de référence (défaut : celle de la "
                   "campagne ; AAAA-MM-JJ accepté aussi)")
    s.add_argument("--check", action="store_true", help="code 3 si quelque chose bloque l'export définitif")
    s.add_argument("--details", action="store_true", help="lister tout ce qui bloque l'export définitif (sinon : "
                   "le compte par sorte et les premiers)")
    _common(s, top=False)

    s = _command(sub, "export", "écrire le paquet signé pour l'ANS")
    s.add_argument("--out", type=Path, default=Path("exports"), metavar="DOSSIER", help="dossier de sortie (défaut : "
                   "exports)")
    s.add_argument("--p12", type=Path, default=None, metavar="FICHIER.p12", help="certificat de signature PKCS#12 "
                   "(défaut : $CONVERGENCE_P12)")
    s.add_argument("--draft", action="store_true", help="exporter un brouillon malgré ce qui manque")
    s.add_argument("--details", action="store_true", help="si l'export définitif est refusé, lister tout ce qui le "
                   "bloque (sinon : le compte par sorte et les premiers)")
    s.add_argument("--chain", type=Path, default=None, metavar="FICHIER.pem", help="certificats intermédiaires de "
                   "votre autorité (PEM), joints à la signature (défaut : le réglage chain)")
    _common(s, top=False)

    s = _command(sub, "verify", "vérifier un ou plusieurs paquets : signature, empreintes, questionnaire, "
                 "affirmations, scores et fichiers dérivés")
    s.add_argument("bundles", type=Path, nargs="+", metavar="PAQUET", help="paquet .zip ; plusieurs : chacun est "
                   "vérifié et reçoit son verdict")
    s.add_argument("--trust", type=Path, action="append", metavar="CERT.pem", help="certificat de confiance (PEM) : "
                   "la racine de l'autorité des signataires ; répétable (défaut : le réglage trust)")
    s.add_argument("--report", type=Path, metavar="FICHIER", help="écrire dans ce fichier (nouveau) le rapport HTML "
                   "régénéré depuis les données du paquet (un seul paquet)")
    _common(s, top=False)

    s = _command(sub, "national", "côté ANS : vérifier des paquets régionaux et les consolider (national.sqlite, "
                 "national.html, national.xlsx)")
    s.add_argument("bundles", type=Path, nargs="+", metavar="PAQUET", help="paquets .zip des régions (tous les "
                   "semestres) ; chacun est vérifié comme par « convergence verify »")
    s.add_argument("--out", type=Path, required=True, metavar="DOSSIER", help="dossier où écrire national.sqlite, "
                   "national.html et national.xlsx (créé s'il n'existe pas ; ces fichiers y sont remplacés)")
    s.add_argument("--trust", type=Path, action="append", metavar="CERT.pem", help="certificat de confiance (PEM) : "
                   "la racine de l'autorité des signataires ; répétable (défaut : le réglage trust)")
    s.add_argument("--json", action="store_true", help="imprimer le document national (chiffres de chaque région)")
    _common(s, top=False)

    s = _command(sub, "report", "écrire le rapport HTML ou le classeur de la campagne, sans signature")
    s.add_argument("--html", type=Path, metavar="FICHIER.html", help="rapport HTML : le même que celui du paquet "
                   "signé, tiré du fichier de campagne")
    s.add_argument("--xlsx", type=Path, metavar="FICHIER.xlsx", help="classeur : région, services, grille, écarts, "
                   "freins, plan, indicateurs, finances (une feuille chacun)")
    s.add_argument("--replace", action="store_true", help="remplacer un fichier qui existe déjà (sans cette option, "
                   "un fichier existant n'est jamais écrasé : rien n'est écrit)")
    _common(s, top=False)

    s = _command(sub, "compare", "comparer la campagne à un paquet précédent de la région : ce qui a bougé depuis")
    s.add_argument("baseline", nargs="?", type=Path, metavar="PAQUET", help="paquet .zip de la campagne précédente "
                   "(la référence) : vérifié, puis retenu dans la campagne ; sans lui, la référence retenue. Pour "
                   "en changer, donnez un autre paquet (ou, dans l'application, la palette : « Paquet de "
                   "référence »)")
    s.add_argument("--json", action="store_true", help="imprimer le document de comparaison")
    s.add_argument("--date", type=_date, metavar="JJ/MM/AAAA", help="date à laquelle les actions du plan de "
                   "référence devaient être faites (défaut : aujourd'hui)")
    s.add_argument("--trust", type=Path, action="append", metavar="CERT.pem", help="certificat de confiance (PEM) "
                   "pour authentifier le signataire du paquet ; répétable (défaut : le réglage trust)")
    _common(s, top=False)

    s = _command(sub, "keygen", "créer une identité de signature auto-signée (pilotes, tests)")
    s.add_argument("--out", type=Path, required=True, metavar="FICHIER.p12", help="fichier .p12 à créer (le "
                   "certificat .pem est écrit à côté)")
    s.add_argument("--name", required=True, metavar="NOM", help="nom du signataire")

    s = _command(sub, "migrate", "passer la campagne à la version chargée du questionnaire (réponses gardées)")
    _common(s, top=False)

    s = _command(sub, "restore", "lister les sauvegardes, ou en remettre une en place")
    s.add_argument("number", nargs="?", type=int, metavar="NUMÉRO", help="numéro de la sauvegarde à remettre (voir "
                   "la liste)")
    _common(s, top=False)

    s = _command(sub, "copy", "écrire une copie de la campagne pour un coéquipier (la même campagne, à fusionner "
                 "ensuite), même pendant qu'elle est ouverte")
    s.add_argument("--out", type=Path, required=True, metavar="FICHIER", help="fichier de la copie, nouveau (un "
                   "fichier existant n'est jamais écrasé)")
    _common(s, top=False)

    s = _command(sub, "merge", "fusionner la copie d'un coéquipier (la même campagne), réponse par réponse ; "
                 "code 3 tant que des conflits restent")
    s.add_argument("file", nargs="?", type=Path, metavar="FICHIER", help="copie de la campagne à fusionner (lue "
                   "seulement, jamais modifiée) ; sans FICHIER, --prefer résout les conflits qui restent")
    s.add_argument("--prefer", choices=("mine", "theirs"), default=None, help="résoudre chaque conflit en gardant "
                   "votre valeur (mine) ou celle de la copie (theirs) ; sans cette option, les conflits restent à "
                   "résoudre dans l'application")
    _common(s, top=False)

    s = _command(sub, "serve", "ouvrir la campagne dans le navigateur, sans terminal (127.0.0.1 seulement)")
    s.add_argument("--port", type=port_number, default=None, metavar="PORT",
                   help="port local à utiliser (défaut : un port libre)")
    s.add_argument("--no-browser", action="store_true", help="ne pas ouvrir le navigateur, afficher seulement "
                   "l'adresse")
    _common(s, top=False)

    s = _command(sub, "signoff", "valider la campagne (responsable d'équipe)")
    s.add_argument("--name", required=True, metavar="NOM", help="nom du responsable")
    s.add_argument("--role", required=True, metavar="FONCTION", help="fonction (ex. responsable délégué(e))")
    _common(s, top=False)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    # The TUI writes to the terminal through Textual (sys.__stderr__), never through these.
    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = _Printable(sys.stdout), _Printable(sys.stderr)
    try:
        try:
            with french_argparse():  # built and read in French; argparse is its own again for the rest
                args = build_parser().parse_args(argv)
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
        from ..app import run_app

        if isinstance(sys.stdout, _Printable):  # the terminal is Textual's now
            sys.stdout, sys.stderr = sys.stdout.stream, sys.stderr.stream
        return run_app(resolve_db(args), args.referentiel, review=args.review)
    if args.command == "referentiel":
        return cmd_referentiel_check(args)
    if args.command == "national":
        from .national import cmd_national

        return cmd_national(args)
    if args.command == "serve":  # aiohttp and textual-serve: loaded only for this command
        from .serve import cmd_serve

        return cmd_serve(args)
    handler = {"demo": cmd_demo, "import": cmd_import, "status": cmd_status, "signoff": cmd_signoff,
               "export": cmd_export, "verify": cmd_verify, "keygen": cmd_keygen, "migrate": cmd_migrate,
               "restore": cmd_restore, "report": cmd_report, "copy": cmd_copy,
               "merge": cmd_merge, "compare": cmd_compare}[args.command]
    return handler(args)
