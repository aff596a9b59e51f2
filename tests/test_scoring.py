"""Scoring, DESIGN.md §4: every rule, the worked example, and properties against an independent computation."""

from __future__ import annotations

import datetime as dt
import json
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from convergence_tui.referentiel import load, parse
from convergence_tui.scoring import ActionInput, Scorer, ServiceInput, round_half_up, scores_document

try:
    from tests.reference_scoring import reference_scores
except ImportError:  # pragma: no cover - depends on how pytest puts tests/ on sys.path
    from reference_scoring import reference_scores

MINI_PATH = Path(__file__).parent / "fixtures" / "mini.toml"
MINI_TEXT = MINI_PATH.read_text(encoding="utf-8")
MINI = load(MINI_PATH)
# Everything after the criteria of mini.toml: the sections every questionnaire needs.
SECTIONS = MINI_TEXT[MINI_TEXT.index("[[sections]]"):]
D = dt.date

PROPS = settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


# ---------------------------------------------------------------- helpers


def crit(cid, axis="URB", *, critical=False, na=False, levels=None, categories=None, targets=()):
    return {"id": cid, "axis": axis, "critical": critical, "na": na, "levels": levels, "categories": categories,
                "targets": list(targets)}


def toml_ref(criteria, *, convergent=0.8, partial=0.5, scale_max=4, axes=("URB", "IOP"),
             categories=("COORD", "INFRA")) -> str:
    out = ['[referentiel]\nid = "gen"\nversion = "1"\ntitle = "t"\n',
           f"[scale]\nmax = {scale_max}\nlabels = {json.dumps([f'L{i}' for i in range(scale_max + 1)])}\n",
           f"[thresholds]\nconvergent = {float(convergent)!r}\npartial = {float(partial)!r}\n"]
    out += [f'[[axes]]\nid = "{a}"\nlabel = "{a}"\n' for a in axes]
    out += [f'[[categories]]\nid = "{k}"\nlabel = "{k}"\n' for k in categories]
    for c in criteria:
        lines = [f'[[criteria]]\nid = "{c["id"]}"\naxis = "{c["axis"]}"\nlabel = "x"',
                 f"critical = {str(c['critical']).lower()}", f"na_allowed = {str(c['na']).lower()}"]
        if c["levels"] is not None:
            lines.append(f"levels = {json.dumps(c['levels'])}")
        if c["categories"] is not None:
            lines.append(f"categories = {json.dumps(c['categories'])}")
        for date, level in c["targets"]:
            lines.append(f"  [[criteria.targets]]\n  date = {date.isoformat()}\n  level = {level}")
        out.append("\n".join(lines) + "\n")
    return "\n".join(out) + "\n" + SECTIONS


def make_ref(criteria, **kw):
    return parse(toml_ref(criteria, **kw).encode(), "gen.toml")


def svc(answers, category="COORD", actions=(), sid="S", name=None):
    return ServiceInput(id=sid, name=name or sid, category=category, answers=dict(answers), actions=tuple(actions))


def act(cid, level, due, status="planned"):
    return ActionInput(criterion=cid, target_level=level, due=due, status=status)


def doc(ref, services, date):
    return scores_document(ref, Scorer(ref, date).score_all(services))


def row(ref, service, date):
    (r,) = doc(ref, [service], date)["services"]
    return r


def one(ref, service, date):
    """The engine's exact ServiceScore of a single service."""
    return Scorer(ref, date).score_service(service)


# ---------------------------------------------------------------- worked example

WORKED = svc(
    {"A-1": 2, "A-2": 1, "B-1": 4},
    actions=[
        act("A-1", 4, D(2023, 3, 31), "in_progress"),
        act("A-2", 3, D(2022, 12, 15), "planned"),
        act("A-1", 4, D(2022, 9, 30), "abandoned"),
    ],
)


@pytest.mark.parametrize(
    "date, conformity, status, level, gaps",
    [
        (D(2022, 6, 30), 1.0, "convergent", 2, []),
        (D(2023, 1, 15), 0.333, "non_convergent", 0, ["A-1", "A-2"]),
    ],
)
def test_worked_example(date, conformity, status, level, gaps):
    document = doc(MINI, [WORKED], date)
    maturity = {"URB": 37.5, "IOP": 50.0, "global": 43.8}
    assert document == {
        "referentiel": {"id": "mini", "version": "1"},
        "reference_date": date.isoformat(),
        "region": {
            "maturity": maturity,
            "completeness": 75.0,
            "status_counts": {
                "convergent": int(status == "convergent"),
                "partially_convergent": 0,
                "non_convergent": int(status == "non_convergent"),
            },
        },
        "services": [
            {
                "id": "S", "name": "S", "category": "COORD", "maturity": maturity, "completeness": 75.0,
                "conformity": conformity, "status": status, "level": level, "gaps": gaps,
                "target_reached_on": "2023-03-31",
            }
        ],
    }
    assert document == reference_scores(MINI, [WORKED], date)


