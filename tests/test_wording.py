"""How counts and dates are said (convergence_tui/wording.py), and the problem kinds' plural forms."""

from __future__ import annotations

import datetime as dt

import pytest

from convergence_tui.campaign.problems import KINDS, Problem, kind_count, kinds_summary
from convergence_tui.wording import counted, date_fr, datetime_fr, plural


@pytest.mark.parametrize(("singular", "many"), [
    ("ligne financière", "lignes financières"),
    ("réponse obligatoire manquante", "réponses obligatoires manquantes"),
    ("niveau sans preuve", "niveaux sans preuve"),
    ("écart sans frein", "écarts sans frein"),
    ("NA sans justification", "NA sans justification"),
    ("modification non enregistrée", "modifications non enregistrées"),
    ("non convergent", "non convergents"),
    ("frein national", "freins nationaux"),
    ("service", "services"),
    ("prix", "prix"),
    ("critère déjà renseigné", "critères déjà renseignés"),  # an adverb does not agree
])
def test_plural_of_a_noun_phrase(singular, many):
    assert plural(singular) == many


def test_counted_takes_the_singular_for_zero_and_one():
    assert counted(0, "point") == "0 point"
    assert counted(1, "ligne financière") == "1 ligne financière"
    assert counted(60, "ligne financière") == "60 lignes financières"
    assert counted(3, "œil", "yeux") == "3 yeux"


def test_every_problem_kind_has_its_plural():
    for kind, singular in KINDS.items():
        assert kind_count(kind, 1) == f"1 {singular}"
        assert kind_count(kind, 2) != f"2 {singular}" or singular.startswith("NA ")
    assert kind_count("missing", 45) == "45 réponses obligatoires manquantes"
    problems = [Problem("evidence", "g", "s/c", "evidence", "…")] * 3 + [Problem("missing", "a", "campaign", "q", "…")]
    # In the questionnaire's order of kinds, whatever the order of the problems.
    assert kinds_summary(problems) == "1 réponse obligatoire manquante, 3 niveaux sans preuve"
    assert kinds_summary(problems, skip=("missing",)) == "3 niveaux sans preuve"


def test_dates_for_people():
    assert date_fr("2026-12-01") == "01/12/2026"
    assert date_fr(dt.date(2027, 6, 30)) == "30/06/2027"
    assert date_fr("2026-12-01T23:35:37Z") == "01/12/2026"
    assert date_fr(None) == "—"
    assert datetime_fr("2026-12-01T21:35:37Z") == "01/12/2026 à 21:35 UTC"
    assert datetime_fr("2026-11-30T10:00:00.000Z") == "30/11/2026 à 10:00 UTC"
    assert datetime_fr(dt.datetime(2026, 12, 1, 21, 35, tzinfo=dt.timezone(dt.timedelta(hours=1)))) == \
        "01/12/2026 à 20:35 UTC"
    assert datetime_fr(dt.datetime(2026, 12, 1, 21, 35)) == "01/12/2026 à 21:35 UTC"  # naive: UTC


def test_local_moment_is_said_without_a_zone(monkeypatch):
    import time

    monkeypatch.setenv("TZ", "Europe/Paris")
    time.tzset()
    try:
        assert datetime_fr("2026-12-01T21:35:37Z", local=True) == "01/12/2026 à 22:35"
    finally:
        monkeypatch.undo()
        time.tzset()


def test_text_that_is_not_a_date_is_given_back_to_be_escaped():
    assert date_fr("31-12-2026") == "31-12-2026"
    assert datetime_fr("hier soir") == "hier soir"
