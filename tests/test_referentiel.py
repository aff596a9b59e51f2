"""The questionnaire loader: the bundled file is valid, and every kind of error is located in French."""

from __future__ import annotations

import zipfile

import pytest

from convergence_tui.referentiel import ReferentielError, parse
from convergence_tui.referentiel.loader import locate_lines
from tests.conftest import MINI, ROOT

BASE = MINI.read_text(encoding="utf-8")


def problems_of(text: str) -> list[str]:
    with pytest.raises(ReferentielError) as exc:
        parse(text.encode(), "q.toml")
    return [str(p) for p in exc.value.problems]


def test_bundled_referentiel_is_complete(ref):
    assert [a.id for a in ref.axes] == ["URB", "IOP", "SEC", "ETH"]
    assert len(ref.categories) == 9
    assert 24 <= len(ref.criteria) <= 30
    assert {c.id for c in ref.criteria if c.critical} >= {"URB-01", "URB-02", "IOP-01", "SEC-01", "SEC-03", "ETH-01"}
    assert ref.criteria_by_id["SEC-01"].levels == [0, 4]
    kinds = {s.kind for s in ref.sections}
    assert kinds == {"form", "list", "grid", "validation"}
    types = {q.type for s in ref.sections for q in s.questions}
    for t in ("text", "long_text", "integer", "decimal", "euros", "percent", "date", "choice", "multi_choice",
              "yes_no", "email", "phone", "siret", "region", "semester"):
        assert t in types, t
    assert any(q.visible_if for s in ref.sections for q in s.questions)
    assert all(c.help and c.source for c in ref.criteria)


def test_mini_is_valid(mini_ref):
    assert mini_ref.referentiel.id == "mini"
    assert len(mini_ref.sha256) == 64


def test_malformed_toml_names_line():
    text = BASE.replace('title = "Exemple de DESIGN.md §4"', 'title = "Exemple')
    (msg,) = problems_of(text)
    assert msg.startswith("q.toml:5:") and "syntaxe TOML invalide" in msg


def test_unknown_key_names_path_and_line():
    text = BASE.replace('critical = true\n  [[criteria.targets]]\n  date = 2021-12-31',
                        'critical = true\ncritcal = false\n  [[criteria.targets]]\n  date = 2021-12-31', 1)
    (msg,) = problems_of(text)
    line = text.splitlines().index("critcal = false") + 1
    assert msg == f"q.toml:{line}: criteria[0].critcal : clé inconnue : retirez-la ou corrigez son nom (faute de frappe ?)"


def test_dangling_references_are_all_listed():
    text = (BASE.replace('axis = "IOP"\nlabel = "B2"', 'axis = "XYZ"\nlabel = "B2"')
            .replace('categories = ["COORD"]', 'categories = ["NOPE"]')
            .replace('visible_if = { question = "legal_form", equals = "autre" }',
                     'visible_if = { question = "legal_forme", equals = "autre" }'))
    msgs = problems_of(text)
    assert any("criteria[3].axis : axe inconnu « XYZ »" in m for m in msgs)
    assert any("criteria[3].categories[0] : catégorie inconnue « NOPE »" in m for m in msgs)
    assert any("visible_if.question : question inconnue « legal_forme »" in m for m in msgs)
    assert all(m.split(":")[1].isdigit() for m in msgs), msgs


def test_duplicate_ids():
    text = BASE.replace('id = "A-2"', 'id = "A-1"')
    msgs = problems_of(text)
    assert any("criteria[1].id" in m and "en double" in m for m in msgs)


def test_levels_outside_scale_and_unsorted_targets():
    text = BASE.replace("levels = [0, 4]", "levels = [0, 5]").replace(
        "  date = 2022-12-31\n  level = 4", "  date = 2021-06-30\n  level = 4")
    msgs = problems_of(text)
    assert any("criteria[2].levels[1] : niveau 5 hors de l'échelle 0–4" in m for m in msgs)
    assert any("criteria[0].targets[1].date" in m and "non triée" in m for m in msgs)


