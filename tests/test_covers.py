"""One blocker or action covers many gaps (issue #15): answers documents 2 and 1, what release 0.1.0
wrote still imports and verifies, campaigns of questionnaire 2026.2 move to « covers », the plan and
its projection over covers, and naming a cause once from the grid."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from convergence_tui.campaign.answers import read_document
from convergence_tui.referentiel import load
from convergence_tui.scoring.document import scores_document
from convergence_tui.scoring.engine import Scorer
from convergence_tui.usecases.session import Session
from tests.conftest import ROOT
from tests.reference_scoring import reference_scores, services_from_answers_document
from tests.tui_helpers import goto, running, stored, type_text

RELEASE = ROOT / "tests" / "fixtures" / "release-0.1.0"
V1_DOC = RELEASE / "answers-v1.json"
V1_BUNDLE = RELEASE / "demo-0.1.0-brouillon.zip"
Q_2026_2 = RELEASE / "referentiel-2026.2.toml"


def v1_document() -> dict:
    return json.loads(V1_DOC.read_text(encoding="utf-8"))


def scores_of(ref, doc: dict) -> dict:
    data = read_document(ref, doc, "test")
    scorer = Scorer(ref, data.reference_date)
    return scores_document(ref, scorer.score_all(data.service_inputs()))


# --- 1. the documents: 2 written, 1 and 2 read; what 0.1.0 wrote still works ---------------------------


def test_export_writes_format_2_with_covers(demo_db):
    with Session.open(demo_db) as s:
        doc = s.answers_document()
    assert doc["format_version"] == 2
    for entry in doc["blockers"] + doc["actions"]:
        assert "service" not in entry and "criterion" not in entry and entry["covers"]
    assert max(len(b["covers"]) for b in doc["blockers"]) > 10  # a cause named once for many gaps


def test_the_bundle_release_0_1_0_made_still_verifies(cli, tmp_path):
    code, out, err = cli("verify", V1_BUNDLE, "--trust", RELEASE / "pilote.pem", "--report", tmp_path / "r.html")
    assert code == 0, err
    assert "Paquet valide" in out and "Scores recalculés à l'identique : 20 services." in out
    assert "Nature : BROUILLON (39 points" in out and "Questionnaire : convergence-regions 2026.2, version officielle" in out
    # Its derived files came from another version: not compared, the report is regenerated from its data.
    assert "paquet écrit par convergence-tui 0.1.0" in out
    report = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert "ROR Bretagne" in report and "Atteindre le niveau 4 sur" in report


def test_the_document_release_0_1_0_wrote_imports_into_a_campaign_of_today(cli, tmp_path):
    db = tmp_path / "reprise.sqlite"
    code, _out, err = cli("import", V1_DOC, "--db", db)
    assert code == 0, err
    with Session.open(db) as s:
        doc = v1_document()
        for old in doc["blockers"][:5] + doc["actions"][:5]:  # one gap each, now as « covers »
            assert s.data.covers_of(old["id"]) == ((old["service"], old["criterion"]),)
            assert s.data.value(old["id"], "service") is None
        # The invalid answer 0.1.0 kept as typed is still there, as typed.
        assert s.data.cell("campaign", "siret").raw == "123" and s.data.cell("campaign", "siret").error
        assert s.scores_document()["services"] == scores_of(load(Q_2026_2), doc)["services"]


def test_a_format_1_document_reads_the_same_under_2026_2_and_today(ref):
    doc = v1_document()
    legacy = load(Q_2026_2)
    then, now = read_document(legacy, doc, "v1"), read_document(ref, doc, "v1")
    for b in doc["blockers"]:
        assert then.covers_of(b["id"]) == now.covers_of(b["id"]) == ((b["service"], b["criterion"]),)
        assert then.value(b["id"], "service") == b["service"] and now.value(b["id"], "covers") is not None
    assert scores_of(legacy, doc)["services"] == scores_of(ref, doc)["services"]


@pytest.mark.parametrize(("change", "said"), [
    (lambda d: d["blockers"][0].update(covers=None), None),  # not chosen yet: a draft, accepted
    (lambda d: d["blockers"][0].update(covers=[]), "blockers[0].covers : liste vide"),
    (lambda d: d["blockers"][0]["covers"].append({"service": "svc-404", "criterion": "IOP-01"}),
     "service inconnu « svc-404 »"),
    (lambda d: d["actions"][0]["covers"].append(dict(d["actions"][0]["covers"][0])), "en double"),
    (lambda d: d["actions"][0].update(service="svc-1"), "actions[0].service : clé inconnue"),
])
def test_covers_are_checked_whole_and_nothing_is_written(cli, demo_db, tmp_path, change, said):
    with Session.open(demo_db) as s:
        doc = s.answers_document()
    change(doc)
    source = tmp_path / "doc.json"
    source.write_text(json.dumps(doc), encoding="utf-8")
    code, _out, err = cli("import", source, "--db", tmp_path / "new.sqlite")
    if said is None:
        assert code == 0, err
        return
    assert code == 2 and said in err and "rien n'a été importé" in err, err
    assert not (tmp_path / "new.sqlite").exists()


def test_a_format_2_item_of_several_gaps_is_refused_by_a_questionnaire_of_one_gap(ref, demo_db):
    from convergence_tui.campaign.answers import ImportRejected

    with Session.open(demo_db) as s:
        doc = s.answers_document()
    doc["referentiel"]["version"] = "2026.2"
    with pytest.raises(ImportRejected) as caught:
        read_document(load(Q_2026_2), doc, "doc")
    assert any("n'admet qu'un écart par élément" in p for p in caught.value.problems)


# --- the migration of a campaign of questionnaire 2026.2 -----------------------------------------------


def test_a_campaign_of_2026_2_moves_to_covers_journaled_and_nothing_lost(cli, tmp_path):
    db = tmp_path / "ancienne.sqlite"
    assert cli("import", V1_DOC, "--db", db, "--referentiel", Q_2026_2)[0] == 0
    with Session.open(db, Q_2026_2) as s:
        before_scores, before_problems = s.scores_document(), len(s.problems())
        pairs = {b: (s.data.value(b, "service"), s.data.value(b, "criterion")) for b in s.data.live_ids("blocker")}
    code, _out, err = cli("migrate", "--db", db)
    assert code == 0, err
    with Session.open(db) as s:
        assert {b: s.data.covers_of(b)[0] for b in pairs} == pairs
        assert all(s.data.cell(b, "service") is None for b in pairs)
        after = s.scores_document()
        assert after["services"] == before_scores["services"] and len(s.problems()) == before_problems
    conn = sqlite3.connect(db)
    rows = conn.execute("select count(*) from journal where op = 'migrate' and field = 'covers'").fetchone()[0]
    conn.close()
    assert rows == len(pairs) + 154  # every blocker and every action, journaled
    _, raw, error = stored(db, next(iter(pairs)), "covers")
    assert error is None and raw == "/".join(next(iter(pairs.values())))


# --- 2. scoring over covers: a format 1 document and its format 2 regrouping score the same ------------


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.integers(0, 3), min_size=154, max_size=154), st.sampled_from([None, "2024-12-31", "2027-12-31"]))
def test_regrouping_one_gap_items_into_shared_ones_changes_no_score(ref, buckets, date):
    """Actions of one gap each, merged into actions covering several (those that share what the plan
    projection reads: level, due date and status; `buckets` splits them further at random): the
    scores, the projection and the plan's completeness are the same."""
    v1 = v1_document()
    v2 = {**v1, "format_version": 2,
          "blockers": [{k: v for k, v in b.items() if k not in ("service", "criterion")}
                       | {"covers": [{"service": b["service"], "criterion": b["criterion"]}]} for b in v1["blockers"]]}
    merged: dict[tuple, dict] = {}
    for a, bucket in zip(v1["actions"], buckets, strict=False):
        key = (a["target_level"], a["due"], a["status"], bucket)
        entry = merged.setdefault(key, {**{k: v for k, v in a.items() if k not in ("service", "criterion")},
                                        "covers": [], "fields": {}})
        pair = {"service": a["service"], "criterion": a["criterion"]}
        if pair not in entry["covers"]:
            entry["covers"].append(pair)
    v2["actions"] = list(merged.values())
    if date:
        for d in (v1, v2):
            d["campaign"] = {**d["campaign"], "reference_date": date}
    assert len(v2["actions"]) < len(v1["actions"])
    assert scores_of(ref, v1) == scores_of(ref, v2)
    # And both as the independent computation of DESIGN.md §4 says.
    expected = reference_scores(ref, services_from_answers_document(v2), date or "2026-12-31")
    assert scores_of(ref, v2)["services"] == expected["services"]
    one, shared = (read_document(ref, d, "doc") for d in (v1, v2))
    from convergence_tui.campaign.problems import find_problems

    def plan(data):
        scorer = Scorer(ref, data.reference_date)
        return sorted((p.scope, p.kind) for p in find_problems(data, scorer.score_all(data.service_inputs()), scorer)
                      if p.kind in ("no_blocker", "no_action"))

    assert plan(one) == plan(shared)