def test_worked_example_exact_values():
    early, late = one(MINI, WORKED, D(2022, 6, 30)), one(MINI, WORKED, D(2023, 1, 15))
    assert early.maturity == {"URB": Fraction(75, 2), "IOP": Fraction(50), "global": Fraction(175, 4)}
    assert early.completeness == 75 and early.conformity == 1
    assert late.conformity == Fraction(1, 3)
    scorer = Scorer(MINI, D(2022, 6, 30))
    assert [scorer.due_level(c) for c in ("A-1", "A-2", "B-1", "B-2")] == [2, None, 4, None]
    assert [scorer.final_level(c) for c in ("A-1", "A-2", "B-1", "B-2")] == [4, 3, 4, None]


# ---------------------------------------------------------------- NA


def test_na_is_excluded_from_applicable_but_counts_as_answered():
    r = row(MINI, svc({"A-1": 2, "A-2": 1, "B-1": "NA", "B-2": 2}), D(2022, 6, 30))
    assert r["completeness"] == 100.0
    # IOP over B-2 alone (2/4), global over, B-2 (5/12); NA as 0 would give 25.0 / 31.3.
    assert r["maturity"] == {"URB": 37.5, "IOP": 50.0, "global": 41.7}


def test_na_criterion_is_not_due_and_na_critical_does_not_block():
    ref = make_ref([
        crit("X-1", targets=[(D(2021, 1, 1), 2)]),
        crit("X-2", critical=True, na=True, targets=[(D(2021, 1, 1), 4)]),
    ])
    r = row(ref, svc({"X-1": 2, "X-2": "NA"}), D(2022, 1, 1))
    assert (r["conformity"], r["status"], r["gaps"]) == (1.0, "convergent", [])
    # An NA criterion below its final target does not keep level 3 away, nor the plan.
    assert r["level"] == 3 and r["target_reached_on"] == "2022-01-01"
    # Answered 0 instead, the same critical criterion blocks everything.
    r0 = row(ref, svc({"X-1": 2, "X-2": 0}), D(2022, 1, 1))
    assert (r0["conformity"], r0["status"], r0["gaps"]) == (0.5, "non_convergent", ["X-2"])


def test_maturity_is_null_for_an_axis_whose_criteria_are_all_na():
    # INFRA: B-2 is not a candidate, so B-1 (NA) is the only IOP criterion.
    document = doc(MINI, [svc({"A-1": 4, "A-2": 2, "B-1": "NA"}, category="INFRA")], D(2022, 6, 30))
    (r,) = document["services"]
    assert r["maturity"] == {"URB": 75.0, "IOP": None, "global": 75.0}
    assert r["completeness"] == 100.0
    assert document["region"]["maturity"] == {"URB": 75.0, "IOP": None, "global": 75.0}


def test_maturity_global_null_when_everything_is_na():
    ref = make_ref([crit("X-1", na=True, targets=[(D(2021, 1, 1), 4)]), crit("Y-1", "IOP", na=True)])
    r = row(ref, svc({"X-1": "NA", "Y-1": "NA"}), D(2022, 1, 1))
    assert r["maturity"] == {"URB": None, "IOP": None, "global": None}
    assert (r["completeness"], r["conformity"], r["status"], r["level"]) == (100.0, 1.0, "convergent", 3)


# ---------------------------------------------------------------- missing answers


def test_missing_counts_zero_in_maturity_but_not_as_answered():
    r = row(MINI, svc({"A-1": 4, "A-2": 3}), D(2022, 6, 30))
    assert r["completeness"] == 50.0
    # IOP is 0.0 (two applicable criteria at 0), not null; global 7/16.
    assert r["maturity"] == {"URB": 87.5, "IOP": 0.0, "global": 43.8}
    # Missing critical B-1 (due 4) is an unmet critical criterion at level 0.
    assert (r["conformity"], r["status"], r["level"], r["gaps"]) == (0.5, "non_convergent", 0, ["B-1"])


