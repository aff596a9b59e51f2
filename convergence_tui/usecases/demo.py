"""A realistic fictitious campaign to explore the tool (`convergence demo`).

The demo is written as an answers document and loaded through the normal
import, so it is checked like any user document. The region figures are
tuned to look like a real region's (published results: urbanisation above
70 %, interoperability around 80 %, security and DMP feeding weaker).
With `services`/`actions`, the same generator makes the large campaigns of
the benchmarks.
"""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path
from typing import Any

from ..campaign.formats import ANSWERS_FORMAT, ANSWERS_VERSION
from ..errors import UserError
from ..referentiel import Referentiel
from ..referentiel import load as load_referentiel
from ..referentiel.values import luhn_ok

SEED = 53
REFERENCE_DATE = "2026-12-31"

# (name, category, status, vendor, product, profile) — fictitious services of a Breton-like region.
SERVICES = [
    ("ROR Bretagne", "SOCLE_REF", "production", "Maincare", "ROR régional", "good"),
    ("Annuaire régional des acteurs de santé", "SOCLE_REF", "production", "GRADeS", "Annuaire", "good"),
    ("Serveur régional de rapprochement d'identités", "SOCLE_REF", "production", "Enovacom", "SRI", "mid"),
    ("e-Parcours — dossier de coordination DAC", "COORD", "production", "Maincare", "Parcours", "mid"),
    ("Cercle de soins mobile CPTS", "COORD", "pilote", "Kelindi", "Cercle", "weak"),
    ("Messagerie instantanée de coordination", "COORD", "production", "Globule", "Globule", "mid"),
    ("ViaTrajectoire", "ORIENT", "production", "GIP SIB", "ViaTrajectoire", "good"),
    ("Orientation post-urgences gériatrique", "ORIENT", "projet", "Éditeur régional", "OrientAge", "weak"),
    ("Plateforme régionale de télémédecine", "TELESANTE", "production", "Covalia", "Télémédecine", "mid"),
    ("Télésurveillance de l'insuffisance cardiaque", "TELESANTE", "pilote", "Implicity", "Cardio", "weak"),
    ("Téléexpertise dermatologie et plaies", "TELESANTE", "production", "Omnidoc", "Téléexpertise", "mid"),
    ("Opérateur MSSanté régional", "ECHANGE", "production", "GRADeS", "MSS", "good"),
    ("Dossier communicant de cancérologie (RCP)", "ECHANGE", "production", "Inovelan", "DCC", "mid"),
    ("PACS régional mutualisé", "IMAGERIE", "production", "Telemis", "PACS", "mid"),
    ("DRIMbox de partage d'imagerie", "IMAGERIE", "pilote", "Bretagne Imagerie", "DRIMbox", "weak"),
    ("Observatoire régional des urgences (RPU)", "URGENCES", "production", "ORU", "Observatoire", "good"),
    ("Suivi des tensions hospitalières", "URGENCES", "production", "ORU", "Tensions", "mid"),
    ("Visioconférence santé sécurisée", "INFRA_SECU", "production", "Rendez-vous", "Visio", "mid"),
    ("Centre régional de cybersurveillance (SOC)", "INFRA_SECU", "pilote", "GRADeS", "SOC", "weak"),
    ("Portail régional des professionnels", "PORTAIL", "production", "GRADeS", "Portail", "mid"),
]

