"""`convergence national`: real regional bundles (tests/national_bundles.py) verified and consolidated;
every regional figure of national.sqlite, the --json document, national.html (its text and, in
headless Chromium, its DOM) and national.xlsx equal to that bundle's scores.json; rejected, superseded
and draft bundles; --trust as verify has it; a full disk or a read-only folder said in one sentence."""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import stat
import subprocess
import zipfile
from pathlib import Path

import jsonschema
import openpyxl
import pytest

from convergence_tui.cli import main as cli_main
from convergence_tui.referentiel.loader import parse
from convergence_tui.referentiel.values import REGIONS
from convergence_tui.report.format import pct
from tests.conftest import ROOT
from tests.national_bundles import EVIL_TEXT, OLD_BUNDLE, Made, Tables, made_bundles
from tests.obstacles import small_disk


def national(*argv: object) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli_main(["national", *(str(a) for a in argv)])
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="session")
def made(tmp_path_factory, _demo_master) -> Made:
    return made_bundles(tmp_path_factory.mktemp("regions"), _demo_master)


@pytest.fixture(scope="session")
def result(made, tmp_path_factory):
    out = tmp_path_factory.mktemp("ans") / "national"  # not there yet: created
    code, stdout, stderr = national(*made.all(), "--out", out)
    code_json, doc, _ = national(*made.all(), "--out", out.with_name("national-json"), "--json")
    return {"code": code, "out": stdout, "err": stderr, "dir": out, "code_json": code_json, "doc": json.loads(doc)}


def entry(bundle: Path, name: str) -> bytes:
    with zipfile.ZipFile(bundle) as zf:
        return zf.read(name)


def kept(made: Made) -> dict[str, Path]:
    return {k: made.bundles[k] for k in ("53-S1", "53-S2", "84-final", "11-second", "93-2026.2")}


def scores(bundle: Path) -> dict:
    return json.loads(entry(bundle, "scores.json"))


def campaign(bundle: Path) -> dict:
    return json.loads(entry(bundle, "answers.json"))["campaign"]


def query(result, sql: str, *args) -> list[tuple]:
    import sqlite3

    with contextlib.closing(sqlite3.connect(result["dir"] / "national.sqlite")) as db:
        return db.execute(sql, args).fetchall()


def test_kept_superseded_and_rejected(made, result):
    b = made.bundles
    assert result["code"] == 1 and result["code_json"] == 1  # one refused: exit 1, the rest consolidated
    assert result["out"].startswith("Consolidation : 5 paquets retenus (4 régions), 3 remplacés, 1 refusé.\n")
    # The verifier's own reason, on stderr as verify says it, and in the summary.
    reason = f"{b['11-tampered']} : entrée modifiée : answers.json ne correspond pas à l'empreinte signée du manifeste."
    assert f"REFUSÉ — {reason}" in result["err"] and f"  {reason}" in result["out"]
    rows = {Path(p).name: (k, r) for p, k, r in query(result, "SELECT path, kept, replaced_by FROM bundles")}
    assert rows[OLD_BUNDLE.name] == (0, str(b["53-S2"]))  # an older draft (questionnaire 2026.2)
    assert rows[b["84-draft"].name] == (0, str(b["84-final"]))  # a later draft does not replace a final bundle
    assert rows[b["11-first"].name] == (0, str(b["11-second"]))  # of two drafts, the later
    assert {name for name, (k, _) in rows.items() if k} == {p.name for p in kept(made).values()}
    assert query(result, "SELECT path, reason FROM rejected") == [(str(b["11-tampered"]), reason)]
    statuses = dict(query(result, "SELECT region || ' ' || semester, status FROM regions"))
    assert statuses == {"11 2026-S2": "draft", "53 2026-S1": "draft", "53 2026-S2": "draft", "84 2026-S2": "final",
                        "93 2026-S2": "draft"}
    assert "Auvergne-Rhône-Alpes (84) 2026-S2 : définitif" in result["out"]
    assert "Bretagne (53) 2026-S1 : BROUILLON" in result["out"]


