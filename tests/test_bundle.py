"""The signed bundle, end to end: export, verify (ours and openssl), import, determinism, hostile input."""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import shutil
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from convergence_tui.bundle.format import ALL_ENTRIES, CONTENT_ENTRIES, canonical_json, zip_bytes
from convergence_tui.usecases.session import Session
from tests.conftest import ROOT

PASSWORD = "motdepasse-pilote"
# A fixed export time for the module (reproducible bundles), inside the test certificate's validity.
EPOCH = (int(__import__("time").time()) // 3600 + 1) * 3600
CREATED = dt.datetime.fromtimestamp(EPOCH, dt.UTC)
OPENSSL = shutil.which("openssl")


@pytest.fixture(scope="module")
def identity(tmp_path_factory):
    folder = tmp_path_factory.mktemp("id")
    p12 = folder / "pilote.p12"
    env = {**os.environ, "CONVERGENCE_P12_PASSWORD": PASSWORD}
    run = subprocess.run([sys.executable, "-m", "convergence_tui", "keygen", "--out", str(p12), "--name",
                          "Camille Le Goff"], capture_output=True, text=True, env=env)
    assert run.returncode == 0, run.stderr
    return p12


@pytest.fixture(scope="module")
def draft_bundle(tmp_path_factory, identity, _demo_master):
    folder = tmp_path_factory.mktemp("bundle")
    db = folder / "demo.sqlite"
    shutil.copy(_demo_master, db)
    out = folder / "exports"
    env = {**os.environ, "CONVERGENCE_P12_PASSWORD": PASSWORD, "SOURCE_DATE_EPOCH": str(EPOCH)}
    run = subprocess.run([sys.executable, "-m", "convergence_tui", "export", "--db", str(db), "--p12", str(identity),
                          "--draft", "--out", str(out)], capture_output=True, text=True, env=env)
    assert run.returncode == 0, run.stderr
    (bundle,) = out.glob("*.zip")
    return bundle, db


def entries_of(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def rezip(entries: dict[str, bytes], path: Path) -> Path:
    path.write_bytes(zip_bytes(entries))
    return path


def test_keygen_file_is_private_and_certificate_written(identity):
    assert stat.S_IMODE(identity.stat().st_mode) == 0o600
    pem = identity.with_suffix(".pem").read_text()
    assert pem.startswith("-----BEGIN CERTIFICATE-----")


def test_keygen_identity_properties(identity):
    from cryptography import x509
    from cryptography.hazmat.primitives.asymmetric import ec

    cert = x509.load_pem_x509_certificate(identity.with_suffix(".pem").read_bytes())
    assert isinstance(cert.public_key(), ec.EllipticCurvePublicKey)
    assert cert.public_key().curve.name == "secp256r1"
    assert cert.extensions.get_extension_for_class(x509.KeyUsage).value.digital_signature
    days = (cert.not_valid_after_utc - cert.not_valid_before_utc).days
    assert 729 <= days <= 731


def test_keygen_refuses_to_overwrite(cli, identity, monkeypatch):
    monkeypatch.setenv("CONVERGENCE_P12_PASSWORD", PASSWORD)
    code, _, err = cli("keygen", "--out", identity, "--name", "X")
    assert code == 2 and "existe déjà" in err


def test_bundle_layout_and_manifest(draft_bundle):
    bundle, _ = draft_bundle
    assert bundle.name == f"53-2026-S2-{CREATED:%Y%m%dT%H%M%SZ}-brouillon.zip"  # a draft says so in its name
    entries = entries_of(bundle)
    assert sorted(entries) == sorted(ALL_ENTRIES)
    with zipfile.ZipFile(bundle) as zf:
        assert [i.filename for i in zf.infolist()] == sorted(ALL_ENTRIES)
        assert {i.date_time for i in zf.infolist()} == {(1980, 1, 1, 0, 0, 0)}
    manifest = json.loads(entries["manifest.json"])
    assert manifest["draft"] is True and manifest["validation"] is None
    assert manifest["created_at"] == f"{CREATED:%Y-%m-%dT%H:%M:%SZ}"
    assert [f["path"] for f in manifest["files"]] == sorted(CONTENT_ENTRIES)
    assert manifest["referentiel"]["sha256"] == __import__("hashlib").sha256(entries["referentiel.toml"]).hexdigest()
    assert entries["referentiel.toml"] == (ROOT / "referentiel.toml").read_bytes()
    services = entries["services.csv"].decode("utf-8")
    assert services.startswith("\ufeffid;service;") and "\r\n" in services
    assert entries["plan.csv"].startswith("\ufeffid;services;critères;écarts;action".encode())


def test_round_trip_export_verify_import(cli, draft_bundle, tmp_path):
    bundle, db = draft_bundle
    code, out, err = cli("verify", bundle)
    assert code == 0, err
    assert "Paquet valide : région 53" in out and "BROUILLON" in out and "Scores recalculés" in out
    new_db = tmp_path / "imported.sqlite"
    code, out, err = cli("import", bundle, "--db", new_db)
    assert code == 0, err
    _, original, _ = cli("status", "--db", db, "--json")
    _, imported, _ = cli("status", "--db", new_db, "--json")
    assert json.loads(imported) == json.loads(original)
    with Session.open(db) as a, Session.open(new_db) as b:
        assert a.answers_document() == b.answers_document()


def test_verify_with_trust(cli, draft_bundle, identity, tmp_path):
    bundle, _ = draft_bundle
    code, out, _ = cli("verify", bundle, "--trust", identity.with_suffix(".pem"))
    assert code == 0 and "signataire reconnu" in out
    other = tmp_path / "autre.p12"
    os.environ["CONVERGENCE_P12_PASSWORD"] = PASSWORD
    try:
        assert cli("keygen", "--out", other, "--name", "Quelqu'un d'autre")[0] == 0
    finally:
        del os.environ["CONVERGENCE_P12_PASSWORD"]
    code, _, err = cli("verify", bundle, "--trust", other.with_suffix(".pem"))
    assert code == 1 and "signataire non reconnu" in err


@pytest.mark.skipif(OPENSSL is None, reason="openssl absent")
def test_openssl_verifies_and_catches_a_changed_manifest(draft_bundle, identity, tmp_path):
    bundle, _ = draft_bundle
    entries = entries_of(bundle)
    (tmp_path / "manifest.json").write_bytes(entries["manifest.json"])
    (tmp_path / "manifest.json.p7s").write_bytes(entries["manifest.json.p7s"])
    argv = [OPENSSL, "cms", "-verify", "-binary", "-inform", "DER", "-in", str(tmp_path / "manifest.json.p7s"),
            "-content", str(tmp_path / "manifest.json"), "-CAfile", str(identity.with_suffix(".pem")),
            "-out", os.devnull]
    ok = subprocess.run(argv, capture_output=True, text=True)
    assert ok.returncode == 0 and "Verification successful" in ok.stderr
    changed = bytearray(entries["manifest.json"])
    changed[changed.index(b"2026-S2")] = ord("3")
    (tmp_path / "manifest.json").write_bytes(bytes(changed))
    bad = subprocess.run(argv, capture_output=True, text=True)
    assert bad.returncode != 0


@pytest.mark.parametrize("entry", sorted(ALL_ENTRIES))
def test_one_byte_changed_is_caught_with_the_entry_named(cli, draft_bundle, tmp_path, entry):
    bundle, _ = draft_bundle
    entries = entries_of(bundle)
    data = bytearray(entries[entry])
    data[len(data) // 2] ^= 0x01
    entries[entry] = bytes(data)
    changed = rezip(entries, tmp_path / "modifie.zip")
    code, _, err = cli("verify", changed)
    assert code == 1, err
    if entry == "manifest.json":
        assert "signature" in err or "manifest.json" in err
    elif entry == "manifest.json.p7s":
        assert "signature" in err
    else:
        assert f"entrée modifiée : {entry}" in err


def test_deterministic_entries(draft_bundle, identity, tmp_path):
    bundle, db = draft_bundle
    env = {**os.environ, "CONVERGENCE_P12_PASSWORD": PASSWORD, "SOURCE_DATE_EPOCH": str(EPOCH)}
    run = subprocess.run([sys.executable, "-m", "convergence_tui", "export", "--db", str(db), "--p12", str(identity),
                          "--draft", "--out", str(tmp_path)], capture_output=True, text=True, env=env)
    assert run.returncode == 0, run.stderr
    (second,) = tmp_path.glob("*.zip")
    a, b = entries_of(bundle), entries_of(second)
    assert a["manifest.json.p7s"] != b["manifest.json.p7s"]  # ECDSA is randomised: the signature alone differs
    for name in ALL_ENTRIES:
        if name != "manifest.json.p7s":
            assert a[name] == b[name], name


def test_final_export_refused_with_the_list_then_done_when_complete(cli, identity, tmp_path, monkeypatch, demo_db):
    monkeypatch.setenv("CONVERGENCE_P12_PASSWORD", PASSWORD)
    code, _, err = cli("export", "--db", demo_db, "--p12", identity, "--out", tmp_path / "out")
    assert code == 2 and "Export définitif refusé" in err and "sans preuve" in err
    assert "validation du responsable absente" in err  # counted in the summary; --details lists it
    assert not (tmp_path / "out").exists()


def test_final_export_of_a_complete_signed_campaign(cli, identity, tmp_path, monkeypatch, complete_db):
    from convergence_tui.usecases import review
    from tests.conftest import MINI

    db = complete_db
    with Session.open(db, MINI) as s:
        review.sign_off(s, "Camille", "Responsable déléguée")
    monkeypatch.setenv("CONVERGENCE_P12_PASSWORD", PASSWORD)
    code, out, err = cli("export", "--referentiel", MINI, "--db", db, "--p12", identity, "--out", tmp_path / "out")
    assert code == 0, err
    assert "soumission définitive" in out
    (bundle,) = (tmp_path / "out").glob("*.zip")
    manifest = json.loads(entries_of(bundle)["manifest.json"])
    assert manifest["draft"] is False and manifest["validation"]["name"] == "Camille"
    # A pilot's own questionnaire: the bundle says so, and verifies only against that file.
    assert manifest["referentiel"]["official"] is False
    code, _, err = cli("verify", bundle)
    assert code == 1 and "questionnaire inconnu : « mini 1 »" in err and "--referentiel" in err
    code, out, err = cli("verify", bundle, "--referentiel", MINI)
    assert code == 0, err
    assert "soumission définitive (aucun point bloquant, recalculé) ; validée par Camille" in out
    assert f"NON officiel — identique à {MINI}" in out
    code, _, err = cli("verify", bundle, "--referentiel", ROOT / "referentiel.toml")
    assert code == 1 and "n'est pas identique au questionnaire donné" in err


def test_wrong_password_writes_nothing(cli, identity, tmp_path, monkeypatch, demo_db):
    monkeypatch.setenv("CONVERGENCE_P12_PASSWORD", "pas-le-bon")
    code, _, err = cli("export", "--db", demo_db, "--p12", identity, "--draft", "--out", tmp_path / "out")
    assert code == 2 and "mot de passe incorrect" in err
    assert not (tmp_path / "out").exists()


def test_expired_certificate(tmp_path, demo_db, cli, monkeypatch):
    from convergence_tui.bundle.signing import keygen

    old = tmp_path / "ancien.p12"
    keygen(old, "Ancien", PASSWORD, days=30, not_before=dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
    monkeypatch.setenv("CONVERGENCE_P12_PASSWORD", PASSWORD)
    code, _, err = cli("export", "--db", demo_db, "--p12", old, "--draft", "--out", tmp_path / "out")
    assert code == 2 and "hors de sa période de validité" in err
    assert not (tmp_path / "out").exists()


def test_bundle_signed_with_an_expired_certificate_fails_verify(tmp_path, draft_bundle):
    """Forged with the library: a signature dated after the certificate's end."""
    from convergence_tui.bundle.format import MANIFEST, SIGNATURE
    from convergence_tui.bundle.signing import keygen, load_identity, sign_detached
    from convergence_tui.bundle.verify import verify_bundle
    from convergence_tui.errors import VerificationError

    p12 = tmp_path / "court.p12"
    start = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
    keygen(p12, "Court", PASSWORD, days=30, not_before=start)
    ident = load_identity(p12, PASSWORD, at=start + dt.timedelta(days=1))
    bundle, _ = draft_bundle
    entries = entries_of(bundle)
    manifest = json.loads(entries[MANIFEST])
    manifest["signer"] = {"subject": ident.subject, "certificate_sha256": ident.fingerprint}
    manifest_bytes = canonical_json(manifest, pretty=True)
    entries[MANIFEST] = manifest_bytes
    entries[SIGNATURE] = sign_detached(ident, manifest_bytes, CREATED)
    forged = rezip(entries, tmp_path / "perime.zip")
    with pytest.raises(VerificationError, match="hors de sa période de validité"):
        verify_bundle(forged)


def hostile(tmp_path, draft_bundle, kind: str) -> Path:
    bundle, _ = draft_bundle
    entries = entries_of(bundle)
    path = tmp_path / f"{kind}.zip"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in sorted(entries.items()):
            zf.writestr(name, data)
        if kind == "traversal":
            zf.writestr("../../evil.txt", b"x")
        elif kind == "absolute":
            zf.writestr("/etc/evil", b"x")
        elif kind == "symlink":
            info = zipfile.ZipInfo("lien")
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            zf.writestr(info, "/etc/passwd")
        elif kind == "extra":
            zf.writestr("notes.txt", b"en plus")
        elif kind == "bomb":
            zf.writestr("bombe.bin", b"\0" * (10 * 1024 * 1024))  # about 1,000:1
        elif kind == "oversized":
            zf.writestr("gros.bin", os.urandom(1024) * (70 * 1024))  # 70 MB, above the per-entry limit
        elif kind == "many":
            for i in range(400):
                zf.writestr(f"f{i}.txt", b"x")
    if kind == "missing":
        del entries["plan.csv"]
        path.write_bytes(zip_bytes(entries))
        return path
    if kind == "not_zip":
        path.write_bytes(b"ceci n'est pas un zip" * 10)
        return path
    path.write_bytes(buffer.getvalue())
    return path


@pytest.mark.parametrize(("kind", "message"), [
    ("traversal", "remontant"),
    ("absolute", "chemin absolu"),
    ("symlink", "lien symbolique"),
    ("extra", "entrée inattendue : notes.txt"),
    ("bomb", "bombe zip"),
    ("oversized", "taille démesurée"),
    ("many", "entrées"),
    ("missing", "entrée manquante : plan.csv"),
    ("not_zip", "pas un paquet zip"),
])
def test_hostile_bundles_refused_nothing_written(cli, tmp_path, draft_bundle, kind, message):
    path = hostile(tmp_path, draft_bundle, kind)
    code, _, err = cli("verify", path)
    assert code == 1 and message in err, err
    db = tmp_path / "cible.sqlite"
    code, _, err = cli("import", path, "--db", db)
    assert code == 1 and message in err
    assert not db.exists()
    assert not (tmp_path / "evil.txt").exists() and not (tmp_path.parent / "evil.txt").exists()


def resigned(entries: dict[str, bytes], identity: Path) -> dict[str, bytes]:
    """The entries with a manifest that matches them, signed again by the test identity."""
    from convergence_tui.bundle.format import MANIFEST, SIGNATURE, file_list
    from convergence_tui.bundle.signing import load_identity, sign_detached

    manifest = json.loads(entries[MANIFEST])
    manifest["files"] = file_list({k: v for k, v in entries.items() if k in CONTENT_ENTRIES})
    entries[MANIFEST] = canonical_json(manifest, pretty=True)
    entries[SIGNATURE] = sign_detached(load_identity(identity, PASSWORD), entries[MANIFEST], CREATED)
    return entries


def test_scores_that_do_not_recompute(cli, tmp_path, draft_bundle, identity):
    """A correctly signed bundle whose scores.json lies is still refused."""

    bundle, _ = draft_bundle
    entries = entries_of(bundle)
    scores = json.loads(entries["scores.json"])
    scores["services"][0]["level"] = 3 - scores["services"][0]["level"]
    entries["scores.json"] = canonical_json(scores)
    code, _, err = cli("verify", rezip(resigned(entries, identity), tmp_path / "menteur.zip"))
    assert code == 1 and "les scores ne se recalculent pas : service svc-1, level" in err


def test_schema_error_is_named(cli, tmp_path, draft_bundle, identity):

    bundle, _ = draft_bundle
    entries = entries_of(bundle)
    answers = json.loads(entries["answers.json"])
    answers["services"][0]["criteria"]["URB-01"]["level"] = "quatre"
    entries["answers.json"] = canonical_json(answers)
    code, _, err = cli("verify", rezip(resigned(entries, identity), tmp_path / "schema.zip"))
    assert code == 1 and "answers.json : schéma invalide" in err


def test_password_not_in_bundle_or_database(draft_bundle):
    bundle, db = draft_bundle
    assert PASSWORD.encode() not in bundle.read_bytes()
    for name, data in entries_of(bundle).items():
        assert PASSWORD.encode() not in data, name
    assert PASSWORD.encode() not in db.read_bytes()


@pytest.mark.skipif(shutil.which("chromium") is None, reason="chromium absent (installed by .ci/run)")
def test_report_renders_in_headless_chromium(draft_bundle, tmp_path):
    bundle, _ = draft_bundle
    out = tmp_path / "rapport.png"
    run = subprocess.run([sys.executable, str(ROOT / "scripts" / "report_screenshot.py"), str(bundle), str(out)],
                         capture_output=True, text=True, timeout=180)
    assert run.returncode == 0, run.stderr
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and out.stat().st_size > 50_000
    html = entries_of(bundle)["rapport.html"].decode("utf-8")
    assert "<svg" in html and "BROUILLON" in html and "Calendrier du plan" in html
    assert "http://" not in html.replace("http://www.w3.org/2000/svg", "") and "https://" not in html


async def test_tui_export_screen(demo_db, identity, tmp_path, monkeypatch):
    from convergence_tui.screens.export import ExportScreen
    from tests.tui_helpers import running

    monkeypatch.chdir(tmp_path)
    async with running(demo_db) as (app, pilot):
        app.screen.query_one("#sidebar").focus()
        await pilot.press("e")
        await pilot.pause(0.2)
        screen = app.screen
        assert isinstance(screen, ExportScreen)
        assert "Export définitif impossible" in str(screen.query_one("#export-blocking").render())
        assert screen.query_one("#export-draft").value is True  # proposed as a draft, since things are missing
        screen.query_one("#export-p12").value = str(identity)
        screen.query_one("#export-password").value = "faux"
        await pilot.press("ctrl+s")
        await pilot.pause(0.3)
        assert "mot de passe incorrect" in str(screen.query_one("#export-log").render())
        assert not (tmp_path / "exports").exists()
        screen.query_one("#export-password").value = PASSWORD
        await pilot.press("ctrl+s")
        for _ in range(200):
            await pilot.pause(0.05)
            if not screen.running:
                break
        outcome = str(screen.query_one("#export-outcome").render())
        assert "Paquet écrit et vérifié" in outcome and "Nature : BROUILLON" in outcome, outcome
        (bundle,) = (tmp_path / "exports").glob("*.zip")
        assert str(bundle.resolve()) in outcome and "Empreinte SHA-256" in outcome
        assert screen.query_one("#export-password").value == ""  # not kept once used
        assert app.remembered.p12 == str(identity.resolve())  # the state file, not the settings


def test_nameless_entry_is_refused(tmp_path):
    """Python's zip module fails on an entry named "" (found by the fuzzer): refused first."""
    from convergence_tui.bundle.verify import verify_bundle
    from convergence_tui.errors import VerificationError

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr(zipfile.ZipInfo(""), b"")
    (path := tmp_path / "b.zip").write_bytes(buf.getvalue())
    with pytest.raises(VerificationError, match="entrée sans nom"):
        verify_bundle(path)