def test_nothing_answered():
    r = row(MINI, svc({}), D(2020, 1, 1))
    assert r["completeness"] == 0.0
    assert r["maturity"] == {"URB": 0.0, "IOP": 0.0, "global": 0.0}
    assert (r["conformity"], r["status"], r["level"]) == (1.0, "convergent", 2)  # nothing due yet


# ---------------------------------------------------------------- due level by date

DUE_REF_TARGETS = [(D(2022, 1, 1), 1), (D(2022, 6, 1), 3)]


@pytest.mark.parametrize(
    "date, due, met",
    [
        (D(2021, 12, 31), None, True),  # the day before the first target: not due
        (D(2022, 1, 1), 1, True),  # target date equal to d: due
        (D(2022, 5, 31), 1, True),
        (D(2022, 6, 1), 3, False),  # the latest target <= d wins
        (D(2030, 1, 1), 3, False),
    ],
)
def test_due_level_by_date(date, due, met):
    ref = make_ref([crit("X-1", targets=DUE_REF_TARGETS), crit("X-2")])
    assert Scorer(ref, date).due_level("X-1") == due
    r = row(ref, svc({"X-1": 1, "X-2": 0}), date)
    assert r["gaps"] == ([] if met else ["X-1"])
    assert r["conformity"] == (1.0 if met else 0.0)


def test_latest_target_wins_even_when_lower():
    ref = make_ref([crit("X-1", targets=[(D(2022, 1, 1), 3), (D(2022, 6, 1), 1)])])
    assert Scorer(ref, D(2022, 3, 1)).due_level("X-1") == 3
    assert Scorer(ref, D(2022, 7, 1)).due_level("X-1") == 1
    assert Scorer(ref, D(2022, 7, 1)).final_level("X-1") == 1
    r = row(ref, svc({"X-1": 1}), D(2022, 7, 1))
    assert (r["conformity"], r["status"], r["level"]) == (1.0, "convergent", 3)
    # Before the lower target, the same answer is below the due level 3 yet at its final target:
    # level 3 needs "convergent" first.
    r = row(ref, svc({"X-1": 1}), D(2022, 3, 1))
    assert (r["conformity"], r["status"], r["level"], r["gaps"]) == (0.0, "non_convergent", 0, ["X-1"])


# ---------------------------------------------------------------- critical gate

TEN = [crit(f"X-{i}", targets=[(D(2021, 1, 1), 2)]) for i in range(9)] + [
    crit("K-1", critical=True, targets=[(D(2021, 1, 1), 2)])
]


def ten_answers(critical_level, met=9):
    return {**{f"X-{i}": (2 if i < met else 0) for i in range(9)}, "K-1": critical_level}


def test_critical_unmet_prevents_convergent():
    ref = make_ref(TEN)
    assert row(ref, svc(ten_answers(2)), D(2022, 1, 1))["status"] == "convergent"
    r = row(ref, svc(ten_answers(1)), D(2022, 1, 1))  # conformity 0.9 >= 0.8, but K-1 unmet
    assert (r["conformity"], r["status"], r["level"], r["gaps"]) == (0.9, "partially_convergent", 1, ["K-1"])


def test_critical_unmet_at_level_zero_prevents_partial():
    ref = make_ref(TEN)
    r = row(ref, svc(ten_answers(0)), D(2022, 1, 1))
    assert (r["conformity"], r["status"], r["level"]) == (0.9, "non_convergent", 0)


def test_critical_at_level_one_still_needs_partial_threshold():
    ref = make_ref(TEN)
    assert row(ref, svc(ten_answers(1, met=5)), D(2022, 1, 1))["status"] == "partially_convergent"  # 0.5
    r = row(ref, svc(ten_answers(1, met=4)), D(2022, 1, 1))  # 0.4
    assert (r["conformity"], r["status"]) == (0.4, "non_convergent")


def test_critical_conformity_one_otherwise():
    """Every non-critical criterion met, the single critical one not: never convergent."""
    ref = make_ref([crit("X-1", targets=[(D(2021, 1, 1), 1)]), crit("K-1", critical=True, targets=[(D(2021, 1, 1), 3)]),
                    *[crit(f"Y-{i}", targets=[(D(2021, 1, 1), 1)]) for i in range(8)]])
    answers = {"X-1": 4, **{f"Y-{i}": 4 for i in range(8)}, "K-1": 2}
    r = row(ref, svc(answers), D(2022, 1, 1))
    assert r["status"] == "partially_convergent" and r["conformity"] == 0.9


