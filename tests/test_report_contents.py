"""What the bundle's report and tables say: everything the team wrote (the regional context, each
service's texts, every NA justification, evidence and comment), choices by their labels, conformity as
a percent, dates for people — read from a real exported bundle, which verify regenerates byte for byte."""

from __future__ import annotations

import csv
import html
import io
import json
import os
import re
import shutil
import subprocess
import sys

import pytest

from convergence_tui.campaign.data import CAMPAIGN
from convergence_tui.usecases.session import Session
from tests.test_bundle import EPOCH, PASSWORD, entries_of, identity

CONTEXT = ("Priorité 2026 : raccorder les DAC au bouquet e-Parcours.\n"
           "Le ROR attend la V3 nationale ; l'imagerie passe par un marché régional <mutualisé> & « DRIMbox ».")
CHOICE = "Éditeur régional historique, gardé jusqu'à la fin du marché (2028)."
COMMENT = "Revu au comité du 12/11 : l'éditeur livre en mars."
ACTION_COMMENT = "Jalon suivi en COPIL e-Parcours."
FINANCE_COMMENT = "Dépassement dû à l'avenant de réversibilité."
HOSTILE = "Contexte\x1b[2J\x1b]8;;http://evil.example\x07cliquez\u202e"


@pytest.fixture(scope="module")
def bundle(tmp_path_factory, identity, _demo_master):
    folder = tmp_path_factory.mktemp("contents")
    db = folder / "demo.sqlite"
    shutil.copy(_demo_master, db)
    with Session.open(db) as s:
        s.set_answer(CAMPAIGN, "regional_context", CONTEXT)
        s.set_answer("svc-1", "regional_choice", CHOICE)
        s.set_answer("svc-2/URB-01", "comment", COMMENT)
        s.set_answer(s.data.live_ids("action")[0], "comment", ACTION_COMMENT)
        s.set_answer("fin-1-1", "comment", FINANCE_COMMENT)
        answers = s.answers_document()
    env = {**os.environ, "CONVERGENCE_P12_PASSWORD": PASSWORD, "SOURCE_DATE_EPOCH": str(EPOCH)}
    run = subprocess.run([sys.executable, "-m", "convergence_tui", "export", "--db", str(db), "--p12", str(identity),
                          "--draft", "--out", str(folder / "out")], capture_output=True, text=True, env=env)
    assert run.returncode == 0, run.stderr
    (path,) = (folder / "out").glob("*.zip")
    return path, entries_of(path), answers


def report_of(bundle) -> str:
    return bundle[1]["rapport.html"].decode("utf-8")


def test_the_regional_context_is_in_the_report(bundle):
    text = report_of(bundle)
    # The question whose help says « Ce texte accompagne la grille dans le rapport », under its label.
    assert "<dt>Choix régionaux et contexte</dt>" in text
    assert f"<dd>{html.escape(CONTEXT)}</dd>" in text  # whole, escaped, its line break kept (pre-line)
    assert "<mutualisé>" not in text
    assert "<dt>Équipe régionale</dt>" in text  # every long text of the campaign's forms


def test_every_justification_evidence_and_comment_is_in_the_report(bundle):
    text = report_of(bundle)
    _, _, answers = bundle
    written = 0
    for service in answers["services"]:
        block = text.split(f"<h3>{html.escape(service['name'])} <span", 1)[1].split('<div class="service">', 1)[0]
        for cid, entry in service["criteria"].items():
            for key, label in (("justification", "Justification du NA"), ("evidence", "Preuve"),
                               ("comment", "Commentaire")):
                if entry.get(key):
                    assert f"<b>{label}</b> : {html.escape(entry[key])}" in block, (service["name"], cid, key)
                    written += 1
    assert written > 100  # the demo's evidence and justifications, and the comments added
    assert f"<b>Commentaire</b> : {html.escape(COMMENT)}" in text
    assert f"<dt>Choix régionaux</dt><dd>{html.escape(CHOICE)}</dd>" in text
    assert html.escape(ACTION_COMMENT) in text
    # A finance line's comment, under what the line is.
    assert (f"<dt>Bilan financier (2025, Fonctionnement, Réalisé N-1, 359\u202f000\u00a0€) — Commentaire</dt>"
            f"<dd>{html.escape(FINANCE_COMMENT)}</dd>") in text


def test_what_the_team_wrote_is_escaped(bundle):
    """The campaign refuses control characters at input; a report is escaped anyway (a bundle's data
    is rendered, whoever wrote it)."""
    import datetime as dt

    from convergence_tui.campaign.rebuilt import rebuild
    from convergence_tui.referentiel import load
    from convergence_tui.report import html as report_html
    from convergence_tui.report.data import report_data

    _, entries, answers = bundle
    rebuilt = rebuild(load(), answers, dt.date(2026, 12, 31))
    data = report_data(rebuilt, {k: v for k, v in json.loads(entries["manifest.json"]).items() if k != "files"}, [])
    data["context"] = [("Choix régionaux et contexte", HOSTILE)]
    service = data["services"][0]
    service["texts"] = [("Choix régionaux", HOSTILE)]
    service["notes"][0]["texts"] = [("Commentaire", HOSTILE)]
    service["actions"][0]["comment"] = HOSTILE
    text = report_html.render(data).decode("utf-8")
    for bad in ("\x1b", "\x07", "\u202e"):
        assert bad not in text
    assert text.count("Contexte\\x1b[2J\\x1b]8;;http://evil.example\\x07cliquez\\u202e") == 4


