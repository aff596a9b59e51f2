"""Properties of the team merge (DESIGN.md §8, issue #16) over random edit scripts on copies of one
campaign, merged in random orders — real SQLite files, the real use cases.

- Nothing saved is lost: at each merge, every value the other copy holds that this one had never
  seen is, after the merge, this copy's value or the other value of an open conflict; and every value
  of ours the other copy had never seen is kept.
  (Undoing and resolving are part of the scripts.)
- A merge is idempotent: the same file again writes nothing.
- The team's round (the lead merges everyone with a fixed policy, then everyone merges the lead)
  converges: one answers digest, no conflict left.
"""

from __future__ import annotations

import itertools
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from convergence_tui.usecases.conflicts import resolve, resolve_all
from convergence_tui.usecases.copying import copy_campaign
from convergence_tui.usecases.merging import merge, our_cells
from convergence_tui.usecases.review import campaign_digest
from convergence_tui.usecases.session import Session
from tests.conftest import MINI

FILES = 3
FIELDS = (("", "name"), ("/A-1", "comment"), ("/B-1", "evidence"), ("/A-2", "comment"))

edit = st.tuples(st.just("edit"), st.integers(0, FILES - 1), st.integers(0, 2), st.integers(0, len(FIELDS) - 1))
delete = st.tuples(st.just("delete"), st.integers(0, FILES - 1), st.integers(0, 2), st.just(0))
add = st.tuples(st.just("add"), st.integers(0, FILES - 1), st.just(0), st.just(0))
merging = st.tuples(st.just("merge"), st.integers(0, FILES - 1), st.integers(1, FILES - 1), st.just(0))
undo = st.tuples(st.just("undo"), st.integers(0, FILES - 1), st.just(0), st.just(0))
resolving = st.tuples(st.just("resolve"), st.integers(0, FILES - 1), st.integers(0, 3), st.integers(0, 1))
script = st.lists(st.one_of(edit, edit, delete, add, merging, merging, merging, undo, resolving), max_size=16)


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> Path:
    db = tmp_path_factory.mktemp("base") / "base.sqlite"
    with Session.create(db, MINI, author="Yann", answers={"region": "53", "campaign_label": "2023-S1"}) as s:
        for name in ("S0", "S1", "S2"):
            s.add_item("service", {"name": name, "category": "COORD"})
    return db


class Team:
    """Copies of one campaign and what each has seen (the model the properties are stated against)."""

    def __init__(self, base: Path, folder: Path) -> None:
        self.paths = [folder / f"copie{i}.sqlite" for i in range(FILES)]
        shutil.copy(base, self.paths[0])
        for path in self.paths[1:]:
            copy_campaign(self.paths[0], path)
        self.seen: list[set[str]] = [set() for _ in range(FILES)]
        self.tags = itertools.count()

    def open(self, i: int) -> Session:
        return Session.open(self.paths[i], MINI, author=f"Membre {i}")

    def tag(self, i: int) -> str:
        tag = f"w{next(self.tags)}"
        self.seen[i].add(tag)
        return tag

    def run(self, step: tuple[str, int, int, int]) -> None:
        kind, i, a, b = step
        with self.open(i) as s:
            # In an order that does not depend on the random ids: the same script, the same edits.
            services = [it.id for it in sorted((it for it in s.data.items.values() if it.kind == "service"),
                                               key=lambda it: (it.position, str(s.data.value(it.id, "name"))))]
            if kind == "edit" and services:
                sid = services[a % len(services)]
                suffix, field = FIELDS[b]
                s.set_answer(sid + suffix, field, self.tag(i))
            elif kind == "delete" and services:
                sid = services[a % len(services)]
                if s.data.is_live(sid):
                    s.delete_item(sid)
            elif kind == "add":
                s.add_item("service", {"name": self.tag(i), "category": "INFRA"})
            elif kind == "merge":
                self.merge(s, i, (i + a) % FILES)
            elif kind == "undo":
                s.undo()
            elif kind == "resolve" and s.conflicts():
                conflicts = sorted(s.conflicts(), key=lambda c: (c.scope, c.field, str(c.other)))
                resolve(s, conflicts[a % len(conflicts)], ("mine", "theirs")[b])

    def merge(self, s: Session, i: int, j: int, prefer: str | None = None) -> None:
        with Session.open(self.paths[j], MINI, readonly=True) as other:
            theirs = our_cells(other)
        mine = our_cells(s)
        done = merge(s, self.paths[j], prefer=prefer)
        after = our_cells(s)
        offered = {(c.scope, c.field, c.other.value) for c in s.conflicts()
                   if c.other is not None and isinstance(c.other.value, str)}
        if prefer is None:
            for key, cell in theirs.items():
                if isinstance(cell.value, str) and cell.value.startswith("w") and cell.value not in self.seen[i]:
                    held = after.get(key)
                    assert (held is not None and held.value == cell.value) or (*key, cell.value) in offered, (
                        f"their {key} = {cell.value} lost by the merge")
            for key, cell in mine.items():
                if isinstance(cell.value, str) and cell.value.startswith("w") and cell.value not in self.seen[j]:
                    assert after[key].value == cell.value, f"our {key} = {cell.value} replaced by the merge"
        self.seen[i] |= self.seen[j]
        # Idempotent: the same file again writes nothing.
        seq, digest, conflicts = s.last_seq(), campaign_digest(s), s.conflicts()
        assert merge(s, self.paths[j], prefer=prefer).nothing_new, done
        assert (s.last_seq(), campaign_digest(s), s.conflicts()) == (seq, digest, conflicts)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=script, policy=st.sampled_from(["mine", "theirs"]))
# Found by larger runs: a service's creation undone on one copy while another edits it; the rest of
# that deletion must follow the decision on the service everywhere.
@example(steps=[("undo", 1, 0, 0), ("undo", 1, 0, 0), ("edit", 2, 1, 0), ("merge", 2, 2, 0)], policy="theirs")
@example(steps=[("edit", 1, 2, 0), ("undo", 2, 0, 0), ("merge", 1, 1, 0)], policy="mine")
def test_random_edits_merged_in_random_orders_lose_nothing_and_converge(base, tmp_path_factory, steps, policy):
    team = Team(base, tmp_path_factory.mktemp("team"))
    for step in steps:
        team.run(step)
    # The team's round: the lead (copy 0) merges everyone with the policy, then everyone merges the lead.
    with team.open(0) as lead:
        for j in range(1, FILES):
            team.merge(lead, 0, j, prefer=policy)
        resolve_all(lead, policy)
        assert lead.conflicts() == []
        digest = campaign_digest(lead)
    for i in range(1, FILES):
        with team.open(i) as s:
            done = merge(s, team.paths[0], prefer=policy)
            assert done.conflicts == 0 and done.resolved == 0, done  # nothing new to decide
            assert campaign_digest(s) == digest and s.conflicts() == []