# --- 3. naming a cause once, from the grid -------------------------------------------------------------


async def test_a_blocker_from_the_grid_covers_a_group_of_gaps_with_one_key(demo_db):
    """`b` on a gap: the blocker's form opens with that gap ticked; `g` offers the groups around it
    with their counts; Entrée ticks the first (the service's gaps on the same axis), saved at once."""
    from convergence_tui.widgets.covers_list import CoversList
    from convergence_tui.widgets.picker import FuzzyPicker

    async with running(demo_db, size=(80, 24)) as (app, pilot):
        grid = await goto(pilot, "4")
        row = next(r for r in grid.rows if r.state == "gap")
        sid = grid.service_id
        grid.focus_criterion(row.criterion.id)
        await pilot.pause()
        await pilot.press("b")
        for _ in range(40):
            await pilot.pause(0.05)
            if isinstance(app.focused, CoversList):
                break
        covers = app.focused
        assert isinstance(covers, CoversList) and covers.selected == [f"{sid}/{row.criterion.id}"]
        item = app.screen.current_view().editing
        axis = row.criterion.axis
        same_axis = [r.criterion.id for r in grid.rows if r.state == "gap" and r.criterion.axis == axis]
        await pilot.press("g")
        await pilot.pause(0.2)
        assert isinstance(app.screen, FuzzyPicker)
        assert app.screen.labels[0].endswith(f"({len(same_axis)} écarts)") or len(same_axis) == 1
        await pilot.press("enter")
        await pilot.pause(0.3)
        value, _, error = stored(demo_db, item, "covers")
        assert error is None and sorted(c for _, c in json.loads(value)) == sorted(same_axis)
        assert app.session.data.covers_of(item)[0] == (sid, row.criterion.id)


