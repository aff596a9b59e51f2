"""`convergence status`: the campaign summary as plain French text."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any, Protocol

from ..campaign.data import CampaignData
from ..campaign.orphans import find_orphans
from ..campaign.problems import KINDS, Problem
from ..escaping import printable
from ..referentiel.models import Referentiel
from ..referentiel.official import pin_of
from ..referentiel.values import REGIONS
from .format import STATUS_SHORT, date_fr, pct

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


def status_text(session: OpenCampaign, problems: list[Problem]) -> str:
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
        f"Complétude {pct(region['completeness'])} — "
        f"{region['status_counts']['convergent']} convergent(s), "
        f"{region['status_counts']['partially_convergent']} partiellement, "
        f"{region['status_counts']['non_convergent']} non convergent(s)",
        "",
    ]
    if doc["services"]:
        # One line per service whatever a name holds (a file edited by hand): escaped, then cut.
        names = {s["id"]: printable(s["name"] or s["id"]) for s in doc["services"]}
        width = min(38, max(len(n) for n in names.values()))
        lines.append(f"{'Service':<{width}}  {'Catégorie':<10}  {'Statut':<10}  Niv.  Globale  Écarts  Cible atteinte")
        for s in doc["services"]:
            name = names[s["id"]][:width]
            lines.append(
                f"{name:<{width}}  {printable(s['category'] or '—'):<10}  {STATUS_SHORT[s['status']]:<10}  "
                f"{s['level']:>4}  "
                f"{pct(s['maturity']['global']):>7}  {len(s['gaps']):>6}  {date_fr(s['target_reached_on'])}"
            )
    else:
        lines.append("Aucun service dans l'inventaire.")
    lines.append("")
    if problems:
        counts = Counter(p.kind for p in problems)
        lines.append(f"À compléter avant l'export définitif ({len(problems)}) : "
                     + ", ".join(f"{n} {KINDS[k]}" for k, n in counts.items()))
        for p in problems[:200]:
            lines.append(f"  - {printable(p.message)}")
        if len(problems) > 200:
            lines.append(f"  … et {len(problems) - 200} autres (convergence status --json les liste tous)")
    else:
        lines.append("Rien ne manque : la campagne peut être exportée.")
    orphans = find_orphans(session.data)
    if orphans:
        lines.append("")
        lines.append(f"Réponses orphelines, gardées mais hors questionnaire actuel ({len(orphans)}) :")
        lines.extend(f"  - {o.message}" for o in orphans[:100])
    return "\n".join(lines) + "\n"