TERRITORIES = [
    "Brest / Carhaix / Morlaix",
    "Vannes / Ploërmel",
    "Saint-Malo / Dinan",
    "Rennes / Fougères / Vitré",
    "Lorient / Quimperlé",
    "Quimper / Douarnenez",
]
PROFILE_P4 = {"good": 0.9, "mid": 0.65, "weak": 0.35}
AXIS_BIAS = {"IOP": 0.06, "SEC": -0.18, "ETH": -0.06}  # security is the weak point named nationally
BLOCKER_TEXTS = {
    "vendor": "L'éditeur n'a pas encore livré la version conforme ; la feuille de route produit annonce une livraison.",
    "national": "Dépendance à un service national dont le raccordement n'est pas encore ouvert à ce type de service.",
    "market": "Le marché en cours ne couvre pas cette évolution ; un avenant ou un nouveau marché est nécessaire.",
    "regional": "Charge de l'équipe régionale et arbitrage de priorités au comité stratégique.",
    "other": "Accord des établissements membres attendu avant le déploiement.",
}
OWNER_FOR = {"vendor": "vendor", "national": "national", "market": "ars", "regional": "grades", "other": "grades"}
INDICATORS = {
    "SOCLE_REF": [("utilisateurs_actifs", 1800, 2500), ("structures_es", 62, 70), ("structures_esms", 240, 400)],
    "COORD": [("patients_actifs", 5200, 8000), ("utilisateurs_actifs", 950, 1500), ("documents_dmp", 3100, 6000)],
    "ORIENT": [("utilisateurs_actifs", 2100, 2400), ("structures_esms", 410, 450)],
    "TELESANTE": [("utilisateurs_actifs", 420, 900), ("part_psc", 38, 80), ("territoires", 4, 6)],
    "ECHANGE": [("messages_mss", 185000, 250000), ("structures_ville", 2300, 3500)],
    "IMAGERIE": [("structures_es", 21, 30), ("documents_dmp", 12000, 40000)],
    "URGENCES": [("structures_es", 34, 34), ("utilisateurs_actifs", 310, 350)],
    "INFRA_SECU": [("structures_es", 48, 60), ("utilisateurs_actifs", 1200, 1500)],
    "PORTAIL": [("utilisateurs_actifs", 5400, 8000), ("part_psc", 55, 90)],
}


def siret_from(prefix13: str) -> str:
    return next(prefix13 + str(d) for d in range(10) if luhn_ok(prefix13 + str(d)))


