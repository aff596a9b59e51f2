"""Input built to break the tool (huge numbers, deep nesting, control characters, a closed pipe): one
French sentence and the right exit code, never a traceback, nothing written, nothing run by the
terminal."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from convergence_tui.bundle.format import zip_bytes
from convergence_tui.referentiel.values import check_value
from convergence_tui.usecases.session import Session
from tests.conftest import ROOT

PASSWORD = "motdepasse-pilote"
HUGE_NUMBER = "9" * 6000
DEEP_JSON = "[" * 100_000 + "]" * 100_000


def assert_sentence(code: int, err: str, expected_code: int = 2) -> None:
    assert code == expected_code, err
    assert "Traceback" not in err and err.strip(), err
    assert len(err.strip().splitlines()) <= 3, err


@pytest.fixture(scope="module")
def signed(tmp_path_factory, _demo_master):
    """A real draft bundle of the demo, its signer's key as PEM for openssl, and the key file."""
    folder = tmp_path_factory.mktemp("hostile")
    p12 = folder / "pilote.p12"
    env = {**os.environ, "CONVERGENCE_P12_PASSWORD": PASSWORD}
    run = [sys.executable, "-m", "convergence_tui"]
    subprocess.run([*run, "keygen", "--out", str(p12), "--name", "Camille Le Goff"], env=env, check=True,
                   capture_output=True)
    db = folder / "demo.sqlite"
    shutil.copy(_demo_master, db)
    subprocess.run([*run, "export", "--db", str(db), "--p12", str(p12), "--draft", "--out", str(folder / "out")],
                   env=env, check=True, capture_output=True)
    (bundle,) = (folder / "out").glob("*.zip")
    key = folder / "key.pem"
    subprocess.run(["openssl", "pkcs12", "-in", str(p12), "-nodes", "-passin", f"pass:{PASSWORD}", "-out", str(key)],
                   check=True, capture_output=True)
    return bundle, key


