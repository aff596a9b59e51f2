"""Read-only views of a session for screens: grid rows, section progress, where problems are.

Screens display these; they never compute a level, a due date or a status
themselves. Nothing here imports Textual.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..campaign.data import CAMPAIGN, COVERING_KINDS, ITEM_PREFIX, criterion_scope, split_criterion_scope
from ..campaign.problems import Problem
from ..cells import ITEM_FIELD, JournalRow
from ..referentiel.models import Criterion, Question, Section
from ..referentiel.values import REGIONS, is_visible
from ..report.format import completeness_sentence
from ..scoring import NA, region_entry, service_entry
from ..scoring.document import completeness_percent
from ..store.db import JOURNAL_ONLY
from ..wording import counted, date_fr, datetime_fr
from .writes import shorten

if TYPE_CHECKING:
    from .session import Session

YES_NO = {True: "Oui", False: "Non"}


@dataclass(frozen=True, slots=True)
class GridRow:
    criterion: Criterion
    level: Any  # int, "NA", or None
    raw: str | None
    error: str | None
    due: int | None
    final: int | None
    state: str  # met | gap | na | missing | not_due | invalid
    comment: str
    evidence: str
    justification: str
    needs_evidence: bool


def grid_rows(session: Session, service_id: str) -> list[GridRow]:
    session.ensure_complete()  # comments, evidence and justifications
    data = session.data
    gaps = set()
    score = session.scores.service(service_id)
    if score is not None:
        gaps = set(score.gaps)
    rows = []
    for c in session.candidates(service_id):
        scope = criterion_scope(service_id, c.id)
        cell = data.cell(scope, "level")
        level = data.value(scope, "level")
        due = session.scorer.due_level(c.id)
        if cell is not None and cell.error:
            state = "invalid"
        elif level == NA:
            state = "na"
        elif c.id in gaps:
            state = "gap"
        elif level is None:
            state = "missing"
        elif due is None:
            state = "not_due"
        else:
            state = "met"
        evidence = data.value(scope, "evidence") or ""
        rows.append(GridRow(
            criterion=c, level=level, raw=cell.raw if cell else None, error=cell.error if cell else None,
            due=due, final=session.scorer.final_level(c.id), state=state,
            comment=data.value(scope, "comment") or "", evidence=evidence,
            justification=data.value(scope, "justification") or "",
            needs_evidence=isinstance(level, int) and c.evidence_from is not None
            and level >= c.evidence_from and not evidence,
        ))
    return rows


def service_figures(session: Session, service_id: str) -> dict[str, Any] | None:
    score = session.scores.service(service_id)
    return service_entry(score) if score is not None else None


def region_figures(session: Session) -> dict[str, Any]:
    return region_entry(session.scores.region)


@dataclass(frozen=True, slots=True)
class Progress:
    """Answers expected in a section, given, and missing or invalid. For the grid, `done` and `total`
    are the criteria answered and to answer: DESIGN.md §4's completeness (`completeness()`)."""

    done: int
    total: int
    problems: int

    @property
    def percent(self) -> float:
        return completeness_percent(self.done, self.total)


@dataclass(frozen=True, slots=True)
class Completeness:
    """DESIGN.md §4's completeness of the region — the one figure called « complétude » on every
    screen, in the report and in `status` —: criteria answered (a level or NA) over the criteria that
    apply to the services, pooled. `percent` is None when there is nothing to answer yet (no
    service, or none with a category): saying 100 % then would be false."""

    answered: int
    expected: int

    @property
    def percent(self) -> float | None:
        return completeness_percent(self.answered, self.expected) if self.expected else None


    def sentence(self) -> str:
        """How every screen says it: « 96,6 % (2 612 des 2 704 critères renseignés) »."""
        return completeness_sentence(self.answered, self.expected)


def completeness(session: Session) -> Completeness:
    region = session.scores.region
    return Completeness(region.answered, region.candidates)


# What a section's progress is counted from (Session.revision_of areas).
PROGRESS_AREAS = {"form": ("campaign",), "grid": ("campaign", "levels", "service"), "validation": ()}