def test_the_demo_plan_is_complete_with_few_items(demo_db):
    with Session.open(demo_db) as s:
        assert not [p for p in s.problems() if p.kind in ("no_blocker", "no_action")]
        assert len(s.data.live_ids("blocker")) + len(s.data.live_ids("action")) <= 40


def test_the_fixtures_of_release_0_1_0_are_what_it_wrote():
    doc = v1_document()
    assert doc["format_version"] == 1 and doc["referentiel"]["version"] == "2026.2"
    assert Path(V1_BUNDLE).stat().st_size > 10_000


async def test_the_grid_names_the_cause_and_the_action_of_a_gap(demo_db):
    async with running(demo_db, size=(160, 50)) as (app, pilot):
        grid = await goto(pilot, "4")
        row = next(r for r in grid.rows if r.state == "gap")
        grid.focus_criterion(row.criterion.id)
        await pilot.pause()
        details = str(grid.query_one("#grid-details").render())
        data = app.session.data
        blocker = next(b for b in data.live_ids("blocker") if (grid.service_id, row.criterion.id) in data.covers_of(b))
        number = data.live_ids("blocker").index(blocker) + 1
        assert f"Frein : n° {number} ({len(data.covers_of(blocker))} écarts)" in details
        assert "Action : n° " in details and "⚠ aucun" not in details


