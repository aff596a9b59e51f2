"""`convergence compare` with real bundles: two semesters of one region (the second made by editing a
copy of the first campaign), a baseline made with another questionnaire version, a tampered one,
one of another region, one moved away (DESIGN.md §9)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import jsonschema
import pytest

from convergence_tui.bundle.format import zip_bytes
from convergence_tui.cli import main as cli_main
from convergence_tui.usecases.session import Session
from tests.conftest import FIXTURES, ROOT

PASSWORD = "motdepasse-pilote"
RELEASE = FIXTURES / "release-0.1.0"
AS_OF = "2027-12-31"  # the date the baseline's actions were due by (--date): every demo action due in 2027


def schema() -> dict:
    return json.loads((ROOT / "schemas" / "comparison.schema.json").read_text(encoding="utf-8"))


def run(*argv: object, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "convergence_tui", *map(str, argv)], capture_output=True, text=True,
                          env={**os.environ, "CONVERGENCE_P12_PASSWORD": PASSWORD, **(env or {})})


def scores_of(db: Path) -> dict:
    with Session.open(db, readonly=True) as s:
        return s.scores_document()


@pytest.fixture(scope="module")
def semesters(tmp_path_factory):
    """Semester 1: the demo campaign, exported signed (a `keygen` identity). Semester 2: a `convergence
    copy` of it, edited as a team would the next semester — new label and reference date, levels up,
    down and NA, a service retired and one added under the same name, an action done, another whose
    levels were reached without its status saying so."""
    folder = tmp_path_factory.mktemp("semesters")
    p12 = folder / "pilote.p12"
    assert run("keygen", "--out", p12, "--name", "Camille Le Goff").returncode == 0
    s1 = folder / "s1.sqlite"
    assert cli_main(["demo", "--db", str(s1)]) == 0
    made = run("export", "--db", s1, "--p12", p12, "--draft", "--out", folder / "exports")
    assert made.returncode == 0, made.stderr
    (bundle,) = (folder / "exports").glob("*.zip")
    s2 = folder / "s2.sqlite"
    assert cli_main(["copy", "--db", str(s1), "--out", str(s2)]) == 0
    edits: dict = {}
    with Session.open(s2) as s:
        s.set_answer("campaign", "campaign_label", "2027-S1")
        s.set_answer("campaign", "reference_date", "30/06/2027")
        first = s.data.live_ids("service")[0]
        levels = {c.id: s.data.value(f"{first}/{c.id}", "level") for c in s.candidates(first)}
        up = next(c for c, v in levels.items() if isinstance(v, int) and v < 4)
        down = next(c for c, v in levels.items() if isinstance(v, int) and v > 0 and c != up)
        na = next(c.id for c in s.candidates(first) if c.na_allowed and c.id not in (up, down)
                  and isinstance(levels[c.id], int))
        s.set_level(first, up, 4)
        s.set_level(first, down, 0)
        s.set_level(first, na, "NA")
        edits["service"] = (first, {up: (levels[up], 4, "up"), down: (levels[down], 0, "down"),
                                    na: (levels[na], "NA", "other")})
        retired = s.data.live_ids("service")[5]
        edits["retired"] = (retired, s.data.name_of(retired), s.data.category_of(retired))
        s.delete_item(retired)
        edits["added"] = s.add_item("service", {"name": edits["retired"][1], "category": edits["retired"][2]})
        actions = [a.id for a in s.data.live("action") if s.data.value(a.id, "status") in ("planned", "in_progress")
                   and (s.data.value(a.id, "due") or "9999") <= AS_OF]
        done, reached = actions[0], actions[1]
        s.set_answer(done, "status", "done")
        target = s.data.value(reached, "target_level")
        for sid, cid in s.data.covers_of(reached):
            if s.data.is_live(sid):
                s.set_level(sid, cid, target)
        edits["done"], edits["reached"] = done, reached
        edits["untouched"] = [a for a in actions[2:] if s.data.value(a, "status") != "done"]
    return {"p12": p12, "pem": p12.with_suffix(".pem"), "s1": s1, "bundle": bundle, "s2": s2, "edits": edits}


@pytest.fixture
def s2(semesters, tmp_path) -> Path:
    path = tmp_path / "s2.sqlite"
    shutil.copy(semesters["s2"], path)
    return path


def compare_json(cli, db: Path, *argv: object) -> dict:
    code, out, err = cli("compare", "--db", db, *argv, "--json", "--date", AS_OF)
    assert code == 0, err
    doc = json.loads(out)
    jsonschema.validate(doc, schema())
    return doc


def test_two_semesters_of_one_region(cli, semesters, s2):
    doc = compare_json(cli, s2, semesters["bundle"], "--trust", semesters["pem"])
    edits = semesters["edits"]
    baseline = doc["baseline"]
    assert baseline["campaign"] == {"region": "53", "label": "2026-S2", "reference_date": "2026-12-31"}
    assert doc["current"]["campaign"] == {"region": "53", "label": "2027-S1", "reference_date": "2027-06-30"}
    assert baseline["signer"]["authenticated"] is True and "Camille Le Goff" in baseline["signer"]["subject"]
    assert baseline["file"] == str(semesters["bundle"].resolve()) and baseline["file_state"] == "present"
    assert doc["criteria"]["comparable"] == doc["criteria"]["total"] == 25 and doc["criteria"]["share"] == 100.0

    # The region then is the bundle's scores.json; now is `status --json` of the edited campaign.
    with zipfile.ZipFile(semesters["bundle"]) as zf:
        then = json.loads(zf.read("scores.json"))
    now = scores_of(s2)
    for axis, m in doc["region"]["maturity"].items():
        assert (m["baseline"], m["current"]) == (then["region"]["maturity"][axis], now["region"]["maturity"][axis])
    for status, pair in doc["region"]["status_counts"].items():
        assert pair == {"baseline": then["region"]["status_counts"][status],
                        "current": now["region"]["status_counts"][status]}

    by_id = {s["id"]: s for s in doc["services"]}
    first, changes = edits["service"]
    moved = {c["criterion"]: (c["baseline"], c["current"], c["change"]) for c in by_id[first]["criteria"]
             if c["change"] != "same"}
    assert moved == changes
    then_first = next(s for s in then["services"] if s["id"] == first)
    now_first = next(s for s in now["services"] if s["id"] == first)
    assert by_id[first]["status"]["baseline"] == then_first["status"]
    assert by_id[first]["status"]["current"] == now_first["status"]
    assert by_id[first]["level"]["baseline"] == then_first["level"]

    retired = edits["retired"][0]
    assert by_id[retired]["state"] == "retired"
    # Matched by id only: the service added under the retired one's name is a new service, and said so.
    assert by_id[edits["added"]]["state"] == "added" and by_id[edits["added"]]["same_name_as"] == retired
    assert doc["summary"]["services_added"] == doc["summary"]["services_retired"] == 1
    assert doc["summary"]["services_kept"] == len(then["services"]) - 1

    actions = {a["id"]: a for a in doc["actions"]}
    assert actions[edits["done"]]["status"] == {"baseline": actions[edits["done"]]["status"]["baseline"],
                                               "current": "done"}
    assert actions[edits["done"]]["happened"] is True
    assert actions[edits["reached"]]["reached"] is True and actions[edits["reached"]]["happened"] is True
    assert all(a["due"] <= AS_OF for a in doc["actions"])
    with Session.open(s2, readonly=True) as s:  # the rule, checked against the campaign itself
        for aid in edits["untouched"]:
            target = s.data.value(aid, "target_level")
            levels = [s.data.value(f"{sid}/{cid}", "level") for sid, cid in s.data.covers_of(aid) if s.data.is_live(sid)]
            expected = all(isinstance(v, int) and v >= target for v in levels)
            assert actions[aid]["reached"] is expected and actions[aid]["happened"] is expected


def test_the_baseline_is_remembered_and_the_text_is_french(cli, semesters, s2):
    code, out, err = cli("compare", "--db", s2, semesters["bundle"], "--date", AS_OF)
    assert code == 0, err
    assert "Référence retenue dans la campagne" in out
    # Without the bundle: the remembered baseline, the same comparison.
    code, again, err = cli("compare", "--db", s2, "--date", AS_OF)
    assert code == 0, err
    assert again.splitlines() == out.splitlines()[:-1]
    assert "Critères comparables : 25 sur 25 (100,0 %)" in again
    assert "signataire non authentifié" in again  # no --trust, no trust setting
    first, changes = semesters["edits"]["service"]
    line = next(x for x in again.splitlines() if f"({first})" in x)
    for cid, (before, after, _) in changes.items():
        assert f"{cid} {before}→{after}" in line
    retired, name, _ = semesters["edits"]["retired"]
    assert f"{name} ({retired}) : retiré" in again
    assert f"même nom que {retired}, retiré" in again


def test_a_tampered_baseline_is_refused_and_nothing_is_remembered(cli, semesters, s2, tmp_path):
    with zipfile.ZipFile(semesters["bundle"]) as zf:
        entries = {n: zf.read(n) for n in zf.namelist()}
    answers = json.loads(entries["answers.json"])
    answers["services"][0]["criteria"][next(iter(answers["services"][0]["criteria"]))]["level"] = 4
    entries["answers.json"] = json.dumps(answers, ensure_ascii=False).encode("utf-8")
    tampered = tmp_path / "modifie.zip"
    tampered.write_bytes(zip_bytes(entries))
    code, out, err = cli("compare", "--db", s2, tampered)
    assert code == 1 and out == ""
    assert "answers.json ne correspond pas à l'empreinte signée" in err
    code, _, err = cli("compare", "--db", s2)
    assert code == 2 and "aucune référence retenue" in err and "convergence compare PAQUET.zip" in err


def test_a_moved_or_changed_baseline_is_said_not_fatal(cli, semesters, s2, tmp_path):
    moved = tmp_path / "precedent.zip"
    shutil.copy(semesters["bundle"], moved)
    compare_json(cli, s2, moved)
    moved.write_bytes(b"autre chose")
    code, out, _ = cli("compare", "--db", s2)
    assert code == 0 and "MODIFIÉ depuis sa vérification" in out
    moved.unlink()
    doc = compare_json(cli, s2)
    assert doc["baseline"]["file_state"] == "missing"
    code, out, _ = cli("compare", "--db", s2)
    assert code == 0 and "INTROUVABLE (déplacé ou supprimé)" in out and "Maturité de la région" in out


def test_a_path_with_control_characters_is_escaped(cli, semesters, s2, tmp_path):
    odd = tmp_path / "paquet\x1b[31m.zip"
    shutil.copy(semesters["bundle"], odd)
    code, out, err = cli("compare", "--db", s2, odd)
    assert code == 0, err
    assert "\x1b" not in out and "paquet" in out


def test_another_regions_bundle_is_refused(cli, semesters, tmp_path):
    other = tmp_path / "other.sqlite"
    shutil.copy(semesters["s2"], other)
    with Session.open(other) as s:
        s.set_answer("campaign", "region", "76")
    code, _, err = cli("compare", "--db", other, semesters["bundle"])
    assert code == 2 and "région 53" in err and "rien n'a été retenu" in err
    assert cli("compare", "--db", other)[0] == 2


def test_a_baseline_of_another_questionnaire_version(cli, demo_db):
    """Release 0.1.0's bundle (questionnaire 2026.2, answers format 1): its criteria are this version's."""
    doc = compare_json(cli, demo_db, RELEASE / "demo-0.1.0-brouillon.zip", "--trust", RELEASE / "pilote.pem")
    assert doc["baseline"]["referentiel"]["version"] == "2026.2"
    assert doc["current"]["referentiel"]["version"] != "2026.2"
    assert doc["criteria"]["comparable"] == 25 and doc["criteria"]["share"] == 100.0
    # Format 1 actions name one service and criterion: read as covering that pair.
    assert doc["actions"] and all(a["covers"] == 1 for a in doc["actions"])
    code, out, _ = cli("compare", "--db", demo_db)
    assert code == 0 and "questionnaires 2026.2 (référence) et 2026.3 (maintenant)" in out


def test_only_criteria_of_both_questionnaires_are_compared(cli, demo_db, tmp_path):
    """The campaign now follows a questionnaire where one criterion was replaced by another: 24 of the
    26 criteria of the two are comparable, and the one that is gone is no level change."""
    text = (ROOT / "referentiel.toml").read_text(encoding="utf-8")
    assert text.count('id = "ETH-04"') == 1
    own = tmp_path / "pilote.toml"
    own.write_text(text.replace('id = "ETH-04"', 'id = "ETH-09"').replace('version = "2026.3"', 'version = "pilote"'),
                   encoding="utf-8")
    db = tmp_path / "pilote.sqlite"
    assert cli("demo", "--db", db, "--referentiel", own)[0] == 0
    doc = compare_json(cli, db, RELEASE / "demo-0.1.0-brouillon.zip", "--referentiel", own)
    c = doc["criteria"]
    assert (c["comparable"], c["total"], c["share"]) == (24, 26, 92.3)
    assert (c["only_baseline"], c["only_current"]) == (["ETH-04"], ["ETH-09"])
    assert not any(x["criterion"] in ("ETH-04", "ETH-09") for s in doc["services"] for x in s["criteria"])
    code, out, _ = cli("compare", "--db", db, "--referentiel", own)
    assert code == 0 and "Critères comparables : 24 sur 26 (92,3 %)" in out and "seulement dans la référence : ETH-04" in out


def test_report_and_workbook_carry_the_comparison_the_bundle_does_not(cli, semesters, s2, tmp_path, monkeypatch):
    import openpyxl

    doc = compare_json(cli, s2, semesters["bundle"])
    code, _, err = cli("report", "--db", s2, "--html", tmp_path / "r.html", "--xlsx", tmp_path / "r.xlsx")
    assert code == 0, err
    html = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert "Évolution depuis la campagne de référence" in html and 'aria-label="Maturité par axe, référence' in html
    retired = semesters["edits"]["retired"][0]
    assert "retiré (était" in html
    book = openpyxl.load_workbook(tmp_path / "r.xlsx")
    assert book.sheetnames[-1] == "Évolution"
    rows = list(book["Évolution"].iter_rows(values_only=True))
    by_id = {r[0]: r for r in rows[1:]}
    assert set(by_id) == {s["id"] for s in doc["services"]}
    assert by_id[retired][2] == "retiré"
    first = semesters["edits"]["service"][0]
    service = next(s for s in doc["services"] if s["id"] == first)
    assert by_id[first][5:7] == (service["level"]["baseline"], service["level"]["current"])
    assert by_id[first][9] == sum(1 for c in service["criteria"] if c["change"] == "up")

    # A bundle exported from a campaign with a baseline set (semester 1's own, for a date it can be
    # exported at): its report says only what its data prove.
    s1 = tmp_path / "s1.sqlite"
    shutil.copy(semesters["s1"], s1)
    assert cli("compare", "--db", s1, semesters["bundle"])[0] == 0
    monkeypatch.setenv("CONVERGENCE_P12_PASSWORD", PASSWORD)
    code, _, err = cli("export", "--db", s1, "--p12", semesters["p12"], "--draft", "--out", tmp_path / "out")
    assert code == 0, err
    (bundle,) = (tmp_path / "out").glob("*.zip")
    with zipfile.ZipFile(bundle) as zf:
        assert "Évolution" not in zf.read("rapport.html").decode("utf-8")
    assert cli("verify", bundle)[0] == 0


def test_no_baseline_no_evolution_sheet(cli, demo_db, tmp_path):
    import openpyxl

    code, _, err = cli("report", "--db", demo_db, "--html", tmp_path / "r.html", "--xlsx", tmp_path / "r.xlsx")
    assert code == 0, err
    assert "Évolution" not in openpyxl.load_workbook(tmp_path / "r.xlsx").sheetnames
    assert "Évolution depuis" not in (tmp_path / "r.html").read_text(encoding="utf-8")


def _shot(levels: dict, actions: list, criteria=("A1", "A2", "B1")) -> dict:
    """A snapshot by hand: one service `s` with `levels`, the plan `actions`."""
    from convergence_tui.campaign.comparison import snapshot

    answers = {"referentiel": {"id": "t", "version": "1"}, "campaign": {"region": "53", "label": "x",
                                                                       "reference_date": "2026-12-31"},
               "services": [{"id": "s", "criteria": {c: {"level": v} for c, v in levels.items()}}],
               "actions": actions}
    region = {"maturity": {"A": 50.0, "global": 50.0}, "completeness": 100.0,
              "status_counts": {"convergent": 0, "partially_convergent": 1, "non_convergent": 0}}
    scores = {"region": region, "services": [{"id": "s", "name": "S", "category": "K", "status": "partially_convergent",
                                              "level": 1, "maturity": {"A": 50.0, "global": 50.0}}]}
    return snapshot([(c, "A") for c in criteria], [("A", "Axe")], answers, scores)


def _action(aid: str, status: str, covers=(("s", "A1"),), due="2027-01-31", target=3) -> dict:
    return {"id": aid, "title": aid, "due": due, "target_level": target, "status": status,
            "covers": [{"service": s, "criterion": c} for s, c in covers]}


def test_what_counts_as_happened_and_how_levels_move():
    import datetime as dt

    from convergence_tui.campaign.comparison import compare

    then = _shot({"A1": 1, "A2": 2, "B1": 4},
                 [_action("done-reached", "planned"), _action("done-only", "in_progress", (("s", "A2"),), target=4),
                  _action("reached-only", "planned", (("s", "A1"),), target=2), _action("gone", "planned"),
                  _action("abandoned", "abandoned"), _action("later", "planned", due="2028-01-31"),
                  _action("elsewhere", "planned", (("x", "A1"),))])
    now = _shot({"A1": 3, "B1": "NA"},
                [_action("done-reached", "done"), _action("done-only", "done", (("s", "A2"),), target=4),
                 _action("reached-only", "in_progress", (("s", "A1"),), target=2), _action("abandoned", "done"),
                 _action("later", "done", due="2028-01-31"), _action("elsewhere", "planned", (("x", "A1"),))])
    doc = compare(then, now, dt.date(2027, 6, 30))
    rows = {c["criterion"]: (c["baseline"], c["current"], c["change"]) for c in doc["services"][0]["criteria"]}
    # A missing answer counts 0 (DESIGN.md §4): A2 went down; NA is not on the scale.
    assert rows == {"A1": (1, 3, "up"), "A2": (2, None, "down"), "B1": (4, "NA", "other")}
    actions = {a["id"]: (a["status"]["current"], a["reached"], a["happened"]) for a in doc["actions"]}
    assert actions == {"done-reached": ("done", True, True), "done-only": ("done", False, True),
                       "reached-only": ("in_progress", True, True), "gone": (None, True, True),
                       "elsewhere": ("planned", None, False)}  # abandoned then, or due later: not due
    from convergence_tui.report.evolution import action_outcome

    outcome = {a["id"]: action_outcome(a) for a in doc["actions"]}
    assert outcome["done-only"] == "déclarée faite, niveau promis non atteint"
    assert outcome["gone"] == "niveau promis atteint (action supprimée depuis)"
    assert outcome["elsewhere"] == "non réalisée (statut : prévue)"


def test_a_category_change_is_said():
    from convergence_tui.report.evolution import service_change

    same = {"change": "same", "baseline": "convergent", "current": "convergent"}
    row = {"state": "kept", "category": {"baseline": "COORD", "current": "ORIENT"}, "status": same,
           "level": {"change": "same", "baseline": 2, "current": 2},
           "maturity": {"global": {"baseline": 50.0, "current": 50.0}}, "criteria": []}
    assert service_change(row) == "catégorie COORD → ORIENT"


def test_figures_read_back_from_the_campaign_file_are_escaped(cli, semesters, s2):
    """The remembered baseline is read back from the campaign file (which can be edited by hand):
    its figures are escaped in the terminal's line and the report like any text."""
    from convergence_tui.report.evolution import html_section, statuses_line

    assert cli("compare", "--db", s2, semesters["bundle"])[0] == 0
    doc = compare_json(cli, s2)
    first = next(iter(doc["region"]["status_counts"]))
    doc["region"]["status_counts"][first]["baseline"] = "<script>x</script>\x1b[31m"
    assert "\x1b" not in statuses_line(doc)
    page = html_section(doc, [("URB", "Urbanisation")])
    assert "<script>" not in page and "&lt;script&gt;" in page