def section_progress(session: Session, section: Section) -> Progress:
    """Answered / expected for one section, recounted only after a change where it comes from (the
    sidebar, the review and the opening view all show it; a list of 4,000 blockers takes ~15 ms)."""
    if not session.section_loaded(section):
        session.ensure_complete()
    areas = PROGRESS_AREAS.get(section.kind, (section.item,) if section.item else ())
    return session.cached(("progress", section.id), areas, lambda: _count_progress(session, section))


def _count_progress(session: Session, section: Section) -> Progress:
    data = session.data
    if section.kind == "form":
        values = data.form_values()
        visible = [q for q in section.questions if is_visible(q, values)]
        required = [q for q in visible if q.required]
        done = sum(1 for q in required if data.value(CAMPAIGN, q.id) is not None)
        errors = sum(1 for q in visible if q.id in data.errors.get(CAMPAIGN, ()))
        return Progress(done, len(required), errors + len(required) - done)
    if section.kind == "list":
        assert section.item is not None, "checks.py: a list section names its item"
        items = data.live(section.item)
        required = [q for q in section.questions if q.required]
        total = len(items) * len(required)
        missing = errors = 0
        for item in items:
            missing += sum(1 for q in required if data.value(item.id, q.id) is None)
            errors += len(data.errors.get(item.id, ()))
        return Progress(total - missing, total, missing + errors)
    if section.kind == "grid":
        region = session.scores.region
        return Progress(region.answered, region.candidates, region.candidates - region.answered)
    return Progress(0, 0, 0)


# (section index, item position, scope, question or criterion index, 0)
LocationKey = tuple[int, int, str, int, int]


def location_key(session: Session, section_id: str, scope: str, field: str) -> LocationKey:
    """Order of places in the walk through the questionnaire (for next/previous problem)."""
    ref = session.ref
    section_index = next((i for i, s in enumerate(ref.sections) if s.id == section_id), len(ref.sections))
    section = ref.sections_by_id.get(section_id)
    data = session.data
    crit = split_criterion_scope(scope)
    if crit:
        sid, cid = crit
        item = data.items.get(sid)
        order = [c.id for c in session.candidates(sid)]
        # A grid row is one stop: its level, justification and evidence are fixed on the same row.
        return (section_index, item.position if item else 0, sid, order.index(cid) if cid in order else 0, 0)
    item = data.items.get(scope)
    questions = [q.id for q in section.questions] if section else []
    return (section_index, item.position if item else 0, scope,
            questions.index(field) if field in questions else 0, 0)


def next_problem(session: Session, problems: list[Problem], here: LocationKey | None, backwards: bool = False
                 ) -> Problem | None:
    if not problems:
        return None
    keyed = sorted(((location_key(session, p.section, p.scope, p.field), p) for p in problems),
                   key=lambda kp: kp[0])
    if here is None:
        return keyed[-1][1] if backwards else keyed[0][1]
    if backwards:
        before = [p for k, p in keyed if k < here]
        return before[-1] if before else keyed[-1][1]
    after = [p for k, p in keyed if k > here]
    return after[0] if after else keyed[0][1]


def display_value(session: Session, q: Question, value: Any) -> str:
    """A stored value as a person reads it (option labels, names instead of ids)."""
    if value is None:
        return ""
    if q.type in ("choice", "multi_choice"):
        labels = {o.value: o.label for o in q.options or []}
        values = value if isinstance(value, list) else [value]
        return ", ".join(labels.get(v, str(v)) for v in values)
    if q.type == "yes_no":
        return YES_NO.get(value, str(value))
    if q.type == "region":
        return f"{value} {REGIONS.get(value, '')}".strip()
    if q.type == "service":
        return session.data.name_of(value) or str(value)
    if q.type == "item":
        return item_caption(session, value)
    if q.type == "covers":
        from .covers import covers_caption

        return covers_caption(session, value)
    if q.type == "category":
        cat = session.ref.categories_by_id.get(value)
        return cat.id if cat else str(value)
    if q.type == "date":
        return date_fr(str(value))
    if q.type in ("euros",):
        return f"{value:,.2f} €".replace(",", "\u202f").replace(".", ",").replace(",00 €", " €")
    if q.type == "percent":
        return f"{value} %"
    return str(value)


