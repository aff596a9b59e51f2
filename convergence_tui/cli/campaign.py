"""The commands on a campaign file: demo, referentiel check, import, status, report, signoff, migrate, restore,
copy."""

from __future__ import annotations

import argparse
import json
import sys

from ..errors import UserError, counted
from ..escaping import json_printable
from .bundle import signer_lines, trust_anchors
from .common import resolve_db


def cmd_referentiel_check(args: argparse.Namespace) -> int:
    from ..referentiel import default_path, load

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
    from ..usecases.demo import make_demo

    db = resolve_db(args)
    summary = make_demo(db, args.referentiel, services=args.services, actions=args.actions)
    print(f"Campagne de démonstration créée : {db} ({summary}).")
    print(f"Ouvrez-la avec : convergence --db {db}")
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from ..usecases.session import Session

    db = resolve_db(args)
    source = args.file
    if not source.is_file():
        raise UserError(f"{source} : fichier introuvable ; vérifiez le chemin.")
    signed_by: list[str] = []
    if source.suffix.lower() == ".zip":
        from ..bundle.reader import read_bundle

        verified = read_bundle(source, args.referentiel, trust=trust_anchors(args))
        obj = verified.answers
        signed_by = signer_lines(verified)
    else:
        from ..campaign.answers import parse_json

        obj = parse_json(source.read_bytes(), str(source))

    from ..usecases.review import export_blockers

    def load_into(session: Session) -> tuple[int, int, int]:
        incoming = session.import_document(obj, str(source), replace=args.replace)
        n_services = sum(1 for i in incoming.items.values() if i.kind == "service")
        return n_services, len(incoming.cells), len(export_blockers(session))

    if not db.exists() or db.stat().st_size == 0:
        from ..referentiel import load

        # Built under a temporary name: a document refused half way leaves no file behind.
        with Session.creating(db, load(args.referentiel), author=_author_from(obj)) as session:
            n_services, n_cells, flagged = load_into(session)
    else:
        with Session.open(db, args.referentiel) as session:
            backup_or_say(session)  # before replacing anything
            n_services, n_cells, flagged = load_into(session)
    for line in signed_by:
        print(line)
    return done_then_left(f"Importé dans {db} : {counted(n_services, 'service')}, {counted(n_cells, 'réponse')}.",
                          flagged)


def _author_from(obj: object) -> str:
    if isinstance(obj, dict):
        name = (obj.get("answers") or {}).get("delegate_name") if isinstance(obj.get("answers"), dict) else None
        if isinstance(name, str) and name.strip():
            return name.strip()
    return "import"


def cmd_signoff(args: argparse.Namespace) -> int:
    from ..campaign.signoffs import signed_by
    from ..usecases.review import export_blockers, sign_off
    from ..usecases.session import Session

    with Session.open(resolve_db(args), args.referentiel) as session:
        backup_or_say(session)
        record = sign_off(session, args.name, args.role)
        left = len(export_blockers(session))
    return done_then_left(f"Campagne validée par {signed_by(record)}.", left)


def cmd_status(args: argparse.Namespace) -> int:
    from ..report.text import status_text
    from ..usecases.review import export_blockers
    from ..usecases.session import Session

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
            sys.stdout.write(status_text(session, problems, details=args.details))
    if args.check and problems:
        return 3
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from ..usecases.reporting import check_targets, write_reports
    from ..usecases.session import Session

    check_targets(args.html, args.xlsx, replace=args.replace)  # before opening the campaign
    with Session.open(resolve_db(args), args.referentiel, readonly=True) as session:
        reported = write_reports(session, html=args.html, xlsx=args.xlsx, replace=args.replace)
    for w in reported.files:
        replaced = " (il remplace le fichier qui était là)" if w.replaced else ""
        print(f"{w.what[:1].upper()}{w.what[1:]} écrit{replaced} : {w.path.resolve()}")
    return done_then_left("Non signé : seul le paquet exporté (convergence export) est une soumission.",
                          reported.missing)


