"""The questionnaire: pydantic models and the TOML loader. Imports nothing else of ours."""

from .loader import Problem, ReferentielError, default_path, load, parse
from .models import Axis, Category, Criterion, Question, Referentiel, Section, Target

__all__ = [
    "Axis",
    "Category",
    "Criterion",
    "Problem",
    "Question",
    "Referentiel",
    "ReferentielError",
    "Section",
    "Target",
    "default_path",
    "load",
    "parse",
]