def search_targets(session: Session) -> list[tuple[str, str, str, str]]:
    """(text shown, section id, scope, field) for every question label and criterion id."""
    out = []
    for section in session.ref.sections:
        if section.kind == "form":
            for q in section.questions:
                out.append((f"{q.label} — {section.title}", section.id, CAMPAIGN, q.id))
        elif section.kind == "list":
            for q in section.questions:
                out.append((f"{q.label} — {section.title}", section.id, "", q.id))
        elif section.kind == "grid":
            for c in session.ref.criteria:
                out.append((f"{c.id} {c.label} — {section.title}", section.id, "", c.id))
    return out


def question_options(session: Session, q: Question, scope: str) -> list[tuple[str, Any]]:
    """What a choice field offers, as (label, stored value)."""
    ref = session.ref
    if q.type in ("choice", "multi_choice"):
        return [(o.label, o.value) for o in q.options or []]
    if q.type == "yes_no":
        return [("Oui", True), ("Non", False)]
    if q.type == "region":
        return [(f"{code} {name}", code) for code, name in sorted(REGIONS.items(), key=lambda kv: kv[1])]
    if q.type == "category":
        return [(f"{c.id} — {c.label}", c.id) for c in ref.categories]
    if q.type == "service":
        return [(session.data.name_of(sid) or sid, sid) for sid in session.data.live_ids("service")]
    if q.type == "item" and q.item:
        # Numbered as their list numbers them: « n° 1 — … » is the item the list shows as n° 1.
        return [(item_caption(session, item_id, n), item_id)
                for n, item_id in enumerate(session.data.live_ids(q.item), 1)]
    if q.type == "criterion":
        sid = session.data.value(scope, "service") if scope in session.data.items else None
        criteria = session.candidates(sid) if sid else ref.criteria
        return [(f"{c.id} {c.label}", c.id) for c in criteria]
    if q.type == "level":
        return [(f"{n} — {label}", n) for n, label in enumerate(ref.scale.labels)]
    if q.type == "covers":
        from .covers import cover_options

        return cover_options(session, scope)
    return []


CAPTION_WIDTH = 56


def item_caption(session: Session, item_id: str, number: int | None = None) -> str:
    """An item as a choice designating it shows it: « n° 3 — Éditeur en retard sur le DMP (IOP-03) »:
    its number in its list, its first text (a blocker's description, an action's title), the criterion
    it is about. `number`: known already (a list of choices)."""
    data = session.data
    item = data.items.get(item_id)
    if item is None or item.deleted:
        return item_id
    if number is None:
        number = data.live_ids(item.kind).index(item_id) + 1
    questions = session.ref.item_questions(item.kind).values()
    text = next((v for q in questions if q.type in ("text", "long_text") and (v := data.value(item_id, q.id))), "")
    covers = data.covers_of(item_id) if item.kind in COVERING_KINDS else ()
    about = (f" ({covers[0][1]})" if len(covers) == 1 else f" ({counted(len(covers), 'écart')})" if covers else "")
    head = f"n° {number}"
    # One line of the list of choices (a dialog 70 columns wide): the text gives way.
    room = max(CAPTION_WIDTH - len(head) - len(" — ") - len(about), 20)
    return head + (f" — {shorten(text, room)}" if text else "") + about


def visible_questions(session: Session, questions: list[Question], scope: str) -> dict[str, bool]:
    values = session.data.form_values() if scope == CAMPAIGN else session.data.item_values(scope)
    return {q.id: is_visible(q, values) for q in questions}


# --- the opening view ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Resume:
    """Where the last change was made, to go back there with one key (or where to begin)."""

    section: str
    scope: str
    field: str
    where: str  # French, for the opening view
    when: str  # local date and time of the change, "" when nothing was answered yet
    who: str


def _kind_of_item(item_id: str) -> str | None:
    prefix = item_id.partition("-")[0]
    return next((kind for kind, p in ITEM_PREFIX.items() if p == prefix), None)


