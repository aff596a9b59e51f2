"""The walk-through's bundle, checked as the ANS would (`convergence verify`, `openssl cms -verify`,
the recipe of tests/test_bundle.py) and compared with what was typed (benchmarks/walkthrough.py)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from benchmarks import walkthrough_scenario as scenario


def check_bundle(bundle: Path, pem: Path, ref) -> str:
    """Raises AssertionError unless the bundle verifies, is final and holds what was typed; returns
    the verdict `convergence verify` printed."""
    verify = subprocess.run([sys.executable, "-m", "convergence_tui", "verify", str(bundle), "--trust", str(pem)],
                            capture_output=True, text=True, timeout=120)
    if verify.returncode != 0 or "Paquet valide" not in verify.stdout or "BROUILLON" in verify.stdout:
        raise AssertionError(f"convergence verify ({verify.returncode}) :\n{verify.stdout}{verify.stderr}")
    with zipfile.ZipFile(bundle) as zf:
        entries = {name: zf.read(name) for name in zf.namelist()}
    _openssl_verifies(entries, pem)
    manifest = json.loads(entries["manifest.json"])
    if manifest["draft"] is not False or not manifest.get("validation"):
        raise AssertionError(f"paquet non définitif ou sans validation : draft={manifest['draft']}, "
                             f"validation={manifest.get('validation')}")
    _holds_what_was_typed(json.loads(entries["answers.json"]), manifest, ref)
    return verify.stdout.strip()


def _openssl_verifies(entries: dict[str, bytes], pem: Path) -> None:
    openssl = shutil.which("openssl")
    if openssl is None:
        raise AssertionError("openssl n'est pas installé")
    with tempfile.TemporaryDirectory() as tmp:
        content, signature = Path(tmp, "manifest.json"), Path(tmp, "manifest.json.p7s")
        content.write_bytes(entries["manifest.json"])
        signature.write_bytes(entries["manifest.json.p7s"])
        done = subprocess.run([openssl, "cms", "-verify", "-binary", "-inform", "DER", "-in", str(signature),
                               "-content", str(content), "-CAfile", str(pem), "-out", os.devnull],
                              capture_output=True, text=True, timeout=60)
    if done.returncode != 0 or "Verification successful" not in done.stderr:
        raise AssertionError(f"openssl cms -verify : {done.stderr.strip()}")


def _holds_what_was_typed(answers: dict, manifest: dict, ref) -> None:
    problems = []

    def same(what: str, found, wanted) -> None:
        if found != wanted:
            problems.append(f"{what} : {found!r} au lieu de {wanted!r}")

    campaign = answers["campaign"]
    same("région", campaign["region"], scenario.REGION.split()[0])
    same("campagne", campaign["label"], scenario.CAMPAIGN)
    same("date de référence", campaign["reference_date"], scenario.REFERENCE_DATE.isoformat())
    for key, wanted in (("grades_name", scenario.GRADES), ("ars_name", scenario.ARS), ("siret", scenario.SIRET),
                        ("delegate_name", scenario.DELEGATE)):
        same(key, answers["answers"].get(key), wanted)
    same("signataire de la validation", manifest["validation"].get("name"), scenario.DELEGATE)
    services = {s["name"]: s for s in answers["services"]}
    same("services", sorted(services), sorted(s.name for s in scenario.SERVICES))
    for svc in scenario.SERVICES:
        got = services.get(svc.name)
        if got is None:
            continue
        same(f"{svc.name} : catégorie", got["category"], svc.category)
        for c in ref.candidates(svc.category):
            level = scenario.level_for(svc, c)
            cell = got["criteria"].get(c.id, {})
            same(f"{svc.name} {c.id}", cell.get("level"), level)
            if level == "NA":
                same(f"{svc.name} {c.id} justification", cell.get("justification"), svc.na[c.id])
            elif scenario.needs_evidence(c, level):
                same(f"{svc.name} {c.id} preuve", cell.get("evidence"), scenario.EVIDENCE[c.id])
    # One blocker and one action per cause, each covering every gap of that cause.
    ids = {x["name"]: x["id"] for x in answers["services"]}
    for key, text in (("blockers", "description"), ("actions", "title")):
        same(key, len(answers[key]), len(scenario.CAUSES))
        for cause in scenario.CAUSES:
            wanted = cause.blocker if key == "blockers" else cause.action
            item = next((i for i in answers[key] if i[text] == wanted), None)
            pairs = {(ids.get(s.name), c) for s, c in scenario.gaps_of(cause)}
            got = {(c["service"], c["criterion"]) for c in (item or {}).get("covers") or []}
            same(f"{key} « {wanted} » : écarts couverts", got, pairs)
    if problems:
        raise AssertionError("le paquet ne tient pas ce qui a été tapé :\n  " + "\n  ".join(problems))
