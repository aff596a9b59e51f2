"""Who the sign-off names by default (the lead section 1 names), and an action's blocker chosen among
the numbered blockers (a question of type « item »): the questionnaire, the checks, the answers
document both ways, the screen, and the campaigns and documents of the previous questionnaire."""

from __future__ import annotations

import json

import pytest
from textual.widgets import Input

from convergence_tui.campaign.data import CAMPAIGN, criterion_scope
from convergence_tui.config import Remembered
from convergence_tui.referentiel import load, parse
from convergence_tui.referentiel.official import pin_of
from convergence_tui.referentiel.values import check_value
from convergence_tui.usecases.opening import ReferentielChanged
from convergence_tui.usecases.review import signoff_prefill
from convergence_tui.usecases.session import Session
from convergence_tui.widgets.choice import Choice
from convergence_tui.widgets.picker import FuzzyPicker
from tests.conftest import ROOT
from tests.test_referentiel import BASE, problems_of
from tests.tui_helpers import goto, running, saved, stored, type_text

# The official 2026.2, byte for byte (the blocker of an action chosen in a list; one gap per item).
CURRENT = (ROOT / "tests" / "fixtures" / "release-0.1.0" / "referentiel-2026.2.toml").read_text(encoding="utf-8")
NEW_BLOCKER = '''  [[sections.questions]]
  id = "blocker"
  type = "item"
  item = "blocker"
  label = "Frein lié"
  help = """Le frein que l'action lève, choisi dans la liste des freins \\
(n° et description, comme la section Freins les numérote) ; facultatif."""
'''
OLD_BLOCKER = '''  [[sections.questions]]
  id = "blocker"
  type = "text"
  label = "Frein lié"
  max_length = 40
  placeholder = "ex. b-3"
  help = """Identifiant du frein que l'action lève, tel qu'affiché dans la \\
liste des freins (facultatif)."""
'''


@pytest.fixture(scope="module")
def previous_questionnaire(tmp_path_factory):
    """The official questionnaire before this change (2026.1), where the blocker was typed as text."""
    assert NEW_BLOCKER in CURRENT
    text = CURRENT.replace(NEW_BLOCKER, OLD_BLOCKER).replace('version = "2026.2"', 'version = "2026.1"')
    path = tmp_path_factory.mktemp("q") / "referentiel-2026.1.toml"
    path.write_text(text, encoding="utf-8")
    ref = load(path)
    assert pin_of(ref.referentiel.id, ref.referentiel.version, ref.sha256) == "official"  # that very file
    return path


def blocker_question(session):
    return session.ref.item_questions("action")["blocker"]


# --- the sign-off -------------------------------------------------------------------------


async def test_the_sign_off_names_the_lead_of_section_1_else_the_name_remembered(demo_db):
    async with running(demo_db, remembered=Remembered(author="Yann Le Gall")) as (app, pilot):
        view = await goto(pilot, "9")
        name, role = view.query_one("#signoff-name", Input), view.query_one("#signoff-role", Input)
        # Not the name the program remembers (the one who typed in the wizard): the lead the campaign names.
        assert (name.value, role.value) == ("Camille Le Goff", "Responsable délégué(e)")

        # Another lead answered in section 1: the validation, shown again, names them.
        form = await goto(pilot, "escape", "1")
        form.focus_on("delegate_name")
        await pilot.pause(0.2)
        field = form.field("delegate_name")
        field.control.value = "Nolwenn Tanguy"
        await pilot.press("enter")
        await saved(pilot, demo_db, CAMPAIGN, "delegate_name", lambda r: r[0] == "Nolwenn Tanguy")
        view = await goto(pilot, "escape", "9")
        assert view.query_one("#signoff-name", Input).value == "Nolwenn Tanguy"
        assert view.query_one("#signoff-role", Input).value == "Responsable délégué(e)"
        await pilot.press("ctrl+s")
        for _ in range(100):
            await pilot.pause(0.02)
            if app.session.signoffs():
                break
        last = app.session.signoffs()[-1]
        assert (last["name"], last["role"]) == ("Nolwenn Tanguy", "Responsable délégué(e)")

        # No lead named: the name remembered, and the role is left to type.
        form = await goto(pilot, "escape", "1")
        form.focus_on("delegate_name")
        await pilot.pause(0.2)
        form.field("delegate_name").control.value = ""
        await pilot.press("enter")
        for _ in range(100):
            await pilot.pause(0.02)
            if app.session.data.value(CAMPAIGN, "delegate_name") is None:
                break
        view = await goto(pilot, "escape", "9")
        assert view.query_one("#signoff-name", Input).value == "Yann Le Gall"
        assert view.query_one("#signoff-role", Input).value == ""


