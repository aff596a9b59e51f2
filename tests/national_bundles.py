"""Real regional bundles for `convergence national`, made by the real program (demo, copy, edits,
signoff, keygen, export), once per test session: see `made_bundles`."""

from __future__ import annotations

import shutil
import zipfile
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import pytest

from convergence_tui.cli import main as cli_main
from convergence_tui.usecases.session import Session
from tests.conftest import FIXTURES

PASSWORD = "motdepasse-national"
OLD_BUNDLE = FIXTURES / "release-0.1.0" / "demo-0.1.0-brouillon.zip"  # 53 / 2026-S2, questionnaire 2026.2
REF_2026_2 = FIXTURES / "release-0.1.0" / "referentiel-2026.2.toml"
EVIL_TEXT = "=cmd|' /C calc'!A0 <script>alert('x')</script>"


@dataclass
class Made:
    folder: Path
    p12: Path
    bundles: dict[str, Path]  # name -> bundle

    def all(self) -> list[Path]:
        return list(self.bundles.values())


def run(*argv: object) -> None:
    assert cli_main([str(a) for a in argv]) == 0, argv


def export(folder: Path, db: Path, p12: Path, epoch: int, mp: pytest.MonkeyPatch, *, draft: bool = True,
           referentiel: Path | None = None) -> Path:
    out = folder / f"out-{db.stem}-{epoch}"
    mp.setenv("SOURCE_DATE_EPOCH", str(epoch))
    run("export", "--db", db, "--p12", p12, "--out", out, *(["--draft"] if draft else []),
        *(["--referentiel", referentiel] if referentiel else []))
    (bundle,) = out.glob("*.zip")
    return bundle


def raise_service(s: Session, sid: str, level: int) -> None:
    """Every answered criterion of a service set to `level` (where the criterion allows it)."""
    for c in s.candidates(sid):
        if s.data.cell(f"{sid}/{c.id}", "level") is not None and level in s.ref.allowed_levels(c):
            s.set_level(sid, c.id, level)


def make_final(db: Path) -> None:
    """The demo campaign made final: the evidence it lacks written, then signed off."""
    with Session.open(db) as s:
        for p in s.problems():
            if p.kind == "evidence":
                s.set_answer(p.scope, "evidence", "Rapport d'audit 2026")
        assert {p.kind for p in s.problems()} <= {"signoff"}
    run("signoff", "--db", db, "--name", "Camille Le Goff", "--role", "Responsable déléguée")


def tamper(bundle: Path, out: Path) -> Path:
    """The same bundle with one level raised in answers.json (the signature no longer covers it)."""
    with zipfile.ZipFile(bundle) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "answers.json":
                data = data.replace(b'"level":2', b'"level":4', 1)
            dst.writestr(info, data)
    return out


def made_bundles(folder: Path, demo: Path) -> Made:
    """Nine bundles: Bretagne (53) 2026-S1, then 2026-S2 made by editing a copy of the S1 campaign, and
    the 0.1.0 draft of 53 / 2026-S2 (questionnaire 2026.2, older: superseded); Auvergne-Rhône-Alpes (84)
    final, then a later draft (the final wins); Île-de-France (11) two drafts (the later wins), and a
    tampered copy of the first; Provence-Alpes-Côte d'Azur (93) made under questionnaire 2026.2."""
    from tests.test_bundle import EPOCH

    bundles: dict[str, Path] = {}
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CONVERGENCE_P12_PASSWORD", PASSWORD)
        p12 = folder / "pilote.p12"
        run("keygen", "--out", p12, "--name", "Camille Le Goff, GRADeS")
        run("keygen", "--out", folder / "autre.p12", "--name", "Quelqu'un d'autre")

        s1 = folder / "bretagne-s1.sqlite"
        shutil.copy(demo, s1)
        with Session.open(s1) as s:
            s.set_many("campaign", {"campaign_label": "2026-S1", "reference_date": "2026-06-30"})
        bundles["53-S1"] = export(folder, s1, p12, EPOCH, mp)
        s2 = folder / "bretagne-s2.sqlite"
        run("copy", "--db", s1, "--out", s2)
        with Session.open(s2) as s:
            s.set_many("campaign", {"campaign_label": "2026-S2", "reference_date": "2026-12-31"})
            for sid in s.data.live_ids("service")[:5]:  # a semester of work: five services at level 4 everywhere
                raise_service(s, sid, 4)
        bundles["53-S2"] = export(folder, s2, p12, EPOCH + 60, mp)
        bundles["53-S2-0.1.0"] = OLD_BUNDLE

        ara = folder / "ara.sqlite"
        shutil.copy(demo, ara)
        with Session.open(ara) as s:
            s.set_answer("campaign", "region", "84")
            for sid in ("svc-3", "svc-5", "svc-6"):
                raise_service(s, sid, 4)
            blocker = next(b for b in s.answers_document()["blockers"] if b["category"] == "national")
            s.set_answer(blocker["id"], "description", EVIL_TEXT)
        make_final(ara)
        bundles["84-final"] = export(folder, ara, p12, EPOCH, mp, draft=False)
        with Session.open(ara) as s:
            s.set_level("svc-1", s.candidates("svc-1")[0].id, 0)
        bundles["84-draft"] = export(folder, ara, p12, EPOCH + 120, mp)

        idf = folder / "idf.sqlite"
        shutil.copy(demo, idf)
        with Session.open(idf) as s:
            s.set_answer("campaign", "region", "11")
        bundles["11-first"] = export(folder, idf, p12, EPOCH, mp)
        with Session.open(idf) as s:
            raise_service(s, "svc-2", 1)
        bundles["11-second"] = export(folder, idf, p12, EPOCH + 60, mp)
        bundles["11-tampered"] = tamper(bundles["11-first"], folder / "11-modifie.zip")

        paca = folder / "paca.sqlite"
        run("demo", "--db", paca, "--referentiel", REF_2026_2)
        with Session.open(paca, REF_2026_2) as s:
            s.set_answer("campaign", "region", "93")
            for sid in ("svc-4", "svc-5"):
                raise_service(s, sid, 1)
        bundles["93-2026.2"] = export(folder, paca, p12, EPOCH, mp, referentiel=REF_2026_2)
    return Made(folder, p12, bundles)


class Tables(HTMLParser):
    """The page's tables as rows of cell texts; those inside a <figure> by its caption."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.tables: list[list[list[str]]] = []
        self.figures: dict[str, list[list[str]]] = {}
        self._caption: str | None = None
        self._in_caption = False
        self._cell: list[str] | None = None
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            self._cell = []
        elif tag == "figcaption":
            self._in_caption, self._caption = True, ""

    def handle_endtag(self, tag):
        if tag in ("td", "th"):
            self.tables[-1][-1].append("".join(self._cell).strip())
            self._cell = None
        elif tag == "figcaption":
            self._in_caption = False
        elif tag == "table" and self._caption is not None:
            self.figures[self._caption] = list(self.tables[-1][1:])
            self._caption = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)
        elif self._in_caption:
            self._caption += data

    def row(self, table: int, first: str) -> list[str]:
        (found,) = [r for r in self.tables[table] if r and r[0] == first]
        return found