def done_then_left(done: str, left: int) -> int:
    """What was done, then how many points still block a final export: the figure `status` gives."""
    print(done)
    if left:
        print(f"{counted(left, 'point')} à régler avant l'export définitif (voir « convergence status »).")
    return 0


def backup_or_say(session) -> None:
    """A copy before a change; one that cannot be made (its folder full) is said, and the change goes
    on: it is journaled and can be undone."""
    try:
        session.backup()
    except UserError as exc:
        print(f"Attention : {exc.message} La modification est faite quand même (elle reste annulable).",
              file=sys.stderr)


def cmd_migrate(args: argparse.Namespace) -> int:
    from ..campaign.orphans import find_orphans
    from ..usecases.session import Session

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
        n = len(orphans)
        print(f"{counted(n, 'réponse')} {'ne correspondent' if n > 1 else 'ne correspond'} plus au questionnaire : "
              f"{'gardées, listées' if n > 1 else 'gardée, listée'} par « convergence status ».")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    from ..store.backups import list_backups, restore
    from ..wording import datetime_fr

    db = resolve_db(args)
    backups = list_backups(db)
    if not backups:
        print(f"Aucune sauvegarde de {db} (une copie est faite à chaque ouverture en écriture).")
        return 0
    if args.number is None:
        print(f"Sauvegardes de {db}, de la plus récente à la plus ancienne :")
        for n, b in enumerate(backups, 1):
            services = "? services" if b.services is None else counted(b.services, "service")
            print(f"  {n}  {datetime_fr(b.taken)}  {b.size // 1024} Kio  {services}")
        print("Remettre l'une d'elles en place : convergence restore --db … NUMÉRO")
        return 0
    if not 1 <= args.number <= len(backups):
        raise UserError(f"Sauvegarde n° {args.number} inconnue ; choisissez entre 1 et {len(backups)}.")
    chosen = backups[args.number - 1]
    kept = restore(db, chosen.path)
    print(f"{db} restauré depuis la sauvegarde du {datetime_fr(chosen.taken)}.")
    if kept:
        print(f"Le fichier remplacé est gardé : {kept} (visible dans « convergence restore »).")
    return 0


def cmd_copy(args: argparse.Namespace) -> int:
    from ..usecases.copying import copy_campaign

    db = resolve_db(args)
    copied = copy_campaign(db, args.out)
    print(f"Copie de {db} écrite : {copied.path} ({counted(copied.services, 'service')}).")
    print(f"C'est la même campagne (identifiant {copied.campaign_id}) : chacun remplit sa copie, "
          "les réponses se réunissent ensuite par fusion.")
    return 0


def cmd_merge(args: argparse.Namespace) -> int:
    from ..config import Remembered, Settings, known_author
    from ..usecases.conflicts import resolve_all
    from ..usecases.merging import merge, merged_summary
    from ..usecases.session import Session

    if args.file is None and args.prefer is None:
        raise UserError("merge : indiquez la copie d'un coéquipier à fusionner (FICHIER), ou --prefer mine|theirs "
                        "pour résoudre les conflits qui restent.")
    author = known_author(Remembered.load(Settings.load())) or None
    with Session.open(resolve_db(args), args.referentiel, author=author) as session:
        if args.file is not None:
            backup_or_say(session)
            for line in merged_summary(merge(session, args.file, prefer=args.prefer)):
                print(line)
        elif session.conflicts():
            backup_or_say(session)
            count = resolve_all(session, args.prefer)
            kept = "la vôtre" if args.prefer == "mine" else "l'autre"
            print(f"{counted(count, 'conflit résolu', 'conflits résolus')} : valeur gardée, {kept}.")
        else:
            print("Aucun conflit à résoudre.")
        left = len(session.conflicts())
    if left:
        print(f"{counted(left, 'conflit', 'conflits')} à résoudre : « convergence » (écran Fusion), ou "
              "« convergence merge --prefer mine|theirs ». L'export définitif attend qu'il n'en reste aucun.",
              file=sys.stderr)
        return 3
    return 0