def resume_point(session: Session) -> Resume:
    """The place of the newest journal row, found without the long lists (the opening view shows it
    before the background read): item kinds come from their ids, names once they are read."""
    rows = session.journal(limit=1)
    if not rows:
        first = session.ref.sections[0]
        return Resume(first.id, "", "", f"1 {first.title}", "", "")
    return place_of(session, rows[0])


def recent_places(session: Session, count: int) -> list[Resume]:
    """The places of the newest changes, newest first, one per user action (a journal batch: an
    item created with its first answers, a service deleted with its blockers…)."""
    batches: dict[int, list[JournalRow]] = {}
    for row in session.journal(limit=count * 8):
        if row.batch not in batches and len(batches) == count:
            break
        batches.setdefault(row.batch, []).append(row)
    # A merge (or its undo) is said by its own row; an item's creation or deletion says the action best;
    # otherwise its newest row.
    return [place_of(session, next((r for r in rows if r.field == JOURNAL_ONLY), None)
                     or next((r for r in rows if r.field == ITEM_FIELD), rows[0]))
            for rows in batches.values()]


def place_of(session: Session, row: JournalRow) -> Resume:
    """Where a journal row's change was made, to go there and to say it in French."""
    ref = session.ref
    first = ref.sections[0]
    when = datetime_fr(row.at, local=True)  # the person's own clock, on their own screen
    undone = " (annulation)" if row.op == "undo" else ""

    def numbered(section: Section) -> str:
        return f"{ref.sections.index(section) + 1} {section.title}"

    if row.field == JOURNAL_ONLY:  # a merge's own row: what it brought is in the rows around it
        marker = row.old if row.op == "undo" else row.new  # its undo holds the merge's marker as the old value
        source = marker.value.get("source", "?") if marker and isinstance(marker.value, dict) else "?"
        return Resume(first.id, "", "", f"fusion de {source}{undone}", when, row.author)
    crit = split_criterion_scope(row.scope)
    if crit:
        sid, cid = crit
        grid = next((s for s in ref.sections if s.kind == "grid"), None)
        if grid is not None:
            criterion = ref.criteria_by_id.get(cid)
            name = session.data.name_of(sid) or sid
            # A service deleted since is not found by the grid, which then opens on the first one.
            return Resume(grid.id, row.scope, cid,
                          f"{numbered(grid)} › {name} › {cid}" + (f" {criterion.label}" if criterion else "")
                          + undone, when, row.author)
    elif row.scope == CAMPAIGN:
        section = next((s for s in ref.sections if s.kind == "form" and any(q.id == row.field for q in s.questions)),
                       None)
        if section is not None:
            q = next(q for q in section.questions if q.id == row.field)
            return Resume(section.id, "", row.field, f"{numbered(section)} › {q.label}{undone}", when, row.author)
    else:
        kind = _kind_of_item(row.scope)
        section = next((s for s in ref.sections if s.kind == "list" and s.item == kind), None)
        if section is not None:
            # Deleted (or its creation undone, or replaced by an import): no editor to open on it.
            deleted = row.field == ITEM_FIELD and (row.new is None or bool(row.new.value.get("deleted")))
            label = next((q.label for q in section.questions if q.id == row.field), "")
            data = session.data  # (names once the background read has brought them)
            service = next(iter(data.services_of(row.scope)), None) if kind != "service" and data.is_live(row.scope) \
                else None
            name = data.name_of(row.scope) or " ".join(
                filter(None, (section.item_label or "élément", row.scope, service and data.name_of(service))))
            where = f"{numbered(section)} › {name}" + (f" › {label}" if label else "")
            if deleted:
                what = f"création de {row.scope} annulée" if undone else f"suppression de {row.scope}"
                where, undone = f"{numbered(section)} ({what})", ""
            return Resume(section.id, "" if deleted else row.scope, "" if row.field == ITEM_FIELD else row.field,
                          where + undone, when, row.author)
    return Resume(first.id, "", "", f"1 {first.title}" + undone, when, row.author)


def offers_services(questions: list[Question]) -> bool:
    """A form with a question choosing a service (or a criterion): it needs the services read."""
    return any(q.type in ("service", "criterion", "covers") for q in questions)