def test_a_role_question_gives_the_role(tmp_path):
    """A questionnaire that asks the lead's role (`delegate_role`): its answer (a choice's label) is the role."""
    role = '''  [[sections.questions]]
  id = "delegate_role"
  type = "choice"
  label = "Fonction du (de la) responsable"
  options = [
    { value = "director", label = "Directeur(rice) du GRADeS" },
    { value = "delegate", label = "Responsable délégué(e)" },
  ]

  [[sections.questions]]
  id = "delegate_email"'''
    path = tmp_path / "q.toml"
    path.write_text(CURRENT.replace('  [[sections.questions]]\n  id = "delegate_email"', role, 1), encoding="utf-8")
    with Session.create(tmp_path / "c.sqlite", path, author="Yann", answers={"region": "53"}) as s:
        assert signoff_prefill(s, "Yann") == ("Yann", "")
        s.set_answer(CAMPAIGN, "delegate_role", "director")
        assert signoff_prefill(s, "Yann") == ("Yann", "Directeur(rice) du GRADeS")
        s.set_answer(CAMPAIGN, "delegate_name", "Anne Kervella")
        assert signoff_prefill(s, "Yann") == ("Anne Kervella", "Directeur(rice) du GRADeS")


def test_the_command_still_asks_for_name_and_role(cli, demo_db):
    code, _, err = cli("signoff", "--db", demo_db)
    assert code == 2 and "--name" in err and "--role" in err


# --- the questionnaire: a question designating an item ---------------------------------------


def test_bundled_action_blocker_designates_a_blocker(ref):
    q = ref.item_questions("action")["blocker"]
    assert (q.type, q.item) == ("item", "blocker")


@pytest.mark.parametrize(("keys", "message"), [
    ('type = "item"', "une question de type « item » dit quels éléments elle désigne"),
    ('type = "text"\n  item = "blocker"', "« item » ne s'emploie qu'avec le type « item », pas « text »"),
    ('type = "item"\n  item = "finance"', "aucune section « list » ne répète les éléments « finance »"),
    ('type = "item"\n  item = "frein"', "valeur « frein » non permise"),
], ids=["no item", "item on a text", "no such list", "unknown kind"])
def test_item_questions_are_checked(keys, message):
    before = '  [[sections.questions]]\n  id = "target_level"'
    assert before in BASE
    text = BASE.replace(before, f'  [[sections.questions]]\n  id = "lifted"\n  label = "Frein levé"\n  {keys}\n\n{before}', 1)
    problems = problems_of(text)
    assert any(message in p for p in problems), problems


def test_item_questions_belong_to_lists():
    text = BASE.replace('  id = "legal_form_other"\n  type = "text"',
                        '  id = "legal_form_other"\n  type = "item"\n  item = "blocker"', 1)
    assert any("le type « item » ne s'emploie que dans une section « list »" in p for p in problems_of(text))


def test_the_lead_question_has_a_type_the_sign_off_can_use():
    text = BASE.replace('  id = "legal_form_other"\n  type = "text"', '  id = "delegate_name"\n  type = "date"', 1)
    assert any("« delegate_name » (pré-remplit la validation) doit être de type text" in p for p in problems_of(text))


def test_an_item_answer_names_an_item_of_its_kind(ref):
    q = ref.item_questions("action")["blocker"]
    held = {"blocker": {"b-1", "b-3"}, "action": {"a-1"}}
    assert check_value(q, "b-3", items=held) == ("b-3", None)
    for wrong in ("b-2", "a-1", "n° 1", 3):
        value, error = check_value(q, wrong, items=held)
        assert value is None and error == (f"« {wrong} » ne figure pas parmi les freins de la campagne ; "
                                           "choisissez dans la liste")
    assert check_value(q, "", items=held) == (None, None)  # not answered: optional, not invalid


