"""Signing identities as production has them (DESIGN.md §6, issue 12 points 5 and 9): a three-level
chain built by the openssl command line (root → intermediate → end entity), PKCS#12 files written by
openssl in the legacy (RC2/3DES) and the AES form, certificates that may not sign, trust anchors set in
the settings file, who signed an imported bundle, and keygen never losing a key."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

from convergence_tui.bundle.format import MANIFEST, SIGNATURE, canonical_json
from convergence_tui.cli import main as cli_main
from tests.test_bundle import entries_of, rezip

PASSWORD = "motdepasse-pilote"
OPENSSL = shutil.which("openssl")
pytestmark = pytest.mark.skipif(OPENSSL is None, reason="openssl absent")  # .ci/run installs it

EXTENSIONS = """\
[ca]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[signer]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,nonRepudiation
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[nonrepudiation]
basicConstraints = critical,CA:FALSE
keyUsage = critical,nonRepudiation
[encipherment]
basicConstraints = critical,CA:FALSE
keyUsage = critical,keyEncipherment
[tls]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
[impersonation]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
"""


def openssl(folder: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    run = subprocess.run([OPENSSL, *args], cwd=folder, capture_output=True, text=True)
    assert not check or run.returncode == 0, run.stderr
    return run


def issue(folder: Path, name: str, subject: str, extension: str, *, key: str = "ec", ca: str = "int") -> None:
    """A certificate `name`.pem (and its key) issued by `ca`, with the extension section given."""
    keyopt = ["-newkey", "rsa:2048"] if key == "rsa" else ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"]
    openssl(folder, "req", *keyopt, "-nodes", "-keyout", f"{name}.key", "-out", f"{name}.csr", "-utf8", "-subj", subject)
    openssl(folder, "x509", "-req", "-in", f"{name}.csr", "-CA", f"{ca}.pem", "-CAkey", f"{ca}.key",
            "-CAcreateserial", "-out", f"{name}.pem", "-days", "400", "-extfile", "ext.cnf", "-extensions", extension)


def pkcs12(folder: Path, name: str, out: str, *extra: str) -> Path:
    openssl(folder, "pkcs12", "-export", "-inkey", f"{name}.key", "-in", f"{name}.pem", "-out", out,
            "-passout", f"pass:{PASSWORD}", *extra)
    return folder / out


def self_signed(folder: Path, name: str, subject: str, usage: str) -> None:
    openssl(folder, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout",
            f"{name}.key", "-out", f"{name}.pem", "-days", "3650", "-utf8", "-subj", subject,
            "-addext", "basicConstraints=critical,CA:TRUE", "-addext", f"keyUsage=critical,{usage}")


@pytest.fixture(scope="module")
def pki(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("pki")
    (folder / "ext.cnf").write_text(EXTENSIONS)
    self_signed(folder, "root", "/CN=ANS Racine Test/O=ANS/C=FR", "keyCertSign,cRLSign")
    issue(folder, "int", "/CN=IGC Intermédiaire Test/O=ANS/C=FR", "ca", ca="root")
    # The end entity as IGC-Santé issues it: RSA, digitalSignature + nonRepudiation.
    issue(folder, "camille", "/CN=Camille Le Goff/O=GIP e-Santé/C=FR", "signer", key="rsa")
    pkcs12(folder, "camille", "camille-legacy.p12", "-legacy")
    pkcs12(folder, "camille", "camille-aes.p12")
    pkcs12(folder, "camille", "camille-avec-chaine.p12", "-certfile", "int.pem")
    issue(folder, "nr", "/CN=Signataire Non-Répudiation/O=GIP e-Santé/C=FR", "nonrepudiation")
    pkcs12(folder, "nr", "nr.p12")
    issue(folder, "chiffrement", "/CN=Camille Le Goff (chiffrement)/O=GIP e-Santé/C=FR", "encipherment")
    pkcs12(folder, "chiffrement", "chiffrement.p12", "-certfile", "int.pem")
    self_signed(folder, "autre-racine", "/CN=Autre Racine/O=Ailleurs/C=FR", "keyCertSign,cRLSign")
    return folder


@pytest.fixture(scope="module")
def chained_bundle(tmp_path_factory, pki, _demo_master) -> Path:
    """A draft exported with the legacy P12 and --chain (written once for the module)."""
    folder = tmp_path_factory.mktemp("chained")
    db = folder / "demo.sqlite"
    shutil.copy(_demo_master, db)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CONVERGENCE_P12_PASSWORD", PASSWORD)
        mp.setenv("CONVERGENCE_CONFIG", str(folder / "absent.toml"))
        assert cli_main(["export", "--db", str(db), "--p12", str(pki / "camille-legacy.p12"), "--chain",
                         str(pki / "int.pem"), "--draft", "--out", str(folder / "out")]) == 0
    (bundle,) = (folder / "out").glob("*.zip")
    return bundle


@pytest.fixture
def password(monkeypatch):
    monkeypatch.setenv("CONVERGENCE_P12_PASSWORD", PASSWORD)


def export(cli, db: Path, p12: Path, out: Path, *extra) -> tuple[int, str, str, Path | None]:
    code, stdout, stderr = cli("export", "--db", db, "--p12", p12, "--draft", "--out", out, *extra)
    bundles = list(out.glob("*.zip")) if out.exists() else []
    return code, stdout, stderr, bundles[0] if bundles else None


def openssl_verify(bundle: Path, ca: Path, folder: Path) -> subprocess.CompletedProcess:
    """What the ANS can run without our tool."""
    entries = entries_of(bundle)
    (folder / "manifest.json").write_bytes(entries[MANIFEST])
    (folder / "manifest.json.p7s").write_bytes(entries[SIGNATURE])
    return openssl(folder, "cms", "-verify", "-binary", "-inform", "DER", "-in", "manifest.json.p7s", "-content",
                   "manifest.json", "-CAfile", str(ca), "-out", os.devnull, check=False)


def embedded_subjects(bundle: Path) -> list[str]:
    from asn1crypto import cms

    signed = cms.ContentInfo.load(entries_of(bundle)[SIGNATURE])["content"]
    return sorted(c.chosen.subject.native["common_name"] for c in signed["certificates"])


def fingerprint(pem: Path) -> str:
    out = openssl(pem.parent, "x509", "-in", pem.name, "-noout", "-fingerprint", "-sha256").stdout
    return out.split("=", 1)[1].strip().replace(":", "").lower()


CHAIN_LINE = "Authentifié par root.pem (--trust) : ANS Racine Test → IGC Intermédiaire Test → Camille Le Goff."


@pytest.mark.parametrize("form, algorithms", [
    ("legacy", ("pbeWithSHA1And40BitRC2-CBC", "pbeWithSHA1And3-KeyTripleDES-CBC")),
    ("aes", ("AES-256-CBC",)),
])
def test_three_level_chain_with_export_chain(cli, pki, demo_db, tmp_path, password, form, algorithms):
    p12 = pki / f"camille-{form}.p12"
    info = openssl(pki, "pkcs12", "-in", p12.name, "-info", "-noout", "-passin", f"pass:{PASSWORD}",
                   *(["-legacy"] if form == "legacy" else []))
    assert all(a in info.stdout + info.stderr for a in algorithms)  # the P12 really is in that form
    code, _, err, bundle = export(cli, demo_db, p12, tmp_path / "out", "--chain", pki / "int.pem")
    assert code == 0, err
    assert "Chaîne jointe à la signature : IGC Intermédiaire Test — ANS (FR)" in err
    assert embedded_subjects(bundle) == ["Camille Le Goff", "IGC Intermédiaire Test"]
    code, out, err = cli("verify", bundle, "--trust", pki / "root.pem")
    assert code == 0, err
    assert CHAIN_LINE in out
    ok = openssl_verify(bundle, pki / "root.pem", tmp_path)
    assert ok.returncode == 0 and "Verification successful" in ok.stderr, ok.stderr
    # Another authority's root does not authenticate this signer, and the verdict says where the chain leads.
    code, _, err = cli("verify", bundle, "--trust", pki / "autre-racine.pem")
    assert code == 1
    assert "signataire non reconnu" in err and "remonte à l'autorité « ANS Racine Test »" in err
    assert "autre-racine.pem (--trust)" in err
    assert openssl_verify(bundle, pki / "autre-racine.pem", tmp_path).returncode != 0


@pytest.mark.parametrize("form", ["legacy", "aes"])
def test_without_its_chain_the_verdict_says_the_chain_is_incomplete(cli, pki, demo_db, tmp_path, password, form):
    code, _, err, bundle = export(cli, demo_db, pki / f"camille-{form}.p12", tmp_path / "out")
    assert code == 0, err
    # Export warns before sending: the ANS holding only the root could not authenticate this signer.
    assert "« IGC Intermédiaire Test ») n'est pas joint" in err and "--chain" in err
    assert embedded_subjects(bundle) == ["Camille Le Goff"]
    code, _, err = cli("verify", bundle, "--trust", pki / "root.pem")
    assert code == 1
    assert "chaîne de certification incomplète" in err and "« IGC Intermédiaire Test »" in err
    assert "convergence export --chain" in err and "root.pem (--trust)" in err
    assert "non reconnu" not in err
    bad = openssl_verify(bundle, pki / "root.pem", tmp_path)
    assert bad.returncode != 0 and "unable to get local issuer certificate" in bad.stderr
    # With the intermediate as well, the ANS can build the path (it then trusts the intermediate itself).
    both = tmp_path / "racine-et-intermediaire.pem"
    both.write_bytes((pki / "root.pem").read_bytes() + (pki / "int.pem").read_bytes())
    code, out, err = cli("verify", bundle, "--trust", both)
    assert code == 0, err
    assert "Authentifié par racine-et-intermediaire.pem (--trust)" in out


def test_intermediates_the_p12_carries_are_embedded(cli, pki, demo_db, tmp_path, password):
    code, _, err, bundle = export(cli, demo_db, pki / "camille-avec-chaine.p12", tmp_path / "out")
    assert code == 0, err
    assert "n'est pas joint" not in err
    assert embedded_subjects(bundle) == ["Camille Le Goff", "IGC Intermédiaire Test"]
    code, out, err = cli("verify", bundle, "--trust", pki / "root.pem")
    assert code == 0 and CHAIN_LINE in out, err
    assert openssl_verify(bundle, pki / "root.pem", tmp_path).returncode == 0


def test_a_path_through_a_certificate_that_is_no_authority_is_refused_with_the_reason(cli, pki, demo_db, tmp_path,
                                                                                       password):
    """An end-entity certificate used as an intermediate: the path exists, and is refused as such."""
    (tmp_path / "ext.cnf").write_text(EXTENSIONS)
    for name in ("root",):
        shutil.copy(pki / f"{name}.pem", tmp_path)
        shutil.copy(pki / f"{name}.key", tmp_path)
    issue(tmp_path, "faux-int", "/CN=Fausse Autorité/O=X", "signer", ca="root")
    issue(tmp_path, "dessous", "/CN=Signataire Dessous/O=X", "signer", ca="faux-int")
    p12 = pkcs12(tmp_path, "dessous", "dessous.p12", "-certfile", "faux-int.pem")
    code, _, err, bundle = export(cli, demo_db, p12, tmp_path / "out")
    assert code == 0, err
    code, _, err = cli("verify", bundle, "--trust", pki / "root.pem")
    assert code == 1
    assert "la chaîne de Signataire Dessous — X mène bien à « ANS Racine Test » (root.pem (--trust)) mais elle est " \
           "refusée (« Fausse Autorité » n'est pas une autorité de certification" in err, err
    assert openssl_verify(bundle, pki / "root.pem", tmp_path).returncode != 0


def test_a_chain_that_lacks_the_issuer_is_refused_before_signing(cli, pki, demo_db, tmp_path, password):
    code, _, err, bundle = export(cli, demo_db, pki / "camille-aes.p12", tmp_path / "out", "--chain",
                                  pki / "autre-racine.pem")
    assert code == 2 and bundle is None
    assert "autre-racine.pem (--chain) ne contient pas le certificat de l'autorité qui a émis le vôtre" in err
    assert "« IGC Intermédiaire Test »" in err
    code, _, err, _ = export(cli, demo_db, pki / "camille-aes.p12", tmp_path / "out", "--chain", tmp_path / "absent.pem")
    assert code == 2 and "absent.pem" in err and "--chain" in err
    assert not (tmp_path / "out").exists()


def test_a_certificate_that_may_not_sign_is_refused_at_export(cli, pki, demo_db, tmp_path, password):
    code, _, err, bundle = export(cli, demo_db, pki / "chiffrement.p12", tmp_path / "out")
    assert code == 2 and bundle is None and not (tmp_path / "out").exists()
    assert "ce certificat ne peut pas signer le paquet" in err and "chiffrement de clé" in err
    assert "digitalSignature" in err and "nonRepudiation" in err and "IGC-Santé" in err


def test_a_non_repudiation_certificate_signs_and_verifies(cli, pki, demo_db, tmp_path, password):
    """IGC-Santé signing certificates may carry nonRepudiation alone: that is a signing certificate."""
    code, _, err, bundle = export(cli, demo_db, pki / "nr.p12", tmp_path / "out", "--chain", pki / "int.pem")
    assert code == 0, err
    code, out, err = cli("verify", bundle, "--trust", pki / "root.pem")
    assert code == 0, err
    assert "→ Signataire Non-Répudiation." in out
    assert openssl_verify(bundle, pki / "root.pem", tmp_path).returncode == 0


def test_a_bundle_signed_by_a_certificate_that_may_not_sign_gives_that_reason(cli, pki, chained_bundle, tmp_path):
    """Forged with openssl: the manifest names the encipherment certificate and openssl signs with it."""
    entries = entries_of(chained_bundle)
    manifest = json.loads(entries[MANIFEST])
    manifest["signer"] = {"subject": "Camille Le Goff (chiffrement) — GIP e-Santé (FR)",
                          "certificate_sha256": fingerprint(pki / "chiffrement.pem")}
    entries[MANIFEST] = canonical_json(manifest, pretty=True)
    (tmp_path / "manifest.json").write_bytes(entries[MANIFEST])
    openssl(tmp_path, "cms", "-sign", "-binary", "-in", "manifest.json", "-signer", str(pki / "chiffrement.pem"),
            "-inkey", str(pki / "chiffrement.key"), "-certfile", str(pki / "int.pem"), "-outform", "DER",
            "-out", "manifest.json.p7s")
    entries[SIGNATURE] = (tmp_path / "manifest.json.p7s").read_bytes()
    forged = rezip(entries, tmp_path / "chiffrement.zip")
    for trust in ([], ["--trust", pki / "root.pem"]):
        code, _, err = cli("verify", forged, *trust)
        assert code == 1
        assert "le certificat du signataire (Camille Le Goff (chiffrement) — GIP e-Santé (FR)) ne permet pas de " \
               "signer" in err, err
        assert "chiffrement de clé" in err and "digitalSignature" in err and "non reconnu" not in err
    db = tmp_path / "cible.sqlite"
    code, _, err = cli("import", forged, "--db", db)
    assert code == 1 and "ne permet pas de signer" in err and not db.exists()


def write_config(folder: Path, text: str, monkeypatch) -> Path:
    config = folder / "reglages" / "config.toml"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(text, encoding="utf-8")
    monkeypatch.setenv("CONVERGENCE_CONFIG", str(config))
    return config


def test_trust_anchors_set_once_in_the_settings_file(cli, pki, chained_bundle, tmp_path, monkeypatch):
    anchors = tmp_path / "reglages" / "ans"
    anchors.mkdir(parents=True)
    shutil.copy(pki / "root.pem", anchors / "ans-racine.pem")
    config = write_config(tmp_path, 'trust = ["ans/ans-racine.pem"]\n', monkeypatch)  # relative to its folder
    monkeypatch.chdir(pki)  # anywhere else
    code, out, err = cli("verify", chained_bundle)
    assert code == 0, err
    assert (f"Authentifié par ans-racine.pem (réglage trust de {config}) : ANS Racine Test → IGC Intermédiaire Test "
            "→ Camille Le Goff.") in out
    db = tmp_path / "importee.sqlite"
    code, out, err = cli("import", chained_bundle, "--db", db)
    assert code == 0, err
    assert f"Authentifié par ans-racine.pem (réglage trust de {config})" in out
    # --trust, when given, replaces the settings' anchors.
    code, _, err = cli("verify", chained_bundle, "--trust", pki / "autre-racine.pem")
    assert code == 1 and "autre-racine.pem (--trust)" in err
    # An anchor the settings name but that is not there: the place to fix is named.
    write_config(tmp_path, 'trust = ["ans/disparue.pem"]\n', monkeypatch)
    code, _, err = cli("verify", chained_bundle)
    assert code == 2 and "disparue.pem" in err and f"réglage trust de {config}" in err


@pytest.mark.parametrize("text", ["trust = 3\n", 'trust = "root.pem\n', "trust = [1]\n",
                                  "x = " + "[" * 5000 + "]" * 5000 + "\n", "x = " + "9" * 5000 + "\n"],
                         ids=["wrong type", "syntax", "not a path", "5000-deep", "5000-digit"])
def test_settings_that_cannot_be_read_stop_verify(cli, chained_bundle, tmp_path, monkeypatch, text):
    """They may name the trust anchors: verifying without them would say « not authenticated » where a
    script at the ANS expects « authenticated » (and take the bundle). Exit 2 with the place to fix."""
    config = write_config(tmp_path, text, monkeypatch)
    code, out, err = cli("verify", chained_bundle)
    assert code == 2 and str(config) in err and "--trust" in err and "Traceback" not in err, out + err
    assert cli("verify", chained_bundle, "--trust", tmp_path / "absent.pem")[0] == 2  # --trust is read alone


def test_settings_read_paths_relative_to_their_folder(tmp_path):
    from convergence_tui.config import Settings

    config = tmp_path / "config.toml"
    config.write_text('trust = ["/srv/ans/racine.pem", "racine-2.pem"]\nchain = "~/igc/chaine.pem"\n', encoding="utf-8")
    settings = Settings.load(config)
    assert settings.trust == ["/srv/ans/racine.pem", "racine-2.pem"] and settings.chain == "~/igc/chaine.pem"
    assert settings.path_of(settings.trust[1]) == tmp_path / "racine-2.pem"
    assert settings.path_of(settings.chain) == Path.home() / "igc" / "chaine.pem"


def test_chain_set_in_the_settings_file_is_embedded(cli, pki, demo_db, tmp_path, monkeypatch, password):
    shutil.copy(pki / "int.pem", tmp_path / "chaine-igc.pem")
    write_config(tmp_path, 'chain = "../chaine-igc.pem"\n', monkeypatch)
    code, _, err, bundle = export(cli, demo_db, pki / "camille-aes.p12", tmp_path / "out")
    assert code == 0, err
    assert embedded_subjects(bundle) == ["Camille Le Goff", "IGC Intermédiaire Test"]
    assert cli("verify", bundle, "--trust", pki / "root.pem")[0] == 0


def test_import_of_a_bundle_names_who_signed(cli, pki, chained_bundle, tmp_path):
    sha = fingerprint(pki / "camille.pem")
    code, out, err = cli("import", chained_bundle, "--db", tmp_path / "a.sqlite")
    assert code == 0, err
    assert f"Paquet vérifié, signé par Camille Le Goff — GIP e-Santé (FR) (certificat SHA-256 {sha})." in out
    assert "Signataire NON authentifié" in out and "Authentifié par" not in out
    code, out, err = cli("import", chained_bundle, "--db", tmp_path / "b.sqlite", "--trust", pki / "root.pem")
    assert code == 0, err
    assert f"certificat SHA-256 {sha}" in out and CHAIN_LINE in out and "NON authentifié" not in out


def test_text_from_a_certificate_is_escaped(cli, pki, demo_db, tmp_path, password):
    """A subject with an escape sequence (hidden text) is shown escaped, never acted on."""
    self_signed(tmp_path, "piege", "/CN=Piège\x1b[8mcaché/O=X", "digitalSignature")
    p12 = pkcs12(tmp_path, "piege", "piege.p12")
    code, _, err, bundle = export(cli, demo_db, p12, tmp_path / "out")
    assert code == 0, err
    code, out, _ = cli("verify", bundle, "--trust", tmp_path / "piege.pem")
    assert code == 0 and "Authentifié par piege.pem (--trust) : Piège\\x1b[8mcaché." in out
    code, out, err = cli("import", bundle, "--db", tmp_path / "c.sqlite", "--trust", tmp_path / "piege.pem")
    assert code == 0, err
    assert "signé par Piège\\x1b[8mcaché — X" in out and "\x1b" not in out
    code, _, err = cli("verify", bundle, "--trust", pki / "root.pem")
    assert code == 1 and "Piège\\x1b[8mcaché" in err and "\x1b" not in err


# keygen (issue 12, point 9): the key is never lost, no file is ever overwritten.

@pytest.mark.parametrize("name", ["ident.pem", "ident", "ident.p12.pem", "ident.key"])
def test_keygen_refuses_an_output_that_is_not_p12(cli, tmp_path, name, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, _, err = cli("keygen", "--out", name, "--name", "Camille")  # no password given: refused before asking
    assert code == 2 and "doit se terminer par .p12" in err and "Rien n'a été écrit" in err
    monkeypatch.setenv("CONVERGENCE_P12_PASSWORD", PASSWORD)
    assert cli("keygen", "--out", name, "--name", "Camille")[0] == 2
    assert os.listdir(tmp_path) == []


def test_keygen_never_overwrites_the_certificate_beside(cli, tmp_path, password):
    mine = tmp_path / "ident.pem"
    mine.write_text("le certificat de quelqu'un d'autre\n")
    code, _, err = cli("keygen", "--out", tmp_path / "ident.p12", "--name", "Camille")
    assert code == 2 and f"{mine} existe déjà" in err
    assert mine.read_text() == "le certificat de quelqu'un d'autre\n"
    assert sorted(os.listdir(tmp_path)) == ["ident.pem"]  # no key without its certificate either


def test_keygen_never_overwrites_a_key(cli, tmp_path, password):
    key = tmp_path / "ident.p12"
    key.write_bytes(b"une cle precieuse")
    code, _, err = cli("keygen", "--out", key, "--name", "Camille")
    assert code == 2 and f"{key} existe déjà" in err
    assert key.read_bytes() == b"une cle precieuse" and sorted(os.listdir(tmp_path)) == ["ident.p12"]
    # A dangling symbolic link is a file there too: never written through.
    link = tmp_path / "lien.p12"
    link.symlink_to(tmp_path / "cible.p12")
    assert cli("keygen", "--out", link, "--name", "Camille")[0] == 2
    assert not (tmp_path / "cible.p12").exists() and not (tmp_path / "lien.pem").exists()


def test_keygen_writes_both_files_when_the_place_is_free(cli, tmp_path, password):
    code, out, err = cli("keygen", "--out", tmp_path / "ident.P12", "--name", "Camille")
    assert code == 0, err
    assert sorted(os.listdir(tmp_path)) == ["ident.P12", "ident.pem"]
    assert stat.S_IMODE((tmp_path / "ident.P12").stat().st_mode) == 0o600
    assert f"Empreinte SHA-256 du certificat : {fingerprint(tmp_path / 'ident.pem')}" in out


async def test_tui_export_embeds_the_chain_of_the_settings(pki, demo_db, tmp_path, monkeypatch):
    from convergence_tui.config import Settings
    from convergence_tui.screens.export import ExportScreen
    from tests.tui_helpers import running

    config = write_config(tmp_path, f'chain = "{pki / "int.pem"}"\n', monkeypatch)
    monkeypatch.chdir(tmp_path)
    async with running(demo_db, settings=Settings.load(config)) as (app, pilot):
        app.screen.query_one("#sidebar").focus()
        await pilot.press("e")
        await pilot.pause(0.2)
        screen = app.screen
        assert isinstance(screen, ExportScreen)
        screen.query_one("#export-draft").value = True
        screen.query_one("#export-p12").value = str(pki / "camille-aes.p12")
        screen.query_one("#export-password").value = PASSWORD
        await pilot.press("ctrl+s")
        for _ in range(300):
            await pilot.pause(0.05)
            if not screen.running:
                break
        log = str(screen.query_one("#export-log").render())
        assert "Chaîne jointe à la signature : IGC Intermédiaire Test" in log, log
        assert "Paquet écrit et vérifié" in str(screen.query_one("#export-outcome").render())
    (bundle,) = (tmp_path / "exports").glob("*.zip")
    assert embedded_subjects(bundle) == ["Camille Le Goff", "IGC Intermédiaire Test"]
    assert openssl_verify(bundle, pki / "root.pem", tmp_path).returncode == 0


def test_a_pilot_certificate_given_as_trusted_is_not_an_authority(cli, pki, demo_db, tmp_path, password):
    """A pilot's self-signed certificate authenticates that pilot; a certificate made with the pilot's
    key in someone else's name (« Directeur ANS ») is refused, as openssl refuses it."""
    folder = tmp_path / "pilote"
    folder.mkdir()
    (folder / "ext.cnf").write_text(EXTENSIONS)
    assert cli("keygen", "--out", folder / "pilote.p12", "--name", "Camille Le Goff, GRADeS")[0] == 0
    openssl(folder, "pkcs12", "-in", "pilote.p12", "-nodes", "-nocerts", "-passin", f"pass:{PASSWORD}",
            "-out", "pilote.key")
    issue(folder, "faux", "/CN=Directeur ANS/O=ANS/C=FR", "impersonation", ca="pilote")
    pkcs12(folder, "faux", "faux.p12")
    code, _, err, bundle = export(cli, demo_db, folder / "faux.p12", tmp_path / "out", "--chain",
                                  folder / "pilote.pem")
    assert code == 0 and bundle is not None, err
    code, out, err = cli("verify", bundle, "--trust", folder / "pilote.pem")
    assert code == 1 and "n'est pas une autorité de certification" in err and "Directeur ANS" in err, out + err
    assert openssl_verify(bundle, folder / "pilote.pem", tmp_path).returncode != 0
    code, out, _ = cli("verify", bundle)  # intact, but nobody is authenticated: said so
    assert code == 0 and "NON authentifié" in out


def test_a_certificate_for_another_purpose_may_not_sign(cli, pki, demo_db, tmp_path, password):
    """An extended key usage without e-mail protection (a TLS server's): openssl's cms -verify
    refuses it, so export refuses it first, with the reason."""
    issue(pki, "tls", "/CN=serveur.esante.fr/O=GIP e-Santé/C=FR", "tls")
    pkcs12(pki, "tls", "tls.p12", "-certfile", "int.pem")
    code, _, err, bundle = export(cli, demo_db, pki / "tls.p12", tmp_path / "out")
    assert code == 2 and bundle is None and "usage étendu" in err and "emailProtection" in err, err


@pytest.mark.parametrize("name, says", [("x" * 300, "64 au plus"), ("Evil\n\x1b[31mANS", "caractères de contrôle")])
def test_keygen_refuses_a_name_a_certificate_cannot_carry(cli, tmp_path, password, name, says):
    code, _, err = cli("keygen", "--out", tmp_path / "k.p12", "--name", name)
    assert code == 2 and says in err and "Traceback" not in err and "\x1b" not in err
    assert list(tmp_path.iterdir()) == []
