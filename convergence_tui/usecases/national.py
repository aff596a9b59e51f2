"""`convergence national BUNDLE… --out DIR`: the ANS's national view (DESIGN.md §9).

Every bundle is verified by `convergence verify`'s own code (`national_bundle.check_bundle`), in
parallel processes, one per core; a bundle that fails is rejected with the verifier's sentence and
the others are still consolidated. Of the bundles of one (region, semester) the latest is kept: a
final bundle wins over a draft, then the latest `created_at`; a draft kept is marked as such.
Every regional figure is the bundle's own `scores.json` (verify recomputed it), never recomputed
here; what is national (the criteria most often in gap, blockers by category, the national to-do) is
counted over each region's latest semester. How questionnaire versions meet: docs/national.md.

The three files (`national.sqlite`, `national.html`, `national.xlsx`) are made in memory, then each
written to a temporary file of DIR (0600) and only once all three are on the disk renamed into
place: a full disk or a folder that refuses leaves no file half-written and the earlier ones intact.
"""

from __future__ import annotations

import datetime as dt
import os
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from itertools import repeat
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import __version__
from ..campaign.timeline import semester_start
from ..errors import UserError, os_reason
from ..referentiel.values import REGIONS
from .national_bundle import Checked, Rejected, check_bundle

if TYPE_CHECKING:
    from ..bundle.signature import TrustAnchors

NATIONAL_FORMAT = "convergence-national"
FILES = ("national.sqlite", "national.html", "national.xlsx")
KIND_LABELS = {"blocker": "frein", "action": "action"}


def region_name(code: str) -> str:
    return REGIONS.get(code, code or "région non renseignée")


def semester_key(label: str) -> tuple[dt.date, str]:
    """Semesters in time order (« 2026-S1 » before « 2026-S2 »); a label that is not a semester last."""
    return semester_start(label) or dt.date.max, label


def check_all(paths: Sequence[Path], trust: TrustAnchors | None = None,
              compare_with: tuple[str, bytes] | None = None, *, workers: int | None = None) -> list[Checked | Rejected]:
    """Each bundle verified and read, in the order given: one process per core (`workers`), or here
    when there is one bundle or one worker."""
    names = [str(p) for p in paths]
    workers = min(workers or os.cpu_count() or 1, len(names))
    if workers <= 1:
        return [check_bundle(n, trust, compare_with) for n in names]
    from concurrent.futures import ProcessPoolExecutor

    # Loaded before the pool starts: forked workers begin with verify's own modules and pydantic in place
    # (pyhanko is imported by each worker at its first signature, in parallel).
    from ..bundle import verify as _verify
    from ..scoring import engine as _engine

    del _verify, _engine

    with ProcessPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(check_bundle, names, repeat(trust), repeat(compare_with)))


@dataclass(frozen=True)
class Superseded:
    bundle: Checked
    by: Checked


@dataclass(frozen=True)
class Consolidation:
    kept: list[Checked]  # by region, then semester
    superseded: list[Superseded]
    rejected: list[Rejected]

    def latest(self) -> list[Checked]:
        """Each region's latest semester: the national picture of today."""
        last: dict[str, Checked] = {}
        for c in self.kept:  # sorted: the last of a region is its latest
            last[c.region] = c
        return list(last.values())

    @property
    def exit_code(self) -> int:
        return max((r.exit_code for r in self.rejected), default=0)


def rank(c: Checked) -> tuple[bool, dt.datetime]:
    """What wins among the bundles of one (region, semester): final over draft, then the latest; of two
    alike (a copy), the first named (the sort is stable)."""
    return not c.draft, c.created


def select(results: Iterable[Checked | Rejected]) -> Consolidation:
    groups: dict[tuple[str, str], list[Checked]] = defaultdict(list)
    rejected = []
    for r in results:
        if isinstance(r, Rejected):
            rejected.append(r)
        else:
            groups[(r.region, r.label)].append(r)
    kept, superseded = [], []
    for group in groups.values():
        group.sort(key=rank, reverse=True)
        kept.append(group[0])
        superseded += [Superseded(other, group[0]) for other in group[1:]]
    kept.sort(key=lambda c: (c.region, semester_key(c.label)))
    superseded.sort(key=lambda s: (s.bundle.region, semester_key(s.bundle.label), s.bundle.path))
    return Consolidation(kept, superseded, rejected)


def axes_of(bundles: Iterable[Checked]) -> list[tuple[str, str]]:
    """The axes of every questionnaire met, in the order they first come."""
    axes: dict[str, str] = {}
    for c in bundles:
        for axis, label in c.axes:
            axes.setdefault(axis, label)
    return list(axes.items())


