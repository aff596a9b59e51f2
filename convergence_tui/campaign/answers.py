"""The answers document (DESIGN.md §5) to and from a `CampaignData`.

`read_document` checks a document against the referential and lists every
problem with its place; nothing is returned unless everything fits. What is
merely incomplete (missing answers, justification, evidence) is accepted.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ..cells import Cell
from ..errors import ListedError, UserError, counted
from ..escaping import printable
from ..referentiel.loader import format_path, french
from ..referentiel.models import Question, Referentiel
from ..referentiel.values import check_value, covers_text, is_empty, text_problem
from ..scoring.engine import NA
from .data import (
    CAMPAIGN,
    COVERING_KINDS,
    CRITERION_FIELDS,
    CampaignData,
    Item,
    criterion_scope,
    paused_gc,
    split_criterion_scope,
)
from .formats import ANSWERS_FORMAT, ANSWERS_VERSION
from .validation import dangling_reference, dangling_references, misplaced_criterion

if TYPE_CHECKING:  # pydantic models: imported only when a document is read
    from .documents import AnswersDocument, AnswersDocumentV1

CAMPAIGN_FIELDS = {"region": "region", "label": "campaign_label", "reference_date": "reference_date"}
SERVICE_CORE = ("name", "category")
BLOCKER_CORE = ("category", "description")
ACTION_CORE = ("title", "target_level", "due", "owner", "status")
# What names the gaps of a blocker or an action: « covers », or the one pair of questionnaires up to
# 2026.2; in the document, always « covers » (format_version 2).
COVER_FIELDS = ("covers", "service", "criterion")


class ImportRejected(ListedError):
    def __init__(self, source: str, problems: list[str]) -> None:
        super().__init__(f"{source} : {counted(len(problems), 'problème')} ; rien n'a été importé. Corrigez le "
                         "document puis relancez.", problems, [f"  {p}" for p in problems])


# --- writing ------------------------------------------------------------------


def _fields(data: CampaignData, item_id: str, questions: dict[str, Question], skip: tuple[str, ...]) -> dict[str, Any]:
    # An answer designating an item no longer in the campaign goes to « invalid » (see to_document).
    return {
        qid: data.value(item_id, qid)
        for qid, q in questions.items()
        if qid not in skip and data.value(item_id, qid) is not None and dangling_reference(data, item_id, q) is None
    }


def to_document(data: CampaignData) -> dict[str, Any]:
    ref = data.ref
    form = {
        qid: data.value(CAMPAIGN, qid)
        for qid in ref.form_questions
        if qid not in CAMPAIGN_FIELDS.values() and data.value(CAMPAIGN, qid) is not None
    }
    svc_q = ref.item_questions("service")
    ind_q, fin_q = ref.item_questions("indicator"), ref.item_questions("finance")
    children: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for kind, key, questions in (("indicator", "indicators", ind_q), ("finance", "finances", fin_q)):
        for item in data.live(kind):
            sid = data.value(item.id, "service")
            entry = {"id": item.id, "fields": _fields(data, item.id, questions, ("service",))}
            children.setdefault(sid, {}).setdefault(key, []).append(entry)
    services = []
    for item in data.live("service"):
        sid = item.id
        criteria = {}
        # Answers to criteria its category no longer has stay in the file (orphans.py lists them,
        # going back to the category brings them back), not in the document: it fits the questionnaire.
        applicable = ref.applicable_ids(data.category_of(sid))
        for c in ref.criteria:
            if c.id not in applicable:
                continue
            scope = criterion_scope(sid, c.id)
            entry = {f: data.value(scope, f) for f in CRITERION_FIELDS if data.value(scope, f) is not None}
            if entry:
                criteria[c.id] = entry
        services.append(
            {
                "id": sid,
                "name": data.value(sid, "name"),
                "category": data.value(sid, "category"),
                "fields": _fields(data, sid, svc_q, SERVICE_CORE),
                "criteria": criteria,
                "indicators": children.get(sid, {}).get("indicators", []),
                "finances": children.get(sid, {}).get("finances", []),
            }
        )
    blk_q, act_q = ref.item_questions("blocker"), ref.item_questions("action")
    # A blocker or an action on a criterion its service's category no longer has: that criterion is
    # an invalid answer (as the campaign's problems say), kept as typed.
    misplaced = {i.id: reason for kind in ("blocker", "action") for i in data.live(kind)
                 if (reason := misplaced_criterion(data, i.id)) is not None}

    def core(item_id: str, fields: tuple[str, ...]) -> dict[str, Any]:
        pairs = [] if item_id in misplaced else data.covers_of(item_id)
        return {"covers": [{"service": s, "criterion": c} for s, c in pairs] or None,
                **{k: data.value(item_id, k) for k in fields}}

    blockers = [
        {"id": i.id, **core(i.id, BLOCKER_CORE), "fields": _fields(data, i.id, blk_q, BLOCKER_CORE + COVER_FIELDS)}
        for i in data.live("blocker")
    ]
    actions = [
        {"id": i.id, **core(i.id, ACTION_CORE), "fields": _fields(data, i.id, act_q, ACTION_CORE + COVER_FIELDS)}
        for i in data.live("action")
    ]
    live = {i.id for i in data.items.values() if not i.deleted}
    invalid = [
        {"scope": scope, "field": field, "raw": cell.raw or "", "error": cell.error}
        for (scope, field), cell in sorted(data.cells.items())
        if cell.error and (scope == CAMPAIGN or scope in live or _exported_criterion(data, scope))
    ]
    invalid += [_misplaced_entry(data, item_id, reason) for item_id, reason in misplaced.items()]
    # The item it designated was deleted since (or never was): kept as typed, invalid, as the
    # campaign's problems say it; the document read back holds exactly that.
    invalid += [{"scope": item_id, "field": q.id, "raw": _as_raw(data.value(item_id, q.id)), "error": reason}
                for item_id, q, reason in dangling_references(data)]
    invalid.sort(key=lambda entry: (entry["scope"], entry["field"]))
    doc = {
        "format": ANSWERS_FORMAT,
        "format_version": ANSWERS_VERSION,
        "referentiel": {"id": ref.referentiel.id, "version": ref.referentiel.version},
        "campaign": {key: data.value(CAMPAIGN, qid) for key, qid in CAMPAIGN_FIELDS.items()},
        "answers": form,
        "services": services,
        "blockers": blockers,
        "actions": actions,
    }
    if invalid:
        doc["invalid"] = invalid
    return doc


def _misplaced_entry(data: CampaignData, item_id: str, reason: str) -> dict[str, str]:
    covers = data.value(item_id, "covers")
    if covers is not None:
        return {"scope": item_id, "field": "covers", "raw": covers_text(covers), "error": reason}
    return {"scope": item_id, "field": "criterion", "raw": str(data.value(item_id, "criterion")), "error": reason}


def _exported_criterion(data: CampaignData, scope: str) -> bool:
    """A criterion's answers of a live service whose category has that criterion."""
    pair = split_criterion_scope(scope)
    return pair is not None and data.is_live(pair[0]) and pair[1] in data.ref.applicable_ids(data.category_of(pair[0]))