def entries_of(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def resigned(entries: dict[str, bytes], key: Path, folder: Path, name: str = "forge.zip") -> Path:
    """The entries with a manifest that lists them as they are, signed again by the genuine key with
    openssl (a signer forging its own bundle)."""
    manifest = json.loads(entries["manifest.json"])
    for f in manifest["files"]:
        data = entries[f["path"]]
        f["size"], f["sha256"] = len(data), hashlib.sha256(data).hexdigest()
    manifest["referentiel"]["sha256"] = hashlib.sha256(entries["referentiel.toml"]).hexdigest()
    raw = (json.dumps(manifest, ensure_ascii=False, indent=2) + "\n").encode()
    (folder / "m.json").write_bytes(raw)
    subprocess.run(["openssl", "cms", "-sign", "-binary", "-md", "sha256", "-in", str(folder / "m.json"),
                    "-signer", str(key), "-inkey", str(key), "-outform", "DER", "-out", str(folder / "m.p7s")],
                   check=True, capture_output=True)
    out = folder / name
    out.write_bytes(zip_bytes({**entries, "manifest.json": raw, "manifest.json.p7s": (folder / "m.p7s").read_bytes()}))
    return out


# --- JSON -----------------------------------------------------------------------


@pytest.mark.parametrize("text", [f'{{"format": "convergence-answers", "n": {HUGE_NUMBER}}}', DEEP_JSON],
                         ids=["6000-digit number", "100000 nested brackets"])
def test_import_of_hostile_json_is_a_sentence_and_writes_nothing(cli, tmp_path, text):
    source = tmp_path / "doc.json"
    source.write_text(text)
    code, _, err = cli("import", source, "--db", tmp_path / "c.sqlite")
    assert_sentence(code, err)
    assert "doc.json" in err
    assert list(tmp_path.iterdir()) == [source]


@pytest.mark.parametrize("text", [f'{{"format": {HUGE_NUMBER}}}', DEEP_JSON], ids=["huge number", "deep"])
def test_hostile_manifest_unsigned_fails_verify_and_import(cli, signed, tmp_path, text):
    bundle, _ = signed
    entries = entries_of(bundle)
    entries["manifest.json"] = text.encode()
    forged = tmp_path / "forge.zip"
    forged.write_bytes(zip_bytes(entries))
    code, _, err = cli("verify", forged)
    assert_sentence(code, err, 1)
    assert "manifest.json" in err
    code, _, err = cli("import", forged, "--db", tmp_path / "c.sqlite")
    assert_sentence(code, err, 1)
    assert not (tmp_path / "c.sqlite").exists()


# --- TOML -----------------------------------------------------------------------


def _with_scale_max(value: str) -> str:
    text = (ROOT / "referentiel.toml").read_text(encoding="utf-8")
    assert "\nmax = 4\n" in text
    return text.replace("\nmax = 4\n", f"\nmax = {value}\n", 1)


@pytest.mark.parametrize("text, says", [
    (_with_scale_max(str(2**63 - 1)), "scale.max"),
    (_with_scale_max("9" * 5000), "nombre démesuré"),
    ("x = " + "[" * 5000 + "]" * 5000 + "\n", "imbriqués"),
], ids=["max = 2^63-1", "5000-digit integer", "5000-deep array"])
def test_referentiel_check_of_hostile_toml(cli, tmp_path, text, says):
    path = tmp_path / "q.toml"
    path.write_text(text, encoding="utf-8")
    code, _, err = cli("referentiel", "check", path)
    assert code == 2 and "Traceback" not in err and says in err, err


def test_hostile_questionnaire_inside_a_resigned_bundle_fails_verify(cli, signed, tmp_path):
    bundle, key = signed
    entries = entries_of(bundle)
    entries["referentiel.toml"] = ("x = " + "[" * 5000 + "]" * 5000 + "\n").encode()
    code, _, err = cli("verify", resigned(entries, key, tmp_path))
    assert_sentence(code, err, 1)
    assert "referentiel.toml" in err


# --- values typed or imported -------------------------------------------------------


def test_values_out_of_any_bound_are_refused_not_crashed(ref):
    questions = {q.type: q for s in ref.sections for q in s.questions}
    for qtype, raw in (("integer", "9" * 5000), ("integer", 10**40), ("euros", "9" * 400), ("euros", 10**40),
                       ("percent", float("inf")), ("decimal", "1e999")):
        if qtype in questions:
            value, error = check_value(questions[qtype], raw)
            assert value is None and error, (qtype, raw)


def test_control_characters_refused_in_names_and_labels_kept_as_line_breaks_in_long_texts(ref):
    text_q = next(q for s in ref.sections for q in s.questions if q.type == "text")
    long_q = next(q for s in ref.sections for q in s.questions if q.type == "long_text")
    value, error = check_value(text_q, "Annuaire\x1b[31m rouge")
    assert value is None and "\\x1b" in error and "\x1b" not in error
    assert check_value(text_q, "a\nb")[1]  # a name is one line
    assert check_value(long_q, "ligne 1\nligne 2\tsuite") == ("ligne 1\nligne 2\tsuite", None)
    assert check_value(long_q, "a\rb")[1] and check_value(long_q, "a\u202eb")[1]


def test_import_refuses_control_characters_listing_each(cli, tmp_path, demo_db):
    with Session.open(demo_db) as s:
        doc = s.answers_document()
    doc["services"][0]["name"] = "Portail\x1b[8m caché"
    first = next(iter(doc["services"][1]["criteria"]))
    doc["services"][1]["criteria"][first]["comment"] = "ok\x1b]0;titre\x07"
    source = tmp_path / "doc.json"
    source.write_text(json.dumps(doc))
    code, _, err = cli("import", source, "--db", tmp_path / "c.sqlite")
    assert code == 2 and "\x1b" not in err and "\x07" not in err
    assert "services[0].name" in err and f"services[1].criteria.{first}.comment" in err
    assert not (tmp_path / "c.sqlite").exists()
    doc["services"][0]["name"] = "Portail"
    doc["services"][1]["criteria"][first]["comment"] = "ok"
    doc["services"][2]["id"] = "svc/2\x1b[1m"  # ids name scopes ("<service>/<criterion>") and lines
    source.write_text(json.dumps(doc))
    code, _, err = cli("import", source, "--db", tmp_path / "c.sqlite")
    assert code == 2 and "services[2].id" in err and "\x1b" not in err


def test_session_refuses_control_characters_in_a_criterion_comment(demo_db):
    with Session.open(demo_db) as s:
        sid = s.data.live_ids("service")[0]
        cid = s.candidates(sid)[0].id
        result = s.set_answer(f"{sid}/{cid}", "comment", "voir\x1b[2J")
        assert result.error and "contrôle" in result.error
        assert s.set_answer(f"{sid}/{cid}", "comment", "voir\nle rapport").error is None


# --- what the CLI prints ---------------------------------------------------------------


def test_cli_escapes_what_came_from_a_file(cli, demo_db):
    """A name stored before input was checked (an older file, a file edited by hand) prints escaped."""
    import sqlite3

    with sqlite3.connect(demo_db) as conn:
        conn.execute("update answers set value = ? where field = 'name' and scope = "
                     "(select id from items where kind = 'service' order by position limit 1)",
                     ["Faux\n\x1b[32mPaquet valide\x1b[0m\x1b[8m"])
    code, out, _ = cli("status", "--db", demo_db)
    assert code == 0 and "\x1b" not in out and "\\x1b[32mPaquet valide" in out
    code, out, _ = cli("status", "--json", "--db", demo_db)
    doc = json.loads(out)
    assert "\x1b" not in out and doc["services"][0]["name"].startswith("Faux\n\x1b[32m")


def test_closed_pipe_is_not_a_traceback(tmp_path):
    env = {**os.environ, "CONVERGENCE_P12_PASSWORD": PASSWORD}
    out = tmp_path / "k.p12"
    run = subprocess.run(f"{sys.executable} -m convergence_tui keygen --out {out} --name X | head -c 10",
                         shell=True, capture_output=True, text=True, env=env, executable="/bin/bash")
    assert "Traceback" not in run.stderr and "Broken" not in run.stderr, run.stderr
    assert out.exists() and out.with_suffix(".pem").exists()
    check = subprocess.run(f"set -o pipefail; {sys.executable} -m convergence_tui keygen --out {tmp_path / 'j.p12'} "
                           "--name X | head -c 1 >/dev/null", shell=True, capture_output=True, text=True, env=env,
                           executable="/bin/bash")
    assert check.returncode == 0 and not check.stderr, check.stderr


def test_questionnaire_labels_with_control_characters_are_refused(cli, tmp_path):
    text = (ROOT / "referentiel.toml").read_text(encoding="utf-8")
    label = next(line for line in text.splitlines() if line.startswith("label = ") and "URB" not in line)
    path = tmp_path / "q.toml"
    path.write_text(text.replace(label, label[:-1] + '\\u001b[8m"', 1), encoding="utf-8")
    code, _, err = cli("referentiel", "check", path)
    assert code == 2 and "caractère(s) de contrôle (\\x1b)" in err and "\x1b" not in err, err
    assert cli("referentiel", "check")[0] == 0  # multi-line help texts of the real one pass


def test_status_keeps_one_line_per_service_whatever_a_name_holds(cli, demo_db):
    import sqlite3

    with sqlite3.connect(demo_db) as conn:
        conn.execute("update answers set value = ? where field = 'name' and scope = "
                     "(select id from items where kind = 'service' order by position limit 1)",
                     ["Faux\nPaquet valide : tout est convergent\u2028fin"])
    code, out, _ = cli("status", "--db", demo_db)
    assert code == 0 and "\nPaquet valide" not in out and "\u2028" not in out
    assert "Faux\\x0aPaquet valide" in out


def test_a_signature_with_a_weak_digest_is_refused(cli, signed, tmp_path):
    """SHA-1 signatures can be forged: a bundle re-signed with `openssl cms -sign -md sha1` fails."""
    bundle, key = signed
    entries = entries_of(bundle)
    (tmp_path / "m.json").write_bytes(entries["manifest.json"])
    subprocess.run(["openssl", "cms", "-sign", "-binary", "-md", "sha1", "-in", str(tmp_path / "m.json"),
                    "-signer", str(key), "-inkey", str(key), "-outform", "DER", "-out", str(tmp_path / "m.p7s")],
                   check=True, capture_output=True)
    weak = tmp_path / "sha1.zip"
    weak.write_bytes(zip_bytes({**entries, "manifest.json.p7s": (tmp_path / "m.p7s").read_bytes()}))
    code, _, err = cli("verify", weak)
    assert code == 1 and "trop faible" in err and "sha1" in err, err


def test_questionnaire_numbers_out_of_range_are_said_in_french(cli, tmp_path):
    path = tmp_path / "q.toml"
    path.write_text(_with_scale_max("1e308"), encoding="utf-8")
    code, _, err = cli("referentiel", "check", path)
    assert code == 2 and "scale.max" in err and "Unable" not in err and "nombre" in err, err
