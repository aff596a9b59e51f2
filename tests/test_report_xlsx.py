"""`convergence report`: the workbook read back with openpyxl and compared with `status --json` and the
campaign (figures, counts, Excel types, filters, frozen headers, inert text), opened by LibreOffice
headless, and the HTML report outside a bundle; the files written whole, never over one without
--replace, a full disk or a read-only folder said in one sentence."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import shutil
import stat
import subprocess
import time
from pathlib import Path

import openpyxl
import pytest

from convergence_tui.cli import main as cli_main
from convergence_tui.usecases.session import Session
from tests.obstacles import small_disk
from tests.test_bundle import EPOCH, PASSWORD, entries_of, identity

EVIL_NAME = "=1+1"  # LibreOffice would show 2 if it were a formula
EVIL_VENDOR = "=cmd|' /C calc'!A0"
EVIL_TITLE = "@SUM(1+1)*cmd|' /C calc'!A0"
EVIL_COMMENT = "-2+3+cmd|' /C calc'!A0"
SHEET_NAMES = ["Région", "Services", "Grille", "Écarts", "Freins", "Plan", "Indicateurs", "Finances"]


@pytest.fixture(scope="module")
def made(tmp_path_factory, _demo_master):
    """The demo campaign with formula-like text typed in it, its workbook and report, `status --json`."""
    folder = tmp_path_factory.mktemp("xlsx")
    db = folder / "demo.sqlite"
    shutil.copy(_demo_master, db)
    with Session.open(db) as s:
        s.set_answer("svc-2", "name", EVIL_NAME)
        s.set_answer("svc-3", "vendor", EVIL_VENDOR)
        s.set_answer(s.data.live_ids("action")[0], "title", EVIL_TITLE)
        s.set_answer("fin-1-1", "comment", EVIL_COMMENT)
        answers = s.answers_document()
    started = time.perf_counter()
    assert cli_main(["report", "--db", str(db), "--xlsx", str(folder / "c.xlsx"), "--html", str(folder / "r.html")]) == 0
    took = time.perf_counter() - started
    return {"db": db, "xlsx": folder / "c.xlsx", "html": folder / "r.html", "answers": answers, "took": took}


@pytest.fixture(scope="module")
def book(made):
    return openpyxl.load_workbook(made["xlsx"])


@pytest.fixture(scope="module")
def status(made):
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert cli_main(["status", "--db", str(made["db"]), "--json"]) == 0
    return json.loads(out.getvalue())


def rows(ws) -> list[dict]:
    header = [c.value for c in ws[1]]
    return [dict(zip(header, (c.value for c in r))) for r in ws.iter_rows(min_row=2)]


def cells(ws, header: str) -> list:
    """The cells (not values) of one column, header row excluded."""
    col = [c.value for c in ws[1]].index(header)
    return [r[col] for r in ws.iter_rows(min_row=2)]


def pct(cell_value) -> float | None:
    """A percentage cell (0.438) as the scores document writes it (43.8)."""
    return None if cell_value is None else round(cell_value * 100, 1)


def test_sheets_in_order_with_filters_frozen_headers_and_sized_columns(book):
    assert book.sheetnames == SHEET_NAMES
    for ws in book.worksheets:
        assert ws.freeze_panes == "A2", ws.title  # the header row stays on screen
        last = openpyxl.utils.get_column_letter(ws.max_column)
        assert ws.auto_filter.ref == f"A1:{last}{max(ws.max_row, 2)}", ws.title
        assert all(c.font.b for c in ws[1]), ws.title
        widths = {letter: d.width for letter, d in ws.column_dimensions.items()}
        assert widths and all(6 <= w <= 62 for w in widths.values()), (ws.title, widths)
    grid = book["Grille"]
    letters = {c.value: c.column_letter for c in grid[1]}
    assert int(grid.column_dimensions[letters["Libellé du critère"]].width) == 61  # long labels: capped, wrapped
    assert grid.column_dimensions[letters["Axe"]].width < 10
    assert [c.value for c in book["Plan"][1]][:6] == ["Identifiant", "Services", "Critères", "Écarts", "Action",
                                                      "Niveau visé"]


def test_services_equal_status_json(book, status):
    from convergence_tui.report.format import STATUS_LABELS

    ws = book["Services"]
    by_id = {r["Identifiant"]: r for r in rows(ws)}
    assert list(by_id) == [s["id"] for s in status["services"]]
    axes = {"URB": "Urbanisation", "IOP": "Interopérabilité", "SEC": "Sécurité", "ETH": "Éthique"}
    for s in status["services"]:
        row = by_id[s["id"]]
        assert row["Statut de convergence"] == STATUS_LABELS[s["status"]]
        assert row["Niveau (0 à 3)"] == s["level"]
        for axis, label in axes.items():
            assert pct(row[f"Maturité {label}"]) == s["maturity"][axis], (s["id"], axis)
        assert pct(row["Maturité globale"]) == s["maturity"]["global"]
        assert pct(row["Complétude"]) == s["completeness"]
        assert row["Conformité"] == s["conformity"]
        assert row["Nombre d'écarts"] == len(s["gaps"]) and row["Écarts"] == (" ".join(s["gaps"]) or None)
        reached = row["Cibles finales atteintes le"]
        assert (reached.date().isoformat() if reached != "jamais" else None) == s["target_reached_on"]
    formats = {c.number_format for c in cells(ws, "Maturité globale")} | {c.number_format for c in cells(ws, "Conformité")}
    assert formats == {"0.0%"}


def test_region_equals_status_json(book, status):
    region = {r["Élément"]: r["Valeur"] for r in rows(book["Région"])}
    figures = status["region"]
    assert pct(region["Complétude"]) == figures["completeness"]
    assert pct(region["Maturité globale"]) == figures["maturity"]["global"]
    assert pct(region["Maturité Interopérabilité"]) == figures["maturity"]["IOP"]
    assert region["Services convergents"] == figures["status_counts"]["convergent"]
    assert region["Services partiellement convergents"] == figures["status_counts"]["partially_convergent"]
    assert region["Services non convergents"] == figures["status_counts"]["non_convergent"]
    assert region["Points à régler avant l'export définitif"] == len(status["problems"])
    assert region["Région"] == "Bretagne (53)"
    assert region["Date de référence (niveaux dus)"] == dt.datetime.fromisoformat(status["reference_date"])
    assert region["Nature"].startswith("rapport de travail non signé")


def test_counts_equal_the_campaign(book, status, made, ref):
    answers = made["answers"]
    services = answers["services"]
    assert len(rows(book["Écarts"])) == sum(len(s["gaps"]) for s in status["services"]) > 0
    assert len(rows(book["Freins"])) == len(answers["blockers"]) > 0
    assert len(rows(book["Plan"])) == len(answers["actions"]) > 0
    # Each item once, with how many gaps it covers (a shared cause is one row, not one per gap).
    for sheet, key in (("Freins", "blockers"), ("Plan", "actions")):
        counts = {r["Identifiant"]: r["Écarts"] for r in rows(book[sheet])}
        assert counts == {i["id"]: len(i["covers"]) for i in answers[key]} and max(counts.values()) > 1
    assert len(rows(book["Indicateurs"])) == sum(len(s["indicators"]) for s in services) > 0
    assert len(rows(book["Finances"])) == sum(len(s["finances"]) for s in services) > 0
    grid = rows(book["Grille"])
    assert len(grid) == sum(len(ref.candidates(s["category"])) for s in services)
    # Every gap of the grid (due, not met) is a row of « Écarts », and the other way round.
    unmet = {(r["Identifiant du service"], r["Critère"]) for r in grid if r["Atteint"] == "non"}
    assert unmet == {(r["Identifiant du service"], r["Critère"]) for r in rows(book["Écarts"])}
    # What the team wrote on the grid is there, criterion by criterion.
    written = {(s["id"], cid): c for s in services for cid, c in s["criteria"].items()}
    for r in grid:
        entry = written.get((r["Identifiant du service"], r["Critère"]), {})
        assert r["Preuve"] == entry.get("evidence") and r["Justification du NA"] == entry.get("justification")
        assert r["NA"] == (None if "level" not in entry else "oui" if entry["level"] == "NA" else "non")


def test_gaps_say_what_the_plan_holds(book, status):
    no_plan = {(p["scope"], p["kind"]) for p in status["problems"] if p["kind"] in ("no_blocker", "no_action")}
    for r in rows(book["Écarts"]):
        scope = f"{r['Identifiant du service']}/{r['Critère']}"
        assert (r["Frein décrit"] == "non") == ((scope, "no_blocker") in no_plan)
        assert (r["Action qui atteint le niveau dû"] == "non") == ((scope, "no_action") in no_plan)
        if r["Frein décrit"] == "oui":
            assert r["Freins"]


def test_dates_numbers_and_choices_are_typed(book, made):
    plan = book["Plan"]
    due = cells(plan, "Échéance")
    assert all(c.is_date and c.number_format == "dd/mm/yyyy" for c in due if c.value is not None)
    first = made["answers"]["actions"][0]
    assert due[0].value.date().isoformat() == first["due"]
    costs = [c for c in cells(plan, "Coût estimé") if c.value is not None]
    assert costs and all(c.data_type == "n" and isinstance(c.value, int | float) for c in costs)
    assert {r["Porteur"] for r in rows(plan)} <= {"NATIONAL", "ARS", "GRADeS", "ÉDITEUR"}
    finances = book["Finances"]
    assert all(c.data_type == "n" for c in cells(finances, "Montant") + cells(finances, "Année"))
    levels = [c for c in cells(book["Grille"], "Niveau") if c.value is not None]
    assert levels and all(c.data_type == "n" for c in levels)
    assert all(c.data_type == "n" for c in cells(book["Indicateurs"], "Valeur"))


def test_formula_like_text_stays_text(book):
    formulas = [(ws.title, c.coordinate) for ws in book.worksheets for r in ws.iter_rows() for c in r
                if c.data_type == "f"]
    assert formulas == []
    services = {r["Identifiant"]: r for r in rows(book["Services"])}
    assert services["svc-2"]["Service"] == "'" + EVIL_NAME  # the CSV tables' rule: a leading apostrophe
    assert services["svc-3"]["Éditeur"] == "'" + EVIL_VENDOR
    assert rows(book["Plan"])[0]["Action"] == "'" + EVIL_TITLE
    assert rows(book["Finances"])[0]["Commentaire"] == "'" + EVIL_COMMENT
    assert {r["Service"] for r in rows(book["Grille"]) if r["Identifiant du service"] == "svc-2"} == {"'" + EVIL_NAME}


def test_control_characters_are_escaped(made):
    """The campaign refuses them at input; a workbook is escaped anyway (whoever wrote the data)."""
    import io

    from convergence_tui.campaign.rebuilt import rebuild
    from convergence_tui.referentiel import load
    from convergence_tui.report.sheets import Source, workbook_sheets
    from convergence_tui.report.xlsx import workbook_bytes

    hostile = "S\x1b[2J\x07\u202eevil\r=1+1"
    answers = json.loads(json.dumps(made["answers"]))
    rebuilt = rebuild(load(), answers, dt.date(2026, 12, 31))
    answers["services"][0]["name"] = hostile
    answers["services"][0]["criteria"]["URB-01"]["evidence"] = "preuve\n" + hostile
    answers["blockers"][0]["description"] = hostile
    scores = json.loads(json.dumps(rebuilt.scores_doc))
    scores["services"][0]["name"] = hostile
    claims = {"created_at": "2026-12-01T10:00:00Z", "draft": True, "validation": None, "signer": None,
              "referentiel": {"id": "convergence-regions", "version": "2026.2", "official": True}}
    src = Source(dataclasses.replace(rebuilt, answers=answers, scores_doc=scores), claims, [])
    book = openpyxl.load_workbook(io.BytesIO(workbook_bytes(workbook_sheets(src), {})))
    texts = [c.value for ws in book.worksheets for r in ws.iter_rows() for c in r if isinstance(c.value, str)]
    assert not [t for t in texts if any(ch in t for ch in "\x1b\x07\u202e\r")]
    escaped = "S\\x1b[2J\\x07\\u202eevil\\x0d=1+1"
    assert sum(escaped in t for t in texts) >= 4  # services, grid, evidence, blockers
    assert "preuve\n" + escaped in texts  # a line break is kept


def soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def test_libreoffice_opens_the_workbook(made, status, tmp_path):
    """LibreOffice headless converts every sheet to CSV (values as shown): the figures, dates and inert
    text a person sees in a spreadsheet. .ci/run installs it; only a machine without it skips, never CI."""
    exe = soffice()
    if exe is None:
        if os.environ.get("CONVERGENCE_CI"):  # set by .ci/run, which installs it
            pytest.fail("soffice absent : .ci/run installe libreoffice-calc-nogui")
        pytest.skip("LibreOffice absent (installé par .ci/run)")
    # Separator ;, quote ", UTF-8, values as shown, every sheet to a file of its own (-1).
    options = "59,34,76,1,,0,false,true,true,false,false,-1"
    started = time.perf_counter()
    done = subprocess.run([exe, f"-env:UserInstallation=file://{tmp_path / 'profil'}", "--headless",
                           "--convert-to", f"csv:Text - txt - csv (StarCalc):{options}", "--outdir", str(tmp_path),
                           str(made["xlsx"])], capture_output=True, text=True, timeout=180)
    took = time.perf_counter() - started
    assert done.returncode == 0, done.stderr
    import csv

    def sheet(name: str) -> list[dict[str, str]]:
        text = (tmp_path / f"c-{name}.csv").read_text(encoding="utf-8")
        return list(csv.DictReader(text.splitlines(), delimiter=";"))

    assert sorted(p.name for p in tmp_path.glob("c-*.csv")) == sorted(f"c-{n}.csv" for n in SHEET_NAMES)
    shown = {r["Identifiant"]: r for r in sheet("Services")}
    for s in status["services"]:
        row = shown[s["id"]]
        assert row["Maturité globale"].replace(",", ".").replace("\u00a0", "").replace(" ", "") == \
            f"{s['maturity']['global']:.1f}%"
        if s["target_reached_on"]:
            assert row["Cibles finales atteintes le"] == dt.date.fromisoformat(s["target_reached_on"]).strftime(
                "%d/%m/%Y")
    assert shown["svc-2"]["Service"] == "'" + EVIL_NAME  # not 2: text, not a formula
    assert shown["svc-3"]["Éditeur"] == "'" + EVIL_VENDOR
    assert sheet("Plan")[0]["Action"] == "'" + EVIL_TITLE
    print(f"conversion LibreOffice : {took:.1f} s ; écriture du classeur et du rapport : {made['took']:.2f} s")


def test_html_report_is_the_bundles_report_unsigned(made, identity, tmp_path, monkeypatch):
    """The same report as a bundle's `rapport.html` (the same function, from the same data), headed as
    a working report nobody signed."""
    text = made["html"].read_text(encoding="utf-8")
    assert "RAPPORT DE TRAVAIL, NON SIGNÉ" in text and "<th>Signé par</th><td>personne" in text
    monkeypatch.setenv("CONVERGENCE_P12_PASSWORD", PASSWORD)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(EPOCH))
    assert cli_main(["export", "--db", str(made["db"]), "--p12", str(identity), "--draft", "--out",
                     str(tmp_path)]) == 0
    (bundle,) = tmp_path.glob("*.zip")
    signed = entries_of(bundle)["rapport.html"].decode("utf-8")
    assert "RAPPORT DE TRAVAIL" not in signed and "BROUILLON" in signed

    def body(page: str) -> str:  # from the region's figures to the list of what is missing
        return page.split("<h2>La région</h2>", 1)[1].split('<p class="muted">Produit par', 1)[0]

    assert body(text) == body(signed)
    assert "Ce qui manque encore" in body(text)


# --- files: whole, private, never over one without --replace ------------------------------------


def test_neither_option_is_one_sentence(cli, demo_db):
    code, out, err = cli("report", "--db", demo_db)
    assert code == 2 and out == ""
    assert err.strip() == "Indiquez ce qu'il faut écrire : --html RAPPORT.html, --xlsx CLASSEUR.xlsx, ou les deux."


def test_never_over_a_file_without_replace(cli, demo_db, tmp_path):
    target = tmp_path / "classeur.xlsx"
    target.write_bytes(b"ancien")
    code, _, err = cli("report", "--db", demo_db, "--xlsx", target, "--html", tmp_path / "r.html")
    assert code == 2 and "existe déjà" in err and "--replace" in err and "Traceback" not in err
    assert target.read_bytes() == b"ancien" and not (tmp_path / "r.html").exists()  # refused before any work
    code, out, err = cli("report", "--db", demo_db, "--xlsx", target, "--replace")
    assert code == 0, err
    assert "il remplace le fichier qui était là" in out
    assert openpyxl.load_workbook(target).sheetnames == SHEET_NAMES
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["classeur.xlsx", "demo.sqlite", "demo.sqlite-shm",
                                                          "demo.sqlite-wal"]


@pytest.mark.parametrize(("args", "said"), [
    (["--xlsx", "classeur.xls"], "--xlsx écrit un fichier .xlsx"),
    (["--html", "rapport.pdf"], "--html écrit un fichier .html"),
    (["--xlsx", "absent/classeur.xlsx"], "dossier introuvable"),
    (["--xlsx", "dossier.xlsx"], "est un dossier"),
])
def test_names_refused_before_any_work(cli, demo_db, tmp_path, monkeypatch, args, said):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "dossier.xlsx").mkdir()
    code, _, err = cli("report", "--db", demo_db, *args)
    assert code == 2 and said in err and len(err.strip().splitlines()) == 1, err


def test_full_disk_writes_nothing_and_keeps_the_old_file(cli, demo_db, tmp_path):
    with small_disk(tmp_path / "disque", "1m") as disk:
        old = disk.folder / "classeur.xlsx"
        old.write_bytes(b"ancien")
        disk.fill()
        code, out, err = cli("report", "--db", demo_db, "--xlsx", old, "--replace")
        assert code == 2 and out == ""
        assert err.strip() == f"{old} : écriture impossible (disque plein) ; rien n'a été écrit (le fichier " \
                              "existant est intact)."
        assert old.read_bytes() == b"ancien"
        assert sorted(p.name for p in disk.folder.iterdir()) == ["classeur.xlsx", "filler.bin"]  # no partial file
        # The report went to another folder first: said, and whole.
        code, _, err = cli("report", "--db", demo_db, "--html", tmp_path / "r.html", "--xlsx", disk.folder / "n.xlsx")
        assert code == 2 and f"Le rapport HTML, lui, est écrit : {tmp_path / 'r.html'}." in err
        assert (tmp_path / "r.html").read_bytes().endswith(b"</html>\n")
        assert not (disk.folder / "n.xlsx").exists()


def test_read_only_folder_is_one_sentence(cli, demo_db, tmp_path):
    with small_disk(tmp_path / "ro", "1m") as disk:
        disk.read_only()
        target = disk.folder / "classeur.xlsx"
        code, _, err = cli("report", "--db", demo_db, "--xlsx", target)
        assert code == 2 and "Traceback" not in err
        assert err.strip() == f"{disk.folder} : écriture impossible (support en lecture seule) ; vérifiez le " \
                              "dossier et la place libre."
        assert list(disk.folder.iterdir()) == []


def test_readme_reports_line_runs_as_written(tmp_path):
    import sys

    from tests.test_cli_words import readme_block

    (line,) = readme_block("Rapports")
    env = {**os.environ, "PATH": f"{os.path.dirname(sys.executable)}{os.pathsep}{os.environ['PATH']}"}
    run = subprocess.run(["bash", "-c", f"set -e\nconvergence demo --db demo.sqlite >/dev/null\n{line}"],
                         cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    assert openpyxl.load_workbook(tmp_path / "campagne.xlsx").sheetnames == SHEET_NAMES
    assert "RAPPORT DE TRAVAIL, NON SIGNÉ" in (tmp_path / "rapport.html").read_text(encoding="utf-8")
