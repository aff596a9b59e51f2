"""`convergence compare [BASELINE.zip]`: the campaign against the region's previous bundle."""

from __future__ import annotations

import argparse
import json
import sys

from ..errors import UserError
from ..escaping import json_printable
from .common import resolve_db


def cmd_compare(args: argparse.Namespace) -> int:
    from ..usecases import comparing
    from ..usecases.session import Session

    db = resolve_db(args)
    notes: list[str] = []
    if args.baseline is None:
        with Session.open(db, args.referentiel, readonly=True) as session:
            doc = comparing.campaign_comparison(session, args.date)
            if doc is None:
                raise UserError(f"{db} : aucune référence retenue pour cette campagne ; donnez le paquet de la "
                                f"campagne précédente de la région : {comparing.HOW_TO_SET} (il est vérifié, puis "
                                "retenu).")
            axes = {a.id: a.label for a in session.ref.axes}
    else:
        from .bundle import trust_anchors

        # Another instance (the TUI) may be writing the campaign: compare all the same, say that the
        # baseline could not be remembered.
        with Session.open(db, args.referentiel, fallback_readonly=True) as session:
            trust = trust_anchors(args)
            baseline = comparing.check_baseline(args.baseline, session.ref, trust)  # exit 1 when refused
            if session.readonly:
                notes.append(f"Référence NON retenue : {db} est ouvert en écriture par un autre programme ; "
                             "redonnez-la une fois celui-ci fermé (ou par la palette de l'application : "
                             "« Paquet de référence »).")
            else:
                comparing.remember_baseline(session, baseline)
                notes.append("Référence retenue dans la campagne : « convergence compare » seul la réutilise, "
                             "l'onglet Évolution de la revue la montre ; pour en changer, donnez un autre paquet.")
            doc = comparing.comparison(session, baseline, args.date)
            axes = {a.id: a.label for a in session.ref.axes}
    if args.json:
        sys.stdout.write(json_printable(json.dumps(doc, ensure_ascii=False)) + "\n")
        for note in notes:
            print(note, file=sys.stderr)
        return 0
    from ..report.evolution import text_lines

    for line in text_lines(doc, axes):
        print(line)
    for note in notes:
        print(note)
    return 0
