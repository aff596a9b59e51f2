"""`convergence report`: the HTML report and the workbook of the open campaign, outside a bundle and
signed by nobody (DESIGN.md §9).

Both are made as a bundle's report is: from the answers document read back and scored
(campaign/rebuilt.py), the HTML by the very function that writes a bundle's `rapport.html`
(bundle/derived.report_bytes), so that what a team reads before exporting is what the ANS will read —
plus, when a baseline is set (usecases/comparing.py), the comparison with it: a section of the HTML
report and the workbook's « Évolution » sheet, which a bundle's report does not carry.
Each file is written whole or not at all (paths.write_whole: 0600, temporary name, then renamed),
never over an existing file unless asked (`replace`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import UserError
from ..paths import check_target, write_whole
from .exporting import campaign_meta, created_now

if TYPE_CHECKING:
    from ..report.sheets import Source
    from .session import Session

SUFFIXES = {"html": (".html", ".htm"), "xlsx": (".xlsx",)}
READER = {"html": "le navigateur", "xlsx": "le tableur"}
EXISTS_HINT = "choisissez un autre nom, ou ajoutez --replace pour le remplacer"


@dataclass(frozen=True)
class Written:
    path: Path
    what: str  # « rapport HTML », « classeur »
    replaced: bool


@dataclass(frozen=True)
class Reported:
    files: list[Written]
    missing: int  # points that block a final export, as `status` counts them


def check_targets(html: Path | None, xlsx: Path | None, *, replace: bool = False) -> None:
    """Everything that can be said about the file names, said before any work and any file written."""
    if html is None and xlsx is None:
        raise UserError("Indiquez ce qu'il faut écrire : --html RAPPORT.html, --xlsx CLASSEUR.xlsx, ou les deux.")
    for option, path in (("html", html), ("xlsx", xlsx)):
        if path is None:
            continue
        suffix = SUFFIXES[option][0]
        if path.suffix.lower() not in SUFFIXES[option]:
            raise UserError(f"{path} : --{option} écrit un fichier {suffix} ({READER[option]} le reconnaît à ce nom) ; "
                            f"par exemple --{option} {path.stem or 'rapport'}{suffix}.")
        check_target(path, replace=replace, exists_hint=EXISTS_HINT)


def report_source(session: Session, created: dt.datetime | None = None) -> Source:
    """The campaign as the report and the workbook read it: read back from its answers document and
    scored, what blocks a final export, and the claims of a report no one signed."""
    from ..bundle.writer import utc_stamp
    from ..campaign.rebuilt import rebuild
    from ..report.sheets import Source

    answers = session.answers_document()
    rebuilt = rebuild(session.ref, answers, session.reference_date)
    missing = rebuilt.blockers()
    meta, _ = campaign_meta(session, answers, bool(missing))
    claims = {"created_at": utc_stamp(created or created_now()), "draft": bool(missing),
              "validation": meta["validation"], "signer": None, "referentiel": meta["referentiel"]}
    from .comparing import campaign_comparison

    return Source(rebuilt, claims, missing, campaign_comparison(session))


def write_reports(session: Session, *, html: Path | None = None, xlsx: Path | None = None, replace: bool = False,
                  created: dt.datetime | None = None) -> Reported:
    """Write the report (`html`) and the workbook (`xlsx`) asked for; both are made in memory first,
    so a refusal or an error leaves no file written but those already said to be."""
    check_targets(html, xlsx, replace=replace)
    src = report_source(session, created)
    made: list[tuple[Path, str, bytes]] = []
    if html is not None:
        from ..bundle.derived import report_bytes

        made.append((html, "rapport HTML", report_bytes(src.rebuilt, src.claims, src.missing, src.comparison)))
    if xlsx is not None:
        from ..report.xlsx import workbook

        made.append((xlsx, "classeur", workbook(src)))
    written: list[Written] = []
    for path, what, data in made:
        try:
            replaced = write_whole(path, data, replace=replace, exists_hint=EXISTS_HINT)
        except UserError as exc:
            if written:
                exc.message += f" Le {written[0].what}, lui, est écrit : {written[0].path}."
            raise
        written.append(Written(path, what, replaced))
    return Reported(written, len(src.missing))
