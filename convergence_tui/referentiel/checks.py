"""Cross-reference checks of a questionnaire, run after the shape is valid.

Each check yields `(key path, French message)`; the loader turns them into
located errors. All checks run, so a file's every problem is listed at once.
"""

from __future__ import annotations

import dataclasses
import re
from collections import Counter
from collections.abc import Collection, Iterator, Mapping, Sequence
from typing import Any, Protocol, TypeVar

from ..escaping import control_characters
from .models import Condition, Question, ReferentielFile, Section

Path = tuple[str | int, ...]

# Questions the program relies on, by repeating item: id -> allowed types.
CORE_ITEM_QUESTIONS: dict[str, dict[str, tuple[str, ...]]] = {
    "service": {"name": ("text",), "category": ("category",)},
    "indicator": {"service": ("service",)},
    "finance": {"service": ("service",)},
    "blocker": {
        "covers": ("covers",),
        "category": ("choice",),
        "description": ("text", "long_text"),
    },
    "action": {
        "covers": ("covers",),
        "title": ("text",),
        "target_level": ("level",),
        "due": ("date",),
        "owner": ("choice",),
        "status": ("choice",),
    },
}

# Questionnaires up to 2026.2 named one gap per blocker or action, with these two questions instead
# of « covers »: still read (their campaigns migrate, their bundles verify), as covering that pair.
LEGACY_PAIR: dict[str, tuple[str, ...]] = {"service": ("service",), "criterion": ("criterion",)}
COVERING_KINDS = ("blocker", "action")


def core_item_questions(item: str, local: Mapping[str, Question]) -> dict[str, tuple[str, ...]]:
    """The questions the program relies on for this item, as this questionnaire states them."""
    core = CORE_ITEM_QUESTIONS[item]
    if item in COVERING_KINDS and "covers" not in local and "service" in local:
        core = {**LEGACY_PAIR, **{k: v for k, v in core.items() if k != "covers"}}
    return core


# Codes fixed by the answers document (DESIGN.md §5): the file may relabel
# them but not change them.
CORE_OPTIONS: dict[tuple[str, str], tuple[str, ...]] = {
    ("blocker", "category"): ("vendor", "national", "market", "regional", "other"),
    ("action", "owner"): ("national", "ars", "grades", "vendor"),
    ("action", "status"): ("planned", "in_progress", "done", "abandoned"),
}

# Form questions that carry the campaign's identity.
CAMPAIGN_QUESTIONS: dict[str, tuple[str, ...]] = {
    "region": ("region",),
    "campaign_label": ("text", "semester"),
    "reference_date": ("date",),
}

# Form questions the program reads when the file has them: the person who signs the campaign off
# (the sign-off is pre-filled with the answers).
SIGNER_QUESTIONS: dict[str, tuple[str, ...]] = {
    "delegate_name": ("text",),
    "delegate_role": ("text", "choice"),
}

REQUIRED_LISTS = ("service", "blocker", "action")
CHOICE_TYPES = ("choice", "multi_choice")
NUMERIC_TYPES = ("integer", "decimal", "euros", "percent")


def _duplicates(values: list[str]) -> set[str]:
    return {v for v, n in Counter(values).items() if n > 1}


_T = TypeVar("_T")


class _Identified(Protocol):
    @property
    def id(self) -> str: ...


def _each(items: Sequence[_T | None]) -> list[tuple[int, _T]]:
    """(index, element) of the elements that passed shape validation.

    When some elements of a list are malformed the loader still runs these
    checks on the others (holding None in place of the bad ones), so that a
    single run lists every error with its original index.
    """
    return [(i, x) for i, x in enumerate(items) if x is not None]


def _present(items: Sequence[_T | None]) -> list[_T]:
    return [x for x in items if x is not None]


ID_FORMS = {
    "referentiel": (re.compile(r"^[a-z0-9][a-z0-9._-]*$"), "minuscules, chiffres, . _ - (ex. convergence-regions)"),
    "axis": (re.compile(r"^[A-Z][A-Z0-9_]*$"), "majuscules, chiffres et _ (ex. URB)"),
    "criterion": (re.compile(r"^[A-Z][A-Z0-9_]*-[0-9A-Z]+$"), "préfixe-numéro en majuscules (ex. IOP-01)"),
    "question": (re.compile(r"^[a-z][a-z0-9_]*$"), "minuscules, chiffres et _ (ex. delegate_email)"),
}


def _id_problem(kind: str, value: str) -> str | None:
    pattern, hint = ID_FORMS[kind]
    if pattern.match(value):
        return None
    return f"identifiant « {value} » mal formé : {hint}"


MAX_SCALE = 10