def test_critical_not_yet_due_does_not_block():
    ref = make_ref([crit("X-1", targets=[(D(2021, 1, 1), 1)]), crit("K-1", critical=True, targets=[(D(2025, 1, 1), 3)])])
    r = row(ref, svc({"X-1": 1, "K-1": 0}), D(2022, 1, 1))
    assert (r["status"], r["level"], r["gaps"]) == ("convergent", 2, [])


# ---------------------------------------------------------------- thresholds at their boundaries


def n_due(n, **kw):
    return make_ref([crit(f"X-{i}", targets=[(D(2021, 1, 1), 1)]) for i in range(n)], **kw)


def met_answers(n, met):
    return {f"X-{i}": int(i < met) for i in range(n)}


@pytest.mark.parametrize(
    "n, met, status",
    [
        (5, 5, "convergent"),
        (5, 4, "convergent"),  # exactly 0.8
        (5, 3, "partially_convergent"),
        (10, 8, "convergent"),  # exactly 0.8
        (10, 7, "partially_convergent"),  # just below 0.8
        (10, 5, "partially_convergent"),  # exactly 0.5
        (10, 4, "non_convergent"),  # just below 0.5
        (5, 2, "non_convergent"),
        (4, 2, "partially_convergent"),  # exactly 0.5
    ],
)
def test_threshold_boundaries(n, met, status):
    r = row(n_due(n), svc(met_answers(n, met)), D(2022, 1, 1))
    assert r["conformity"] == round(met / n, 3)
    assert r["status"] == status


@pytest.mark.parametrize(
    "met, status",
    [(10, "convergent"), (9, "convergent"), (8, "partially_convergent"), (1, "partially_convergent"),
     (0, "non_convergent")],
)
def test_thresholds_compare_as_written_decimals(met, status):
    # As binary floats, 0.9 and 0.1 are slightly above 9/10 and 1/10: the comparison must be exact.
    r = row(n_due(10, convergent=0.9, partial=0.1), svc(met_answers(10, met)), D(2022, 1, 1))
    assert r["status"] == status


# ---------------------------------------------------------------- level 3 vs 2


def test_level_three_needs_every_applicable_criterion_at_its_final_target():
    ref = make_ref([
        crit("X-1", targets=[(D(2021, 1, 1), 2), (D(2030, 1, 1), 4)]),
        crit("X-2", targets=[(D(2021, 1, 1), 1)]),
        crit("X-3"),  # no target: ignored for level 3
    ])
    date = D(2022, 1, 1)
    assert row(ref, svc({"X-1": 4, "X-2": 1, "X-3": 0}), date)["level"] == 3
    assert row(ref, svc({"X-1": 3, "X-2": 4, "X-3": 4}), date)["level"] == 2
    assert row(ref, svc({"X-1": 4, "X-2": 1}), date)["level"] == 3  # X-3 missing: still ignored


# ---------------------------------------------------------------- gaps


def test_gaps_sorted_by_id():
    ids = ["Z-1", "A-10", "M-1", "A-2", "A-1"]
    ref = make_ref([crit(i, targets=[(D(2021, 1, 1), 2)]) for i in ids])
    r = row(ref, svc(dict.fromkeys(ids, 1)), D(2022, 1, 1))
    assert r["gaps"] == sorted(ids) == ["A-1", "A-10", "A-2", "M-1", "Z-1"]


def test_gaps_are_only_due_unmet_criteria():
    r = row(MINI, svc({"A-1": 1, "A-2": 0, "B-1": 0, "B-2": 0}), D(2022, 6, 30))
    assert r["gaps"] == ["A-1", "B-1"]  # A-2 not due yet, B-2 never due


# ---------------------------------------------------------------- plan projection

PLAN_REF_CRITERIA = [
    crit("X-1", targets=[(D(2021, 1, 1), 2), (D(2024, 1, 1), 4)]),
    crit("X-2", targets=[(D(2023, 1, 1), 3)]),
    crit("X-3"),  # no target
    crit("X-4", na=True, targets=[(D(2021, 1, 1), 4)]),
]
PLAN_REF = make_ref(PLAN_REF_CRITERIA)
PD = D(2022, 6, 30)


def reached(answers, actions, date=PD):
    return row(PLAN_REF, svc(answers, actions=actions), date)["target_reached_on"]


AT_FINAL = {"X-1": 4, "X-2": 3, "X-3": 0, "X-4": "NA"}


