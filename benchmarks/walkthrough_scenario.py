"""What the walk-through types: a Bretagne GRADeS campaign of three services, as a regional
urbanist would describe and rate them. Plain data; `benchmarks/walkthrough.py` types it.

Every criterion is rated at the level due on the reference date (31/12/2026), except two gaps and
one NA per service; each gap gets a blocker and an action, each NA its justification, each level
at or above a criterion's evidence threshold its evidence. The levels due and the evidence
thresholds come from the questionnaire (what the grid shows in its « Dû » column and its
details), not from the program's state.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

# What the wizard offers in 2026-S2 (it proposes the current semester): typed over otherwise, so
# that the levels due, hence the gaps, are the same whatever the day.
CAMPAIGN = "2026-S2"
REFERENCE = "31/12/2026"
REFERENCE_DATE = dt.date(2026, 12, 31)

REGION_LETTERS, REGION = "bret", "53 Bretagne"
GRADES = "GCS e-Santé Bretagne"
AUTHOR = "Gwenaëlle Le Bihan"

# Section 1: its required answers the wizard did not ask, and the delegate (who signs off).
ARS = "ARS Bretagne"
SIRET = "73282932000074"  # 14 digits, valid Luhn key
DELEGATE = "Yann Kerhervé"
ROLE = "Responsable délégué"

P12, PASSWORD = "pilote.p12", "motdepasse-pilote"
SIGNER = "Yann Kerhervé, GCS e-Santé Bretagne"

# The evidence a team cites, by criterion (short references, as in the demo).
EVIDENCE = {
    "URB-01": "Cartographie POS 2026",
    "URB-06": "Clause de réversibilité",
    "IOP-01": "Rapport INSi 2026",
    "IOP-02": "Tests CI-SIS 2026",
    "IOP-03": "Statistiques DMP 2026",
    "IOP-05": "Attestation MSSanté",
    "IOP-08": "Rapport espace de tests",
    "SEC-01": "Certificat HDS 2025",
    "SEC-02": "Analyse de risques 2026",
    "SEC-03": "Attestation PSC",
    "SEC-06": "Homologation 2025",
    "ETH-01": "AIPD et registre 2026",
    "ETH-02": "Note d'information",
    "ETH-03": "Audit RGAA 2026",
    "ETH-04": "Ecoscore 2026",
}


@dataclass(frozen=True)
class Choice:
    """A choice made in the picker: the letters typed, and the start of the option they bring first."""

    letters: str
    option: str


@dataclass(frozen=True)
class Cause:
    """What keeps one or more gaps from their level, named once: one blocker and one action cover
    all its gaps (DESIGN.md §4)."""

    origin: Choice  # the blocker's « Origine du frein »
    blocker: str  # its description
    action: str  # the action's title
    due: str  # its « Échéance »
    owner: Choice
    status: Choice


@dataclass(frozen=True)
class Gap:
    level: int
    cause: Cause


@dataclass(frozen=True)
class Service:
    name: str
    category: str  # its id in the questionnaire
    category_choice: Choice
    status: Choice
    gaps: dict[str, Gap] = field(default_factory=dict)
    na: dict[str, str] = field(default_factory=dict)  # criterion → justification


VENDOR = Choice("edit", "ÉDITEUR")
NATIONAL = Choice("nat", "NATIONAL")
REGIONAL = Choice("regio", "RÉGIONAL")
MARKET = Choice("march", "MARCHÉ")
GRADES_OWNER = Choice("grad", "GRADeS")
PLANNED = Choice("plan", "Planifiée")
IN_PROGRESS = Choice("cours", "En cours")
IN_PRODUCTION = Choice("prod", "En production")

# Four causes for six gaps: a national dependency and the regional team's budget each explain two
# gaps, on two services.
NATIONAL_LINKS = Cause(NATIONAL, "Raccordements INSi et Pro Santé Connect pas encore ouverts à ces services",
                       "Raccordement à INSi et à Pro Santé Connect", "30/06/2027", Choice("nat", "NATIONAL"),
                       IN_PROGRESS)
MES = Cause(NATIONAL, "Référencement au catalogue MES en attente", "Dossier de référencement MES", "30/06/2027",
            GRADES_OWNER, PLANNED)
ETHICS = Cause(REGIONAL, "Évaluations Ecoscore et RGAA non budgétées en 2026", "Évaluations Ecoscore et RGAA 2027",
               "31/12/2027", GRADES_OWNER, PLANNED)
AUDIT = Cause(MARKET, "Marché d'audit à renouveler", "Test d'intrusion et homologation", "31/03/2027",
              GRADES_OWNER, PLANNED)

SERVICES = (
    Service(
        "e-Parcours Bretagne", "COORD", Choice("coord", "COORD —"), IN_PRODUCTION,
        gaps={"URB-05": Gap(1, MES), "IOP-01": Gap(2, NATIONAL_LINKS)},
        na={"IOP-07": "Pas de serveur régional d'identités"},
    ),
    Service(
        "ROR Bretagne", "SOCLE_REF", Choice("socle", "SOCLE_REF —"), IN_PRODUCTION,
        gaps={"SEC-03": Gap(2, NATIONAL_LINKS), "ETH-04": Gap(1, ETHICS)},
        na={"URB-03": "Le service est lui-même le ROR"},
    ),
    Service(
        "Portail pro Bretagne", "PORTAIL", Choice("portail", "PORTAIL —"), IN_PRODUCTION,
        gaps={"SEC-06": Gap(2, AUDIT), "ETH-03": Gap(1, ETHICS)},
        na={"IOP-04": "Renvoie vers Mon espace santé"},
    ),
)
CAUSES = (MES, NATIONAL_LINKS, ETHICS, AUDIT)


def gaps_of(cause: Cause) -> list[tuple[Service, str]]:
    return [(svc, cid) for svc in SERVICES for cid, gap in svc.gaps.items() if gap.cause is cause]


def gap_order() -> list[tuple[str, str]]:
    """The gaps as the program lists them to be ticked: service by service in the inventory's order,
    criteria by id (the order of a service's gaps, DESIGN.md §4)."""
    return [(svc.name, cid) for svc in SERVICES for cid in sorted(svc.gaps)]


def due_level(criterion, on: dt.date = REFERENCE_DATE) -> int:
    """The level of the criterion's latest target dated on or before `on` (§4); 0 when none is."""
    dated = [t for t in criterion.targets if t.date <= on]
    return max(dated, key=lambda t: t.date).level if dated else 0


def level_for(service: Service, criterion) -> int | str:
    """What the team rates: the gap's level, NA, or the level due."""
    if criterion.id in service.na:
        return "NA"
    if criterion.id in service.gaps:
        return service.gaps[criterion.id].level
    return due_level(criterion)


def needs_evidence(criterion, level: int | str) -> bool:
    return level != "NA" and criterion.evidence_from is not None and level >= criterion.evidence_from
