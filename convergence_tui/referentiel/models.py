"""The questionnaire file (`referentiel.toml`) as plain, frozen dataclasses.

They carry types only: pydantic validates a file against them (types,
unknown keys) when the loader checks it, and `checks.py` checks the rest
(identifiers, bounds, cross-references) so that every error of a file is
reported in one run. Being plain dataclasses, an already-checked
questionnaire loads without importing pydantic at all (see loader.py).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass, field
from functools import cached_property
from typing import Literal

# Typos in a questionnaire must not pass silently: unknown keys are errors (read by pydantic).
STRICT = {"extra": "forbid"}


QuestionType = Literal[
    "text",
    "long_text",
    "integer",
    "decimal",
    "euros",
    "percent",
    "date",
    "choice",
    "multi_choice",
    "yes_no",
    "email",
    "phone",
    "siret",
    "region",
    "semester",
    # references inside repeating items
    "service",
    "criterion",
    "level",
    "category",
    "item",  # an item of the kind its `item` key names (e.g. the blocker an action lifts)
    "covers",  # the (service, criterion) gaps a blocker or an action covers (DESIGN.md §4)
]

SectionKind = Literal["form", "list", "grid", "validation"]
ItemKind = Literal["service", "indicator", "finance", "blocker", "action"]

Scalar = bool | int | float | str


class Strict:
    """Checked strictly by pydantic, unknown keys refused (typos must not pass), when a file is checked."""

    __pydantic_config__ = STRICT


@dataclass(frozen=True)
class Meta(Strict):
    id: str
    version: str
    title: str
    description: str = ""


@dataclass(frozen=True)
class Scale(Strict):
    max: int
    labels: list[str]


@dataclass(frozen=True)
class Thresholds(Strict):
    convergent: float
    partial: float


@dataclass(frozen=True)
class Named(Strict):
    """What axes and categories are: an id, a label, a help text."""

    id: str
    label: str
    help: str = ""


@dataclass(frozen=True)
class Axis(Named):
    pass


@dataclass(frozen=True)
class Category(Named):
    pass


@dataclass(frozen=True)
class Target(Strict):
    date: dt.date
    level: int


@dataclass(frozen=True)
class Criterion(Strict):
    id: str
    axis: str
    label: str
    source: str = ""
    help: str = ""
    critical: bool = False
    na_allowed: bool = False
    levels: list[int] | None = None
    categories: list[str] | None = None
    evidence_from: int | None = None
    targets: list[Target] = field(default_factory=list)


@dataclass(frozen=True)
class Option(Strict):
    value: str
    label: str


@dataclass(frozen=True)
class Condition(Strict):
    """Shows a question only when another answer matches.

    Exactly one of `equals`, `in`, `answered` is given (checked in checks.py).
    The file's key `in` is a Python keyword: the loader reads it into `in_`.
    """

    question: str
    equals: Scalar | None = None
    in_: list[Scalar] | None = None
    answered: bool | None = None


@dataclass(frozen=True)
class Question(Strict):
    id: str
    type: QuestionType
    label: str
    help: str = ""
    required: bool = False
    options: list[Option] | None = None
    min: int | float | dt.date | None = None
    max: int | float | dt.date | None = None
    max_length: int | None = None
    unit: str = ""
    placeholder: str = ""
    column: bool = False  # shown as a column of the list of items
    visible_if: Condition | None = None
    item: ItemKind | None = None  # for type = "item": the kind of item it designates


@dataclass(frozen=True)
class Section(Strict):
    id: str
    kind: SectionKind
    title: str
    questions: list[Question] = field(default_factory=list)
    item: ItemKind | None = None  # for kind = "list"
    item_label: str = ""  # singular noun shown as "Ajouter un <item_label>"
    help: str = ""


@dataclass(frozen=True)
class ReferentielFile(Strict):
    """The whole file, exactly as written."""

    referentiel: Meta
    scale: Scale
    thresholds: Thresholds
    axes: list[Axis]
    categories: list[Category]
    criteria: list[Criterion]
    sections: list[Section]


@dataclass(frozen=True, eq=False)
class Referentiel(ReferentielFile):
    """A validated questionnaire with lookup tables built once."""

    sha256: str = ""
    source_text: str = ""

    @cached_property
    def axis_ids(self) -> list[str]:
        return [a.id for a in self.axes]

    @cached_property
    def criteria_by_id(self) -> dict[str, Criterion]:
        return {c.id: c for c in self.criteria}

    @cached_property
    def categories_by_id(self) -> dict[str, Category]:
        return {c.id: c for c in self.categories}

    @cached_property
    def sections_by_id(self) -> dict[str, Section]:
        return {s.id: s for s in self.sections}

    @cached_property
    def form_questions(self) -> dict[str, Question]:
        """Questions answered once per campaign, by id."""
        return {q.id: q for s in self.sections if s.kind == "form" for q in s.questions}

    def list_section(self, item: str) -> Section | None:
        return next((s for s in self.sections if s.kind == "list" and s.item == item), None)

    def item_questions(self, item: str) -> dict[str, Question]:
        return self._item_questions.get(item, {})

    @cached_property
    def _item_questions(self) -> dict[str, dict[str, Question]]:
        return {s.item: {q.id: q for q in s.questions} for s in self.sections if s.kind == "list" and s.item}

    def option_label(self, item: str, question: str, value: object) -> str:
        """What a person reads for a choice answer of an item ("grades" → "GRADeS", "planned" →
        "Planifiée"): the option's label in the questionnaire, else the value as it is."""
        q = self.item_questions(item).get(question)
        for option in (q.options or []) if q is not None else []:
            if option.value == value:
                return option.label
        return "" if value is None else str(value)

    def allowed_levels(self, criterion: Criterion) -> list[int]:
        return criterion.levels if criterion.levels is not None else list(range(self.scale.max + 1))

    def candidates(self, category: str) -> list[Criterion]:
        """Criteria that apply to a category (DESIGN.md §4): those naming it, and those naming none.

        An unknown or empty category (a service not yet classified, or one whose
        category a newer questionnaire dropped) still gets the universal criteria.
        """
        found = self._candidates.get(category)
        return found if found is not None else self._universal

    def applicable_ids(self, category: str | None) -> Collection[str]:
        """The criteria a service's answers, blockers and actions may name: its category's candidates;
        every criterion while the category is not a known one (that is a problem of its own, and the
        service's answers are not judged against a category it does not have)."""
        if category in self.categories_by_id:
            return self.candidate_ids(category)
        return self.criteria_by_id.keys()

    def candidate_ids(self, category: str) -> frozenset[str]:
        ids = self._candidate_ids.get(category)
        if ids is None:
            ids = self._candidate_ids[category] = frozenset(c.id for c in self.candidates(category))
        return ids

    @cached_property
    def _candidate_ids(self) -> dict[str, frozenset[str]]:
        return {}

    @cached_property
    def _universal(self) -> list[Criterion]:
        return [c for c in self.criteria if c.categories is None]

    @cached_property
    def _candidates(self) -> dict[str, list[Criterion]]:
        return {
            k.id: [c for c in self.criteria if c.categories is None or k.id in c.categories]
            for k in self.categories
        }