@pytest.mark.parametrize(
    "answers, actions, expected",
    [
        # Already at final (X-3 without target, at 0, and NA X-4 ignored): d.
        (AT_FINAL, [], "2022-06-30"),
        # Some criterion never reaches its final target: null.
        ({**AT_FINAL, "X-1": 3}, [], None),
        ({**AT_FINAL, "X-1": 3}, [act("X-2", 4, D(2022, 8, 1))], None),
        # Abandoned actions are ignored.
        ({**AT_FINAL, "X-1": 3}, [act("X-1", 4, D(2022, 8, 1), "abandoned")], None),
        ({**AT_FINAL, "X-1": 3}, [act("X-1", 4, D(2022, 8, 1), "abandoned"), act("X-1", 4, D(2023, 2, 1), "done")],
         "2023-02-01"),
        # An action due before d counts from d.
        ({**AT_FINAL, "X-1": 3}, [act("X-1", 4, D(2021, 3, 1), "in_progress")], "2022-06-30"),
        ({**AT_FINAL, "X-1": 3, "X-2": 0}, [act("X-1", 4, D(2021, 3, 1)), act("X-2", 3, D(2022, 1, 1))],
         "2022-06-30"),
        # An action below the final target does not count.
        ({**AT_FINAL, "X-1": 2}, [act("X-1", 3, D(2022, 8, 1))], None),
        ({**AT_FINAL, "X-1": 2}, [act("X-1", 3, D(2022, 8, 1)), act("X-1", 4, D(2023, 5, 1))], "2023-05-01"),
        # The earliest action reaching the final target, per criterion; the latest over criteria.
        ({**AT_FINAL, "X-1": 2}, [act("X-1", 4, D(2024, 5, 1)), act("X-1", 4, D(2023, 5, 1))], "2023-05-01"),
        ({**AT_FINAL, "X-1": 2, "X-2": 0},
         [act("X-1", 4, D(2023, 5, 1)), act("X-2", 3, D(2025, 1, 1)), act("X-2", 4, D(2024, 1, 1))], "2024-01-01"),
        ({**AT_FINAL, "X-1": 2, "X-2": 0}, [act("X-1", 4, D(2026, 5, 1)), act("X-2", 3, D(2024, 1, 1))], "2026-05-01"),
        # Missing answers count as 0; actions on criteria without targets or answered NA are irrelevant.
        ({"X-4": "NA"}, [act("X-1", 4, D(2023, 1, 1)), act("X-2", 3, D(2023, 2, 1))], "2023-02-01"),
        ({"X-1": 4, "X-2": 3}, [], None),  # X-4 missing: applicable, at 0, final 4
        ({"X-1": 4, "X-2": 3}, [act("X-4", 4, D(2023, 7, 1))], "2023-07-01"),
        ({**AT_FINAL, "X-1": 3}, [act("X-3", 4, D(2022, 8, 1)), act("X-4", 4, D(2022, 8, 1))], None),
    ],
)
def test_target_reached_on(answers, actions, expected):
    assert reached(answers, actions) == expected


def test_target_reached_on_action_due_exactly_on_d():
    assert reached({**AT_FINAL, "X-1": 3}, [act("X-1", 4, PD)]) == PD.isoformat()


def test_target_reached_on_no_targeted_criteria_is_d():
    ref = make_ref([crit("X-1"), crit("Y-1", "IOP")])
    assert row(ref, svc({}), D(2022, 1, 1))["target_reached_on"] == "2022-01-01"


# ---------------------------------------------------------------- region


def test_region_maturity_is_pooled_not_a_mean_of_services():
    ref = make_ref([
        crit("X-1", na=True), crit("X-2", na=True), crit("X-3", na=True),
        crit("Y-1", "IOP", categories=["COORD"]),
    ])
    services = [
        svc({"X-1": 4, "X-2": "NA", "X-3": "NA"}, category="INFRA", sid="S1"),  # URB 100, completeness 100
        svc({"X-1": 0}, category="COORD", sid="S2"),  # URB 0, completeness 25
    ]
    document = doc(ref, services, D(2022, 1, 1))
    s1, s2 = document["services"]
    assert (s1["maturity"]["URB"], s2["maturity"]["URB"]) == (100.0, 0.0)
    assert (s1["completeness"], s2["completeness"]) == (100.0, 25.0)
    region = document["region"]
    # Pooled: 4 / (4 * 4 pairs) = 25.0 (a mean of services would give 50.0).
    assert region["maturity"] == {"URB": 25.0, "IOP": 0.0, "global": 20.0}
    # Pooled: 4 answered / 7 candidates = 57.1 (a mean of services would give 62.5).
    assert region["completeness"] == 57.1
    assert region["status_counts"] == {"convergent": 2, "partially_convergent": 0, "non_convergent": 0}
    scores = Scorer(ref, D(2022, 1, 1)).score_all(services)
    assert scores.region.maturity["URB"] == Fraction(25)
    assert scores.region.completeness == Fraction(400, 7)


