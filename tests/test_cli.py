"""The `convergence` command: documents in and out, bad input refused in French with nothing written."""

from __future__ import annotations

import copy
import json
import sqlite3
import subprocess
import sys

import jsonschema
import pytest

from convergence_tui.campaign.documents import SCHEMAS, schema_text
from tests.conftest import ROOT


def schema(name: str) -> dict:
    return json.loads((ROOT / "schemas" / name).read_text(encoding="utf-8"))


def answers_of(cli, db) -> dict:
    from convergence_tui.usecases.session import Session

    with Session.open(db) as s:
        return s.answers_document()


@pytest.fixture
def demo_doc(cli, demo_db) -> dict:
    return answers_of(cli, demo_db)


def test_schemas_in_repo_are_current():
    for name, model in SCHEMAS.items():
        assert (ROOT / "schemas" / name).read_text(encoding="utf-8") == schema_text(model), (
            f"schemas/{name} is stale: run python -m convergence_tui.campaign.documents schemas")


def test_status_json_is_schema_valid(cli, demo_db):
    code, out, err = cli("status", "--db", demo_db, "--json")
    assert code == 0, err
    doc = json.loads(out)
    jsonschema.validate(doc, schema("scores.schema.json"))
    assert doc["reference_date"] == "2026-12-31"
    assert len(doc["services"]) == 20
    assert sum(doc["region"]["status_counts"].values()) == 20


def test_options_before_or_after_subcommand(cli, demo_db):
    _, after, _ = cli("status", "--db", demo_db, "--json")
    _, before, _ = cli("--db", demo_db, "status", "--json")
    assert after == before


def test_status_date_override(cli, demo_db):
    _, out, _ = cli("status", "--db", demo_db, "--json", "--date", "2021-06-30")
    doc = json.loads(out)
    assert doc["reference_date"] == "2021-06-30"


def test_status_readable(cli, demo_db):
    code, out, _ = cli("status", "--db", demo_db)
    assert code == 0
    assert "Bretagne (53)" in out and "Région : maturité URB" in out
    assert "À compléter avant l'export définitif" in out


def test_answers_document_schema_valid_and_round_trips(cli, demo_doc, tmp_path, demo_db):
    jsonschema.validate(demo_doc, schema("answers.schema.json"))
    src = tmp_path / "answers.json"
    src.write_text(json.dumps(demo_doc, ensure_ascii=False), encoding="utf-8")
    new_db = tmp_path / "copy.sqlite"
    code, _out, err = cli("import", src, "--db", new_db)
    assert code == 0, err
    assert answers_of(cli, new_db) == demo_doc
    _, a, _ = cli("status", "--db", demo_db, "--json")
    _, b, _ = cli("status", "--db", new_db, "--json")
    assert a == b


def import_problems(cli, tmp_path, doc) -> tuple[int, str, object]:
    src = tmp_path / "bad.json"
    src.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    db = tmp_path / "target.sqlite"
    code, _out, err = cli("import", src, "--db", db)
    return code, err, db


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda d: d["services"][0]["criteria"].update({"ZZZ-99": {"level": 2}}),
         "services[0].criteria.ZZZ-99 : critère inconnu"),
        (lambda d: d["services"][1].update(category="NUCLEAIRE"),
         "services[1].category : catégorie inconnue « NUCLEAIRE »"),
        (lambda d: d["services"][0]["criteria"]["SEC-01"].update(level=2),
         "services[0].criteria.SEC-01.level : niveau 2 non permis"),
        (lambda d: d["services"][0]["criteria"]["URB-01"].update(level="NA"),
         "services[0].criteria.URB-01.level : NA n'est pas permis"),
        (lambda d: d["actions"][0].update(due="2027-02-30"),
         "actions[0].due : « 2027-02-30 » n'est pas une date valide"),
        (lambda d: d["campaign"].update(reference_date="31-12-2026"),
         "campaign.reference_date : « 31-12-2026 » n'est pas une date valide"),
        (lambda d: d["services"][0]["criteria"]["URB-01"].update(level="3"),
         "services[0].criteria.URB-01.level"),
        (lambda d: d["services"][18]["criteria"].update({"URB-03": {"level": 2}}),
         "ne s'applique pas à la catégorie « INFRA_SECU »"),
        (lambda d: d["blockers"][0]["covers"].append({"service": "svc-404", "criterion": "URB-01"}),
         "blockers[0].covers : service inconnu « svc-404 »"),
        (lambda d: d["blockers"][0]["covers"].append(d["blockers"][0]["covers"][0]), "en double"),
        (lambda d: d["actions"][0].update(covers=[]), "actions[0].covers : liste vide"),
        (lambda d: d["actions"][0]["covers"].append({"service": d["services"][18]["id"], "criterion": "URB-03"}),
         "actions[0].covers : le critère « URB-03 » ne s'applique pas au service svc-19"),
        (lambda d: d.update(colour="bleu"), "colour : clé inconnue"),
    ],
)
def test_import_rejects_with_place_and_writes_nothing(cli, tmp_path, demo_doc, mutate, expected):
    doc = copy.deepcopy(demo_doc)
    mutate(doc)
    code, err, db = import_problems(cli, tmp_path, doc)
    assert code == 2
    assert expected in err, err
    assert "rien n'a été importé" in err and "Traceback" not in err
    assert not db.exists()


