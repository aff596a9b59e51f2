"""Fuzzing: whatever the questionnaire file, answers document or zip, the answer is a result or a
clear error (a UserError, French), never an unhandled exception."""

from __future__ import annotations

import copy
import io
import json
import os
import subprocess
import sys
import zipfile

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from convergence_tui.campaign.answers import read_document
from convergence_tui.errors import UserError
from convergence_tui.referentiel import parse
from tests.conftest import MINI, ROOT

MINI_TEXT = MINI.read_text(encoding="utf-8")
FULL_TEXT = (ROOT / "referentiel.toml").read_text(encoding="utf-8")
FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))

junk_values = st.one_of(st.integers(-10**6, 10**6), st.floats(allow_nan=True), st.text(max_size=12),
                        st.booleans(), st.just("2021-13-45"), st.just("[1, 2"), st.just('"'), st.just("{}"))


@st.composite
def mutated_toml(draw) -> bytes:
    text = draw(st.sampled_from([MINI_TEXT, FULL_TEXT]))
    lines = text.splitlines()
    for _ in range(draw(st.integers(1, 6))):
        op = draw(st.sampled_from(["delete", "duplicate", "replace_value", "insert_key", "swap", "garbage"]))
        i = draw(st.integers(0, len(lines) - 1))
        if op == "delete":
            del lines[i: i + draw(st.integers(1, 15))]
        elif op == "duplicate":
            lines.insert(i, lines[i])
        elif op == "replace_value" and "=" in lines[i]:
            key = lines[i].split("=", 1)[0]
            value = draw(junk_values)
            lines[i] = f"{key}= {json.dumps(value) if not isinstance(value, float) else value}"
        elif op == "insert_key":
            lines.insert(i, f"{draw(st.from_regex(r'[a-z_]{1,10}', fullmatch=True))} = {draw(st.integers())}")
        elif op == "swap":
            j = draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
        else:
            lines.insert(i, draw(st.text(max_size=30)))
        if not lines:
            break
    data = "\n".join(lines).encode("utf-8", errors="surrogatepass")
    if draw(st.booleans()) and data:
        cut = draw(st.integers(0, len(data)))
        data = data[:cut]
    return data


@FUZZ
@given(mutated_toml())
def test_referential_loader_never_crashes(data):
    try:
        parse(data, "fuzz.toml")
    except UserError as exc:
        assert str(exc).strip()
        assert "Traceback" not in str(exc)


@pytest.fixture(scope="module")
def answers_doc(_demo_master):
    from convergence_tui.usecases.session import Session

    with Session.open(_demo_master) as s:
        return s.answers_document(), s.ref


def _paths(obj, prefix=()):
    yield prefix
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from _paths(v, (*prefix, k))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from _paths(v, (*prefix, i))


json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=10)),
    lambda children: st.one_of(st.lists(children, max_size=4), st.dictionaries(st.text(max_size=6), children,
                                                                                max_size=4)),
    max_leaves=12,
)


@FUZZ
@given(st.data())
def test_import_never_crashes(answers_doc, data):
    doc, ref = answers_doc
    doc = copy.deepcopy(doc)
    paths = list(_paths(doc))
    for _ in range(data.draw(st.integers(1, 5))):
        path = data.draw(st.sampled_from(paths))
        if not path:
            doc = data.draw(json_values)
            break
        parent = doc
        try:
            for key in path[:-1]:
                parent = parent[key]
            if data.draw(st.booleans()):
                parent[path[-1]] = data.draw(json_values)
            elif isinstance(parent, dict):
                parent.pop(path[-1], None)
            elif isinstance(parent, list) and path[-1] < len(parent):
                parent.pop(path[-1])
        except (KeyError, IndexError, TypeError):
            continue
    try:
        read_document(ref, doc, "fuzz.json")
    except UserError as exc:
        assert str(exc).strip()


@pytest.fixture(scope="module")
def bundle_bytes(tmp_path_factory, _demo_master):
    folder = tmp_path_factory.mktemp("fuzzbundle")
    env = {**os.environ, "CONVERGENCE_P12_PASSWORD": "motdepasse-fuzz"}
    run = [sys.executable, "-m", "convergence_tui"]
    assert subprocess.run([*run, "keygen", "--out", str(folder / "k.p12"), "--name", "Fuzz"], env=env,
                          capture_output=True).returncode == 0
    done = subprocess.run([*run, "export", "--db", str(_demo_master), "--p12", str(folder / "k.p12"), "--draft",
                           "--out", str(folder)], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    (bundle,) = folder.glob("*.zip")
    return bundle.read_bytes()


NAMES = st.one_of(st.sampled_from(["answers.json", "../x", "/abs", "a/b", "C:\\x", "manifest.json", "", "."]),
                  st.text(min_size=1, max_size=20))


@st.composite
def hostile_zip(draw, valid: bytes) -> bytes:
    kind = draw(st.sampled_from(["flip", "truncate", "rebuild", "random"]))
    if kind == "flip":
        data = bytearray(valid)
        for _ in range(draw(st.integers(1, 8))):
            data[draw(st.integers(0, len(data) - 1))] ^= draw(st.integers(1, 255))
        return bytes(data)
    if kind == "truncate":
        return valid[: draw(st.integers(0, len(valid)))]
    if kind == "random":
        return draw(st.binary(max_size=2000))
    with zipfile.ZipFile(io.BytesIO(valid)) as zf:
        entries = {n: zf.read(n) for n in zf.namelist()}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for name, content in entries.items():
            if draw(st.integers(0, 9)) == 0:
                continue  # drop an entry
            if draw(st.integers(0, 9)) == 0:
                content = draw(st.binary(max_size=200))
            zf.writestr(name, content)
        for _ in range(draw(st.integers(0, 3))):
            info = zipfile.ZipInfo(draw(NAMES) or "x")
            info.external_attr = draw(st.sampled_from([0, 0o100644 << 16, 0o120777 << 16, 0o040755 << 16]))
            zf.writestr(info, draw(st.binary(max_size=100)))
    return buffer.getvalue()


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.data())
def test_hostile_zips_never_crash(bundle_bytes, tmp_path_factory, data):
    from convergence_tui.bundle.verify import verify_bundle

    path = tmp_path_factory.mktemp("z") / "fuzz.zip"
    path.write_bytes(data.draw(hostile_zip(bundle_bytes)))
    try:
        verify_bundle(path)
    except UserError as exc:
        assert str(exc).strip()
    assert sorted(p.name for p in path.parent.iterdir()) == ["fuzz.zip"]  # nothing written beside it