def test_region_status_counts_have_all_keys():
    services = [svc({}, sid="S1", category="INFRA"), svc({"A-1": 4, "A-2": 3, "B-1": 4}, sid="S2")]
    counts = doc(MINI, services, D(2023, 1, 15))["region"]["status_counts"]
    assert counts == {"convergent": 1, "partially_convergent": 0, "non_convergent": 1}
    assert list(counts) == ["convergent", "partially_convergent", "non_convergent"]


def test_empty_campaign():
    document = doc(MINI, [], D(2022, 6, 30))
    assert document["services"] == []
    assert document["region"] == {
        "maturity": {"URB": None, "IOP": None, "global": None},
        "completeness": 100.0,
        "status_counts": {"convergent": 0, "partially_convergent": 0, "non_convergent": 0},
    }
    assert document == reference_scores(MINI, [], D(2022, 6, 30))
    region = Scorer(MINI, D(2022, 6, 30)).score_all([]).region
    assert region.completeness == 100
    assert region.maturity == {"URB": None, "IOP": None, "global": None}


# ---------------------------------------------------------------- candidates by category


def test_criteria_with_categories_only_apply_to_them():
    # B-2 is COORD only: for an INFRA service it is not a candidate, even if an answer exists.
    r = row(MINI, svc({"A-1": 2, "A-2": 1, "B-1": 4, "B-2": 4}, category="INFRA"), D(2022, 6, 30))
    assert r["completeness"] == 100.0  # 3 / 3
    assert r["maturity"] == {"URB": 37.5, "IOP": 100.0, "global": 58.3}
    r = row(MINI, svc({"A-1": 2, "A-2": 1, "B-1": 4, "B-2": 4}, category="COORD"), D(2022, 6, 30))
    assert r["maturity"] == {"URB": 37.5, "IOP": 100.0, "global": 68.8}


def test_no_candidates():
    ref = make_ref([crit("X-1", critical=True, categories=["COORD"], targets=[(D(2021, 1, 1), 4)])])
    r = row(ref, svc({"X-1": 0}, category="INFRA"), D(2022, 1, 1))
    assert r["completeness"] == 100.0 and r["conformity"] == 1.0
    assert r["maturity"] == {"URB": None, "IOP": None, "global": None}
    assert (r["status"], r["gaps"], r["target_reached_on"]) == ("convergent", [], "2022-01-01")
    exact = one(ref, svc({"X-1": 0}, category="INFRA"), D(2022, 1, 1))
    assert (exact.completeness, exact.conformity) == (100, 1)


def test_conformity_one_when_nothing_due():
    r = row(MINI, svc({"A-1": 0, "A-2": 0, "B-1": 0, "B-2": 0}), D(2021, 12, 30))
    assert (r["conformity"], r["status"], r["gaps"]) == (1.0, "convergent", [])
    assert one(MINI, svc({}), D(2021, 12, 30)).conformity == 1


# ---------------------------------------------------------------- rounding


def test_round_half_up():
    assert round_half_up(Fraction(1, 20), 1) == 0.1
    assert round_half_up(Fraction(4375, 100), 1) == 43.8
    assert round_half_up(Fraction(175, 4), 1) == 43.8
    assert round_half_up(Fraction("0.3335"), 3) == 0.334
    # Exact halves whose nearest binary float lies just below: no detour through float.
    assert round_half_up(Fraction("1.005"), 2) == 1.01
    assert round_half_up(Fraction("0.0015"), 3) == 0.002
    assert round_half_up(Fraction(1, 16), 3) == 0.063
    assert round_half_up(Fraction(1, 40), 1) == 0.0
    assert round_half_up(Fraction(5, 2), 0) == 3.0  # not banker's rounding
    assert round_half_up(Fraction(100), 1) == 100.0
    assert round_half_up(Fraction(0), 3) == 0.0
    assert round_half_up(None, 1) is None