def check(ref: ReferentielFile) -> Iterator[tuple[Path, str]]:
    yield from _check_texts(ref, ())
    yield from _check_forms(ref)
    yield from _check_scale(ref)
    yield from _check_ids(ref)
    yield from _check_criteria(ref)
    yield from _check_sections(ref)


# Texts that are paragraphs (may hold line breaks); every other text is one line.
_PARAGRAPHS = {"help", "description", "intro"}


def _check_texts(node: Any, path: Path) -> Iterator[tuple[Path, str]]:
    """Labels, titles and help are shown in a terminal and a report: no control characters."""
    if isinstance(node, str):
        bad = control_characters(node, multiline=bool(path) and path[-1] in _PARAGRAPHS)
        if bad:
            yield path, f"caractère(s) de contrôle ({', '.join(bad)}) : retirez-les du texte"
    elif isinstance(node, (list, tuple)):
        for i, child in enumerate(node):
            yield from _check_texts(child, (*path, i))
    elif dataclasses.is_dataclass(node):
        for f in dataclasses.fields(node):
            yield from _check_texts(getattr(node, f.name), (*path, f.name))


def _check_forms(ref: ReferentielFile) -> Iterator[tuple[Path, str]]:
    """Identifiers and bounds, which the types alone do not say."""
    meta = ref.referentiel
    if (msg := _id_problem("referentiel", meta.id)):
        yield ("referentiel", "id"), msg
    if not meta.version.strip():
        yield ("referentiel", "version"), "texte vide : donnez une version (ex. 2026.1)"
    if not 1 <= ref.scale.max <= MAX_SCALE:
        yield ("scale", "max"), f"valeur {ref.scale.max} hors bornes : l'échelle va de 1 à {MAX_SCALE}"
    for key in ("convergent", "partial"):
        value = getattr(ref.thresholds, key)
        if not 0 <= value <= 1:
            yield ("thresholds", key), f"valeur {value} hors bornes : un seuil est entre 0 et 1"
    id_lists: list[tuple[str, Sequence[_Identified | None], str]] = [
        ("axes", ref.axes, "axis"), ("categories", ref.categories, "axis"),
        ("criteria", ref.criteria, "criterion"), ("sections", ref.sections, "question")]
    for name, items, kind in id_lists:
        for i, item in _each(items):
            if (msg := _id_problem(kind, item.id)):
                yield (name, i, "id"), msg
    for i, s in _each(ref.sections):
        for j, q in enumerate(s.questions):
            if (msg := _id_problem("question", q.id)):
                yield ("sections", i, "questions", j, "id"), msg
            if q.max_length is not None and q.max_length < 1:
                yield ("sections", i, "questions", j, "max_length"), "longueur maximale d'au moins 1"
            for k, option in enumerate(q.options or []):
                if not option.value:
                    yield ("sections", i, "questions", j, "options", k, "value"), "valeur d'option vide"


def _check_scale(ref: ReferentielFile) -> Iterator[tuple[Path, str]]:
    if 1 <= ref.scale.max <= MAX_SCALE and len(ref.scale.labels) != ref.scale.max + 1:
        yield ("scale", "labels"), (
            f"il faut {ref.scale.max + 1} libellés (niveaux 0 à {ref.scale.max}), "
            f"le fichier en donne {len(ref.scale.labels)}"
        )
    if ref.thresholds.partial > ref.thresholds.convergent:
        yield ("thresholds", "partial"), "le seuil « partial » doit être inférieur ou égal à « convergent »"


def _check_ids(ref: ReferentielFile) -> Iterator[tuple[Path, str]]:
    id_lists: list[tuple[str, Sequence[_Identified | None]]] = [
        ("axes", ref.axes),
        ("categories", ref.categories),
        ("criteria", ref.criteria),
        ("sections", ref.sections),
    ]
    for name, items in id_lists:
        dups = _duplicates([i.id for i in _present(items)])
        for idx, item in _each(items):
            if item.id in dups:
                yield (name, idx, "id"), f"identifiant « {item.id} » en double : chaque id doit être unique"
    if not ref.axes:
        yield ("axes",), "au moins un axe est nécessaire"
    if not ref.categories:
        yield ("categories",), "au moins une catégorie de service est nécessaire"
    if "global" in {a.id.lower() for a in _present(ref.axes)}:
        yield ("axes",), "« global » est réservé au score d'ensemble : renommez cet axe"


