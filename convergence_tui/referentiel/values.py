"""What a valid answer is for each question type, with French reasons.

`check_value(question, raw)` returns `(value, error)`: the normalised value
to store and score, or `None` and one French sentence saying what is wrong and
how to fix it. Empty input is not an error here: it is "missing", which the
session flags when the question is required.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Collection, Mapping
from typing import Any

from ..escaping import control_characters, printable
from .models import Question

REGIONS: dict[str, str] = {
    "01": "Guadeloupe",
    "02": "Martinique",
    "03": "Guyane",
    "04": "La Réunion",
    "06": "Mayotte",
    "11": "Île-de-France",
    "24": "Centre-Val de Loire",
    "27": "Bourgogne-Franche-Comté",
    "28": "Normandie",
    "32": "Hauts-de-France",
    "44": "Grand Est",
    "52": "Pays de la Loire",
    "53": "Bretagne",
    "75": "Nouvelle-Aquitaine",
    "76": "Occitanie",
    "84": "Auvergne-Rhône-Alpes",
    "93": "Provence-Alpes-Côte d'Azur",
    "94": "Corse",
}

# How a person names the items of each kind, in a sentence (« parmi les freins de la campagne »).
ITEM_PLURALS = {"service": "services", "indicator": "indicateurs", "finance": "lignes financières",
                "blocker": "freins", "action": "actions"}

YES = {"oui", "o", "yes", "y", "true", "vrai", "1"}
NO = {"non", "n", "no", "false", "faux", "0"}

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")
_SEMESTER = re.compile(r"^(\d{4})-S([12])$")
_INT = re.compile(r"^[+-]?\d{1,30}$")  # longer is refused before int() (which stops at 4,300 digits)
# SQLite stores integers on 64 bits; nothing a campaign counts (euros, years, users) comes near.
MAX_INTEGER = 2**63 - 1
_DEC = re.compile(r"^[+-]?(\d+([.,]\d*)?|[.,]\d+)$")
_SPACES = re.compile(r"[\s\u00a0\u202f]")  # thousands separators as typed in French
_LA_POSTE_SIREN = "356000000"


def is_empty(raw: Any) -> bool:
    # Called for every value of every import (160,000 times for a large campaign): exact type tests first.
    if raw is None:
        return True
    kind = type(raw)
    if kind is str:
        return not raw or raw.isspace()
    if kind is list:
        return not raw
    return isinstance(raw, str) and not raw.strip()


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def siret_ok(digits: str) -> bool:
    # La Poste's establishments share one SIREN and outnumber what a Luhn key
    # can tell apart: theirs follow a digit-sum rule (the head office keeps Luhn).
    if digits.startswith(_LA_POSTE_SIREN) and sum(int(c) for c in digits) % 5 == 0:
        return True
    return luhn_ok(digits)


def parse_date(raw: Any) -> dt.date | None:
    if isinstance(raw, dt.date):
        return raw
    if not isinstance(raw, str):
        return None
    s = raw.strip()
    if len(s) == 10 and s[4] == "-" and s[7] == "-":
        try:
            return dt.date.fromisoformat(s)  # the stored form: the fast path
        except ValueError:
            return None
    try:
        return dt.datetime.strptime(s, "%d/%m/%Y").date()
    except ValueError:
        return None


def _number(raw: Any) -> float | int | None:
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw if abs(raw) <= MAX_INTEGER else None
    if isinstance(raw, float):
        return raw if math.isfinite(raw) and abs(raw) <= MAX_INTEGER else None
    if not isinstance(raw, str):
        return None
    s = _SPACES.sub("", raw)
    if not _DEC.match(s):
        return None
    value = float(s.replace(",", "."))
    return value if math.isfinite(value) and abs(value) <= MAX_INTEGER else None


def text_problem(text: str, *, multiline: bool = False) -> str | None:
    """Why a text cannot be kept as typed: control characters (escape sequences, a carriage return…)
    would act on a terminal, a report or a spreadsheet instead of being read. A long text may hold
    line breaks and tabs; a name or a label, none."""
    bad = control_characters(text, multiline=multiline)
    if bad:
        return (f"caractère{'s' if len(bad) > 1 else ''} de contrôle ({', '.join(bad)}) : "
                + ("retirez-les (seuls les retours à la ligne sont permis)" if multiline
                   else "retirez-les (un nom ou un libellé tient sur une ligne)"))
    return None


def _fmt(x: float | int) -> str:
    return (f"{x:,.2f}" if isinstance(x, float) and not x.is_integer() else f"{int(x):,}").replace(",", " ")


def _bounds(q: Question, value: float | int) -> str | None:
    lo, hi = q.min, q.max
    assert not isinstance(lo, dt.date) and not isinstance(hi, dt.date), "checks.py: a number's bounds are numbers"
    if q.type == "percent":
        lo = 0 if lo is None else lo
        hi = 100 if hi is None else hi
    if lo is not None and value < lo:
        return f"{_fmt(value)} est inférieur au minimum {_fmt(lo)} ; saisissez une valeur ≥ {_fmt(lo)}"
    if hi is not None and value > hi:
        return f"{_fmt(value)} dépasse le maximum {_fmt(hi)} ; saisissez une valeur ≤ {_fmt(hi)}"
    return None


def check_value(
    q: Question,
    raw: Any,
    *,
    services: Collection[str] = (),
    criteria: Collection[str] = (),
    categories: Collection[str] = (),
    items: Mapping[str, Collection[str]] | None = None,
    scale_max: int = 4,
    criteria_of: Mapping[str, Collection[str]] | None = None,
) -> tuple[Any, str | None]:
    """Normalise `raw` for question `q`; `(None, None)` when it is empty."""
    if is_empty(raw):
        return None, None
    t = q.type
    shown = raw if isinstance(raw, str) else str(raw)

    if t in ("text", "long_text"):
        if not isinstance(raw, str):
            return None, f"un texte est attendu, pas « {printable(shown)} »"
        if q.max_length and len(raw) > q.max_length:
            return None, f"texte trop long ({len(raw)} caractères) ; {q.max_length} au plus"
        return (None, err) if (err := text_problem(raw, multiline=t == "long_text")) else (raw, None)

    if t == "integer":
        if isinstance(raw, float) and raw.is_integer():
            raw = int(raw)
        if isinstance(raw, str) and _INT.match(_SPACES.sub("", raw)):
            raw = int(_SPACES.sub("", raw))
        if isinstance(raw, bool) or not isinstance(raw, int):
            return None, f"« {printable(shown)} » n'est pas un nombre entier ; tapez des chiffres, par exemple 12"
        if not -MAX_INTEGER <= raw <= MAX_INTEGER:
            return None, "nombre démesuré ; tapez une valeur de moins de 19 chiffres"
        return (None, err) if (err := _bounds(q, raw)) else (raw, None)

    if t in ("decimal", "euros", "percent"):
        value = _number(raw)
        if value is None:
            return None, f"« {printable(shown)} » n'est pas un nombre ; tapez par exemple 1 250,50"
        if t == "euros":
            value = round(value, 2)
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        return (None, err) if (err := _bounds(q, value)) else (value, None)

    if t == "date":
        d = parse_date(raw)
        if d is None:
            return None, f"« {printable(shown)} » n'est pas une date valide ; écrivez JJ/MM/AAAA ou AAAA-MM-JJ"
        if isinstance(q.min, dt.date) and d < q.min:
            return None, f"date antérieure au {q.min.strftime('%d/%m/%Y')} ; choisissez une date plus récente"
        if isinstance(q.max, dt.date) and d > q.max:
            return None, f"date postérieure au {q.max.strftime('%d/%m/%Y')} ; choisissez une date plus ancienne"
        return d.isoformat(), None

    if t == "choice":
        values = [o.value for o in q.options or []]
        if raw not in values:
            return None, f"« {printable(shown)} » n'est pas un choix possible ({', '.join(values)})"
        return raw, None

    if t == "multi_choice":
        values = [o.value for o in q.options or []]
        chosen = raw.split(",") if isinstance(raw, str) else raw
        if not isinstance(chosen, list) or not all(isinstance(i, str) for i in chosen):
            return None, "une liste de choix est attendue"
        chosen = [i.strip() for i in chosen if i.strip()]
        bad = [i for i in chosen if i not in values]
        if bad:
            return None, (f"choix inconnu{'s' if len(bad) > 1 else ''} : {', '.join(bad)} ; possibles : "
                          f"{', '.join(values)}")
        return [v for v in values if v in chosen], None

    if t == "yes_no":
        if isinstance(raw, bool):
            return raw, None
        word = shown.strip().lower()
        if word in YES:
            return True, None
        if word in NO:
            return False, None
        return None, f"« {printable(shown)} » : répondez oui ou non"

    if t == "email":
        if not isinstance(raw, str) or not _EMAIL.match(raw.strip()):
            return None, f"« {printable(shown)} » n'est pas une adresse e-mail ; forme attendue : prenom.nom@domaine.fr"
        return raw.strip(), None

    if t == "phone":
        compact = re.sub(r"[\s.\-()\u00a0]", "", shown)
        if re.fullmatch(r"0[1-9]\d{8}", compact) or re.fullmatch(r"\+\d{8,15}", compact):
            return compact, None
        return None, f"« {printable(shown)} » n'est pas un numéro valide ; 10 chiffres (01 23 45 67 89) ou +33 …"

    if t == "siret":
        digits = _SPACES.sub("", shown)
        if not digits.isdigit():
            return None, f"« {printable(shown)} » : un SIRET ne contient que des chiffres (14), sans lettre ni signe"
        if len(digits) != 14:
            return None, f"un SIRET a 14 chiffres, « {printable(shown)} » en a {len(digits)}"
        if not siret_ok(digits):
            return None, f"SIRET {digits} invalide (clé de contrôle fausse) ; vérifiez les chiffres"
        return digits, None

    if t == "region":
        code = f"{raw:02d}" if isinstance(raw, int) and not isinstance(raw, bool) else shown.strip()
        if code not in REGIONS:
            return None, (f"« {printable(shown)} » n'est pas un code région INSEE (par exemple 53 Bretagne, "
                          "76 Occitanie)")
        return code, None

    if t == "semester":
        m = _SEMESTER.match(shown.strip().upper())
        if not m:
            return None, (f"« {printable(shown)} » n'est pas un semestre ; écrivez AAAA-S1 ou AAAA-S2 (par exemple "
                          "2026-S2)")
        return f"{m.group(1)}-S{m.group(2)}", None

    if t == "level":
        if isinstance(raw, str) and raw.strip().isdigit():
            raw = int(raw.strip())
        if isinstance(raw, bool) or not isinstance(raw, int) or not 0 <= raw <= scale_max:
            return None, f"« {printable(shown)} » n'est pas un niveau ; choisissez de 0 à {scale_max}"
        return raw, None

    if t in ("service", "criterion", "category"):  # a reference to something the campaign holds
        known, unknown = {
            "service": (services, "service inconnu « {} » ; choisissez un service de l'inventaire"),
            "criterion": (criteria, "critère inconnu « {} » ; choisissez un critère de la grille"),
            "category": (categories, "catégorie inconnue « {} » ; possibles : " + ", ".join(categories)),
        }[t]
        return (raw, None) if raw in known else (None, unknown.format(printable(shown)))

    if t == "covers":  # (service, criterion) pairs; `criteria_of`: each live service's criteria
        return check_covers(raw, criteria_of or {})

    if t == "item":  # an item of the kind `q.item`; `items`: the ids of each kind the campaign holds
        if isinstance(raw, str) and q.item is not None and raw in (items or {}).get(q.item, ()):
            return raw, None
        return None, unknown_item(q, shown)

    raise AssertionError(f"unhandled question type {t}")  # the models' Literal forbids this


def covers_text(pairs: Any) -> str:
    """The pairs as a person reads and types them: « svc-1/IOP-01, svc-2/IOP-01 »."""
    if isinstance(pairs, str):
        return pairs
    try:
        return ", ".join(f"{s}/{c}" for s, c in pairs)
    except (TypeError, ValueError):
        return str(pairs)


def _pair(entry: Any) -> tuple[str, str] | None:
    if isinstance(entry, Mapping):
        entry = (entry.get("service"), entry.get("criterion"))
    elif isinstance(entry, str):
        entry = tuple(part.strip() for part in entry.split("/"))
    if isinstance(entry, (list, tuple)) and len(entry) == 2 and all(isinstance(x, str) and x for x in entry):
        return entry[0], entry[1]
    return None


def check_covers(raw: Any, criteria_of: Mapping[str, Collection[str]]) -> tuple[Any, str | None]:
    """The gaps a blocker or an action covers (DESIGN.md §4): a non-empty list of distinct
    (service, criterion) pairs, each service in the campaign and each criterion one of its category.
    The value is a list of [service, criterion] lists (what JSON gives back)."""
    entries = [e for e in raw.split(",") if e.strip()] if isinstance(raw, str) else raw
    if not isinstance(entries, (list, tuple)):
        return None, "une liste d'écarts (service, critère) est attendue"
    pairs, problems = [], []
    for entry in entries:
        pair = _pair(entry)
        if pair is None:
            shown_entry = covers_text([entry]) if isinstance(entry, (list, tuple)) else str(entry)
            problems.append(f"« {printable(shown_entry)} » n'est pas un écart (service/critère)")
            continue
        service, criterion = pair
        if service not in criteria_of:
            problems.append(f"service inconnu « {printable(service)} »")
        elif criterion not in criteria_of[service]:
            problems.append(f"le critère « {printable(criterion)} » ne s'applique pas au service {printable(service)}")
        elif [service, criterion] in pairs:
            problems.append(f"{printable(service)}/{printable(criterion)} en double")
        else:
            pairs.append([service, criterion])
    if problems:
        more = f" (et {len(problems) - 1} autre{'s' if len(problems) > 2 else ''})" if len(problems) > 1 else ""
        return None, f"{problems[0]}{more} ; choisissez les écarts dans la liste"
    if not pairs:
        return None, "aucun écart : choisissez au moins un écart couvert"
    return pairs, None


def unknown_item(q: Question, shown: str) -> str:
    """Why a question of type « item » cannot hold this answer (no such item, or no longer)."""
    plural = ITEM_PLURALS.get(q.item or "", "éléments")
    return f"« {printable(shown)} » ne figure pas parmi les {plural} de la campagne ; choisissez dans la liste"


def is_visible(q: Question, answers: dict[str, Any]) -> bool:
    """Whether `q` is shown, given the current values of its section or form."""
    cond = q.visible_if
    if cond is None:
        return True
    value = answers.get(cond.question)
    if cond.answered is not None:
        return (not is_empty(value)) == cond.answered
    if cond.in_ is not None:
        return value in cond.in_ or (isinstance(value, list) and any(v in cond.in_ for v in value))
    return value == cond.equals or (isinstance(value, list) and cond.equals in value)