def test_output_rounding():
    ids = [f"X-{i:02d}" for i in range(16)]
    ref = make_ref([crit(i, targets=[(D(2021, 1, 1), 4)]) for i in ids[:-1]] + [crit("Y-1", "IOP")])
    answers = {"X-00": 4, "Y-1": 1}  # 2 of 16 answered, 1 of 15 due met
    r = row(ref, svc(answers), D(2022, 1, 1))
    assert r["completeness"] == 12.5
    assert r["conformity"] == 0.067  # 1/15
    assert r["maturity"] == {"URB": 6.7, "IOP": 25.0, "global": 7.8}  # 4/60, 1/4, 5/64 = 7.8125
    r = row(ref, svc({"X-00": 4}), D(2022, 1, 1))
    assert r["completeness"] == 6.3  # 1/16 = 6.25, half up
    ref16 = make_ref([crit(f"X-{i:02d}", targets=[(D(2021, 1, 1), 1)]) for i in range(16)])
    r = row(ref16, svc({"X-00": 1}), D(2022, 1, 1))
    assert r["conformity"] == 0.063  # 1/16 = 0.0625, half up
    assert json.dumps(r["conformity"]) == "0.063" and json.dumps(r["completeness"]) == "6.3"
    three = make_ref([crit("X-1"), crit("X-2"), crit("X-3")], scale_max=1)
    r = row(three, svc({"X-1": 1}), D(2022, 1, 1))
    assert r["maturity"]["URB"] == 33.3
    r = row(three, svc({"X-1": 1, "X-2": 1}), D(2022, 1, 1))
    assert r["maturity"]["URB"] == 66.7


# ---------------------------------------------------------------- random campaigns

DATES = [D(2021, 12, 31), D(2022, 6, 30), D(2022, 12, 31), D(2023, 3, 31), D(2024, 6, 30)]
dates = st.builds(lambda d, k: d + dt.timedelta(days=k), st.sampled_from(DATES), st.sampled_from([-1, 0, 0, 1]))
THRESHOLDS = [(0.8, 0.5), (0.9, 0.1), (0.7, 0.3), (1.0, 0.0), (0.5, 0.5), (0.6, 0.6), (0.75, 0.25), (0.0, 0.0)]


@st.composite
def referentials(draw):
    if draw(st.integers(0, 3)) == 0:
        return MINI
    scale_max = draw(st.integers(1, 5))
    axes = draw(st.lists(st.sampled_from(["URB", "IOP", "SEC"]), min_size=1, max_size=3, unique=True))
    cats = draw(st.lists(st.sampled_from(["COORD", "INFRA", "OTHER"]), min_size=1, max_size=3, unique=True))
    convergent, partial = draw(st.sampled_from(THRESHOLDS))
    criteria = []
    for i in range(draw(st.integers(1, 7))):
        levels = draw(st.none() | st.lists(st.integers(0, scale_max), min_size=1, max_size=scale_max + 1,
                                           unique=True).map(sorted))
        allowed = levels if levels is not None else list(range(scale_max + 1))
        target_dates = sorted(draw(st.lists(st.sampled_from(DATES), max_size=3, unique=True)))
        criteria.append(crit(
            f"{draw(st.sampled_from(axes))}-{i}", draw(st.sampled_from(axes)),
            critical=draw(st.booleans()), na=draw(st.booleans()), levels=levels,
            categories=draw(st.none() | st.lists(st.sampled_from(cats), min_size=1, unique=True)),
            targets=[(d, draw(st.sampled_from(allowed))) for d in target_dates],
        ))
    return make_ref(criteria, convergent=convergent, partial=partial, scale_max=scale_max, axes=axes,
                    categories=cats)


def services(ref, sid):
    """A service of `ref`: answers to any criterion (candidate or not), levels, NA where allowed, or missing."""
    answer_of = {
        c.id: st.none() | st.sampled_from(ref.allowed_levels(c) + (["NA"] if c.na_allowed else []))
        for c in ref.criteria
    }
    criteria = [c.id for c in ref.criteria] or ["A-1"]
    actions = st.lists(st.builds(ActionInput, criterion=st.sampled_from(criteria),
                                 target_level=st.integers(0, ref.scale.max), due=dates,
                                 status=st.sampled_from(["planned", "in_progress", "done", "abandoned"])),
                       max_size=4)
    return st.builds(
        lambda category, answers, acts: ServiceInput(
            id=sid, name=f"Service {sid}", category=category,
            answers={k: v for k, v in answers.items() if v is not None}, actions=tuple(acts)),
        st.sampled_from([k.id for k in ref.categories]), st.fixed_dictionaries(answer_of), actions,
    )


@st.composite
def campaigns(draw):
    ref = draw(referentials())
    n = draw(st.integers(0, 5))
    return ref, [draw(services(ref, f"svc-{i}")) for i in range(n)], draw(dates)


