"""The manifest's claims checked against the bundle's contents (DESIGN.md §6, "What a valid bundle
proves"): the signer may be the forger, so nothing it declares is printed unless the data back it.
Each check raises a `VerificationError` naming the false claim; values from the bundle are shown
through `printable()`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..campaign.problems import Problem
from ..campaign.signoffs import latest_signoff, signed_by
from ..campaign.timeline import semester_start
from ..escaping import printable
from ..referentiel.models import Referentiel
from ..referentiel.official import pin_of
from ..wording import date_fr
from .format import sha256
from .signature import fail
from .verdict import OFFICIAL

REFUSED = "affirmation fausse, paquet refusé."


refused = fail  # the one way a bundle is said to fail (bundle/signature.py)


def _campaign(c: Mapping[str, Any]) -> str:
    return (f"« {printable(c.get('region'))} / {printable(c.get('label'))} » (niveaux dus au "
            f"{printable(c.get('reference_date'))})")


def check_questionnaire(path: Path, pin: Mapping[str, Any], ref: Referentiel, ref_bytes: bytes,
                        compare_with: tuple[str, bytes] | None, or_official: bool) -> str:
    """Whether the bundle's questionnaire may be trusted: OFFICIAL, or the name of the file it equals.

    `compare_with`: the file the verifier named (`--referentiel`), which the bytes must equal;
    `or_official`: an official file is accepted too (import into a campaign with its own file).
    """
    named = f"« {printable(ref.referentiel.id)} {printable(ref.referentiel.version)} »"
    if (pin["id"], pin["version"]) != (ref.referentiel.id, ref.referentiel.version):
        raise refused(path, f"le manifeste annonce le questionnaire « {printable(pin['id'])} "
                          f"{printable(pin['version'])} » mais referentiel.toml est {named} ; {REFUSED}")
    status = pin_of(ref.referentiel.id, ref.referentiel.version, sha256(ref_bytes))
    if compare_with is not None and ref_bytes == compare_with[1]:
        found = OFFICIAL if status == "official" else compare_with[0]
    elif status == "official" and (compare_with is None or or_official):
        found = OFFICIAL
    elif compare_with is not None and not or_official:
        raise refused(path, f"referentiel.toml ({named}) n'est pas identique au questionnaire donné "
                          f"({printable(compare_with[0])}) ; le paquet a été rempli avec un autre questionnaire.")
    elif status == "modified":
        raise refused(path, f"questionnaire modifié : referentiel.toml se dit {named}, une version officielle, mais "
                          "ce n'est pas le fichier officiel de cette version (empreinte SHA-256 différente) ; "
                          "ses critères, cibles ou règles ont pu être changés ; paquet refusé.")
    else:
        raise refused(path, f"questionnaire inconnu : {named} n'est pas une version officielle connue de cet outil ; "
                          "si c'est le questionnaire d'un pilote, donnez le fichier à comparer avec "
                          "--referentiel FICHIER.")
    official = pin.get("official")
    if official is not None and official != (status == "official"):
        said = "officiel" if official else "non officiel"
        raise refused(path, f"le manifeste dit le questionnaire {said} ; il ne l'est pas ; {REFUSED}")
    return found


def check_signer(path: Path, manifest: Mapping[str, Any], subject: str) -> None:
    said = manifest["signer"]["subject"]
    if said != subject:
        raise refused(path, f"le manifeste nomme le signataire « {printable(said)} » mais le certificat qui a signé "
                          f"est celui de « {printable(subject)} » ; {REFUSED}")


def check_campaign(path: Path, manifest: Mapping[str, Any], answers: Mapping[str, Any]) -> None:
    said, found = manifest["campaign"], answers["campaign"]
    if dict(said) != dict(found):
        raise refused(path, f"le manifeste annonce la campagne {_campaign(said)} mais answers.json dit "
                          f"{_campaign(found)} ; {REFUSED}")


def check_created_at(path: Path, manifest: Mapping[str, Any], created: dt.datetime) -> None:
    """Not before the campaign's semester began (the certificate's validity is the signature's check)."""
    # A day of grace for a laptop whose clock is a little ahead; beyond, the date is made up.
    if created > dt.datetime.now(dt.UTC) + dt.timedelta(days=1):
        raise refused(path, f"créé le {printable(manifest['created_at'])}, date à venir : date de création fausse "
                            f"(ou horloge de l'ordinateur du signataire déréglée) ; {REFUSED}")
    label = manifest["campaign"]["label"]
    start = semester_start(label)
    if start is not None and created.date() < start:
        raise refused(path, f"créé le {printable(manifest['created_at'])}, avant le début du semestre "
                          f"{printable(label)} ({date_fr(start)}) : date de création fausse ; {REFUSED}")


def check_validation(path: Path, manifest: Mapping[str, Any], answers: Mapping[str, Any]) -> None:
    """A validation only when it is the latest sign-off recorded in the answers and covers them."""
    said = manifest["validation"]
    last, current = latest_signoff(answers)
    if said is None:
        if last is not None and current:
            raise refused(path, f"le manifeste ne mentionne pas la validation de {printable(signed_by(last))} qui "
                              f"couvre ces réponses ; {REFUSED}")
        return
    who = printable(f"{said['name']} ({said['role']}) le {said['at']}")
    if not any({k: s[k] for k in ("name", "role", "at")} == said for s in answers.get("signoffs") or []):
        raise refused(path, f"le manifeste annonce une validation par {who}, absente des validations enregistrées "
                            f"dans answers.json ; {REFUSED}")
    if not current or last is None or {k: last[k] for k in ("name", "role", "at")} != said:
        raise refused(path, f"le manifeste annonce une validation par {who}, mais elle ne couvre pas ces réponses "
                            f"(empreinte différente, ou une validation plus récente existe) ; {REFUSED}")


def check_final(path: Path, manifest: Mapping[str, Any], blockers: list[Problem]) -> None:
    """`draft: false` only when nothing blocks a final export."""
    if manifest["draft"] or not blockers:
        return
    n = len(blockers)
    raise refused(path, f"le manifeste annonce une soumission définitive (draft: false) mais {n} point"
                      f"{'s' if n > 1 else ''} bloque{'nt' if n > 1 else ''} encore l'export définitif (par exemple : "
                      f"{printable(blockers[0].message)}) ; {REFUSED}")
