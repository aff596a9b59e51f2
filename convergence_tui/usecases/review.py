"""The team lead's view of a session: sign-off, completion, the services table, the plan over
time, blockers — and what changed since the last sign-off. Textual-free; screens display it.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..campaign.data import CAMPAIGN, split_criterion_scope
from ..campaign.problems import KINDS, Problem, kinds_summary
from ..campaign.signoffs import SIGNOFF_PROBLEM, answers_digest, signed_by, signoff_problem
from ..campaign.timeline import TimelineRow, plan_timeline
from ..cells import JournalRow
from ..errors import UserError, counted
from ..scoring import service_entry
from ..store.db import JOURNAL_ONLY
from .overview import Completeness, completeness, display_value, section_progress
from .writes import place

if TYPE_CHECKING:
    from .session import Session

BLOCKER_LABELS = {"vendor": "ÉDITEUR", "national": "NATIONAL", "market": "MARCHÉ", "regional": "RÉGIONAL",
                  "other": "AUTRE"}
OWNER_LABELS = {"national": "NATIONAL", "ars": "ARS", "grades": "GRADeS", "vendor": "ÉDITEUR"}


def problem_place(session: Session, problem: Problem) -> str:
    """Where a problem is, shortest first, so that rows of a narrow table differ from their first
    characters: « IOP-02 (2/4) · ROR Bretagne » (its level over the level due, as the grid says a
    gap), « frein n° 3 : Description »."""
    crit = split_criterion_scope(problem.scope)
    if crit is None:
        return place(session, problem.scope, problem.field)
    sid, cid = crit
    name = session.data.name_of(sid) or sid
    if not problem.is_plan:
        return f"{cid} · {name}"
    level = session.data.value(problem.scope, "level")
    return f"{cid} ({level if isinstance(level, int) else 0}/{session.scorer.due_level(cid)}) · {name}"


def campaign_digest(session: Session) -> str:
    """What a sign-off covers: the digest of the answers document (campaign/signoffs.py)."""
    return answers_digest(session.answers_document())


@dataclass(frozen=True)
class SignoffState:
    last: dict[str, Any] | None  # the latest sign-off, if any
    current: bool  # it covers the campaign as it is now
    changes: list[JournalRow] = field(default_factory=list)  # what was changed since, newest first

    @property
    def withdrawn(self) -> bool:
        return self.last is not None and not self.current

    def summary(self) -> str:
        if self.last is None:
            return "Pas encore validée par le responsable."
        if self.current:
            return f"Validée par {signed_by(self.last)} : la validation couvre l'état actuel."
        merges = [r.new.value.get("source", "?") for r in self.changes
                  if r.field == JOURNAL_ONLY and r.new is not None and isinstance(r.new.value, dict)]
        if merges:  # the reason a lead most needs: whose copy came in
            return (f"Validation de {signed_by(self.last)} RETIRÉE : fusion de {', '.join(dict.fromkeys(merges))} "
                    "depuis. Une nouvelle validation est nécessaire.")
        authors = ", ".join(sorted({r.author for r in self.changes})) or "?"
        return (f"Validation de {signed_by(self.last)} RETIRÉE : {counted(len(self.changes), 'modification')} "
                f"depuis, par {authors}. Une nouvelle validation est nécessaire.")


def signoff_state(session: Session) -> SignoffState:
    signoffs = session.signoffs()
    if not signoffs:
        return SignoffState(None, False)
    last = signoffs[-1]
    # Nothing journaled since the sign-off: the campaign is the one signed (every change, undo and
    # import is journaled), no need to hash it (~250 ms at 500 services).
    current = last["journal_seq"] == session.last_seq() or last["digest"] == campaign_digest(session)
    changes = [] if current else session.journal(since=last["journal_seq"])
    return SignoffState(last, current, changes)


def sign_off(session: Session, name: str, role: str) -> dict[str, Any]:
    """Record the lead's sign-off of the campaign as it is now.

    An incomplete campaign may be signed (a lead can sign off an intermediate
    state and export it as a draft); a final export still lists what is missing.
    """
    name, role = name.strip(), role.strip()
    if not name or not role:
        raise UserError("Validation : le nom et la fonction du responsable sont nécessaires.")
    # Through the session's write path: a full disk or a locked file is a SaveFailed, not a traceback.
    return session.add_signoff(name, role, campaign_digest(session), session.last_seq(),
                               session.scores_document())


def signoff_prefill(session: Session, remembered_author: str = "") -> tuple[str, str]:
    """(name, role) the sign-off form starts with: the lead the campaign names (« Responsable
    délégué(e) », `delegate_name`, with `delegate_role`'s answer as the role, else that question's
    label), else the name the program remembers (the last one typed in the wizard), with no role."""
    form = session.ref.form_questions
    name_q, role_q = form.get("delegate_name"), form.get("delegate_role")
    name = session.data.value(CAMPAIGN, "delegate_name") if name_q is not None else None
    role = display_value(session, role_q, session.data.value(CAMPAIGN, role_q.id)) if role_q is not None else ""
    if name_q is not None and name:
        return name, role or name_q.label
    return remembered_author, role


def signoff_line(state: SignoffState) -> tuple[str, str]:
    """The sign-off state as (French line, theme colour)."""
    return state.summary(), "$success" if state.current else ("$error" if state.withdrawn else "$warning")


def state_lines(state: SignoffState, problems: list[Problem]) -> list[tuple[str, str]]:
    """The campaign's state as (French line, theme colour): the sign-off, then what still blocks a
    final export. The review and the validation section say it the same way."""
    # The sign-off has its own line: not counted again among what is missing.
    blocking = kinds_summary(problems, skip=(SIGNOFF_PROBLEM,))
    if blocking:
        return [signoff_line(state), (f"Encore à compléter avant l'export définitif : {blocking}.", "$warning")]
    # « Rien ne manque » under « Pas encore validée » read as a contradiction: the sign-off is missing.
    return [signoff_line(state),
            ("Rien ne manque pour l'export définitif." if state.current
             else "Il ne manque que la validation du responsable pour l'export définitif.",
             "$success" if state.current else "$warning")]


def export_blockers(session: Session, problems: list[Problem] | None = None) -> list[Problem]:
    """Everything that blocks a final export: the problems, and a missing or withdrawn sign-off."""
    problems = list(session.problems() if problems is None else problems)
    state = signoff_state(session)
    if not state.current:
        problems.append(signoff_problem(session.ref, state.summary()))
    problems += conflict_problems(session)
    return problems


def conflict_problems(session: Session) -> list[Problem]:
    """Each merge conflict still open blocks a final export: nothing is decided silently (§8)."""
    from .conflicts import conflict_place as place

    section = next((s.id for s in session.ref.sections if s.kind == "validation"), "")
    return [Problem("conflict", section, c.scope, c.field,
                    f"Conflit de fusion : {place(session, c)} (copie {c.source}, {c.other_author}) ; "
                    "à résoudre dans l'écran Fusion ou avec « convergence merge --prefer ».")
            for c in session.conflicts()]


# --- completion --------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SectionCompletion:
    section_id: str
    title: str
    done: int
    total: int
    problems: int


def completion(session: Session) -> tuple[list[SectionCompletion], Completeness]:
    """Each section's answers (expected, given, to review), and the campaign's completeness (§4)."""
    rows = []
    for s in session.ref.sections:
        if s.kind == "validation":
            continue
        p = section_progress(session, s)
        rows.append(SectionCompletion(s.id, s.title, p.done, p.total, p.problems))
    return rows, completeness(session)


def problem_counts(problems: list[Problem]) -> dict[str, int]:
    counts = Counter(p.kind for p in problems)
    return {kind: counts.get(kind, 0) for kind in KINDS}


# --- services and comparison ---------------------------------------------------


@dataclass(frozen=True, slots=True)
class ServiceRow:
    id: str
    figures: dict[str, Any]  # the service's entry of the scores document
    level_change: int | None  # since the last sign-off; None when the service is new since
    maturity_change: float | None


def service_rows(session: Session) -> list[ServiceRow]:
    state_scores = {}
    signoffs = session.signoffs()
    if signoffs:
        state_scores = {s["id"]: s for s in signoffs[-1]["scores"]["services"]}
    rows = []
    for score in session.scores.services:
        figures = service_entry(score)
        before = state_scores.get(score.id)
        if before is None or not signoffs:
            level_change = maturity_change = None
        else:
            level_change = figures["level"] - before["level"]
            now, then = figures["maturity"]["global"], before["maturity"]["global"]
            maturity_change = None if now is None or then is None else round(now - then, 1)
        rows.append(ServiceRow(score.id, figures, level_change, maturity_change))
    return rows


# --- the plan over time --------------------------------------------------------


def timeline(session: Session, max_semesters: int = 10) -> tuple[list[str], list[TimelineRow]]:
    """Per service and semester: when the plan brings the service to its final targets."""
    return plan_timeline(session.data, session.scores, session.reference_date, max_semesters)


# --- blockers -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BlockerSummary:
    category: str
    label: str
    blockers: int
    services: int
    owners: dict[str, int]  # owners of the actions planned on the same gaps


def blocker_summary(session: Session) -> list[BlockerSummary]:
    data = session.data
    # The owners of the actions planned on each gap: an action counts once per blocker it meets.
    actions_on_gap: dict[tuple[str, str], set[str]] = defaultdict(set)
    for a in data.live("action"):
        if data.value(a.id, "status") != "abandoned":
            for pair in data.covers_of(a.id):
                actions_on_gap[pair].add(a.id)
    out = []
    for category, label in BLOCKER_LABELS.items():
        items = [b for b in data.live("blocker") if data.value(b.id, "category") == category]
        owners: Counter[str] = Counter()
        for b in items:
            met = {a for pair in data.covers_of(b.id) for a in actions_on_gap.get(pair, ())}
            owners.update(data.value(a, "owner") or "?" for a in met)
        out.append(BlockerSummary(category, label, len(items),
                                  len({s for b in items for s in data.services_of(b.id)}), dict(owners)))
    return out