# --- the screen ---------------------------------------------------------------------------


async def test_the_blocker_of_an_action_is_chosen_among_the_numbered_blockers(demo_db):
    async with running(demo_db) as (app, pilot):
        data = app.session.data
        blockers = data.live_ids("blocker")
        # The list of blockers numbers them « n° 1 », « n° 2 »…: the choices say the same numbers.
        freins = await goto(pilot, "7")
        assert [freins.table.get_row_index(b) + 1 for b in blockers[:3]] == [1, 2, 3]
        plan = await goto(pilot, "escape", "8")
        action = data.live_ids("action")[0]
        plan.open_item(action, "blocker")
        await pilot.pause(0.3)
        field = plan.editor.field("blocker")
        assert isinstance(field.control, Choice) and app.focused is field.control
        labels = [label for label, _ in field.options]
        assert [v for _, v in field.options] == blockers
        third = data.value(blockers[2], "description")
        assert labels[2].startswith(f"n° 3 — {' '.join(third.split())[:20]}")
        covers = data.covers_of(blockers[2])  # a cause covering many gaps says how many
        assert labels[2].endswith(f" ({len(covers)} écarts)") and len(covers) > 1 and len(labels[2]) <= 56
        # Chosen, not typed: Entrée opens the list, a few letters of the description filter it.
        await pilot.press("enter")
        await pilot.pause(0.2)
        assert isinstance(app.screen, FuzzyPicker)
        await type_text(pilot, "n° 3 ")
        await pilot.press("enter")
        await pilot.pause(0.2)
        row = await saved(pilot, demo_db, action, "blocker", lambda r: r[0] == blockers[2])
        assert row == (blockers[2], blockers[2], None)  # the blocker's id is stored
        assert field.control.label() == labels[2]


async def test_a_deleted_blocker_leaves_its_actions_invalid_not_lost(demo_db):
    async with running(demo_db) as (app, pilot):
        session = app.session
        action = session.data.live_ids("action")[0]
        blocker = session.data.value(action, "blocker")
        freins = await goto(pilot, "7")
        freins.table.move_cursor(row=freins.table.get_row_index(blocker))
        await pilot.press("d")
        await pilot.pause(0.2)
        await pilot.press("y")  # the confirmation
        await pilot.pause(0.2)
        assert not session.data.is_live(blocker)
        # The answer stays in the file as it was; the campaign says it is a problem, at its place.
        assert stored(demo_db, action, "blocker")[0] == blocker
        (problem,) = [p for p in session.problems() if p.field == "blocker"]
        assert problem.scope == action and problem.kind == "invalid"
        assert f"« {blocker} » ne figure pas parmi les freins" in problem.message
        plan = await goto(pilot, "escape", "8")
        plan.open_item(action, "blocker")
        await pilot.pause(0.3)
        field = plan.editor.field("blocker")
        assert field.error == problem.message.split(" : ", 1)[1]
        assert field.control.value is None  # nothing chosen: pick one
        field.control.value = session.data.live_ids("blocker")[0]
        await saved(pilot, demo_db, action, "blocker", lambda r: r[0] == session.data.live_ids("blocker")[0])
        await pilot.pause(0.1)
        assert field.error is None and not [p for p in session.problems() if p.field == "blocker"]


# --- the answers document, and what the previous questionnaire left ------------------------