def _check_criteria(ref: ReferentielFile) -> Iterator[tuple[Path, str]]:
    axes = {a.id for a in _present(ref.axes)}
    cats = {c.id for c in _present(ref.categories)}
    # A scale out of bounds is reported by _check_forms; checking levels against it must stay cheap.
    scale = range(max(0, min(ref.scale.max, MAX_SCALE)) + 1)
    for i, c in _each(ref.criteria):
        base: Path = ("criteria", i)
        if c.axis not in axes:
            yield base + ("axis",), f"axe inconnu « {c.axis} » (axes déclarés : {', '.join(sorted(axes))})"
        for j, k in enumerate(c.categories or []):
            if k not in cats:
                yield base + ("categories", j), f"catégorie inconnue « {k} »"
        if c.categories is not None and not c.categories:
            yield base + ("categories",), "liste vide : retirez la clé pour viser toutes les catégories"
        levels = c.levels if c.levels is not None else list(scale)
        for j, lv in enumerate(c.levels or []):
            if lv not in scale:
                yield base + ("levels", j), f"niveau {lv} hors de l'échelle 0–{ref.scale.max}"
        if c.levels is not None and (not c.levels or len(set(c.levels)) != len(c.levels)):
            yield base + ("levels",), "liste de niveaux vide ou avec doublons"
        if c.evidence_from is not None and c.evidence_from not in scale:
            yield base + ("evidence_from",), f"niveau {c.evidence_from} hors de l'échelle 0–{ref.scale.max}"
        previous = None
        for j, t in enumerate(c.targets):
            if t.level not in scale:
                yield base + ("targets", j, "level"), f"niveau {t.level} hors de l'échelle 0–{ref.scale.max}"
            elif t.level not in levels:
                yield base + ("targets", j, "level"), (
                    f"niveau cible {t.level} impossible : le critère n'admet que {levels}"
                )
            if previous is not None and t.date <= previous:
                what = "en double" if t.date == previous else "non triée"
                yield base + ("targets", j, "date"), (
                    f"date cible {t.date.isoformat()} {what} : les cibles vont par dates strictement croissantes"
                )
            previous = t.date


def _check_sections(ref: ReferentielFile) -> Iterator[tuple[Path, str]]:
    form_ids: list[tuple[Path, str]] = []
    kinds: Counter[str] = Counter()
    for i, s in _each(ref.sections):
        base: Path = ("sections", i)
        kinds[s.kind if s.kind != "list" else f"list:{s.item}"] += 1
        if s.kind == "list" and s.item is None:
            yield base + ("item",), "une section « list » doit dire quel élément elle répète (item = …)"
        if s.kind != "list" and s.item is not None:
            yield base + ("item",), "« item » ne s'emploie que dans une section de type « list »"
        if s.kind in ("grid", "validation") and s.questions:
            yield base + ("questions",), f"une section « {s.kind} » n'a pas de questions"
        local = {q.id: q for q in s.questions}
        for j, question in enumerate(s.questions):
            if s.kind == "form":
                form_ids.append((base + ("questions", j, "id"), question.id))
        for dup in _duplicates([q.id for q in s.questions]):
            yield base + ("questions",), f"question « {dup} » en double dans la section « {s.id} »"
        yield from _check_questions(ref, s, base, local)
        if s.kind == "list" and s.item:
            for qid, types in core_item_questions(s.item, local).items():
                q = local.get(qid)
                if q is None:
                    yield base + ("questions",), (
                        f"la question « {qid} » ({' ou '.join(types)}) est obligatoire pour les éléments « {s.item} »"
                    )
                elif q.type not in types:
                    yield base + ("questions",), f"la question « {qid} » doit être de type {' ou '.join(types)}"
                elif (s.item, qid) in CORE_OPTIONS:
                    wanted = CORE_OPTIONS[(s.item, qid)]
                    got = tuple(o.value for o in q.options or [])
                    if sorted(got) != sorted(wanted):
                        yield base + ("questions",), (
                            f"les options de « {qid} » doivent être exactement : {', '.join(wanted)}"
                        )
    all_form = [qid for _, qid in form_ids]
    dups = _duplicates(all_form)
    for path, qid in form_ids:
        if qid in dups:
            yield path, f"question « {qid} » en double : les id des sections « form » sont uniques dans tout le fichier"
    form_questions = {q.id: q for s in _present(ref.sections) if s.kind == "form" for q in s.questions}
    for qid, types in CAMPAIGN_QUESTIONS.items():
        q = form_questions.get(qid)
        if q is None:
            yield ("sections",), f"une section « form » doit contenir la question « {qid} » ({' ou '.join(types)})"
        elif q.type not in types:
            yield ("sections",), f"la question « {qid} » doit être de type {' ou '.join(types)}"
    for qid, types in SIGNER_QUESTIONS.items():
        q = form_questions.get(qid)
        if q is not None and q.type not in types:
            yield ("sections",), (f"la question « {qid} » (pré-remplit la validation) doit être de type "
                                  f"{' ou '.join(types)}")
    for item in REQUIRED_LISTS:
        if kinds[f"list:{item}"] == 0:
            yield ("sections",), f"il manque la section « list » des éléments « {item} »"
    for key, n in kinds.items():
        if n > 1 and key != "form":
            yield ("sections",), f"une seule section « {key} » est permise, le fichier en a {n}"
    if kinds["grid"] == 0:
        yield ("sections",), "il manque la section « grid » (grille de convergence par service)"


