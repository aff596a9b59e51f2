"""`convergence status`: the campaign summary as plain French text."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

from ..campaign.data import CampaignData
from ..campaign.orphans import find_orphans
from ..campaign.problems import Problem, kinds_summary
from ..escaping import printable
from ..referentiel.models import Referentiel
from ..referentiel.official import pin_of
from ..referentiel.values import REGIONS
from ..scoring.engine import CampaignScores
from .format import STATUS_SHORT, completeness_sentence, conformity_pct, counted, date_fr, pct

SHOWN = 10  # problems listed without --details: the count by kind says the rest

PIN_WORDS = {
    "official": "version officielle",
    "modified": "MODIFIÉ : ce n'est pas le fichier officiel de cette version ; l'ANS refusera le paquet",
    "unknown": "non officiel (pilote) : l'ANS ne vérifiera le paquet qu'avec ce fichier (verify --referentiel)",
}


class OpenCampaign(Protocol):
    """What the summary reads of an open campaign: the use cases' session, a layer above this one."""

    @property
    def ref(self) -> Referentiel: ...
    @property
    def data(self) -> CampaignData: ...
    @property
    def path(self) -> Path: ...
    def scores_document(self) -> dict[str, Any]: ...
    @property
    def scores(self) -> CampaignScores: ...


def status_text(session: OpenCampaign, problems: list[Problem], *, details: bool = False) -> str:
    """`details`: every problem listed, not only the first few."""
    doc = session.scores_document()
    info = session.data.campaign_info()
    ref = session.ref
    region = doc["region"]
    code = info["region"]
    lines = [
        f"Campagne {printable(info['label'] or '(sans libellé)')} — {REGIONS.get(code, 'région non renseignée')}"
        f"{f' ({code})' if code else ''} — date de référence {date_fr(doc['reference_date'])}",
        f"Fichier : {session.path}",
        f"Questionnaire : {printable(ref.referentiel.id)} {printable(ref.referentiel.version)} — "
        + PIN_WORDS[pin_of(ref.referentiel.id, ref.referentiel.version, ref.sha256)],
        "",
        "Région : maturité "
        + " · ".join(f"{a} {pct(region['maturity'][a])}" for a in ref.axis_ids)
        + f" · globale {pct(region['maturity']['global'])}",
        f"Complétude {completeness_sentence(session.scores.region.answered, session.scores.region.candidates)} — "
        f"{counted(region['status_counts']['convergent'], 'convergent')}, "
        f"{region['status_counts']['partially_convergent']} partiellement, "
        f"{counted(region['status_counts']['non_convergent'], 'non convergent')}",
        "",
    ]
    if doc["services"]:
        # One line per service whatever a name holds (a file edited by hand): escaped, then cut.
        names = {s["id"]: printable(s["name"] or s["id"]) for s in doc["services"]}
        width = min(38, max(len(n) for n in names.values()))
        lines.append(f"{'Service':<{width}}  {'Catégorie':<10}  {'Statut':<10}  Niv.  Globale    Conf.  Écarts  "
                     "Cible atteinte")
        for s in doc["services"]:
            name = names[s["id"]][:width]
            lines.append(
                f"{name:<{width}}  {printable(s['category'] or '—'):<10}  {STATUS_SHORT[s['status']]:<10}  "
                f"{s['level']:>4}  "
                f"{pct(s['maturity']['global']):>7}  {conformity_pct(s['conformity']):>7}  {len(s['gaps']):>6}  "
                f"{date_fr(s['target_reached_on'])}"
            )
    else:
        lines.append("Aucun service dans l'inventaire.")
    lines.append("")
    if problems:
        lines.append(f"À compléter avant l'export définitif ({len(problems)}) : {kinds_summary(problems)}")
        shown = problems if details else problems[:SHOWN]
        lines.extend(f"  - {printable(p.message)}" for p in shown)
        if len(problems) > len(shown):
            lines.append(f"  … et {counted(len(problems) - len(shown), 'autre')} : « convergence status --details » "
                         "les liste tous.")
    else:
        lines.append("Rien ne manque : la campagne peut être exportée.")
    orphans = find_orphans(session.data)
    if orphans:
        lines.append("")
        lines.append(f"Réponses orphelines, gardées mais hors questionnaire actuel ({len(orphans)}) :")
        lines.extend(f"  - {o.message}" for o in orphans[:100])
    return "\n".join(lines) + "\n"
