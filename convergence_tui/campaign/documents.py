"""Shapes of the machine documents (DESIGN.md §5): answers, scores, and the comparison (§9).

These models are the single description of each document: import and verify
validate with them, and the JSON Schemas in `schemas/` are generated from them
(`python -m convergence_tui.campaign.documents` rewrites the files; a test
checks they are current).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from .formats import ANSWERS_FORMAT, ANSWERS_VERSION  # noqa: F401 - part of this module's interface

ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"


class Doc(BaseModel):
    # Strict: "3" is not 3, unknown keys are errors. A document that someone
    # else wrote must say exactly what it means.
    model_config = ConfigDict(extra="forbid", strict=True)


class RefId(Doc):
    id: str
    version: str


class CampaignInfo(Doc):
    region: str | None = Field(description="Code INSEE de la région, par exemple « 76 »")
    label: str | None = Field(description="Libellé de campagne (semestre), par exemple « 2026-S2 »")
    reference_date: str | None = Field(description="Date de référence AAAA-MM-JJ des niveaux dus")


class CriterionAnswer(Doc):
    level: int | Literal["NA"] | None = None
    comment: str | None = None
    evidence: str | None = Field(default=None, description="Preuve, exigée à partir du niveau evidence_from")
    justification: str | None = Field(default=None, description="Justification, exigée pour NA")


class SubItem(Doc):
    id: str = Field(pattern=ID_PATTERN)
    fields: dict[str, Any] = {}


class ServiceDoc(Doc):
    id: str = Field(pattern=ID_PATTERN)
    name: str | None
    category: str | None
    fields: dict[str, Any] = Field(default={}, description="Autres questions de l'inventaire, par id")
    criteria: dict[str, CriterionAnswer] = {}
    indicators: list[SubItem] = Field(default=[], description="Indicateurs d'usage du service")
    finances: list[SubItem] = Field(default=[], description="Lignes du bilan financier du service")


class Cover(Doc):
    """One gap a blocker or an action covers."""

    service: str = Field(description="Id d'un service du document")
    criterion: str = Field(description="Id d'un critère applicable à la catégorie de ce service")


# At least one gap (an empty list says nothing); null: not chosen yet (a draft).
Covers = Annotated[list[Cover], Field(min_length=1)] | None
COVERS_HELP = "Les écarts (service, critère) couverts, au moins un, sans doublon ; null : pas encore choisis"
BlockerCategory = Literal["vendor", "national", "market", "regional", "other"]


class BlockerDoc(Doc):
    id: str = Field(pattern=ID_PATTERN)
    covers: Covers = Field(description=COVERS_HELP)
    category: BlockerCategory | None
    description: str | None
    fields: dict[str, Any] = {}


class BlockerDocV1(Doc):
    """format_version 1: one gap, named by its service and criterion."""

    id: str = Field(pattern=ID_PATTERN)
    service: str | None
    criterion: str | None
    category: BlockerCategory | None
    description: str | None
    fields: dict[str, Any] = {}


class ActionFields(Doc):
    title: str | None
    target_level: int | None
    due: str | None = Field(description="Échéance AAAA-MM-JJ")
    owner: Literal["national", "ars", "grades", "vendor"] | None
    status: Literal["planned", "in_progress", "done", "abandoned"] | None
    fields: dict[str, Any] = {}


class ActionDoc(ActionFields):
    id: str = Field(pattern=ID_PATTERN)
    covers: Covers = Field(description=COVERS_HELP)


class ActionDocV1(ActionFields):
    """format_version 1: one gap, named by its service and criterion."""

    id: str = Field(pattern=ID_PATTERN)
    service: str | None
    criterion: str | None


class InvalidAnswer(Doc):
    """An answer kept as typed because it is not valid (drafts only)."""

    scope: str = Field(description="« campaign », l'id d'un élément, ou « <service>/<critère> »")
    field: str
    raw: str
    error: str


class SignoffDoc(Doc):
    """A team lead's sign-off recorded in the campaign: who, when, and the state it covers."""

    name: str
    role: str
    at: str = Field(description="Date et heure UTC de la validation (ISO 8601)")
    digest: str = Field(pattern=r"^[0-9a-f]{64}$", description="SHA-256 du document de réponses validé, "
                        "calculé sans sa clé « signoffs » (JSON canonique : clés triées, compact, UTF-8)")


class AnswersBase(Doc):
    format: Literal["convergence-answers"]
    referentiel: RefId
    campaign: CampaignInfo
    answers: dict[str, Any] = Field(default={}, description="Réponses aux questions des sections « form », par id")
    services: list[ServiceDoc] = []
    invalid: list[InvalidAnswer] = []
    signoffs: list[SignoffDoc] = Field(default=[], description=(
        "Validations enregistrées, de la plus ancienne à la plus récente ; la dernière couvre le document si son "
        "empreinte est la sienne"))


class AnswersDocument(AnswersBase):
    """format_version 2 (what export writes): blockers and actions cover one or more gaps."""

    format_version: Literal[2]
    blockers: list[BlockerDoc] = []
    actions: list[ActionDoc] = []


class AnswersDocumentV1(AnswersBase):
    """format_version 1 (earlier releases), still read by import and verify: one gap per item."""

    format_version: Literal[1]
    blockers: list[BlockerDocV1] = []
    actions: list[ActionDocV1] = []


def answers_model(obj: Any) -> type[AnswersDocument] | type[AnswersDocumentV1]:
    """The model a document's own format_version asks for (2 when it says nothing readable)."""
    return AnswersDocumentV1 if isinstance(obj, dict) and obj.get("format_version") == 1 else AnswersDocument


Percent = float | None