def test_a_dangling_reference_is_exported_as_an_invalid_answer(cli, demo_db, tmp_path, monkeypatch):
    """A draft export of a campaign whose action names a deleted blocker: the document holds it
    among the invalid answers, the bundle verifies, its report lists it, and it imports back."""
    import zipfile

    from tests.test_files import PASSWORD as P12_PASSWORD

    with Session.open(demo_db) as s:
        action = s.data.live_ids("action")[0]
        blocker = s.data.value(action, "blocker")
        s.delete_item(blocker)
        doc = s.answers_document()
    entry = next(a for a in doc["actions"] if a["id"] == action)
    assert "blocker" not in entry["fields"]
    assert {"scope": action, "field": "blocker", "raw": blocker,
            "error": f"« {blocker} » ne figure pas parmi les freins de la campagne ; choisissez dans la liste"} \
        in doc["invalid"]
    p12 = tmp_path / "pilote.p12"
    monkeypatch.setenv("CONVERGENCE_P12_PASSWORD", P12_PASSWORD)
    assert cli("keygen", "--out", p12, "--name", "Camille")[0] == 0
    code, _, err = cli("export", "--db", demo_db, "--p12", p12, "--draft", "--out", tmp_path / "out")
    assert code == 0, err
    (bundle,) = (tmp_path / "out").glob("*.zip")
    code, _, err = cli("verify", bundle)
    assert code == 0, err
    with zipfile.ZipFile(bundle) as zf:
        assert f"« {blocker} » ne figure pas parmi les freins" in zf.read("rapport.html").decode("utf-8")
    code, _, err = cli("import", bundle, "--db", tmp_path / "reprise.sqlite")
    assert code == 0, err
    assert stored(tmp_path / "reprise.sqlite", action, "blocker")[1:] == (
        blocker, f"« {blocker} » ne figure pas parmi les freins de la campagne ; choisissez dans la liste")


def test_campaigns_of_the_previous_questionnaire_keep_the_blockers_they_named(cli, previous_questionnaire, tmp_path):
    db = tmp_path / "ancienne.sqlite"
    assert cli("demo", "--db", db, "--referentiel", previous_questionnaire)[0] == 0
    with Session.open(db, previous_questionnaire) as s:
        first, second = s.data.live_ids("action")[:2]
        named = s.data.value(first, "blocker")
        assert named.startswith("b-")  # the id typed as the old form asked (« ex. b-3 »)
        s.set_answer(second, "blocker", "voir le frein RH")  # free text, which the old form allowed
        old_doc = s.answers_document()
    with pytest.raises(ReferentielChanged):
        Session.open(db).close()
    code, _, err = cli("migrate", "--db", db)
    assert code == 0, err
    with Session.open(db) as s:
        q = blocker_question(s)
        assert s.data.cell(first, "blocker").value == named  # the same answer, still valid
        assert s.data.cell(second, "blocker").raw == "voir le frein RH"  # kept as typed
        problems = [p for p in s.problems() if p.field == "blocker"]
        assert [p.scope for p in problems] == [second]
        assert "« voir le frein RH » ne figure pas parmi les freins" in problems[0].message
        from convergence_tui.usecases.overview import display_value

        assert display_value(s, q, named).startswith(f"n° {s.data.live_ids('blocker').index(named) + 1} — ")

    # A document of the previous questionnaire: an id that names a blocker of the document is read;
    # a text that names none is said at its place (nothing imported).
    path = tmp_path / "ancien.json"
    path.write_text(json.dumps(old_doc, ensure_ascii=False), encoding="utf-8")
    code, _, err = cli("import", path, "--db", tmp_path / "a.sqlite")
    assert code == 2
    index = [a["id"] for a in old_doc["actions"]].index(second)
    assert (f"actions[{index}].fields.blocker : « voir le frein RH » ne figure pas parmi les freins de la campagne"
            in err)
    next(a for a in old_doc["actions"] if a["id"] == second)["fields"]["blocker"] = named
    path.write_text(json.dumps(old_doc, ensure_ascii=False), encoding="utf-8")
    code, _, err = cli("import", path, "--db", tmp_path / "b.sqlite")
    assert code == 0, err
    assert stored(tmp_path / "b.sqlite", second, "blocker")[0] == named


def test_the_previous_questionnaire_still_verifies_its_bundles(previous_questionnaire):
    """Kept in official.toml: bundles signed with 2026.1 verify without naming the file."""
    ref = parse(previous_questionnaire.read_bytes())
    assert pin_of(ref.referentiel.id, "2026.1", ref.sha256) == "official"
    assert ref.item_questions("action")["blocker"].type == "text"