def test_every_regional_figure_equals_the_bundles_scores_json(made, result):
    doc = result["doc"]
    semesters = {(r["region"], s["semester"]): s for r in doc["regions"] for s in r["semesters"]}
    assert len(semesters) == 5
    for bundle in kept(made).values():
        expected, c = scores(bundle), campaign(bundle)
        key = (c["region"], c["label"])
        region = expected["region"]
        # The --json document
        assert semesters[key]["figures"] == region and semesters[key]["bundle"] == str(bundle)
        assert semesters[key]["services"] == len(expected["services"])
        # national.sqlite: the region, its maturity per axis, each service and its maturity per axis
        ((completeness, conv, part, non, n),) = query(
            result, "SELECT completeness, convergent, partially_convergent, non_convergent, services FROM regions "
            "WHERE region = ? AND semester = ?", *key)
        assert completeness == region["completeness"] and n == len(expected["services"])
        assert {"convergent": conv, "partially_convergent": part, "non_convergent": non} == region["status_counts"]
        assert dict(query(result, "SELECT axis, maturity FROM region_maturity WHERE region = ? AND semester = ?",
                          *key)) == region["maturity"]
        services = {r[0]: r[1:] for r in query(
            result, "SELECT service_id, name, category, status, level, conformity, completeness, gaps, "
            "target_reached_on FROM services WHERE region = ? AND semester = ?", *key)}
        maturity = {}
        for sid, axis, value in query(result, "SELECT service_id, axis, maturity FROM service_maturity WHERE region = ? "
                                      "AND semester = ?", *key):
            maturity.setdefault(sid, {})[axis] = value
        for s in expected["services"]:
            assert services[s["id"]] == (s["name"], s["category"], s["status"], s["level"], s["conformity"],
                                         s["completeness"], len(s["gaps"]), s["target_reached_on"])
            assert maturity[s["id"]] == s["maturity"]
    # national.html: each region's latest figures side by side, and every semester in its trend table.
    page = Tables((result["dir"] / "national.html").read_text(encoding="utf-8"))
    axes = [a["id"] for a in doc["axes"]]
    for r in doc["regions"]:
        name = f"{r['name']} ({r['region']})"
        latest = r["semesters"][-1]
        f = latest["figures"]
        row = page.row(0, name)
        assert row[1] == latest["semester"] and row[2] == ("brouillon" if latest["draft"] else "définitif")
        assert row[4:7] == [str(f["status_counts"][k]) for k in ("convergent", "partially_convergent", "non_convergent")]
        assert row[7:] == [shown(f["completeness"]), *(shown(f["maturity"][a]) for a in axes),
                           shown(f["maturity"]["global"])]
        trend = page.figures[name]
        assert [t[0] for t in trend] == [s["semester"] + (" (brouillon)" if s["draft"] else "") for s in r["semesters"]]
        assert [t[1:] for t in trend] == [[shown(s["figures"]["maturity"]["global"]),
                                           shown(s["figures"]["completeness"])] for s in r["semesters"]]
    # national.xlsx: the « Régions » sheet, a row per region and semester.
    ws = openpyxl.load_workbook(result["dir"] / "national.xlsx")["Régions"]
    header = [c.value for c in ws[1]]
    for values in ws.iter_rows(min_row=2, values_only=True):
        row = dict(zip(header, values))
        f = semesters[(row["Code"], row["Semestre"])]["figures"]
        assert round(row["Maturité globale"] * 100, 1) == f["maturity"]["global"]
        assert round(row["Complétude"] * 100, 1) == f["completeness"]
        assert row["Services non convergents"] == f["status_counts"]["non_convergent"]
        for a in doc["axes"]:
            assert round(row[f"Maturité {a['label']}"] * 100, 1) == f["maturity"][a["id"]]


def shown(value: float) -> str:
    return pct(value).replace(" %", "\u00a0%")


def test_one_row_per_region_semester_service_and_criterion(made, result):
    """Each kept bundle's grid: the candidates of each service's category, level, NA, due, met and gap as
    the bundle's questionnaire and scores.json say."""
    from convergence_tui.scoring import Scorer

    for bundle in kept(made).values():
        ref = parse(entry(bundle, "referentiel.toml"))
        answers, expected, c = json.loads(entry(bundle, "answers.json")), scores(bundle), campaign(bundle)
        scorer = Scorer(ref, __import__("datetime").date.fromisoformat(expected["reference_date"]))
        rows = {(r[0], r[1]): r[2:] for r in query(
            result, "SELECT service_id, criterion, axis, level, na, due, met, gap, service_status FROM criteria "
            "WHERE region = ? AND semester = ?", c["region"], c["label"])}
        status = {s["id"]: s for s in expected["services"]}
        wanted = {}
        for s in answers["services"]:
            for crit in ref.candidates(s["category"]):
                level = s["criteria"].get(crit.id, {}).get("level")
                due = scorer.due_level(crit.id)
                met = None if due is None or level == "NA" else int((level if isinstance(level, int) else 0) >= due)
                wanted[(s["id"], crit.id)] = (crit.axis, level if isinstance(level, int) else None, int(level == "NA"),
                                              due, met, int(crit.id in status[s["id"]]["gaps"]),
                                              status[s["id"]]["status"])
        assert rows == wanted
        gaps = {(sid, cid) for (sid, cid), row in rows.items() if row[5]}
        assert gaps == {(s["id"], g) for s in expected["services"] for g in s["gaps"]}
    # Blockers and actions, one row each, with the gaps they cover.
    answers = json.loads(entry(made.bundles["84-final"], "answers.json"))
    items = {r[0]: r[1:] for r in query(result, "SELECT item_id, kind, category, owner, national, gaps FROM items "
                                               "WHERE region = '84'")}
    assert len(items) == len(answers["blockers"]) + len(answers["actions"])
    for b in answers["blockers"]:
        assert items[b["id"]] == ("blocker", b["category"], None, int(b["category"] == "national"), len(b["covers"]))
    for a in answers["actions"]:
        assert items[a["id"]] == ("action", None, a["owner"], int(a["owner"] == "national"), len(a["covers"]))
    covers = query(result, "SELECT service_id, criterion FROM item_covers WHERE region = '84' AND item_id = ?",
                   answers["blockers"][0]["id"])
    assert covers == [(c["service"], c["criterion"]) for c in answers["blockers"][0]["covers"]]