def test_choices_dates_and_conformity_for_people(bundle):
    text = report_of(bundle)
    assert "<td>GRADeS</td>" in text and ("<td>Planifiée</td>" in text or "<td>En cours</td>" in text)
    assert "<td>grades</td>" not in text and "<td>planned</td>" not in text
    assert "MARCHÉ" in text and html.escape("Référentiels régionaux (ROR, annuaire, serveur d'identités)") in text
    assert not re.search(r"\d{4}-\d\d-\d\d", text), re.search(r".{40}\d{4}-\d\d-\d\d.{20}", text)
    assert re.search(r"<th>Créé le</th><td>\d\d/\d\d/\d{4} à \d\d:\d\d UTC</td>", text)
    scores = json.loads(bundle[1]["scores.json"])
    ror = next(s for s in scores["services"] if s["id"] == "svc-1")
    shown = f"{ror['conformity'] * 100:.1f}".replace(".", ",")
    assert f"conformité {shown}\u00a0%" in text and f'<td class="num">{shown}\u00a0%</td>' in text
    assert "(s)" not in text


def read_csv(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline=""), delimiter=";"))


def test_tables_show_labels_and_conformity_as_a_percent(bundle):
    _, entries, answers = bundle
    plan = read_csv(entries["plan.csv"])
    assert {r["porteur"] for r in plan} <= {"NATIONAL", "ARS", "GRADeS", "ÉDITEUR"}
    assert {r["statut"] for r in plan} <= {"Planifiée", "En cours", "Réalisée", "Abandonnée"}
    assert "GRADeS" in {r["porteur"] for r in plan} and "Planifiée" in {r["statut"] for r in plan}
    assert all(not r["freins sur ses écarts"] or r["freins sur ses écarts"].split(" : ")[0] in
               {"ÉDITEUR", "NATIONAL", "MARCHÉ", "RÉGIONAL", "AUTRE"} for r in plan)
    # Each action once, with every gap it covers (a shared cause is not one row per gap).
    actions = {a["id"]: a for a in answers["actions"]}
    assert [r["id"] for r in plan] == list(actions)
    assert all(int(r["écarts"]) == len(actions[r["id"]]["covers"]) for r in plan)
    assert any(int(r["écarts"]) > 1 and " | " in r["services"] for r in plan)
    assert b";grades;" not in entries["plan.csv"] and b";planned;" not in entries["plan.csv"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\d", plan[0]["échéance"])  # ISO: a date for every spreadsheet
    services = read_csv(entries["services.csv"])
    scores = {s["id"]: s for s in json.loads(entries["scores.json"])["services"]}
    for row in services:
        expected = round(scores[row["id"]]["conformity"] * 100, 1)
        assert float(row["conformité (%)"].replace(",", ".")) == expected
    assert services[0]["statut du service"] == "En production"
    assert services[0]["catégorie"] == "Référentiels régionaux (ROR, annuaire, serveur d'identités)"
    assert answers["services"][0]["category"] == "SOCLE_REF"


def test_verify_regenerates_the_same_report(cli, bundle):
    code, out, err = cli("verify", bundle[0])
    assert code == 0, err
    assert "services.csv, plan.csv et rapport.html régénérés depuis les réponses : identiques." in out


def test_the_plan_lists_each_cause_and_action_once_and_each_gap_names_them(bundle):
    """A cause covering 40 gaps is one row of the plan with where it applies, not 40 rows; each gap of
    a service says which blocker (F…) and which action (A…) cover it; each action is one row of the
    calendar, ◆ in the semester it is due."""
    _, entries, answers = bundle
    html = entries["rapport.html"].decode("utf-8")
    plan = html[html.index("<h2>Le plan : causes et actions</h2>"):html.index("<h2>Calendrier du plan</h2>")]
    for n, b in enumerate(answers["blockers"], 1):
        assert plan.count(f"<tr><td>F{n}</td>") == 1
        assert f"({len(b['covers'])} écart{'s' if len(b['covers']) > 1 else ''})" in plan
    rows = plan[plan.index("<h3>Actions</h3>"):].split("<tr><td>A")[1:]
    assert len(rows) == len(answers["actions"]) and all(r.count("◆") == 1 for r in rows)
    numbers = {b["id"]: f"F{n}" for n, b in enumerate(answers["blockers"], 1)}
    first = answers["blockers"][0]
    service = next(s for s in answers["services"] if s["id"] == first["covers"][0]["service"])
    section = html[html.index(f"<h3>{service['name']} <span"):]
    gaps_line = section[section.index("<p><b>Écarts</b>"):section.index("</p>", section.index("<p><b>Écarts</b>"))]
    assert numbers[first["id"]] in gaps_line and "sans frein ni action" not in gaps_line