# --- reading ------------------------------------------------------------------


# Far above any real answers document (a 500-service campaign is ~5 MB), checked before parsing.
MAX_DOCUMENT_BYTES = 64 * 1024 * 1024


def parse_json(text: str | bytes, source: str) -> Any:
    """A JSON document from a file, bounded: its size is checked before parsing; nesting deeper than
    the parser allows and integers longer than Python converts (4,300 digits) are refused with a
    sentence, never a traceback. Nothing in an answers document comes near either bound."""
    if len(text) > MAX_DOCUMENT_BYTES:
        raise UserError(f"{source} : {len(text) // (1024 * 1024)} Mo ; bien plus qu'un document de réponses "
                        f"(au plus {MAX_DOCUMENT_BYTES // (1024 * 1024)} Mo) ; vérifiez le fichier.")
    try:
        return json.loads(text)
    except UnicodeDecodeError:
        raise UserError(f"{source} : le fichier n'est pas du texte UTF-8 ; attendu : un document JSON.") from None
    except json.JSONDecodeError as exc:
        raise UserError(
            f"{source} : JSON invalide ligne {exc.lineno}, colonne {exc.colno} ({exc.msg}) ; "
            "vérifiez le fichier (virgule ou guillemet manquant ?)."
        ) from None
    except RecursionError:
        raise UserError(f"{source} : JSON imbriqué sur des centaines de niveaux ; ce n'est pas un document "
                        "Convergence (qui en a moins de dix) ; fichier refusé.") from None
    except ValueError:  # an integer beyond Python's conversion limit
        raise UserError(f"{source} : nombre démesuré (des milliers de chiffres) ; ce n'est pas un document "
                        "Convergence ; fichier refusé.") from None