def test_questionnaire_versions_and_national_counts(made, result):
    """A bundle of questionnaire 2026.2 beside 2026.3 ones: criteria met by id; each criterion counted
    over the latest bundles whose questionnaire has it."""
    doc = result["doc"]
    versions = dict(query(result, "SELECT region, referentiel_version FROM latest"))
    assert versions == {"11": "2026.3", "53": "2026.3", "84": "2026.3", "93": "2026.2"}
    assert {v for (v,) in query(result, "SELECT DISTINCT referentiel_version FROM criterion_labels")} == {"2026.2",
                                                                                                      "2026.3"}
    latest = [made.bundles[k] for k in ("11-second", "53-S2", "84-final", "93-2026.2")]
    counted: dict[str, list[int]] = {}
    regions: dict[str, set[str]] = {}
    having: dict[str, int] = {}
    for bundle in latest:
        ref = parse(entry(bundle, "referentiel.toml"))
        for crit in ref.criteria:
            having[crit.id] = having.get(crit.id, 0) + 1
        for s in scores(bundle)["services"]:
            for g in s["gaps"]:
                counted.setdefault(g, [0])[0] += 1
                regions.setdefault(g, set()).add(campaign(bundle)["region"])
    gaps = {c["criterion"]: (c["gaps"], c["regions"], c["bundles"]) for c in doc["criteria_in_gap"]}
    assert gaps == {g: (n[0], len(regions[g]), having[g]) for g, n in counted.items()}
    first = doc["criteria_in_gap"][0]
    assert first["gaps"] == max(n[0] for n in counted.values())
    # Blockers by category and the national to-do, over the same latest bundles.
    by_category: dict[str, int] = {}
    todo = []
    for bundle in latest:
        answers = json.loads(entry(bundle, "answers.json"))
        for b in answers["blockers"]:
            by_category[b["category"]] = by_category.get(b["category"], 0) + 1
        todo += [b["id"] for b in answers["blockers"] if b["category"] == "national"]
        todo += [a["id"] for a in answers["actions"] if a["owner"] == "national"]
    assert {b["category"]: b["count"] for b in doc["blockers_by_category"] if b["count"]} == by_category
    assert sorted(t["id"] for t in doc["national_todo"]) == sorted(todo)
    assert [t["text"] for t in doc["national_todo"] if t["region"] == "84" and t["kind"] == "blocker"] == [EVIL_TEXT]


def test_json_document_follows_its_schema(result):
    schema = json.loads((ROOT / "schemas" / "national.schema.json").read_text(encoding="utf-8"))
    jsonschema.validate(result["doc"], schema)
    wrong = json.loads(json.dumps(result["doc"]))
    wrong["regions"][0]["semesters"][0]["figures"]["maturity"]["global"] = "77"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(wrong, schema)