@PROPS
@given(campaigns())
def test_engine_matches_independent_computation(campaign):
    ref, svcs, date = campaign
    assert doc(ref, svcs, date) == reference_scores(ref, svcs, date)


@PROPS
@given(campaigns(), st.data())
def test_incremental_equals_full_recompute(campaign, data):
    ref, svcs, date = campaign
    scorer = Scorer(ref, date)
    scores = scorer.score_all(svcs)
    state = list(svcs)
    next_id = len(state)
    for _ in range(data.draw(st.integers(1, 6), label="changes")):
        kind = data.draw(st.sampled_from(["change", "change", "add", "remove"]) if state else st.just("add"))
        if kind == "add":
            new = data.draw(services(ref, f"svc-{next_id}"))
            next_id += 1
            state.append(new)
            scores = scorer.rescore_one(scores, new)
        elif kind == "change":
            i = data.draw(st.integers(0, len(state) - 1))
            new = data.draw(services(ref, state[i].id))
            state[i] = new
            scores = scorer.rescore_one(scores, new)
        else:
            i = data.draw(st.integers(0, len(state) - 1))
            scores = scorer.without(scores, state.pop(i).id)
        assert scores_document(ref, scores) == scores_document(ref, Scorer(ref, date).score_all(state))
    assert scores_document(ref, scores) == reference_scores(ref, state, date)


def _not_lower(before, after):
    for key, old in before.items():
        new = after[key]
        assert (old is None) == (new is None), key  # raising a level never changes the applicable set
        if old is not None:
            assert new >= old, key


@PROPS
@given(campaigns(), st.data())
def test_raising_a_level_never_lowers_maturity(campaign, data):
    ref, svcs, date = campaign
    svcs = svcs or [data.draw(services(ref, "svc-0"))]
    i = data.draw(st.integers(0, len(svcs) - 1), label="service")
    target = svcs[i]
    choices = [
        (c, lv)
        for c in ref.candidates(target.category)
        if target.answers.get(c.id) != "NA"
        for lv in ref.allowed_levels(c)
        if c.id not in target.answers or lv > target.answers[c.id]
    ]
    if not choices:
        return
    c, lv = data.draw(st.sampled_from(choices), label="raise")
    raised = ServiceInput(target.id, target.name, target.category, {**target.answers, c.id: lv}, target.actions)
    scorer = Scorer(ref, date)
    before = scorer.score_all(svcs)
    after = scorer.score_all([raised if s is target else s for s in svcs])
    _not_lower(before.services[i].maturity, after.services[i].maturity)
    _not_lower(before.region.maturity, after.region.maturity)
    assert after.services[i].completeness >= before.services[i].completeness
    assert after.region.completeness >= before.region.completeness


@PROPS
@given(campaigns())
def test_document_is_deterministic_and_in_range(campaign):
    ref, svcs, date = campaign
    first = doc(ref, svcs, date)
    assert json.dumps(first) == json.dumps(doc(ref, list(svcs), date))
    percentages = [first["region"]["completeness"], *first["region"]["maturity"].values()]
    for s in first["services"]:
        percentages += [s["completeness"], *s["maturity"].values()]
        assert 0.0 <= s["conformity"] <= 1.0
        assert round(s["conformity"], 3) == s["conformity"]
        assert s["level"] == {"non_convergent": 0, "partially_convergent": 1}.get(s["status"], s["level"])
        assert s["level"] in ((2, 3) if s["status"] == "convergent" else (0, 1))
        assert s["gaps"] == sorted(s["gaps"])
    for p in percentages:
        assert p is None or (0.0 <= p <= 100.0 and round(p, 1) == p)
    assert sum(first["region"]["status_counts"].values()) == len(svcs)


@PROPS
@given(campaigns())
def test_exact_scores_agree_with_the_document(campaign):
    """ServiceScore / RegionScore properties (exact Fractions) round to what the document says."""
    ref, svcs, date = campaign
    scores = Scorer(ref, date).score_all(svcs)
    document = scores_document(ref, scores)
    pairs = [(scores.region, document["region"])] + list(zip(scores.services, document["services"]))
    for exact, out in pairs:
        assert {k: round_half_up(v, 1) for k, v in exact.maturity.items()} == out["maturity"]
        assert round_half_up(exact.completeness, 1) == out["completeness"]
        assert 0 <= exact.completeness <= 100
    for exact, out in zip(scores.services, document["services"]):
        assert round_half_up(exact.conformity, 3) == out["conformity"]
        assert 0 <= exact.conformity <= 1
