"""Pydantic models of the questionnaire file (`referentiel.toml`).

The models check shape and types only; cross-references (axes, categories,
questions named by conditions, core questions of repeating items) are checked
by `checks.py` so that every error of a file is reported in one run.
"""

from __future__ import annotations

import datetime as dt
from functools import cached_property
from typing import Literal, Union

from pydantic import BaseModel, ConfigDict, Field


class Strict(BaseModel):
    # Typos in a questionnaire must not pass silently: unknown keys are errors.
    model_config = ConfigDict(extra="forbid", frozen=True)


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
]

SectionKind = Literal["form", "list", "grid", "validation"]
ItemKind = Literal["service", "indicator", "finance", "blocker", "action"]

Scalar = Union[bool, int, float, str]


class Meta(Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9._-]*$")
    version: str = Field(min_length=1)
    title: str
    description: str = ""


class Scale(Strict):
    max: int = Field(ge=1, le=10)
    labels: list[str]


class Thresholds(Strict):
    convergent: float = Field(ge=0, le=1)
    partial: float = Field(ge=0, le=1)


class Axis(Strict):
    id: str = Field(pattern=r"^[A-Z][A-Z0-9_]*$")
    label: str
    help: str = ""


class Category(Strict):
    id: str = Field(pattern=r"^[A-Z][A-Z0-9_]*$")
    label: str
    help: str = ""


class Target(Strict):
    date: dt.date
    level: int


class Criterion(Strict):
    id: str = Field(pattern=r"^[A-Z][A-Z0-9_]*-[0-9A-Z]+$")
    axis: str
    label: str
    source: str = ""
    help: str = ""
    critical: bool = False
    na_allowed: bool = False
    levels: list[int] | None = None
    categories: list[str] | None = None
    evidence_from: int | None = None
    targets: list[Target] = []


class Option(Strict):
    value: str = Field(min_length=1)
    label: str


class Condition(Strict):
    """Shows a question only when another answer matches.

    Exactly one of `equals`, `in`, `answered` is given (checked in checks.py).
    """

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    question: str
    equals: Scalar | None = None
    in_: list[Scalar] | None = Field(default=None, alias="in")
    answered: bool | None = None


class Question(Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    type: QuestionType
    label: str
    help: str = ""
    required: bool = False
    options: list[Option] | None = None
    min: int | float | dt.date | None = None
    max: int | float | dt.date | None = None
    max_length: int | None = Field(default=None, ge=1)
    unit: str = ""
    placeholder: str = ""
    column: bool = False  # shown as a column of the list of items
    visible_if: Condition | None = None


class Section(Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    title: str
    kind: SectionKind
    help: str = ""
    item: ItemKind | None = None  # for kind = "list"
    item_label: str = ""  # singular noun shown as "Ajouter un <item_label>"
    questions: list[Question] = []


class ReferentielFile(Strict):
    """The whole file, exactly as written."""

    referentiel: Meta
    scale: Scale
    thresholds: Thresholds
    axes: list[Axis]
    categories: list[Category]
    criteria: list[Criterion]
    sections: list[Section]


class Referentiel(ReferentielFile):
    """A validated questionnaire with lookup tables built once."""

    model_config = ConfigDict(extra="forbid", frozen=True, ignored_types=(cached_property,))

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

    def allowed_levels(self, criterion: Criterion) -> list[int]:
        return criterion.levels if criterion.levels is not None else list(range(self.scale.max + 1))

    def candidates(self, category: str) -> list[Criterion]:
        """Criteria that apply to a category (DESIGN.md §4): those naming it, and those naming none.

        An unknown or empty category (a service not yet classified, or one whose
        category a newer questionnaire dropped) still gets the universal criteria.
        """
        found = self._candidates.get(category)
        return found if found is not None else self._universal

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
