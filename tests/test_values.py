"""Each question type: what is accepted, how it is normalised, and the French reason when not."""

from __future__ import annotations

import pytest

from convergence_tui.referentiel.models import Condition, Option, Question
from convergence_tui.referentiel.values import check_value, is_visible, luhn_ok, siret_ok


def q(type_: str, **kw) -> Question:
    return Question(id="x", type=type_, label="X", **kw)


CHOICES = [Option(value="gip", label="GIP"), Option(value="gcs", label="GCS")]


@pytest.mark.parametrize(
    ("question", "raw", "value"),
    [
        (q("text"), "Bonjour", "Bonjour"),
        (q("long_text"), "ligne 1\nligne 2", "ligne 1\nligne 2"),
        (q("integer"), "1 250", 1250),
        (q("integer", min=0, max=10), 10, 10),
        (q("decimal"), "12,5", 12.5),
        (q("decimal"), "1\u202f250,75", 1250.75),
        (q("euros"), "12 345,678", 12345.68),
        (q("euros"), "300", 300),
        (q("percent"), "100", 100),
        (q("date"), "31/12/2026", "2026-12-31"),
        (q("date"), "2026-12-31", "2026-12-31"),
        (q("choice", options=CHOICES), "gcs", "gcs"),
        (q("multi_choice", options=CHOICES), ["gcs", "gip"], ["gip", "gcs"]),
        (q("multi_choice", options=CHOICES), "gcs, gip", ["gip", "gcs"]),
        (q("yes_no"), "oui", True),
        (q("yes_no"), False, False),
        (q("email"), " camille.legoff@esante.example ", "camille.legoff@esante.example"),
        (q("phone"), "02 99 00 00 00", "0299000000"),
        (q("phone"), "+590 590 12 34 56", "+590590123456"),
        (q("siret"), "732 829 320 00074", "73282932000074"),
        (q("region"), "76", "76"),
        (q("region"), 1, "01"),
        (q("semester"), "2026-s2", "2026-S2"),
        (q("level"), "3", 3),
    ],
)
def test_valid_values(question, raw, value):
    assert check_value(question, raw) == (value, None)


@pytest.mark.parametrize(
    ("question", "raw", "reason"),
    [
        (q("integer"), "12,5", "n'est pas un nombre entier"),
        (q("integer", min=2015, max=2035), "2040", "dépasse le maximum 2 035"),
        (q("decimal"), "douze", "n'est pas un nombre"),
        (q("euros", min=0), "-5", "inférieur au minimum 0"),
        (q("percent"), "120", "dépasse le maximum 100"),
        (q("date"), "31/02/2026", "n'est pas une date valide"),
        (q("date"), "2026-13-01", "n'est pas une date valide"),
        (q("choice", options=CHOICES), "GIP", "n'est pas un choix possible"),
        (q("multi_choice", options=CHOICES), ["gip", "sa"], "choix inconnu : sa"),
        (q("yes_no"), "peut-être", "répondez oui ou non"),
        (q("email"), "camille@", "n'est pas une adresse e-mail"),
        (q("phone"), "12345", "n'est pas un numéro valide"),
        (q("siret"), "7328293200007", "un SIRET a 14 chiffres"),
        (q("siret"), "73282932000075", "clé de contrôle fausse"),
        (q("siret"), "73282932000074/", "ne contient que des chiffres"),
        (q("region"), "99", "n'est pas un code région INSEE"),
        (q("semester"), "2026-S3", "n'est pas un semestre"),
        (q("level"), "7", "n'est pas un niveau"),
        (q("service"), "svc-9", "service inconnu"),
        (q("criterion"), "ZZZ-01", "critère inconnu"),
        (q("category"), "NOPE", "catégorie inconnue"),
        (q("text", max_length=3), "abcd", "texte trop long"),
    ],
)
def test_invalid_values_give_french_reason(question, raw, reason):
    value, error = check_value(question, raw)
    assert value is None
    assert reason in error


@pytest.mark.parametrize("raw", [None, "", "   ", []])
def test_empty_is_missing_not_invalid(raw):
    assert check_value(q("integer"), raw) == (None, None)


def test_luhn_and_la_poste():
    assert luhn_ok("73282932000074")
    assert not luhn_ok("73282932000075")
    # La Poste's establishments follow a digit-sum rule instead of Luhn.
    assert siret_ok("35600000000048")  # head office: Luhn
    assert siret_ok("35600000049837")  # an office: digit sum 45
    assert not siret_ok("35600000049838")


def test_visibility_conditions():
    equals = q("text", visible_if=Condition(question="form", equals="autre"))
    assert is_visible(equals, {"form": "autre"})
    assert not is_visible(equals, {"form": "gip"})
    among = q("text", visible_if=Condition(question="p", in_=["a", "b"]))
    assert is_visible(among, {"p": ["c", "b"]})
    assert not is_visible(among, {"p": ["c"]})
    answered = q("text", visible_if=Condition(question="d", answered=True))
    assert not is_visible(answered, {"d": None}) and is_visible(answered, {"d": "2026-01-01"})
    yes = q("date", visible_if=Condition(question="org", equals=True))
    assert is_visible(yes, {"org": True}) and not is_visible(yes, {"org": False})