def test_import_lists_every_problem(cli, tmp_path, demo_doc):
    doc = copy.deepcopy(demo_doc)
    doc["services"][0]["criteria"]["SEC-01"]["level"] = 3
    doc["services"][2]["category"] = "NOPE"
    doc["actions"][1]["due"] = "demain"
    code, err, _ = import_problems(cli, tmp_path, doc)
    assert code == 2 and "3 problèmes" in err


def test_import_into_existing_campaign_writes_nothing(cli, tmp_path, demo_doc, demo_db):
    doc = copy.deepcopy(demo_doc)
    doc["services"][0]["criteria"]["SEC-01"]["level"] = 3
    src = tmp_path / "bad.json"
    src.write_text(json.dumps(doc), encoding="utf-8")
    before = sqlite3.connect(demo_db).execute("select count(*) from journal").fetchone()[0]
    code, _, _err = cli("import", src, "--db", demo_db, "--replace")
    assert code == 2
    assert sqlite3.connect(demo_db).execute("select count(*) from journal").fetchone()[0] == before


def test_incomplete_document_accepted_and_flagged(cli, tmp_path, demo_doc):
    doc = copy.deepcopy(demo_doc)
    doc["services"][0]["criteria"].pop("URB-01")
    for c in doc["services"][0]["criteria"].values():
        c.pop("evidence", None)
    code, err, db = import_problems(cli, tmp_path, doc)
    assert code == 0, err
    code, out, _ = cli("status", "--db", db, "--json")
    kinds = {(p["kind"], p["scope"]) for p in json.loads(out)["problems"]}
    assert ("missing", "svc-1/URB-01") in kinds
    assert any(k == "evidence" and s.startswith("svc-1/") for k, s in kinds)


def test_import_non_json(cli, tmp_path):
    src = tmp_path / "answers.json"
    src.write_text("{ pas du json", encoding="utf-8")
    code, _, err = cli("import", src, "--db", tmp_path / "x.sqlite")
    assert code == 2 and "JSON invalide ligne 1" in err
    assert not (tmp_path / "x.sqlite").exists()


def test_import_wrong_document(cli, tmp_path):
    src = tmp_path / "answers.json"
    src.write_text('{"format": "autre-chose"}', encoding="utf-8")
    code, _, err = cli("import", src, "--db", tmp_path / "x.sqlite")
    assert code == 2 and "n'est pas un document de réponses" in err


def test_import_refuses_non_empty_campaign_without_replace(cli, tmp_path, demo_doc, demo_db):
    src = tmp_path / "a.json"
    src.write_text(json.dumps(demo_doc), encoding="utf-8")
    code, _, err = cli("import", src, "--db", demo_db)
    assert code == 2 and "--replace" in err


def test_db_that_is_not_sqlite(cli, tmp_path):
    db = tmp_path / "campagne.sqlite"
    db.write_bytes(b"PK\x03\x04 not a database at all" * 50)
    before = db.read_bytes()
    code, _, err = cli("status", "--db", db)
    assert code == 2 and "pas une base SQLite" in err and "Traceback" not in err
    assert db.read_bytes() == before


def test_demo_refuses_existing_file(cli, demo_db):
    code, _, err = cli("demo", "--db", demo_db)
    assert code == 2 and "existe déjà" in err


def test_bad_usage_is_french(cli):
    code, _, err = cli("status", "--date", "hier")
    assert code == 2 and "date invalide" in err


def test_default_db_from_environment(cli, tmp_path, monkeypatch):
    db = tmp_path / "env.sqlite"
    monkeypatch.setenv("CONVERGENCE_DB", str(db))
    assert cli("demo")[0] == 0
    assert db.exists()


def test_python_dash_m_entry_point(tmp_path):
    db = tmp_path / "m.sqlite"
    run = subprocess.run([sys.executable, "-m", "convergence_tui", "demo", "--db", str(db)],
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    run = subprocess.run([sys.executable, "-m", "convergence_tui", "status", "--db", str(db), "--check"],
                         capture_output=True, text=True)
    assert run.returncode == 3  # the demo leaves evidence and plan gaps on purpose


@pytest.mark.parametrize("date", [None, "2022-06-30", "2024-12-31", "2027-12-31"])
def test_demo_status_matches_independent_computation(cli, demo_db, demo_doc, ref, date):
    """`convergence status --json` equals a literal, independent transcription of DESIGN.md §4."""
    import datetime as dt

    from tests.reference_scoring import reference_scores, services_from_answers_document

    argv = ["status", "--db", demo_db, "--json"] + (["--date", date] if date else [])
    code, out, _ = cli(*argv)
    assert code == 0
    doc = json.loads(out)
    doc.pop("problems")
    when = dt.date.fromisoformat(date or demo_doc["campaign"]["reference_date"])
    expected = reference_scores(ref, services_from_answers_document(demo_doc), when)
    assert doc == expected