def semester_entry(c: Checked) -> dict[str, Any]:
    return {
        "semester": c.label, "reference_date": c.reference_date, "draft": c.draft, "created_at": c.created_at,
        "signer": c.signer, "certificate_sha256": c.fingerprint, "trusted": c.trusted,
        "referentiel": {"id": c.referentiel[0], "version": c.referentiel[1]}, "bundle": c.path,
        "services": len(c.services), "figures": c.figures,
    }


def criteria_in_gap(latest: Sequence[Checked]) -> list[dict[str, Any]]:
    """Per criterion id, over each region's latest bundle: services in gap, services it is due for,
    regions with a gap, and how many of those bundles' questionnaires have it (versions may differ)."""
    gaps: Counter[str] = Counter()
    due: Counter[str] = Counter()
    regions: dict[str, set[str]] = defaultdict(set)
    having: Counter[str] = Counter()
    info: dict[str, tuple[str, str]] = {}
    for c in sorted(latest, key=lambda c: c.created):  # the newest questionnaire names a criterion last
        for cid in c.criterion_info:
            having[cid] += 1
        info.update(c.criterion_info)
        for _sid, cid, _axis, _level, na, due_level, _met, gap in c.criteria:
            if due_level is not None and not na:
                due[cid] += 1
            if gap:
                gaps[cid] += 1
                regions[cid].add(c.region)
    ranked = sorted(gaps, key=lambda cid: (-gaps[cid], -len(regions[cid]), cid))
    return [{"criterion": cid, "axis": info[cid][0], "label": info[cid][1], "gaps": gaps[cid], "due": due[cid],
             "regions": len(regions[cid]), "bundles": having[cid]} for cid in ranked]


def blockers_by_category(latest: Sequence[Checked]) -> list[dict[str, Any]]:
    from .review import BLOCKER_LABELS

    counts = dict.fromkeys(BLOCKER_LABELS, 0)
    for c in latest:
        for item in c.items:
            if item.kind == "blocker":
                key = item.category if item.category in counts else "other"
                counts[key] += 1
    return [{"category": k, "label": BLOCKER_LABELS[k], "count": n} for k, n in counts.items()]


def national_todo(latest: Sequence[Checked]) -> list[dict[str, Any]]:
    """The blockers of category `national` and the actions the national level carries, region by region."""
    return [{"region": c.region, "semester": c.label, "kind": i.kind, "kind_label": KIND_LABELS[i.kind],
             "id": i.id, "text": i.text, "status": i.status, "status_label": i.status_label, "due": i.due,
             "gaps": len(i.covers)}
            for c in latest for i in c.items if i.national]


def national_document(con: Consolidation) -> dict[str, Any]:
    """What `--json` prints (schemas/national.schema.json): each region's figures per semester as its
    bundle's scores.json gives them, and the national counts."""
    latest = con.latest()
    regions: dict[str, list[Checked]] = defaultdict(list)
    for c in con.kept:
        regions[c.region].append(c)
    return {
        "format": NATIONAL_FORMAT, "format_version": 1,
        "tool": {"name": "convergence-tui", "version": __version__},
        "axes": [{"id": a, "label": label} for a, label in axes_of(con.kept)],
        "regions": [{"region": code, "name": region_name(code), "semesters": [semester_entry(c) for c in bundles]}
                    for code, bundles in regions.items()],
        "superseded": [{"bundle": s.bundle.path, "region": s.bundle.region, "semester": s.bundle.label,
                        "draft": s.bundle.draft, "created_at": s.bundle.created_at, "replaced_by": s.by.path}
                       for s in con.superseded],
        "rejected": [{"bundle": r.path, "reason": r.reason} for r in con.rejected],
        "criteria_in_gap": criteria_in_gap(latest),
        "blockers_by_category": blockers_by_category(latest),
        "national_todo": national_todo(latest),
    }


def services_of(con: Consolidation) -> list[tuple[str, str, dict[str, Any]]]:
    """Every service of every bundle kept: region, semester, its scores.json entry."""
    return [(c.region, c.label, s) for c in con.kept for s in c.services]


@dataclass(frozen=True)
class National:
    consolidation: Consolidation
    document: dict[str, Any]
    files: list[Path]
    replaced: list[Path]