def make_document(
    ref: Referentiel, *, services: int | None = None, actions: int | None = None, seed: int = SEED
) -> dict[str, Any]:
    """The demo campaign as an answers document (deterministic for a seed)."""
    rng = random.Random(seed)
    ref_date = dt.date.fromisoformat(REFERENCE_DATE)
    count = services or len(SERVICES)
    svc_docs: list[dict[str, Any]] = []
    blockers: list[dict[str, Any]] = []
    action_docs: list[dict[str, Any]] = []
    gaps: list[tuple[str, str, int, int]] = []  # service, criterion, level, final target
    for n in range(count):
        name, category, status, vendor, product, profile = SERVICES[n % len(SERVICES)]
        if n >= len(SERVICES):
            name = f"{name} — site {n // len(SERVICES) + 1}"
        sid = f"svc-{n + 1}"
        criteria = {}
        for c in ref.candidates(category):
            allowed = ref.allowed_levels(c)
            if c.na_allowed and rng.random() < 0.08:
                criteria[c.id] = {"level": "NA", "justification": "Le service ne manipule pas ce type de donnée "
                                  "ou de flux : critère sans objet ici."}
                continue
            p4 = PROFILE_P4[profile] + AXIS_BIAS.get(c.axis, 0)
            level = 4 if rng.random() < p4 else rng.choice([3, 2, 2, 1, 1] + ([0] if profile == "weak" else []))
            if c.critical and profile != "weak":
                level = max(level, 3 if rng.random() < 0.5 else 4)
            if level not in allowed:
                level = max(v for v in allowed if v <= level) if any(v <= level for v in allowed) else allowed[0]
            answer: dict[str, Any] = {"level": level}
            if c.evidence_from is not None and level >= c.evidence_from and rng.random() < 0.93:
                answer["evidence"] = f"Attestation {c.source or 'interne'} — revue {rng.choice(['2025', '2026'])}"
            if rng.random() < 0.15:
                answer["comment"] = "Point revu avec l'éditeur au dernier comité de suivi."
            criteria[c.id] = answer
            final = c.targets[-1].level if c.targets else None
            due = next((t.level for t in reversed(c.targets) if t.date <= ref_date), None)
            if final is not None and level < final:
                gaps.append((sid, c.id, level, final if due is None or level >= due else max(due, final)))
        start = dt.date(2016 + rng.randrange(9), rng.choice([1, 4, 9]), 1)
        indicators = [
            {"id": f"ind-{n + 1}-{k + 1}", "fields": {"indicator": ind, "period": "2026-S1",
             "value": round(v * rng.uniform(0.8, 1.1)), "target": tgt, "source": "Statistiques de la plateforme"}}
            for k, (ind, v, tgt) in enumerate(INDICATORS[category])
        ]
        run = rng.randrange(40, 400) * 1000
        finances = [
            {"id": f"fin-{n + 1}-{k + 1}", "fields": {"year": year, "line": line, "nature": nature,
             "amount": amount, "funding": funding}}
            for k, (year, line, nature, amount, funding) in enumerate([
                (2025, "fonctionnement", "reel_n1", run, "fir"),
                (2026, "fonctionnement", "budget_n", round(run * 1.05), "fir"),
                (2027, "investissement", "prevision", rng.randrange(20, 300) * 1000,
                 rng.choice(["segur", "e_parcours", "fir"])),
            ])
        ]
        svc_docs.append({
            "id": sid,
            "name": name,
            "category": category,
            "fields": {
                "status": status,
                "vendor": vendor,
                "product": product,
                "host": rng.choice(["Hébergeur HDS régional", "Cloud HDS de l'éditeur", "Datacenter du GRADeS"]),
                "hds_hosted": True,
                "territories": ", ".join(rng.sample(TERRITORIES, 3)),
                "publics": ["professionnels", "structures"] if category != "PORTAIL" else ["professionnels"],
                "start_date": start.isoformat(),
                "coverage": rng.randrange(35, 95),
                "pos_position": f"Brique « {category} » du plan d'occupation des sols régional.",
            },
            "criteria": criteria,
            "indicators": indicators,
            "finances": finances,
        })
    blockers, action_docs = shared_plan(ref, svc_docs, gaps, rng)
    if actions is not None:
        action_docs = (action_docs + extra_actions(ref, gaps, actions - len(action_docs), rng))[:actions]
    return {
        "format": ANSWERS_FORMAT,
        "format_version": ANSWERS_VERSION,
        "referentiel": {"id": ref.referentiel.id, "version": ref.referentiel.version},
        "campaign": {"region": "53", "label": "2026-S2", "reference_date": REFERENCE_DATE},
        "answers": {
            "ars_name": "ARS Bretagne",
            "grades_name": "GIP e-Santé Armor (fictif)",
            "grades_legal_form": "gip",
            "siret": siret_from("1300453200001"),
            "delegate_name": "Camille Le Goff",
            "delegate_email": "camille.legoff@esante-armor.example",
            "delegate_phone": "02 99 00 00 00",
            "team": "Camille Le Goff (responsable déléguée), Yann Morvan (urbaniste), "
                    "Nolwenn Tanguy (architecte), Erwan Cadiou (chef de projet e-Parcours)",
            "identity_vigilance_org": True,
            "identity_vigilance_date": "2021-06-01",
            "security_policy": True,
            "security_policy_date": "2022-02-01",
        },
        "services": svc_docs,
        "blockers": blockers,
        "actions": action_docs,
    }