def test_duplicate_target_dates():
    text = BASE.replace("  date = 2022-12-31\n  level = 4", "  date = 2021-12-31\n  level = 4")
    assert any("en double" in m and "targets[1].date" in m for m in problems_of(text))


def test_target_level_outside_allowed_levels():
    text = BASE.replace("levels = [0, 4]\n  [[criteria.targets]]\n  date = 2021-12-31\n  level = 4",
                        "levels = [0, 4]\n  [[criteria.targets]]\n  date = 2021-12-31\n  level = 2")
    assert any("targets[0].level : niveau cible 2 impossible" in m for m in problems_of(text))


def test_condition_on_impossible_option():
    text = BASE.replace('equals = "autre" }', 'equals = "Autre" }')
    assert any("« Autre » n'est pas une option de « legal_form »" in m for m in problems_of(text))


def test_missing_core_question_of_actions():
    start = BASE.index('  [[sections.questions]]\n  id = "due"')
    end = BASE.index("  [[sections.questions]]", start + 10)
    msgs = problems_of(BASE[:start] + BASE[end:])
    assert any("« due »" in m and "obligatoire" in m for m in msgs)


def test_core_options_cannot_change():
    text = BASE.replace('{ value = "abandoned", label = "Abandonnée" },', '{ value = "dropped", label = "Abandonnée" },')
    assert any("options de « status » doivent être exactement" in m for m in problems_of(text))


def test_wrong_type_in_french():
    text = BASE.replace("max = 4\n", 'max = "quatre"\n', 1)
    (msg,) = problems_of(text)
    assert "scale.max : un nombre entier est attendu" in msg


def test_not_utf8():
    with pytest.raises(ReferentielError) as exc:
        parse("title = 'é'".encode("latin-1"), "q.toml")
    assert "UTF-8" in str(exc.value)


def test_locate_lines_follows_arrays_of_tables():
    lines = locate_lines(BASE)
    assert BASE.splitlines()[lines[("criteria", 0, "targets", 1, "level")] - 1].strip() == "level = 4"
    assert BASE.splitlines()[lines[("criteria", 3, "categories")] - 1].startswith("categories")


def test_check_command_ok_and_errors(cli, tmp_path):
    code, out, err = cli("referentiel", "check")
    assert code == 0 and "questionnaire valide" in out and "25 critères" in out
    bad = tmp_path / "bad.toml"
    bad.write_text(BASE.replace('axis = "IOP"\nlabel = "B2"', 'axis = "XYZ"\nlabel = "B2"').replace(
        "critical = true\n", "critical = true\nfoo = 1\n", 1), encoding="utf-8")
    code, out, err = cli("referentiel", "check", bad)
    assert code == 2 and out == ""
    assert "2 erreurs" in err and "axe inconnu" in err and "clé inconnue" in err
    assert "Traceback" not in err


def test_check_missing_file(cli, tmp_path):
    code, _, err = cli("referentiel", "check", tmp_path / "nope.toml")
    assert code == 2 and "introuvable" in err


def test_referentiel_shipped_in_wheel(tmp_path):
    """The wheel carries referentiel.toml inside the package, identical to the root file."""
    import subprocess
    import sys

    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-w", str(tmp_path), str(ROOT)],
        capture_output=True, text=True,
    )
    if built.returncode != 0 and "No module named" in built.stderr + built.stdout:
        built = subprocess.run(
            [sys.executable, "-m", "pip", "wheel", "--no-deps", "-w", str(tmp_path), str(ROOT)],
            capture_output=True, text=True,
        )
    assert built.returncode == 0, built.stderr[-2000:]
    (wheel,) = tmp_path.glob("*.whl")
    with zipfile.ZipFile(wheel) as zf:
        assert zf.read("convergence_tui/referentiel.toml") == (ROOT / "referentiel.toml").read_bytes()
