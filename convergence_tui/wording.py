"""How counts and dates are said to people, in French: one definition for every screen, command and
report. Below every layer (the campaign's messages need it as much as the report does);
`report/format.py` adds the figures (percentages, statuses) on top.

Dates for people are JJ/MM/AAAA; a moment is « JJ/MM/AAAA à HH:MM », followed by « UTC » when it
is said in UTC (what files store, and what a report must say to be the same on every machine).
"""

from __future__ import annotations

import datetime as dt

# Words after which a French noun phrase stops agreeing with the count: « écart sans frein » →
# « écarts sans frein », « ligne financière » → « lignes financières ».
_STOP = frozenset({"à", "au", "aux", "avec", "d", "de", "des", "du", "en", "par", "pour", "qui", "sans", "sur", "ou",
                   "et"})
_INVARIABLE = frozenset({"non", "partiellement", "très", "plus", "moins", "bien", "encore", "déjà", "pas", "toujours"})


def _plural_word(word: str) -> str:
    if not word or word.isupper() or word[-1] in "sxz":  # « NA », « GRADeS », « pris », « prix »
        return word
    if word.endswith(("eau", "au", "eu")):
        return word + "x"
    if word.endswith("al") and len(word) > 3:  # national → nationaux, régional → régionaux
        return word[:-2] + "aux"
    return word + "s"


def plural(phrase: str) -> str:
    """« réponse obligatoire manquante » → « réponses obligatoires manquantes »: every word up to the
    first preposition agrees (« niveau sans preuve » → « niveaux sans preuve »)."""
    words = phrase.split(" ")
    for i, word in enumerate(words):
        if word.lower().split("'")[0] in _STOP:
            break
        if word.lower() not in _INVARIABLE:
            words[i] = _plural_word(word)
    return " ".join(words)


def counted(n: int, singular: str, plural_form: str | None = None) -> str:
    """« 1 problème », « 3 problèmes », « 60 lignes financières »; 0 and 1 take the singular.
    `plural_form` when the rule above does not give it."""
    return f"{n} {singular if n <= 1 else (plural_form or plural(singular))}"


def date_fr(value: str | dt.date | None) -> str:
    """"2026-12-31" → "31/12/2026"; a moment (ISO with a time) gives its UTC day; None → "—".
    Text that is not an ISO date (a file edited by hand) is given back as it is, to be escaped."""
    if value is None:
        return "—"
    day: dt.date
    if isinstance(value, str):
        try:
            day = _moment(value) if "T" in value else dt.date.fromisoformat(value)
        except ValueError:
            return value
    else:
        day = value
    if isinstance(day, dt.datetime):
        day = _utc(day).date()
    return day.strftime("%d/%m/%Y")


def datetime_fr(value: str | dt.datetime | None, *, local: bool = False) -> str:
    """"2026-12-01T21:35:37Z" → "01/12/2026 à 21:35 UTC". `local`: in this machine's time zone, said
    without a zone ("01/12/2026 à 22:35"), for a person reading their own screen. A naive value is UTC."""
    if value is None:
        return "—"
    try:
        moment = _utc(_moment(value) if isinstance(value, str) else value)
    except ValueError:  # not an ISO moment (a file edited by hand): as it is, to be escaped
        return str(value)
    if local:
        return moment.astimezone().strftime("%d/%m/%Y à %H:%M")
    return moment.strftime("%d/%m/%Y à %H:%M UTC")


def _moment(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def _utc(moment: dt.datetime) -> dt.datetime:
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment.astimezone(dt.UTC)