class ServiceScoreDoc(Doc):
    id: str
    name: str
    category: str
    maturity: dict[str, Percent] = Field(
        description="Maturité en % par axe et « global » ; null sans critère applicable")
    completeness: float = Field(ge=0, le=100)
    conformity: float = Field(ge=0, le=1)
    status: Literal["convergent", "partially_convergent", "non_convergent"]
    level: int = Field(ge=0, le=3)
    gaps: list[str]
    target_reached_on: str | None


class StatusCounts(Doc):
    convergent: int = Field(ge=0)
    partially_convergent: int = Field(ge=0)
    non_convergent: int = Field(ge=0)


class RegionScoreDoc(Doc):
    maturity: dict[str, Percent]
    completeness: float = Field(ge=0, le=100)
    status_counts: StatusCounts


class ScoresDocument(Doc):
    # The scores document is fixed by DESIGN.md §5; the only addition allowed
    # is `problems` (what blocks a final export), under a key of its own.
    referentiel: RefId
    reference_date: str
    region: RegionScoreDoc
    services: list[ServiceScoreDoc]
    problems: list[dict[str, Any]] | None = Field(
        default=None, description="Ce qui manque ou bloque l'export définitif (ajouté par « status --json »)"
    )


# --- the comparison document (`convergence compare --json`, campaign/comparison.py) -----------------

Change = Literal["up", "down", "same", "other"]
Status = Literal["convergent", "partially_convergent", "non_convergent"]
AnswerLevel = int | Literal["NA"] | None


class PercentPair(Doc):
    baseline: Percent
    current: Percent


class MaturityChange(PercentPair):
    delta: float | None = Field(description="Maintenant moins référence, en points ; null si l'un manque")


class CountPair(Doc):
    baseline: int = Field(ge=0)
    current: int = Field(ge=0)


class TextPair(Doc):
    baseline: str | None
    current: str | None


class StatusChange(Doc):
    baseline: Status | None
    current: Status | None
    change: Change


class LevelChange(Doc):
    baseline: int | None = Field(ge=0, le=3)
    current: int | None = Field(ge=0, le=3)
    change: Change


class CriterionChange(Doc):
    criterion: str
    baseline: AnswerLevel = Field(description="Niveau alors : 0 à max, « NA », null si non renseigné")
    current: AnswerLevel
    change: Change = Field(description="« other » : NA d'un côté seulement (pas sur l'échelle)")


class ServiceComparison(Doc):
    id: str
    name: str
    state: Literal["kept", "added", "retired"] = Field(description="Services appariés par identifiant seulement")
    same_name_as: str | None = Field(description="Service ajouté : l'id d'un service retiré de même nom")
    category: TextPair
    status: StatusChange
    level: LevelChange
    maturity: dict[str, PercentPair]
    criteria: list[CriterionChange] = Field(description="Critères comparables renseignés d'un côté au moins")


class ActionStatusPair(Doc):
    baseline: str
    current: str | None = Field(description="null : l'action n'existe plus")


class ActionDue(Doc):
    id: str
    title: str | None
    due: str
    target_level: int | None
    covers: int = Field(ge=0)
    status: ActionStatusPair
    reached: bool | None = Field(description="Chaque écart couvert encore comparable a le niveau promis ; null : "
                                             "aucun ne l'est")
    happened: bool = Field(description="Faite maintenant, ou niveau promis atteint")


class Signer(Doc):
    subject: str
    certificate_sha256: str
    authenticated: bool


class BaselineFacts(Doc):
    file: str
    sha256: str
    size: int = Field(ge=0)
    verified_at: str
    created_at: str
    draft: bool
    campaign: CampaignInfo
    referentiel: RefId
    signer: Signer
    file_state: Literal["present", "changed", "missing"]


class CurrentFacts(Doc):
    campaign: CampaignInfo
    referentiel: RefId


class CriteriaShare(Doc):
    comparable: int = Field(ge=0)
    total: int = Field(ge=0, description="Critères des deux questionnaires réunis")
    share: float = Field(ge=0, le=100)
    only_baseline: list[str]
    only_current: list[str]


class StatusCountPairs(Doc):
    convergent: CountPair
    partially_convergent: CountPair
    non_convergent: CountPair


class RegionComparison(Doc):
    maturity: dict[str, MaturityChange]
    completeness: PercentPair
    status_counts: StatusCountPairs


class ComparisonSummary(Doc):
    services_kept: int = Field(ge=0)
    services_added: int = Field(ge=0)
    services_retired: int = Field(ge=0)
    status_up: int = Field(ge=0)
    status_down: int = Field(ge=0)
    level_up: int = Field(ge=0)
    level_down: int = Field(ge=0)
    criteria_up: int = Field(ge=0)
    criteria_down: int = Field(ge=0)
    criteria_other: int = Field(ge=0)


class ComparisonDocument(Doc):
    format: Literal["convergence-comparison"]
    format_version: Literal[1]
    baseline: BaselineFacts
    as_of: str = Field(description="Date AAAA-MM-JJ jusqu'à laquelle les actions de la référence étaient dues")
    current: CurrentFacts
    criteria: CriteriaShare
    region: RegionComparison
    summary: ComparisonSummary
    services: list[ServiceComparison]
    actions: list[ActionDue]


SCHEMAS: dict[str, type[Doc]] = {"answers.schema.json": AnswersDocument, "answers-v1.schema.json": AnswersDocumentV1,
                                  "scores.schema.json": ScoresDocument, "comparison.schema.json": ComparisonDocument}


def schema_text(model: type[BaseModel]) -> str:
    schema = model.model_json_schema(mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return json.dumps(schema, indent=2, ensure_ascii=False, sort_keys=True) + "\n"


def write_schemas(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, model in SCHEMAS.items():
        (folder / name).write_text(schema_text(model), encoding="utf-8")


if __name__ == "__main__":
    write_schemas(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("schemas"))