def test_files_private_whole_and_self_contained(result):
    folder = result["dir"]
    assert sorted(p.name for p in folder.iterdir()) == ["national.html", "national.sqlite", "national.xlsx"]
    for p in folder.iterdir():
        assert stat.S_IMODE(p.stat().st_mode) == 0o600, p
    page = (folder / "national.html").read_text(encoding="utf-8")
    for outside in ("<script", "<link", "<img", "src=", "@import", "url("):
        assert outside not in page, outside
    assert "http://" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "") and "https://" not in page
    # What came from a bundle is text, never markup; in the workbook, never a formula.
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page
    ws = openpyxl.load_workbook(folder / "national.xlsx")["À faire national"]
    texts = [row[4] for row in ws.iter_rows(min_row=2, values_only=True)]
    assert "'" + EVIL_TEXT in texts
    book = openpyxl.load_workbook(folder / "national.xlsx")
    assert book.sheetnames == ["Régions", "Services", "Écarts nationaux", "Freins par origine", "À faire national",
                               "Paquets"]
    for ws in book.worksheets:  # the campaign workbook's writer: frozen header, filter, French headers
        assert ws.freeze_panes == "A2" and ws.auto_filter.ref.startswith("A1:"), ws.title
    regions = book["Régions"]
    header = [c.value for c in regions[1]]
    first = regions[2]
    assert first[header.index("Maturité globale")].number_format == "0.0%"
    assert isinstance(first[header.index("Date de référence")].value, __import__("datetime").datetime)
    assert isinstance(first[header.index("Services")].value, int)


def test_anyone_can_query_national_sqlite_with_the_sqlite3_command(result):
    sqlite3 = shutil.which("sqlite3")
    if sqlite3 is None:
        pytest.fail("sqlite3 absent : .ci/run l'installe")
    db = result["dir"] / "national.sqlite"
    done = subprocess.run([sqlite3, str(db), "SELECT region_name, semester, status FROM latest ORDER BY region"],
                          capture_output=True, text=True, check=True)
    assert done.stdout.splitlines() == ["Île-de-France|2026-S2|draft", "Bretagne|2026-S2|draft",
                                        "Auvergne-Rhône-Alpes|2026-S2|final", "Provence-Alpes-Côte d'Azur|2026-S2|draft"]
    # The README's query: the criteria most often in gap, each region's latest semester.
    done = subprocess.run([sqlite3, "-separator", " ", str(db),
                           "SELECT c.criterion, count(*) FROM criteria c JOIN latest l USING (region, semester) "
                           "WHERE c.gap GROUP BY c.criterion ORDER BY 2 DESC, 1 LIMIT 3"],
                          capture_output=True, text=True, check=True)
    top = [(c["criterion"], c["gaps"]) for c in result["doc"]["criteria_in_gap"]]
    got = [(line.split()[0], int(line.split()[1])) for line in done.stdout.splitlines()]
    assert got == sorted(top, key=lambda t: (-t[1], t[0]))[:3]


def test_trust_as_verify_has_it(made, tmp_path):
    bundles = [made.bundles["84-final"], made.bundles["53-S1"]]
    code, out, _ = national(*bundles, "--out", tmp_path / "a", "--trust", made.p12.with_suffix(".pem"))
    assert code == 0 and "NON authentifié" not in out
    assert query({"dir": tmp_path / "a"}, "SELECT DISTINCT trusted FROM bundles") == [(1,)]
    code, out, err = national(*bundles, "--out", tmp_path / "b", "--trust", made.folder / "autre.pem")
    assert code == 1 and "0 paquet retenu (0 région), 0 remplacé, 2 refusés." in out
    page = (tmp_path / "b" / "national.html").read_text(encoding="utf-8")  # written all the same, saying so
    assert "Aucun paquet retenu" in page and "Refusés (2)" in page
    verify = io.StringIO()
    with contextlib.redirect_stderr(verify):
        assert cli_main(["verify", str(bundles[0]), "--trust", str(made.folder / "autre.pem")]) == 1
    assert f"REFUSÉ — {verify.getvalue().strip()}" in err  # the same sentence as verify


def test_parallel_workers_give_what_one_process_gives(made):
    from convergence_tui.usecases.national import check_all

    paths = made.all()
    assert check_all(paths, workers=2) == check_all(paths, workers=1)


def test_bad_output_folder_full_disk_and_missing_bundle(made, tmp_path):
    bundles = [made.bundles["84-final"], made.bundles["53-S1"]]
    with small_disk(tmp_path / "disque", "1m") as disk:
        out = disk.folder / "ans"
        out.mkdir()
        (out / "national.html").write_text("ancien")
        disk.fill()
        code, stdout, err = national(*bundles, "--out", out)
        assert code == 2 and stdout == "" and "Traceback" not in err
        assert err.splitlines()[-1] == (f"{out} : écriture impossible (disque plein) ; rien n'a été écrit (les "
                                        "fichiers nationaux déjà présents sont intacts). Libérez de la place ou "
                                        "choisissez un autre --out.")
        assert sorted(p.name for p in out.iterdir()) == ["national.html"]  # nothing half-written
        assert (out / "national.html").read_text() == "ancien"
    with small_disk(tmp_path / "ro", "1m") as disk:
        disk.read_only()
        code, _, err = national(*bundles, "--out", disk.folder / "ans")
        assert code == 2 and err.splitlines()[-1] == (f"{disk.folder / 'ans'} : dossier impossible à créer (support "
                                                      "en lecture seule) ; choisissez un autre --out.")
    code, _, err = national(*bundles, "--out", made.p12)
    assert code == 2 and "choisissez un autre --out" in err
    code, stdout, err = national(bundles[0], tmp_path / "absent.zip", "--out", tmp_path / "x")
    assert code == 2 and stdout == "" and not (tmp_path / "x").exists()
    assert err.strip() == f"paquet introuvable : {tmp_path / 'absent.zip'} ; vérifiez le chemin (rien n'a été vérifié " \
                          "ni écrit)."


