"""`national.sqlite`: the consolidation as a database anyone can query (`sqlite3 national.sqlite`).

Built in memory and handed over as bytes (written whole by `national.write_files`). Its tables are
documented in docs/national.md; `SCHEMA` is the one definition. The regional figures are the
bundles' `scores.json`, as they are.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .national import Consolidation
    from .national_bundle import Checked

VERSION = 1

SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE bundles (
    path TEXT PRIMARY KEY, file_sha256 TEXT NOT NULL, region TEXT NOT NULL, region_name TEXT NOT NULL,
    semester TEXT NOT NULL, reference_date TEXT NOT NULL, status TEXT NOT NULL CHECK (status IN ('final', 'draft')),
    kept INTEGER NOT NULL, replaced_by TEXT, created_at TEXT NOT NULL, signer TEXT NOT NULL,
    certificate_sha256 TEXT NOT NULL, trusted INTEGER NOT NULL, referentiel_id TEXT NOT NULL,
    referentiel_version TEXT NOT NULL, questionnaire TEXT NOT NULL, blockers_left INTEGER NOT NULL);
CREATE TABLE rejected (path TEXT NOT NULL, reason TEXT NOT NULL);
CREATE TABLE regions (
    region TEXT NOT NULL, region_name TEXT NOT NULL, semester TEXT NOT NULL, reference_date TEXT NOT NULL,
    status TEXT NOT NULL, path TEXT NOT NULL, referentiel_version TEXT NOT NULL, services INTEGER NOT NULL,
    completeness REAL NOT NULL, convergent INTEGER NOT NULL, partially_convergent INTEGER NOT NULL,
    non_convergent INTEGER NOT NULL, PRIMARY KEY (region, semester));
CREATE TABLE region_maturity (
    region TEXT NOT NULL, semester TEXT NOT NULL, axis TEXT NOT NULL, maturity REAL,
    PRIMARY KEY (region, semester, axis));
CREATE TABLE services (
    region TEXT NOT NULL, semester TEXT NOT NULL, service_id TEXT NOT NULL, name TEXT NOT NULL, category TEXT,
    status TEXT NOT NULL, level INTEGER NOT NULL, conformity REAL NOT NULL, completeness REAL NOT NULL,
    gaps INTEGER NOT NULL, target_reached_on TEXT, PRIMARY KEY (region, semester, service_id));
CREATE TABLE service_maturity (
    region TEXT NOT NULL, semester TEXT NOT NULL, service_id TEXT NOT NULL, axis TEXT NOT NULL, maturity REAL,
    PRIMARY KEY (region, semester, service_id, axis));
CREATE TABLE criteria (
    region TEXT NOT NULL, semester TEXT NOT NULL, service_id TEXT NOT NULL, criterion TEXT NOT NULL,
    axis TEXT NOT NULL, level INTEGER, na INTEGER NOT NULL, due INTEGER, met INTEGER, gap INTEGER NOT NULL,
    service_status TEXT NOT NULL, PRIMARY KEY (region, semester, service_id, criterion));
CREATE TABLE criterion_labels (
    referentiel_version TEXT NOT NULL, criterion TEXT NOT NULL, axis TEXT NOT NULL, label TEXT NOT NULL,
    PRIMARY KEY (referentiel_version, criterion));
CREATE TABLE items (
    region TEXT NOT NULL, semester TEXT NOT NULL, item_id TEXT NOT NULL, kind TEXT NOT NULL, text TEXT NOT NULL,
    category TEXT, owner TEXT, status TEXT, target_level INTEGER, due TEXT, national INTEGER NOT NULL,
    gaps INTEGER NOT NULL, PRIMARY KEY (region, semester, item_id));
CREATE TABLE item_covers (
    region TEXT NOT NULL, semester TEXT NOT NULL, item_id TEXT NOT NULL, service_id TEXT NOT NULL,
    criterion TEXT NOT NULL);
CREATE INDEX criteria_by_criterion ON criteria (criterion, gap);
CREATE INDEX item_covers_by_item ON item_covers (region, semester, item_id);
CREATE VIEW latest AS
    SELECT * FROM regions AS r WHERE semester = (SELECT max(semester) FROM regions WHERE region = r.region);
"""