def test_deleting_a_shared_item_or_a_service_says_what_the_plan_loses(demo_db):
    from convergence_tui.usecases.covers import covers_note

    with Session.open(demo_db) as s:
        blocker = max(s.data.live_ids("blocker"), key=lambda b: len(s.data.covers_of(b)))
        pairs = s.data.covers_of(blocker)
        services = {p[0] for p in pairs}
        assert covers_note(s, blocker) == (f"\nIl couvre {len(pairs)} écarts sur {len(services)} services : leur "
                                           "plan sera à compléter.")
        sid = pairs[0][0]
        shared = s.data.sharing(sid)
        assert shared and covers_note(s, sid).startswith(f"\n{len(shared)} freins ou actions couvrant aussi")
        deleted = s.delete_item(sid)
        # The shared items stay, with their other gaps; nothing of theirs names the deleted service.
        assert blocker not in deleted and s.data.is_live(blocker)
        assert s.data.covers_of(blocker) == tuple(p for p in pairs if p[0] != sid)
        assert not [p for p in s.problems() if p.scope == blocker]
        s.undo()  # one step: the service and what the shared items covered of it
        assert s.data.covers_of(blocker) == pairs and s.data.is_live(sid)


async def test_the_review_creates_one_action_over_the_gaps_ticked_after_a_filter(demo_db):
    """Review, plan tab: the gaps lacking an action are listed; `/` filters them (here by an axis),
    ctrl+a ticks all those shown, `a` creates one action covering them all and opens its form."""
    from convergence_tui.screens.review import ReviewScreen
    from convergence_tui.widgets.items_view import ItemsView

    with Session.open(demo_db) as s:  # one cause fewer: the gaps it explained lack an action again
        action = max(s.data.live_ids("action"), key=lambda a: len(s.data.covers_of(a)))
        freed = s.data.covers_of(action)
        s.delete_item(action)
    async with running(demo_db, size=(80, 24)) as (app, pilot):
        await pilot.press("r")
        await pilot.pause(0.3)
        assert isinstance(app.screen, ReviewScreen)
        await pilot.press("3")  # the plan tab
        await pilot.pause(0.3)
        tab = app.screen.query_one("#review-plan-tab")
        from convergence_tui.usecases.covers import gaps

        due = {(g.service, g.criterion) for g in gaps(app.session)}
        lacking = {f"{s}/{c}" for s, c in freed if (s, c) in due}
        assert lacking and lacking <= set(tab.gaps)  # the gaps the deleted action covered, listed
        axis = app.session.ref.criteria_by_id[freed[0][1]].axis
        await pilot.press("slash")
        await type_text(pilot, axis)
        await pilot.press("enter")
        await pilot.pause()
        shown = list(tab.shown)
        assert shown and all(tab.gaps[k].axis == axis or axis.lower() in tab.search[k] for k in shown)
        await pilot.press("ctrl+a")
        await pilot.press("a")
        await pilot.pause(0.5)
        view = app.screen.current_view()
        assert isinstance(view, ItemsView) and view.section.item == "action" and view.editing
        covers = app.session.data.covers_of(view.editing)
        assert sorted(covers) == sorted(tuple(k.split("/")) for k in shown)


def test_the_demo_reaches_a_final_export_once_its_evidence_is_written(cli, demo_db, tmp_path, monkeypatch):
    """The README's way to the ANS on the demo: its plan needs nothing more; the evidence it lacks
    written (as `n` would lead to each), signed off, the export without --draft is a final one."""
    from tests.test_files import PASSWORD as P12_PASSWORD

    with Session.open(demo_db) as s:
        missing = [p for p in s.problems() if p.kind != "signoff"]
        assert missing and {p.kind for p in missing} == {"evidence"}
        for p in missing:
            s.set_answer(p.scope, "evidence", "Attestation 2026")
    assert cli("signoff", "--db", demo_db, "--name", "Camille Le Goff", "--role", "Responsable déléguée")[0] == 0
    monkeypatch.setenv("CONVERGENCE_P12_PASSWORD", P12_PASSWORD)
    assert cli("keygen", "--out", tmp_path / "pilote.p12", "--name", "Camille Le Goff")[0] == 0
    code, out, err = cli("export", "--db", demo_db, "--p12", tmp_path / "pilote.p12", "--out", tmp_path / "out")
    assert code == 0, err
    (bundle,) = (tmp_path / "out").glob("*.zip")
    code, out, err = cli("verify", bundle, "--trust", tmp_path / "pilote.pem")
    assert code == 0 and "soumission définitive" in out, out + err