@pytest.mark.e2e
async def test_national_page_in_headless_chromium_shows_each_region_and_its_figures(result, tmp_path):
    """The page as a person sees it: its DOM text (not the source) names every region with its figures."""
    import asyncio
    import time

    import aiohttp

    from tests.browser import Chromium, chromium

    if chromium() is None:
        if os.environ.get("CONVERGENCE_CI"):
            pytest.fail("chromium absent : .ci/run l'installe")
        pytest.skip("chromium absent (installé par .ci/run)")
    browser = Chromium(tmp_path / "profile")
    try:
        async with aiohttp.ClientSession() as http:
            tab = await browser.new_tab(http)
            await tab.send("Network.enable")
            page = (result["dir"] / "national.html").resolve()
            await tab.send("Page.enable")
            await tab.send("Page.navigate", url=page.as_uri())
            deadline = time.monotonic() + 20
            while await tab.evaluate("document.readyState") != "complete":
                assert time.monotonic() < deadline, "la page ne se charge pas"
                await asyncio.sleep(0.1)
            rows = await tab.evaluate("[...document.querySelector('table').rows].map(r => [...r.cells].map("
                                      "c => c.innerText.trim()))")
            text = await tab.evaluate("document.body.innerText")
            charts = await tab.evaluate("document.querySelectorAll('svg').length")
            urls = tab.requested_urls()
    finally:
        browser.close()
    doc = result["doc"]
    assert charts >= 3 + len(doc["regions"])  # maturity, statuses, gaps, blockers, one trend per region
    assert all(u.startswith("file://") for u in urls), urls
    by_region = {r[0]: r for r in rows[1:]}
    for r in doc["regions"]:
        f = r["semesters"][-1]["figures"]
        name = f"{REGIONS[r['region']]} ({r['region']})"
        assert name in text
        row = by_region[name]
        assert row[-1] == shown(f["maturity"]["global"]) and row[7] == shown(f["completeness"])
        assert row[4:7] == [str(f["status_counts"][k]) for k in ("convergent", "partially_convergent", "non_convergent")]
        for a, value in zip(doc["axes"], row[8:-1]):
            assert value == shown(f["maturity"][a["id"]])
    assert "À faire au niveau national" in text and EVIL_TEXT in text  # shown as text
    assert "Refusés (1)" in text and "entrée modifiée" in text


def test_a_bundle_named_twice_counts_once_and_a_copy_is_superseded(made, tmp_path):
    bundle = made.bundles["84-final"]
    copy = tmp_path / "copie.zip"
    shutil.copy(bundle, copy)
    relative = Path(os.path.relpath(bundle))
    code, out, err = national(bundle, relative, copy, "--out", tmp_path / "n")
    assert code == 0, err
    assert out.startswith("Consolidation : 1 paquet retenu (1 région), 1 remplacé, 0 refusé.\n")
    rows = query({"dir": tmp_path / "n"}, "SELECT path, kept, replaced_by, file_sha256 FROM bundles ORDER BY kept")
    assert [(p, k, r) for p, k, r, _ in rows] == [(str(copy), 0, str(bundle)), (str(bundle), 1, None)]
    assert rows[0][3] == rows[1][3]  # the same bytes: a copy


def test_bundle_paths_with_control_characters_are_escaped(made, tmp_path):
    """File names are the regions' own: an escape sequence in one reaches no terminal."""
    odd = tmp_path / "paquet\x1b[31m-53.zip"
    shutil.copy(made.bundles["53-S1"], odd)
    superseded = tmp_path / "ancien\x1b]0;titre\x07.zip"
    shutil.copy(made.bundles["53-S1"], superseded)
    code, out, err = national(odd, superseded, made.bundles["53-S2"], "--out", tmp_path / "n\x1b[1mx")
    assert code == 0, err
    assert "\x1b" not in out and "\x07" not in out and "paquet" in out and "ancien" in out