# The causes a region names once for many gaps (DESIGN.md §4): the vendor of a service for its
# interoperability and security gaps, the national services for the interoperability gaps of the
# region's own products, the markets for urbanisation, the regional team for ethics.
CAUSES = {  # cause key -> (category, description, action title, owner, due, status)
    "national": ("national", "Raccordement aux services socles nationaux (DMP, INSi, Pro Santé Connect) pas encore "
                 "ouvert à ces services régionaux.",
                 "Raccorder les services régionaux aux services socles nationaux", "national", "2027-12-31",
                 "in_progress"),
    "market": ("market", "Les marchés en cours ne couvrent pas la mise en conformité au plan d'occupation des sols ; "
               "avenants ou nouveaux marchés nécessaires.",
               "Avenants aux marchés pour l'alignement sur le POS régional", "ars", "2027-06-30", "planned"),
    "ethics": ("regional", "Charge de l'équipe régionale : AIPD, accessibilité et écoconception non encore "
               "menées sur tous les services.", "Campagne régionale AIPD, RGAA et écoconception", "grades",
               "2028-06-30", "planned"),
    "security": ("other", "Accord des établissements membres attendu pour les audits de sécurité des services "
                 "opérés par le GRADeS.", "Audits de sécurité et homologation des services du GRADeS", "grades",
                 "2027-12-31", "planned"),
}


def _cause(ref: Referentiel, vendor: str, cid: str) -> str:
    axis = ref.criteria_by_id[cid].axis
    if axis == "URB":
        return "market"
    if axis == "ETH":
        return "ethics"
    if vendor == "GRADeS":
        return "national" if axis == "IOP" else "security"
    return f"vendor:{vendor}"


def shared_plan(ref: Referentiel, svc_docs: list[dict[str, Any]], gaps: list[tuple[str, str, int, int]],
                rng: random.Random) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """One blocker and one action per cause, each covering every gap that cause explains: the plan
    is complete (every gap has a blocker and an action reaching at least its due level)."""
    vendor_of = {s["id"]: (s["fields"]["vendor"], s["fields"]["product"]) for s in svc_docs}
    groups: dict[str, list[tuple[str, str, int, int]]] = {}
    for gap in gaps:
        groups.setdefault(_cause(ref, vendor_of[gap[0]][0], gap[1]), []).append(gap)
    blockers: list[dict[str, Any]] = []
    actions: list[dict[str, Any]] = []
    for key, covered in groups.items():
        if key.startswith("vendor:"):
            vendor = key.split(":", 1)[1]
            products = sorted({vendor_of[sid][1] for sid, *_ in covered})
            category, description, title, owner, due, status = (
                "vendor", f"{vendor} n'a pas encore livré la version conforme ({', '.join(products)}) ; sa feuille "
                "de route annonce une livraison.", f"Montée de version {vendor}", "vendor",
                rng.choice(["2027-06-30", "2027-12-31"]), rng.choice(["planned", "in_progress"]))
        else:
            category, description, title, owner, due, status = CAUSES[key]
        covers = [{"service": sid, "criterion": cid} for sid, cid, *_ in covered]
        # The level every covered criterion can take that reaches all their final targets.
        allowed = set.intersection(*(set(ref.allowed_levels(ref.criteria_by_id[cid])) for _, cid, *_ in covered))
        highest = max(final for *_, final in covered)
        target = min((v for v in allowed if v >= highest), default=max(allowed))
        bid = f"b-{len(blockers) + 1}"
        blockers.append({"id": bid, "covers": covers, "category": category, "description": description,
                         "fields": {"severity": 2 if category in ("vendor", "national") else 1,
                                    "raised_on": "2026-03-15"}})
        actions.append({"id": f"a-{len(actions) + 1}", "covers": covers, "title": title, "target_level": target,
                        "due": due, "owner": owner, "status": status,
                        "fields": {"cost": rng.randrange(20, 300) * 1000,
                                   "funding": rng.choice(["fir", "segur", "e_parcours"]), "blocker": bid}})
    return blockers, actions