# --- 2. the worked example of DESIGN.md §4, its plan as shared items ------------------------------------

PAIR_QUESTIONS = '''  [[sections.questions]]
  id = "service"
  type = "service"
  label = "Service"
  required = true

  [[sections.questions]]
  id = "criterion"
  type = "criterion"
  label = "Critère"
  required = true
'''
COVERS_QUESTION = '''  [[sections.questions]]
  id = "covers"
  type = "covers"
  label = "Écarts couverts"
  required = true
'''


@pytest.fixture(scope="module")
def mini_covers(tmp_path_factory):
    """The tests' small questionnaire (the worked example's criteria), with « covers »."""
    text = (ROOT / "tests" / "fixtures" / "mini.toml").read_text(encoding="utf-8")
    assert text.count(PAIR_QUESTIONS) == 2
    path = tmp_path_factory.mktemp("q") / "mini-covers.toml"
    path.write_text(text.replace(PAIR_QUESTIONS, COVERS_QUESTION), encoding="utf-8")
    return load(path)


@pytest.mark.parametrize(("date", "reached", "gaps"), [
    ("2022-06-30", "2023-03-31", []),
    ("2023-01-15", "2023-03-31", ["A-1", "A-2"]),
])
def test_the_worked_example_with_one_action_covering_both_gaps(mini_covers, date, reached, gaps):
    """DESIGN.md §4: S answers A1 = 2, A2 = 1, B1 = 4; one in-progress action covers A1 and A2 up to 4
    by 2023-03-31 (both finals reached then), one abandoned action is ignored; one blocker covers
    both. The projection, the date the targets are reached and the plan's completeness come out as
    with one action per gap."""
    from convergence_tui.campaign.problems import find_problems

    cover = [{"service": "svc-1", "criterion": "A-1"}, {"service": "svc-1", "criterion": "A-2"}]
    doc = {"format": "convergence-answers", "format_version": 2,
           "referentiel": {"id": mini_covers.referentiel.id, "version": mini_covers.referentiel.version},
           "campaign": {"region": "53", "label": "2023-S1", "reference_date": date},
           "answers": {},
           "services": [{"id": "svc-1", "name": "S", "category": "COORD", "fields": {},
                         "criteria": {"A-1": {"level": 2}, "A-2": {"level": 1}, "B-1": {"level": 4}}}],
           "blockers": [{"id": "b-1", "covers": cover, "category": "vendor", "description": "Éditeur",
                         "fields": {}}],
           "actions": [{"id": "a-1", "covers": cover, "title": "Monter", "target_level": 4, "due": "2023-03-31",
                        "owner": "vendor", "status": "in_progress", "fields": {}},
                       {"id": "a-2", "covers": cover[:1], "title": "Abandonnée", "target_level": 4,
                        "due": "2022-09-30", "owner": "vendor", "status": "abandoned", "fields": {}}]}
    data = read_document(mini_covers, doc, "exemple")
    scorer = Scorer(mini_covers, data.reference_date)
    scores = scorer.score_all(data.service_inputs())
    (s,) = scores_document(mini_covers, scores)["services"]
    assert s["target_reached_on"] == reached and s["gaps"] == gaps
    assert not [p for p in find_problems(data, scores, scorer) if p.kind in ("no_blocker", "no_action")]
    # Without the blocker, each gap lacks one: the blocker counted for both.
    doc["blockers"] = []
    data = read_document(mini_covers, doc, "exemple")
    plan = sorted(p.scope for p in find_problems(data, scores, scorer) if p.kind == "no_blocker")
    assert plan == [f"svc-1/{g}" for g in gaps]