def write_files(out_dir: Path, made: dict[str, bytes]) -> list[Path]:
    """Each file to a temporary file of `out_dir` first; renamed into place only once all are written.
    Returns the files that were there before (now replaced)."""
    from ..paths import fsync_folder, temporary_file

    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError(f"{out_dir} : dossier impossible à créer ({os_reason(exc)}) ; choisissez un autre --out.") \
            from None
    if not out_dir.is_dir():
        raise UserError(f"{out_dir} n'est pas un dossier ; choisissez un autre --out.")
    temporary: list[tuple[Path, Path]] = []
    try:
        for name, data in made.items():
            temporary.append((temporary_file(out_dir, data, prefix=f".{name}.", suffix=".partiel"), out_dir / name))
        replaced = [target for _, target in temporary if target.exists()]
        for tmp, target in temporary:
            os.replace(tmp, target)
    except OSError as exc:
        raise UserError(f"{out_dir} : écriture impossible ({os_reason(exc)}) ; rien n'a été écrit (les fichiers "
                        "nationaux déjà présents sont intacts). Libérez de la place ou choisissez un autre --out.") \
            from None
    finally:
        for tmp, _ in temporary:
            tmp.unlink(missing_ok=True)
    fsync_folder(out_dir)
    return replaced


def unique(paths: Sequence[Path]) -> list[Path]:
    """The paths in their order, each file once (`a.zip` and `./a.zip` are one)."""
    seen: set[Path] = set()
    kept = []
    for p in paths:
        if (key := p.resolve()) not in seen:
            seen.add(key)
            kept.append(p)
    return kept


def consolidate(paths: Sequence[Path], out_dir: Path, trust: TrustAnchors | None = None,
                compare_with: tuple[str, bytes] | None = None, *, workers: int | None = None,
                progress: Callable[[str], None] = lambda _: None) -> National:
    """Verify, keep the latest of each (region, semester), write the three files into `out_dir`."""
    from ..report.national_html import render
    from ..report.national_sheets import workbook
    from .national_store import database_bytes

    # A shell pattern and a name given besides may name one file twice: it is verified and counted once.
    paths = unique(paths)
    missing = [p for p in paths if not p.is_file()]
    if missing:
        raise UserError(f"paquet introuvable : {', '.join(map(str, missing))} ; vérifiez le chemin (rien n'a été "
                        "vérifié ni écrit).")
    progress(f"Vérification de {len(paths)} paquet{'s' if len(paths) > 1 else ''}")
    con = select(check_all(paths, trust, compare_with, workers=workers))
    doc = national_document(con)
    progress("Écriture de national.sqlite, national.html et national.xlsx")
    made = {"national.sqlite": database_bytes(con), "national.html": render(doc),
            "national.xlsx": workbook(doc, services_of(con))}
    replaced = write_files(out_dir, made)
    return National(con, doc, [out_dir / name for name in FILES], replaced)


def outcome_lines(result: National) -> list[str]:
    """What the command says on stdout once the files are written (the refusals go to stderr too)."""
    from ..escaping import printable
    from ..wording import counted, datetime_fr

    con = result.consolidation
    lines = [f"Consolidation : {counted(len(con.kept), 'paquet retenu', 'paquets retenus')} "
             f"({counted(len({c.region for c in con.kept}), 'région')}), "
             f"{counted(len(con.superseded), 'remplacé')}, {counted(len(con.rejected), 'refusé')}."]
    if con.kept:
        lines.append("Retenus :")
    for c in con.kept:
        figures = c.figures
        nature = "BROUILLON" if c.draft else "définitif"
        who = "" if c.trusted else ", signataire NON authentifié"
        lines.append(f"  {printable(region_name(c.region))} ({printable(c.region)}) {printable(c.label)} : {nature}, "
                     f"{counted(len(c.services), 'service')}, maturité globale "
                     f"{_pct(figures['maturity'].get('global'))}, questionnaire {printable(c.referentiel[1])}, "
                     f"signé par {printable(c.signer)}{who} — {printable(c.path)}")
    if con.superseded:
        lines.append("Remplacés (un paquet plus récent, ou définitif, de la même région et du même semestre) :")
    for s in con.superseded:
        b = s.bundle
        lines.append(f"  {printable(b.path)} ({printable(b.region)} {printable(b.label)}, "
                     f"{'brouillon' if b.draft else 'définitif'} du {datetime_fr(b.created_at)}) "
                     f"→ {printable(s.by.path)}")
    if con.rejected:
        lines.append("Refusés (non consolidés) :")
    for r in con.rejected:
        lines.append(f"  {printable(r.reason, multiline=True)}")  # the verifier names the file first
    if any(not c.trusted for c in con.kept):
        lines.append("Attention : sans certificat de confiance (--trust, ou le réglage trust), seule l'intégrité des "
                     "paquets est prouvée, pas l'identité de leurs signataires.")
    out = result.files[0].parent
    lines.append(f"Fichiers écrits dans {printable(str(out))} : {', '.join(p.name for p in result.files)}"
                 + (f" ({counted(len(result.replaced), 'remplacé')})" if result.replaced else "") + ".")
    lines.append(f"Interroger la base : sqlite3 {printable(str(result.files[0]))} \"SELECT * FROM latest\"")
    return lines


def _pct(value: float | None) -> str:
    from ..report.format import pct

    return pct(value)