def test_a_list_showing_a_designated_item_is_redrawn_when_those_items_change(tmp_path, ref):
    """A column of type « item » shows the blocker's caption: the list is built again when blockers
    change (SectionView.shows); without such a column, blockers do not concern the plan's table."""
    from types import SimpleNamespace

    from convergence_tui.widgets.items_view import ItemsView

    path = tmp_path / "q.toml"
    path.write_text(CURRENT.replace(NEW_BLOCKER, NEW_BLOCKER.replace('  label = "Frein lié"\n',
                                                                     '  label = "Frein lié"\n  column = true\n')),
                    encoding="utf-8")
    with Session.create(tmp_path / "c.sqlite", path, author="Yann", answers={"region": "53"}) as s:
        plan = s.ref.list_section("action")
        assert ItemsView(SimpleNamespace(session=s), plan).shows() == {"action", "service", "blocker"}
    with Session.create(tmp_path / "d.sqlite", ref, author="Yann", answers={"region": "53"}) as s:
        assert ItemsView(SimpleNamespace(session=s), s.ref.list_section("action")).shows() == {"action", "service"}


def test_a_service_changing_category_still_exports_and_keeps_what_no_longer_applies(cli, demo_db, tmp_path,
                                                                                   monkeypatch):
    """A service moved to a category without some of its rated criteria, one of which a blocker and
    an action cover: the draft export works (it failed, the document read back naming criteria the
    category does not have), the answers those criteria had are kept in the file and come back with
    the old category; what the blocker and the action cover is an invalid answer, said the same in
    the campaign's problems, the document and the campaign imported back."""
    from convergence_tui.campaign.orphans import find_orphans
    from tests.test_files import PASSWORD as P12_PASSWORD

    with Session.open(demo_db) as s:
        blocker = s.data.live_ids("blocker")[0]
        sid, cid = s.data.covers_of(blocker)[0]
        action = next(a for a in s.data.live_ids("action") if (sid, cid) in s.data.covers_of(a))
        covered = {item: s.data.value(item, "covers") for item in (blocker, action)}
        old = s.data.category_of(sid)
        new = next(c.id for c in s.ref.categories if cid not in s.ref.candidate_ids(c.id))
        rated_before = dict(s.data.answers_of(sid))
        s.set_answer(sid, "category", new)
        gone = {c for c in rated_before if c not in s.ref.candidate_ids(new)}
        assert cid in gone and len(gone) > 1
        reason = f"le critère {cid} ne s'applique pas au service « {s.data.name_of(sid)} »"
        said = [p.message for p in s.problems() if p.scope in (blocker, action) and p.field == "covers"]
        assert len(said) == 2 and all(reason in m for m in said)
        doc = s.answers_document()
        orphans = {(o.scope, o.field) for o in find_orphans(s.data)}
    service = next(x for x in doc["services"] if x["id"] == sid)
    assert not gone & set(service["criteria"])
    assert {(criterion_scope(sid, c), "level") for c in gone} <= orphans  # listed by status and the review
    for item in (blocker, action):
        entry = next(x for x in doc["invalid"] if x["scope"] == item)
        assert entry["field"] == "covers" and reason in entry["error"]
        assert entry["raw"] == ", ".join(f"{a}/{b}" for a, b in covered[item])  # every gap, as chosen
    assert next(b for b in doc["blockers"] if b["id"] == blocker)["covers"] is None

    p12 = tmp_path / "pilote.p12"
    monkeypatch.setenv("CONVERGENCE_P12_PASSWORD", P12_PASSWORD)
    assert cli("keygen", "--out", p12, "--name", "Camille")[0] == 0
    code, _, err = cli("export", "--db", demo_db, "--p12", p12, "--draft", "--out", tmp_path / "out")
    assert code == 0, err
    (bundle,) = (tmp_path / "out").glob("*.zip")
    assert cli("verify", bundle)[0] == 0
    code, _, err = cli("import", bundle, "--db", tmp_path / "reprise.sqlite")
    assert code == 0, err
    value, raw, error = stored(tmp_path / "reprise.sqlite", blocker, "covers")
    assert value is None and raw == ", ".join(f"{a}/{b}" for a, b in covered[blocker]) and reason in error

    with Session.open(demo_db) as s:  # nothing was lost: the old category brings every answer back
        s.set_answer(sid, "category", old)
        assert s.data.answers_of(sid) == rated_before
        assert not [p for p in s.problems() if p.scope in (blocker, action) and p.field == "covers"]
        doc = s.answers_document()
    assert next(b for b in doc["blockers"] if b["id"] == blocker)["covers"] == [
        {"service": a, "criterion": b} for a, b in covered[blocker]]