class _Reader:
    def __init__(self, ref: Referentiel) -> None:
        self.ref = ref
        self.problems: list[str] = []
        self.data = CampaignData(ref)
        self.position = 0
        self.scale_max = ref.scale.max

    def problem(self, where: str, message: str) -> None:
        self.problems.append(printable(f"{where} : {message}"))  # ids and keys come from the file

    def add_item(self, item_id: str, kind: str, where: str) -> bool:
        if item_id in self.data.items:
            self.problem(where, f"identifiant « {item_id} » déjà employé ; chaque élément a un id unique")
            return False
        self.position += 1
        self.data.items[item_id] = Item(item_id, kind, self.position)
        return True

    # Called for each of the ~65,000 values of a large campaign (an import, a verify, the export's
    # own check): the location is only spelled out for a value that is wrong (`where` + `suffix`).
    def put(self, scope: str, field: str, q: Question, raw: Any, where: str, suffix: str = "",
            ctx: Mapping[str, Any] | None = None) -> None:
        if ctx:
            value, error = check_value(q, raw, scale_max=self.scale_max, **ctx)
        else:
            value, error = check_value(q, raw, scale_max=self.scale_max)
        if error:
            self.problem(where + suffix, error)
        elif value is not None:  # None without an error: empty, i.e. not answered
            self.data.cells[(scope, field)] = Cell(value, raw if type(raw) is str else _as_raw(raw))

    def covers(self, item_id: str, kind: str, pairs: list[tuple[str | None, str | None]], where: str,
               ctx: Mapping[str, Any]) -> None:
        """The gaps an entry covers, as this questionnaire asks for them: « covers » (checked whole:
        unknown service, criterion outside the service's category, a pair twice), or the one pair
        of « service » and « criterion » of questionnaires up to 2026.2."""
        questions = self.ref.item_questions(kind)
        if "covers" in questions:
            if any(s is None or c is None for s, c in pairs):  # half a pair (a format 1 draft)
                s, c = pairs[0]
                half = Cell(None, f"{s or ''}/{c or ''}", "écart incomplet : choisissez le service et le critère")
                self.data.add_cells([(item_id, "covers", half)])
            elif pairs:
                self.put(item_id, "covers", questions["covers"], [list(p) for p in pairs], where, ".covers", ctx)
            return
        if len(pairs) > 1:
            self.problem(where + ".covers", f"le questionnaire {self.ref.referentiel.version} n'admet qu'un écart "
                         "par élément ; passez au questionnaire actuel")
            return
        for (s, c) in pairs:
            self.put(item_id, "service", questions["service"], s, where, ".service", ctx)
            self.put(item_id, "criterion", questions["criterion"], c, where, ".criterion", ctx)

    def fields(self, item_id: str, kind: str, fields: dict[str, Any], where: str, skip: tuple[str, ...],
               ctx: Mapping[str, Any] | None = None) -> None:
        questions = self.ref.item_questions(kind)
        for qid, raw in fields.items():
            q = questions.get(qid)
            if q is None or qid in skip:
                self.problem(f"{where}.fields.{qid}", f"question inconnue pour un élément « {kind} » ; retirez-la")
                continue
            self.put(item_id, qid, q, raw, where, f".fields.{qid}", ctx)


