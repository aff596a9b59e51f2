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
class Gap:
    level: int
    origin: Choice  # the blocker's « Origine du frein »
    blocker: str  # its description
    action: str  # the action's title
    due: str  # its « Échéance »
    owner: Choice
    status: Choice


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

SERVICES = (
    Service(
        "e-Parcours Bretagne", "COORD", Choice("coord", "COORD —"), IN_PRODUCTION,
        gaps={
            "URB-05": Gap(1, NATIONAL, "Référencement au catalogue MES en attente", "Dossier de référencement MES",
                          "30/06/2027", GRADES_OWNER, PLANNED),
            "IOP-01": Gap(2, VENDOR, "Appels INSi en recette chez l'éditeur", "Appels INSi en production",
                          "31/03/2027", VENDOR, IN_PROGRESS),
        },
        na={"IOP-07": "Pas de serveur régional d'identités"},
    ),
    Service(
        "ROR Bretagne", "SOCLE_REF", Choice("socle", "SOCLE_REF —"), IN_PRODUCTION,
        gaps={
            "SEC-03": Gap(2, VENDOR, "Connecteur PSC pas encore livré", "Raccordement à Pro Santé Connect",
                          "30/06/2027", VENDOR, IN_PROGRESS),
            "ETH-04": Gap(1, REGIONAL, "Évaluation non budgétée en 2026", "Évaluation Ecoscore du ROR",
                          "31/12/2027", GRADES_OWNER, PLANNED),
        },
        na={"URB-03": "Le service est lui-même le ROR"},
    ),
    Service(
        "Portail pro Bretagne", "PORTAIL", Choice("portail", "PORTAIL —"), IN_PRODUCTION,
        gaps={
            "SEC-06": Gap(2, MARKET, "Marché d'audit à renouveler", "Test d'intrusion et homologation",
                          "31/03/2027", GRADES_OWNER, PLANNED),
            "ETH-03": Gap(1, VENDOR, "Refonte RGAA prévue en 2027", "Mise en conformité RGAA",
                          "31/12/2027", VENDOR, PLANNED),
        },
        na={"IOP-04": "Renvoie vers Mon espace santé"},
    ),
)


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