def _bundle_row(c: Checked, kept: bool, replaced_by: str | None) -> tuple[Any, ...]:
    from .national import region_name

    return (c.path, c.file_sha256, c.region, region_name(c.region), c.label, c.reference_date,
            "draft" if c.draft else "final", int(kept), replaced_by, c.created_at, c.signer, c.fingerprint,
            int(c.trusted), c.referentiel[0], c.referentiel[1], c.questionnaire, c.blockers_left)


def _services(c: Checked) -> Iterator[tuple[Any, ...]]:
    for s in c.services:
        yield (c.region, c.label, s["id"], s["name"], s["category"], s["status"], s["level"], s["conformity"],
               s["completeness"], len(s["gaps"]), s["target_reached_on"])


def database_bytes(con: Consolidation) -> bytes:
    """The whole database file, made in memory."""
    from .. import __version__
    from .national import NATIONAL_FORMAT, region_name

    db = sqlite3.connect(":memory:")
    try:
        db.executescript(SCHEMA)
        db.execute(f"PRAGMA user_version = {VERSION}")
        db.executemany("INSERT INTO meta VALUES (?, ?)", [("format", NATIONAL_FORMAT), ("format_version", str(VERSION)),
                                                          ("tool", f"convergence-tui {__version__}")])
        db.executemany("INSERT INTO bundles VALUES (" + ", ".join("?" * 17) + ")",
                       [_bundle_row(c, True, None) for c in con.kept]
                       + [_bundle_row(s.bundle, False, s.by.path) for s in con.superseded])
        db.executemany("INSERT INTO rejected VALUES (?, ?)", [(r.path, r.reason) for r in con.rejected])
        labels: dict[tuple[str, str], tuple[str, str]] = {}
        for c in con.kept:
            f, counts = c.figures, c.figures["status_counts"]
            db.execute("INSERT INTO regions VALUES (" + ", ".join("?" * 12) + ")",
                       (c.region, region_name(c.region), c.label, c.reference_date, "draft" if c.draft else "final",
                        c.path, c.referentiel[1], len(c.services), f["completeness"], counts["convergent"],
                        counts["partially_convergent"], counts["non_convergent"]))
            db.executemany("INSERT INTO region_maturity VALUES (?, ?, ?, ?)",
                           [(c.region, c.label, axis, value) for axis, value in f["maturity"].items()])
            db.executemany("INSERT INTO services VALUES (" + ", ".join("?" * 11) + ")", _services(c))
            db.executemany("INSERT INTO service_maturity VALUES (?, ?, ?, ?, ?)",
                           [(c.region, c.label, s["id"], axis, value) for s in c.services
                            for axis, value in s["maturity"].items()])
            status = {s["id"]: s["status"] for s in c.services}
            db.executemany("INSERT INTO criteria VALUES (" + ", ".join("?" * 11) + ")",
                           [(c.region, c.label, sid, cid, axis, level, na, due, met, gap, status.get(sid, ""))
                            for sid, cid, axis, level, na, due, met, gap in c.criteria])
            db.executemany("INSERT INTO items VALUES (" + ", ".join("?" * 12) + ")",
                           [(c.region, c.label, i.id, i.kind, i.text, i.category, i.owner, i.status, i.target_level,
                             i.due, int(i.national), len(i.covers)) for i in c.items])
            db.executemany("INSERT INTO item_covers VALUES (?, ?, ?, ?, ?)",
                           [(c.region, c.label, i.id, sid, cid) for i in c.items for sid, cid in i.covers])
            for cid, (axis, label) in c.criterion_info.items():
                labels[(c.referentiel[1], cid)] = (axis, label)
        db.executemany("INSERT INTO criterion_labels VALUES (?, ?, ?, ?)",
                       [(version, cid, axis, label) for (version, cid), (axis, label) in labels.items()])
        db.commit()
        return db.serialize()
    finally:
        db.close()