def _check_questions(
    ref: ReferentielFile, section: Section, base: Path, local: dict[str, Question]
) -> Iterator[tuple[Path, str]]:
    form_questions = {q.id: q for s in _present(ref.sections) if s.kind == "form" for q in s.questions}
    scope = form_questions if section.kind == "form" else local
    listed = {s.item for s in _present(ref.sections) if s.kind == "list" and s.item}
    for j, q in enumerate(section.questions):
        qpath = base + ("questions", j)
        yield from _check_item_reference(q, section, listed, qpath)
        if q.type in CHOICE_TYPES:
            if not q.options:
                yield qpath + ("options",), f"une question « {q.type} » doit lister ses options"
            else:
                for dup in _duplicates([o.value for o in q.options]):
                    yield qpath + ("options",), f"option « {dup} » en double"
        elif q.options is not None:
            yield qpath + ("options",), f"« options » ne s'emploie pas avec le type « {q.type} »"
        if q.min is not None or q.max is not None:
            if q.type == "date":
                bad = [b for b in (q.min, q.max) if b is not None and not hasattr(b, "isoformat")]
                if bad:
                    yield qpath, "les bornes d'une date sont des dates (min = 2020-01-01)"
            elif q.type not in NUMERIC_TYPES:
                yield qpath, f"« min »/« max » ne s'emploient pas avec le type « {q.type} »"
            elif any(hasattr(b, "isoformat") for b in (q.min, q.max) if b is not None):
                yield qpath, "les bornes d'un nombre sont des nombres"
            elif isinstance(q.min, (int, float)) and isinstance(q.max, (int, float)) and q.min > q.max:
                yield qpath, f"min ({q.min}) est supérieur à max ({q.max})"
        cond = q.visible_if
        if cond is not None:
            given = [x for x in (cond.equals, cond.in_, cond.answered) if x is not None]
            if len(given) != 1:
                yield qpath + ("visible_if",), "donnez exactement une des clés « equals », « in » ou « answered »"
            if cond.question not in scope:
                yield qpath + ("visible_if", "question"), (
                    f"question inconnue « {cond.question} » dans la condition d'affichage"
                )
            elif cond.question == q.id:
                yield qpath + ("visible_if", "question"), "une question ne peut dépendre d'elle-même"
            else:
                yield from _check_condition_values(scope[cond.question], cond, qpath + ("visible_if",))


def _check_item_reference(
    q: Question, section: Section, listed: Collection[str], path: Path
) -> Iterator[tuple[Path, str]]:
    """A question of type « item » designates an item of a list the file has, from another item;
    « covers » is the gaps of a blocker or an action."""
    if q.type == "covers" and (section.kind != "list" or section.item not in COVERING_KINDS):
        yield path + ("type",), ("le type « covers » ne s'emploie que pour les freins et les actions (les écarts "
                                 "couverts)")
    if q.type != "item":
        if q.item is not None:
            yield path + ("item",), f"« item » ne s'emploie qu'avec le type « item », pas « {q.type} »"
        return
    if q.item is None:
        yield path, "une question de type « item » dit quels éléments elle désigne (ex. item = \"blocker\")"
    elif q.item not in listed:
        yield path + ("item",), (f"aucune section « list » ne répète les éléments « {q.item} » : "
                                 "la question ne pourrait rien désigner")
    if section.kind != "list":
        yield path + ("type",), ("le type « item » ne s'emploie que dans une section « list » (il désigne un "
                                 "élément de la campagne depuis un autre)")


def _check_condition_values(target: Question, cond: Condition, path: Path) -> Iterator[tuple[Path, str]]:
    """A condition on a value the target question can never take would hide a question forever."""
    wanted = [cond.equals] if cond.equals is not None else list(cond.in_ or [])
    if target.type == "yes_no":
        for v in wanted:
            if not isinstance(v, bool):
                yield path, f"« {target.id} » est une question oui/non : écrivez equals = true ou false"
    elif target.type in CHOICE_TYPES:
        options = {o.value for o in target.options or []}
        for v in wanted:
            if v not in options:
                yield path, f"« {v} » n'est pas une option de « {target.id} » ({', '.join(sorted(options))})"