def extra_actions(ref: Referentiel, gaps: list[tuple[str, str, int, int]], count: int,
                  rng: random.Random) -> list[dict[str, Any]]:
    """Intermediate steps for a large campaign (benchmarks): each covers the gaps of one service on
    one axis, up to four, aiming one level above the lowest of them."""
    by_axis: dict[tuple[str, str], list[tuple[str, str, int, int]]] = {}
    for gap in gaps:
        by_axis.setdefault((gap[0], ref.criteria_by_id[gap[1]].axis), []).append(gap)
    groups = [g[i:i + 4] for g in by_axis.values() for i in range(0, len(g), 4)]
    out: list[dict[str, Any]] = []
    for n in range(max(count, 0)):
        if not groups:
            break
        group = groups[n % len(groups)]
        allowed = set.intersection(*(set(ref.allowed_levels(ref.criteria_by_id[cid])) for _, cid, *_ in group))
        level = min(lv for _, _, lv, _ in group) + 1
        target = min((v for v in allowed if v >= level), default=max(allowed))
        out.append({"id": f"a-x{n + 1}", "covers": [{"service": sid, "criterion": cid} for sid, cid, *_ in group],
                    "title": "Étape intermédiaire", "target_level": target,
                    "due": rng.choice(["2027-06-30", "2027-12-31", "2028-06-30"]), "owner": "grades",
                    "status": rng.choice(["planned", "done", "abandoned"]), "fields": {}})
    return out


def make_demo(db: Path, referentiel: Path | None = None, *, services: int | None = None,
              actions: int | None = None) -> str:
    from .session import Session

    if db.exists() and db.stat().st_size > 0:
        raise UserError(f"{db} existe déjà ; choisissez un autre fichier avec --db ou supprimez celui-ci.")
    ref = load_referentiel(referentiel)
    doc = make_document(ref, services=services, actions=actions)
    _drop_unknown(ref, doc)
    _one_gap_each(ref, doc)
    with Session.creating(db, ref, author="Camille Le Goff") as session:
        session.import_document(doc, "démo")
        counts = session.scores_document()["region"]["status_counts"]
    return (
        f"{len(doc['services'])} services, {len(doc['blockers'])} freins, {len(doc['actions'])} actions ; "
        f"{counts['convergent']} convergents, {counts['partially_convergent']} partiellement, "
        f"{counts['non_convergent']} non convergents"
    )


def _one_gap_each(ref: Referentiel, doc: dict[str, Any]) -> None:
    """Under a questionnaire up to 2026.2 (one service and one criterion per blocker or action), the
    demo's shared causes become one item per gap: a format 1 document."""
    if "covers" in ref.item_questions("blocker"):
        return
    doc["format_version"] = 1
    for key in ("blockers", "actions"):
        doc[key] = [{**{k: v for k, v in entry.items() if k != "covers"}, "id": f"{entry['id']}-{n + 1}",
                     "service": pair["service"], "criterion": pair["criterion"]}
                    for entry in doc[key] for n, pair in enumerate(entry["covers"])]
    ids = {entry["id"].rsplit("-", 1)[0]: entry["id"] for entry in doc["blockers"]}
    for action in doc["actions"]:
        if action["fields"].get("blocker") in ids:
            action["fields"]["blocker"] = ids[action["fields"]["blocker"]]


def _drop_unknown(ref: Referentiel, doc: dict[str, Any]) -> None:
    """Keep the demo loadable under a customised questionnaire (--referentiel) that lacks some questions."""
    form = ref.form_questions
    doc["answers"] = {k: v for k, v in doc["answers"].items() if k in form}
    for key, kind in (("services", "service"), ("blockers", "blocker"), ("actions", "action")):
        questions = ref.item_questions(kind)
        for entry in doc[key]:
            entry["fields"] = {k: v for k, v in entry["fields"].items() if k in questions}
    for s in doc["services"]:
        for key, kind in (("indicators", "indicator"), ("finances", "finance")):
            questions = ref.item_questions(kind)
            s[key] = [{**e, "fields": {k: v for k, v in e["fields"].items() if k in questions}}
                      for e in s[key]] if questions else []
