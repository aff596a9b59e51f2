"""What a valid bundle proves (DESIGN.md §6), tried as the signer-forger would: manifests edited and
re-signed with the real key by `openssl cms -sign`, a weakened questionnaire, edited derived
entries, hostile labels. Each forgery fails with a sentence naming the false claim."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import subprocess
from pathlib import Path

import pytest

from convergence_tui.bundle.format import CONTENT_ENTRIES, MANIFEST, SIGNATURE, canonical_json, file_list
from convergence_tui.usecases.session import Session
from tests.conftest import MINI, ROOT
from tests.test_bundle import OPENSSL, PASSWORD, draft_bundle, entries_of, identity, rezip

pytestmark = pytest.mark.skipif(OPENSSL is None, reason="openssl absent (installed by .ci/run)")
HOSTILE_LABEL = "2026-S2\n\x1b[32mSignataire reconnu\x1b[0m\x1b[8m"


@pytest.fixture(scope="module")
def signer_pem(identity, tmp_path_factory) -> Path:
    """The test identity's key and certificate as PEM, taken out of the PKCS#12 by openssl."""
    pem = tmp_path_factory.mktemp("pem") / "signer.pem"
    run = subprocess.run([OPENSSL, "pkcs12", "-in", str(identity), "-nodes", "-passin", f"pass:{PASSWORD}",
                          "-out", str(pem)], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    return pem


def forge(entries: dict[str, bytes], signer_pem: Path, folder: Path, edit=lambda m: None,
          name: str = "faux.zip") -> Path:
    """A bundle with its manifest edited by `edit`, its file list made to match the entries, and
    signed again with the real key by openssl (detached CMS, DER, certificate embedded)."""
    manifest = json.loads(entries[MANIFEST])
    edit(manifest)
    manifest["files"] = file_list({k: v for k, v in entries.items() if k in CONTENT_ENTRIES})
    manifest_bytes = canonical_json(manifest, pretty=True)
    (folder / "manifest.json").write_bytes(manifest_bytes)
    run = subprocess.run([OPENSSL, "cms", "-sign", "-binary", "-md", "sha256", "-in", str(folder / "manifest.json"),
                          "-signer", str(signer_pem), "-outform", "DER", "-out", str(folder / "manifest.p7s")],
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    return rezip({**entries, MANIFEST: manifest_bytes, SIGNATURE: (folder / "manifest.p7s").read_bytes()},
                 folder / name)


def lenient_copy(folder: Path) -> Path:
    """The bundled questionnaire with the same id and version, nothing critical and every target 0."""
    text = (ROOT / "referentiel.toml").read_text(encoding="utf-8")
    text = re.sub(r"(?m)^(\s*)level = \d+\s*$", r"\1level = 0", text).replace("critical = true", "critical = false")
    path = folder / "lenient.toml"
    path.write_text(text, encoding="utf-8")
    return path


# --- the questionnaire -------------------------------------------------------------------------


def test_bundled_questionnaire_is_an_official_one():
    """Changing referentiel.toml without adding its hash to official.toml fails here (see that file)."""
    from convergence_tui.referentiel import default_path, load
    from convergence_tui.referentiel.official import official_files, pin_of

    for path in {ROOT / "referentiel.toml", default_path()}:
        data = path.read_bytes()
        ref = load(path)
        assert pin_of(ref.referentiel.id, ref.referentiel.version, hashlib.sha256(data).hexdigest()) == "official", (
            f"{path} is not in convergence_tui/referentiel/official.toml: add its id, version and sha256")
    assert len({(f.id, f.version) for f in official_files()}) == len(official_files())


def test_weakened_questionnaire_does_not_pass(cli, draft_bundle, identity, tmp_path, monkeypatch):
    """The issue's attack: the demo's answers imported with a lenient copy of the questionnaire (same
    id and version), exported with the genuine identity."""
    bundle, _ = draft_bundle
    lenient = lenient_copy(tmp_path)
    db = tmp_path / "laxiste.sqlite"
    # Importing a genuine bundle into a campaign with its own questionnaire still works.
    code, _, err = cli("import", bundle, "--referentiel", lenient, "--db", db)
    assert code == 0, err
    monkeypatch.setenv("CONVERGENCE_P12_PASSWORD", PASSWORD)
    code, out, err = cli("export", "--referentiel", lenient, "--db", db, "--p12", identity, "--draft",
                         "--out", tmp_path / "out")
    assert code == 0, err  # export checks what it wrote against the questionnaire it used
    assert "Attention, questionnaire MODIFIÉ" in out and "l'ANS refusera le paquet" in out  # said to the region
    code, out, _ = cli("status", "--referentiel", lenient, "--db", db)
    assert "MODIFIÉ" in out
    (weak,) = (tmp_path / "out").glob("*.zip")
    assert json.loads(entries_of(weak)["manifest.json"])["referentiel"]["official"] is False
    scores = json.loads(entries_of(weak)["scores.json"])
    assert scores["region"]["status_counts"]["non_convergent"] == 0  # what the attack gains
    code, out, err = cli("verify", weak, "--trust", identity.with_suffix(".pem"))
    assert code == 1 and out == ""
    assert "questionnaire modifié : referentiel.toml se dit « convergence-regions 2026.3 »" in err
    # Only a verifier who names that very file accepts it, and is told it is not official.
    code, out, err = cli("verify", weak, "--trust", identity.with_suffix(".pem"), "--referentiel", lenient)
    assert code == 0, err
    assert "NON officiel" in out


def test_modified_questionnaire_in_a_resigned_bundle(cli, draft_bundle, signer_pem, tmp_path):
    bundle, _ = draft_bundle
    entries = entries_of(bundle)
    entries["referentiel.toml"] = lenient_copy(tmp_path).read_bytes()
    digest = hashlib.sha256(entries["referentiel.toml"]).hexdigest()
    forged = forge(entries, signer_pem, tmp_path, lambda m: m["referentiel"].update(sha256=digest))
    code, _, err = cli("verify", forged)
    assert code == 1 and "questionnaire modifié" in err


def test_official_claim_must_be_true(cli, draft_bundle, signer_pem, tmp_path):
    bundle, _ = draft_bundle
    forged = forge(entries_of(bundle), signer_pem, tmp_path, lambda m: m["referentiel"].update(official=False))
    code, _, err = cli("verify", forged)
    assert code == 1 and "le manifeste dit le questionnaire non officiel ; il ne l'est pas" in err


# --- the manifest's claims ---------------------------------------------------------------------


def test_openssl_forgery_of_the_genuine_manifest_verifies(cli, draft_bundle, signer_pem, tmp_path):
    """The forging tool itself is sound: re-signing the manifest unchanged gives a valid bundle."""
    bundle, _ = draft_bundle
    code, out, err = cli("verify", forge(entries_of(bundle), signer_pem, tmp_path))
    assert code == 0, err
    assert "services.csv, plan.csv et rapport.html régénérés depuis les réponses : identiques." in out


def test_draft_turned_final_with_blockers_left(cli, draft_bundle, signer_pem, tmp_path):
    bundle, db = draft_bundle
    forged = forge(entries_of(bundle), signer_pem, tmp_path, lambda m: m.update(draft=False))
    code, _, err = cli("verify", forged)
    _, status, _ = cli("status", "--db", db, "--json")
    n = len(json.loads(status)["problems"])  # the same list as review.export_blockers
    assert n > 10
    assert code == 1 and f"le manifeste annonce une soumission définitive (draft: false) mais {n} points " \
                          "bloquent encore l'export définitif" in err


def test_campaign_of_the_manifest_must_be_the_answers_one(cli, draft_bundle, signer_pem, tmp_path):
    bundle, _ = draft_bundle
    other = {"region": "84", "label": "2027-S1", "reference_date": "2027-06-30"}
    forged = forge(entries_of(bundle), signer_pem, tmp_path, lambda m: m.update(campaign=other))
    code, out, err = cli("verify", forged)
    assert code == 1 and out == ""
    assert ("le manifeste annonce la campagne « 84 / 2027-S1 » (niveaux dus au 2027-06-30) mais answers.json dit "
            "« 53 / 2026-S2 » (niveaux dus au 2026-12-31)") in err


def test_made_up_validation(cli, draft_bundle, signer_pem, tmp_path):
    bundle, _ = draft_bundle
    made_up = {"name": "Dr Inventé", "role": "Directeur", "at": "2026-11-30T10:00:00.000Z"}
    forged = forge(entries_of(bundle), signer_pem, tmp_path, lambda m: m.update(validation=made_up))
    code, _, err = cli("verify", forged)
    assert code == 1
    assert ("le manifeste annonce une validation par Dr Inventé (Directeur) le 2026-11-30T10:00:00.000Z, absente "
            "des validations enregistrées dans answers.json") in err


def test_withdrawn_validation_cannot_be_claimed(cli, complete_db, identity, signer_pem, tmp_path, monkeypatch):
    from convergence_tui.usecases import review

    with Session.open(complete_db, MINI) as s:
        record = review.sign_off(s, "Camille", "Responsable déléguée")
        s.set_answer("campaign", "legal_form", "autre")  # withdraws it
    monkeypatch.setenv("CONVERGENCE_P12_PASSWORD", PASSWORD)
    code, _, err = cli("export", "--referentiel", MINI, "--db", complete_db, "--p12", identity, "--draft",
                       "--out", tmp_path / "out")
    assert code == 0, err
    (bundle,) = (tmp_path / "out").glob("*.zip")
    entries = entries_of(bundle)
    assert json.loads(entries["answers.json"])["signoffs"][0]["name"] == "Camille"
    assert json.loads(entries["manifest.json"])["validation"] is None
    old = {k: record[k] for k in ("name", "role", "at")}
    forged = forge(entries, signer_pem, tmp_path, lambda m: m.update(validation=old))
    code, _, err = cli("verify", forged, "--referentiel", MINI)
    assert code == 1 and "le manifeste annonce une validation par Camille" in err
    assert "mais elle ne couvre pas ces réponses" in err


def test_created_before_the_semester_began(cli, draft_bundle, tmp_path):
    """A certificate valid since January, a manifest dated 30 June for the semester 2026-S2."""
    from convergence_tui.bundle.signing import keygen

    p12 = tmp_path / "ancien.p12"
    ident = keygen(p12, "Camille Le Goff", PASSWORD, not_before=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    pem = tmp_path / "ancien-cle.pem"
    subprocess.run([OPENSSL, "pkcs12", "-in", str(p12), "-nodes", "-passin", f"pass:{PASSWORD}", "-out", str(pem)],
                   check=True, capture_output=True)
    cert_sha = ident.fingerprint
    bundle, _ = draft_bundle

    def backdate(m):
        m["created_at"] = "2026-06-30T10:00:00Z"
        m["signer"] = {"subject": "Camille Le Goff — convergence-tui (pilote)", "certificate_sha256": cert_sha}

    # Re-signed by openssl, whose signature says when it was made (now): the two dates disagree.
    code, _, err = cli("verify", forge(entries_of(bundle), pem, tmp_path, backdate))
    assert code == 1 and ("date de création 2026-06-30T10:00:00Z différente de l'heure de signature inscrite "
                          "dans manifest.json.p7s") in err
    # Signed with the backdated time in the signature too (pyhanko lets a signer say any time).
    from convergence_tui.bundle.signing import load_identity, sign_detached

    entries = entries_of(bundle)
    manifest = json.loads(entries[MANIFEST])
    backdate(manifest)
    manifest["files"] = file_list({k: v for k, v in entries.items() if k in CONTENT_ENTRIES})
    manifest_bytes = canonical_json(manifest, pretty=True)
    when = dt.datetime(2026, 6, 30, 10, tzinfo=dt.UTC)
    p7s = sign_detached(load_identity(p12, PASSWORD, at=when), manifest_bytes, when)
    forged = rezip({**entries, MANIFEST: manifest_bytes, SIGNATURE: p7s}, tmp_path / "antidate.zip")
    code, _, err = cli("verify", forged)
    assert code == 1
    assert "créé le 2026-06-30T10:00:00Z, avant le début du semestre 2026-S2 (01/07/2026)" in err


def test_created_in_the_future(cli, draft_bundle, tmp_path):
    from convergence_tui.bundle.signing import keygen, load_identity, sign_detached

    p12 = tmp_path / "futur.p12"
    keygen(p12, "Camille Le Goff", PASSWORD)
    bundle, _ = draft_bundle
    entries = entries_of(bundle)
    manifest = json.loads(entries[MANIFEST])
    when = (dt.datetime.now(dt.UTC) + dt.timedelta(days=30)).replace(microsecond=0)
    manifest["created_at"] = f"{when:%Y-%m-%dT%H:%M:%SZ}"
    manifest["signer"]["certificate_sha256"] = load_identity(p12, PASSWORD).fingerprint
    manifest_bytes = canonical_json(manifest, pretty=True)
    p7s = sign_detached(load_identity(p12, PASSWORD, at=when), manifest_bytes, when)
    code, _, err = cli("verify", rezip({**entries, MANIFEST: manifest_bytes, SIGNATURE: p7s}, tmp_path / "f.zip"))
    assert code == 1 and "date à venir : date de création fausse" in err


def test_signer_named_by_the_manifest_must_be_the_certificate(cli, draft_bundle, signer_pem, tmp_path):
    bundle, _ = draft_bundle
    forged = forge(entries_of(bundle), signer_pem, tmp_path,
                   lambda m: m["signer"].update(subject="Agence du numérique en santé — ANS (FR)"))
    code, _, err = cli("verify", forged)
    assert code == 1 and ("le manifeste nomme le signataire « Agence du numérique en santé — ANS (FR) » mais le "
                          "certificat qui a signé est celui de « Camille Le Goff") in err


def test_hostile_label_cannot_forge_a_line_of_the_failure(cli, draft_bundle, signer_pem, tmp_path):
    bundle, _ = draft_bundle
    forged = forge(entries_of(bundle), signer_pem, tmp_path, lambda m: m["campaign"].update(label=HOSTILE_LABEL))
    code, out, err = cli("verify", forged)
    assert code == 1 and out == ""
    assert "\x1b" not in err and err.count("\n") == 1  # one line, ending the message
    assert "2026-S2\\x0a\\x1b[32mSignataire reconnu\\x1b[0m\\x1b[8m" in err


def test_hostile_value_cannot_forge_a_line_of_the_details(cli, draft_bundle, signer_pem, tmp_path):
    """A value the questionnaire refuses is quoted in the list of problems: escaped, line by line."""
    bundle, _ = draft_bundle
    entries = entries_of(bundle)
    answers = json.loads(entries["answers.json"])
    answers["services"][0]["category"] = "COORD\n\x1b[32mSignataire reconnu"
    entries["answers.json"] = canonical_json(answers)
    code, _, err = cli("verify", forge(entries, signer_pem, tmp_path))
    assert code == 1 and "answers.json ne correspond pas au questionnaire" in err
    assert "\x1b" not in err and "COORD\\x0a\\x1b[32mSignataire reconnu" in err
    assert not any(line.startswith("Signataire") for line in err.splitlines())


# --- derived entries ----------------------------------------------------------------------------


@pytest.mark.parametrize(("entry", "before", "after"), [
    ("rapport.html", b"non convergent</td>", b"convergent</td>"),
    ("services.csv", b";non convergent;", b";convergent;"),
    ("plan.csv", "ÉDITEUR;".encode(), b"NATIONAL;"),
])
def test_edited_derived_entry_is_named(cli, draft_bundle, signer_pem, tmp_path, entry, before, after):
    bundle, _ = draft_bundle
    entries = entries_of(bundle)
    assert before in entries[entry]
    entries[entry] = entries[entry].replace(before, after, 1)
    code, _, err = cli("verify", forge(entries, signer_pem, tmp_path))
    assert code == 1 and f"entrée dérivée fausse : {entry} n'est pas ce que produisent answers.json" in err


def test_another_tool_version_is_not_compared_and_report_regenerated(cli, draft_bundle, signer_pem, tmp_path):
    bundle, _ = draft_bundle
    entries = entries_of(bundle)
    genuine = entries["rapport.html"]
    entries["rapport.html"] = genuine.replace(b"non convergent</td>", b"convergent</td>")
    forged = forge(entries, signer_pem, tmp_path, lambda m: m["tool"].update(version="0.0.1"))
    out_html = tmp_path / "rapport-regenere.html"
    code, out, err = cli("verify", forged, "--report", out_html)
    assert code == 0, err
    assert "services.csv, plan.csv et rapport.html NON comparés : paquet écrit par convergence-tui 0.0.1" in out
    assert out_html.read_bytes() == genuine  # what the data produce, not what the bundle says
    code, _, err = cli("verify", forged, "--report", out_html)
    assert code == 2 and "existe déjà" in err
    same = tmp_path / "rapport-meme-version.html"
    code, out, err = cli("verify", bundle, "--report", same)
    assert code == 0 and f"Rapport régénéré depuis les données du paquet : {same}" in out
    assert same.read_bytes() == genuine


# --- the verdict --------------------------------------------------------------------------------


def test_verdict_names_the_certificate_and_says_what_is_not_proven(cli, draft_bundle, identity):
    bundle, _ = draft_bundle
    pem = identity.with_suffix(".pem")
    serial = subprocess.run([OPENSSL, "x509", "-in", str(pem), "-noout", "-serial"], capture_output=True,
                            text=True, check=True).stdout.strip().split("=")[1]
    fingerprint = subprocess.run([OPENSSL, "x509", "-in", str(pem), "-noout", "-fingerprint", "-sha256"],
                                 capture_output=True, text=True, check=True).stdout.strip().split("=")[1]
    code, out, _ = cli("verify", bundle)
    assert code == 0
    assert "signataire NON authentifié" in out and "seule l'intégrité du paquet est prouvée" in out
    assert "signataire reconnu" not in out
    assert "déclarée par le signataire (non horodatée)" in out
    found = re.search(r"n° de série ([0-9A-F]+)\.", out).group(1)
    assert int(found, 16) == int(serial, 16)
    assert fingerprint.replace(":", "").lower() in out
    assert "émetteur : Camille Le Goff — convergence-tui (pilote)" in out  # self-signed: issuer = subject
    code, out, _ = cli("verify", bundle, "--trust", pem)
    assert code == 0 and "signataire reconnu" in out and "NON authentifié" not in out


def test_summary_escapes_every_value_from_the_bundle(draft_bundle):
    from convergence_tui.bundle.verify import verify_bundle

    bundle, _ = draft_bundle
    genuine = verify_bundle(bundle)
    manifest = json.loads(json.dumps(genuine.manifest))
    answers = json.loads(json.dumps(genuine.answers))
    for doc in (manifest, answers):
        doc["campaign"]["label"] = HOSTILE_LABEL
        doc["campaign"]["region"] = "53\x1b[2J"
    manifest["validation"] = {"name": "Eve\n\x1b[32mValidée", "role": "\u202eelor", "at": "2026\r"}
    manifest["referentiel"]["id"] = "x\x9b31m"
    hostile = type(genuine)(manifest, answers, genuine.scores, "Eve\x1b]0;titre\x07", genuine.fingerprint, False,
                            signer_issuer="\x1b[8mcaché", signer_serial="01", questionnaire="q\nSignataire reconnu")
    text = hostile.summary()
    assert len(text.splitlines()) == len(genuine.summary().splitlines())
    assert not any(line.startswith(("Signataire reconnu", "Validée")) for line in text.splitlines())
    for bad in ("\x1b", "\x9b", "\x07", "\r", "\u202e"):
        assert bad not in text
    assert "\\x1b[32mSignataire reconnu" in text and "\\u202e" in text


# --- sign-offs in the answers document -----------------------------------------------------------


def test_signoffs_are_in_the_answers_document_and_not_in_its_digest(complete_db):
    import jsonschema

    from convergence_tui.campaign.signoffs import answers_digest
    from convergence_tui.usecases import review

    with Session.open(complete_db, MINI) as s:
        record = review.sign_off(s, "Camille", "Responsable déléguée")
        doc = s.answers_document()
    assert doc["signoffs"] == [{k: record[k] for k in ("name", "role", "at", "digest")}]
    jsonschema.validate(doc, json.loads((ROOT / "schemas" / "answers.schema.json").read_text(encoding="utf-8")))
    without = {k: v for k, v in doc.items() if k != "signoffs"}
    assert answers_digest(doc) == answers_digest(without) == record["digest"]


def test_signoff_recorded_before_this_change_is_still_current(cli, complete_db, identity, tmp_path,
                                                             monkeypatch):
    """A sign-off stored by the previous version (digest of the document as it then was: no
    `signoffs` key) still covers the campaign, and a final bundle made with it verifies."""
    from convergence_tui.campaign.answers import to_document
    from convergence_tui.usecases import review

    with Session.open(complete_db, MINI) as s:
        text = json.dumps(to_document(s.data), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        old_digest = hashlib.sha256(text.encode("utf-8")).hexdigest()  # the formula before sign-offs were in it
        # journal_seq 0: the state is recognised by its digest, not by "nothing journaled since".
        s.add_signoff("Camille", "Responsable déléguée", old_digest, 0, s.scores_document())
        assert review.signoff_state(s).current
    monkeypatch.setenv("CONVERGENCE_P12_PASSWORD", PASSWORD)
    code, _, err = cli("export", "--referentiel", MINI, "--db", complete_db, "--p12", identity,
                       "--out", tmp_path / "out")
    assert code == 0, err
    (bundle,) = (tmp_path / "out").glob("*.zip")
    code, out, err = cli("verify", bundle, "--referentiel", MINI)
    assert code == 0, err
    assert "validée par Camille (Responsable déléguée)" in out
    code, _, err = cli("import", bundle, "--referentiel", MINI, "--db", tmp_path / "copie.sqlite")
    assert code == 0, err