async def test_escape_from_a_blocker_made_in_the_grid_goes_back_to_its_gap(demo_db):
    """`b` on a gap, the form filled, échap: back at the gap in the grid (it went to the list of
    blockers, then the sidebar, and the person looked for the criterion again)."""
    from convergence_tui.widgets.grid_view import GridView
    from convergence_tui.widgets.items_view import ItemsView

    async with running(demo_db, size=(80, 24)) as (app, pilot):
        grid = await goto(pilot, "4")
        grid.focus_criterion([r for r in grid.rows if r.state == "gap"][-1].criterion.id)  # b needs a gap
        await pilot.pause()
        cid, sid = grid.current().criterion.id, grid.service_id
        await pilot.press("b")
        await pilot.pause(0.3)
        assert isinstance(app.screen.current_view(), ItemsView)
        await pilot.press("escape")
        await pilot.pause(0.3)
        view = app.screen.current_view()
        assert isinstance(view, GridView) and view.service_id == sid and view.current().criterion.id == cid


async def test_the_review_lists_each_blocker_and_action_once_with_what_it_covers(demo_db):
    from convergence_tui.screens.review import ReviewScreen
    from convergence_tui.widgets.items_view import ItemsView

    async with running(demo_db, size=(80, 24)) as (app, pilot):
        await pilot.press("r")
        await pilot.pause(0.3)
        await pilot.press("5")
        await pilot.pause(0.3)
        screen = app.screen
        assert isinstance(screen, ReviewScreen)
        table = screen.query_one("#review-items")
        data = app.session.data
        items = data.live_ids("blocker") + data.live_ids("action")
        assert [table.get_row_index(i) for i in items] == list(range(len(items)))  # each once
        first = screen._plan_item_cells(items[0])
        assert first[0] == "F1" and first[3] == str(len(data.covers_of(items[0])))
        table.focus()
        await pilot.press("enter")
        await pilot.pause(0.3)
        view = app.screen.current_view()
        assert isinstance(view, ItemsView) and view.editing == items[0]


def test_an_action_made_on_gaps_a_blocker_covers_names_that_blocker(demo_db):
    from convergence_tui.usecases.covers import new_item_values

    with Session.open(demo_db) as s:
        blocker = s.data.live_ids("blocker")[0]
        pairs = list(s.data.covers_of(blocker)[:2])
        assert new_item_values(s, "action", pairs)["blocker"] == blocker
        assert "blocker" not in new_item_values(s, "blocker", pairs)


async def test_a_service_name_that_looks_like_markup_is_shown_as_typed_in_the_checklist(demo_db):
    from convergence_tui.widgets.covers_list import CoversList

    with Session.open(demo_db) as s:
        blocker = s.data.live_ids("blocker")[0]
        sid = s.data.covers_of(blocker)[0][0]
        s.set_answer(sid, "name", "[bold red]Annuaire[/]")
    async with running(demo_db, size=(160, 50)) as (_app, pilot):
        view = await goto(pilot, "7")
        view.open_item(blocker, "covers")
        await pilot.pause(0.3)
        covers = view.query_one(CoversList)
        shown = [str(covers.get_option_at_index(i).prompt) for i in range(covers.option_count)]
        assert any("[bold red]Annuaire[/]" in p for p in shown)


async def test_at_80x24_a_gap_shows_its_blocker_and_action_without_scrolling(demo_db):
    async with running(demo_db, size=(80, 24)) as (_app, pilot):
        grid = await goto(pilot, "4")
        row = next(r for r in grid.rows if r.state == "gap")
        grid.focus_criterion(row.criterion.id)
        await pilot.pause()
        details = grid.query_one("#grid-details")
        shown = [details.render_line(y).text for y in range(details.content_region.height)]
        text = " ".join(shown)
        assert "Frein : n° " in text and "Action : n° " in text, shown