def _entry_pairs(entry: Any) -> list[tuple[str | None, str | None]]:
    """The gaps a document's blocker or action names: its « covers » (format_version 2), or its one
    « service » and « criterion » (format_version 1)."""
    covers = getattr(entry, "covers", None)
    if covers is not None:
        return [(c.service, c.criterion) for c in covers]
    if hasattr(entry, "service") and (entry.service is not None or entry.criterion is not None):
        return [(entry.service, entry.criterion)]
    return []


def _as_raw(raw: Any) -> str:
    """What was "typed" for an imported value: its text (JSON for lists and booleans)."""
    if isinstance(raw, str):
        return raw
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        return repr(raw)
    return json.dumps(raw, ensure_ascii=False)


def _fields_of_scope(ref: Referentiel, data: CampaignData, scope: str) -> set[str] | tuple[str, ...]:
    if scope == CAMPAIGN:
        return set(ref.form_questions)
    if split_criterion_scope(scope):
        return CRITERION_FIELDS
    return set(ref.item_questions(data.items[scope].kind))


def read_document(ref: Referentiel, obj: Any, source: str) -> CampaignData:
    """Check an answers document against `ref`; return it as campaign data or raise ImportRejected."""
    with paused_gc():
        return _read_document(ref, obj, source)


def _read_document(ref: Referentiel, obj: Any, source: str) -> CampaignData:
    from pydantic import ValidationError

    from .documents import AnswersBase, answers_model  # pydantic models: only when a document is read

    doc: AnswersDocument | AnswersDocumentV1
    try:  # already a checked document when the caller validated it first (verify)
        doc = obj if isinstance(obj, AnswersBase) else answers_model(obj).model_validate(obj)  # type: ignore[assignment]
    except ValidationError as exc:
        problems = [f"{format_path(tuple(e['loc'])) or 'document'} : {french(e)}" for e in exc.errors()[:50]]
        if isinstance(obj, dict) and obj.get("format") != ANSWERS_FORMAT:
            problems.insert(0, f"format : « {ANSWERS_FORMAT} » attendu ; ce fichier n'est pas un document de réponses")
        raise ImportRejected(source, problems) from None
    r = _Reader(ref)
    if doc.referentiel.id != ref.referentiel.id:
        r.problem("referentiel.id",
                  f"« {doc.referentiel.id} » ne correspond pas au questionnaire chargé « {ref.referentiel.id} »")
    form = ref.form_questions
    for key, qid in CAMPAIGN_FIELDS.items():
        r.put(CAMPAIGN, qid, form[qid], getattr(doc.campaign, key), f"campaign.{key}")
    for qid, raw in doc.answers.items():
        if qid not in form or qid in CAMPAIGN_FIELDS.values():
            r.problem(f"answers.{qid}", "question inconnue du questionnaire ; retirez-la ou corrigez son id")
            continue
        r.put(CAMPAIGN, qid, form[qid], raw, f"answers.{qid}")

    service_ids = {s.id for s in doc.services}
    # What questions of type « item » may designate: the items the document itself holds.
    items = {"service": service_ids, "blocker": {b.id for b in doc.blockers}, "action": {a.id for a in doc.actions},
             "indicator": {i.id for s in doc.services for i in s.indicators},
             "finance": {f.id for s in doc.services for f in s.finances}}
    categories = {"categories": list(ref.categories_by_id)}
    svc_q = ref.item_questions("service")
    for i, s in enumerate(doc.services):
        where = f"services[{i}]"
        if not r.add_item(s.id, "service", f"{where}.id"):
            continue
        r.put(s.id, "name", svc_q["name"], s.name, where, ".name")
        r.put(s.id, "category", svc_q["category"], s.category, where, ".category", categories)
        r.fields(s.id, "service", s.fields, where, SERVICE_CORE, {"items": items})
        # An unknown category is reported once; do not also report each of its criteria.
        applicable = ref.applicable_ids(s.category)
        for cid, ans in s.criteria.items():
            cwhere = f"{where}.criteria.{cid}"
            crit = ref.criteria_by_id.get(cid)
            if crit is None:
                r.problem(cwhere, "critère inconnu du questionnaire ; retirez-le ou corrigez son id")
                continue
            if cid not in applicable:
                r.problem(cwhere, f"ce critère ne s'applique pas à la catégorie « {s.category} »")
                continue
            scope = criterion_scope(s.id, cid)
            if ans.level == NA:
                if not crit.na_allowed:
                    r.problem(f"{cwhere}.level", "NA n'est pas permis pour ce critère ; donnez un niveau")
                else:
                    r.data.cells[(scope, "level")] = Cell(NA, NA)
            elif ans.level is not None:
                allowed = ref.allowed_levels(crit)
                if ans.level not in allowed:
                    r.problem(f"{cwhere}.level", f"niveau {ans.level} non permis ; niveaux possibles : {allowed}")
                else:
                    r.data.cells[(scope, "level")] = Cell(ans.level, str(ans.level))
            for f in ("comment", "evidence", "justification"):
                text = getattr(ans, f)
                if is_empty(text):
                    continue
                if (error := text_problem(text, multiline=True)):
                    r.problem(f"{cwhere}.{f}", error)
                else:
                    r.data.cells[(scope, f)] = Cell(text, text)
        for key, kind in (("indicators", "indicator"), ("finances", "finance")):
            for j, sub in enumerate(getattr(s, key)):
                swhere = f"{where}.{key}[{j}]"
                if r.add_item(sub.id, kind, f"{swhere}.id"):
                    r.data.cells[(sub.id, "service")] = Cell(s.id, s.id)
                    r.fields(sub.id, kind, sub.fields, swhere, ("service",), {"services": service_ids, "items": items})

    category_of: dict[str | None, str | None] = {s.id: s.category for s in doc.services}  # by an entry's service
    criteria_of = {s.id: ref.applicable_ids(s.category) for s in doc.services}
    entry_lists: list[tuple[str, str, tuple[str, ...], Sequence[Any]]] = [
        ("blockers", "blocker", BLOCKER_CORE, doc.blockers),
        ("actions", "action", ACTION_CORE, doc.actions),
    ]
    for key, kind, core, entries in entry_lists:
        questions = ref.item_questions(kind)
        for i, entry in enumerate(entries):
            where = f"{key}[{i}]"
            if not r.add_item(entry.id, kind, f"{where}.id"):
                continue
            pairs = _entry_pairs(entry)
            # The criteria of the entry's one service: what a questionnaire up to 2026.2 lets it name.
            category = category_of.get(pairs[0][0]) if pairs and pairs[0][0] else None
            ctx = {"services": service_ids, "criteria": ref.applicable_ids(category), "items": items,
                   "criteria_of": criteria_of}
            r.covers(entry.id, kind, pairs, where, ctx)
            for f in core:
                r.put(entry.id, f, questions[f], getattr(entry, f), where, f".{f}", ctx)
            r.fields(entry.id, kind, entry.fields, where, core + COVER_FIELDS, ctx)

    for i, inv in enumerate(doc.invalid):
        where = f"invalid[{i}]"
        owner = (split_criterion_scope(inv.scope) or (inv.scope,))[0]
        item = r.data.items.get(inv.scope)
        if (item is not None and inv.field in ("service", "criterion") and item.kind in COVERING_KINDS
                and "covers" in ref.item_questions(item.kind)):
            # A format 1 document's invalid service or criterion: the gaps, to choose again.
            inv = inv.model_copy(update={"field": "covers"})
        if inv.scope != CAMPAIGN and owner not in r.data.items:
            r.problem(where, f"« {inv.scope} » ne désigne aucun élément du document")
        elif inv.field not in _fields_of_scope(ref, r.data, inv.scope):
            r.problem(where, f"« {inv.field} » n'est pas une question de « {inv.scope} »")
        elif (inv.scope, inv.field) in r.data.cells:
            r.problem(where, f"« {inv.scope}.{inv.field} » a déjà une réponse valide dans le document")
        else:
            # Through add_cells: the problems find invalid answers by the data's errors.
            r.data.add_cells([(inv.scope, inv.field, Cell(None, inv.raw, inv.error))])

    if r.problems:
        raise ImportRejected(source, r.problems)
    return r.data
