"""What the command line says, in French: argparse's own words (help and errors), dates for people,
plurals, a refused export summarised before its list, several bundles verified at once, drafts named
as such — and the README's line from the team's laptop to the ANS run as written."""

from __future__ import annotations

import argparse
import os
import re
import shlex
import subprocess
import sys
import time

import pytest

from convergence_tui.cli import build_parser
from convergence_tui.cli import main as cli_main
from tests.conftest import ROOT
from tests.test_bundle import PASSWORD, entries_of, identity, rezip

# argparse's English, as it would show through (words, and its metavars made from our option names).
ENGLISH = re.compile(r"\b(usage|show|message|exit|positional|optional|program's|error|unrecognized|following|"
                     r"required|invalid|choice|choose|expected|ambiguous|allowed|could match|DB|OUT|P12|CHAIN|TRUST|"
                     r"REPORT|REFERENTIEL|NAME|ROLE|NUMBER|DATE|FILE|BUNDLE|bundle|file|number)\b")
ISO_DATE = re.compile(r"\b\d{4}-\d\d-\d\d\b")


def commands() -> list[list[str]]:
    """Every command line that has a --help: the program, each subcommand, each sub-subcommand."""
    found: list[list[str]] = [[]]

    def walk(parser: argparse.ArgumentParser, prefix: list[str]) -> None:
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, sub in action.choices.items():
                    found.append([*prefix, name])
                    walk(sub, [*prefix, name])

    walk(build_parser(), [])
    return found


@pytest.mark.parametrize("argv", commands(), ids=lambda a: " ".join(a) or "convergence")
def test_every_help_is_french(argv, capsys):
    with pytest.raises(SystemExit) as stopped:
        cli_main([*argv, "--help"])
    assert stopped.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("utilisation : convergence")
    assert "afficher cette aide et quitter" in out and "\noptions :\n" in out and "options:" not in out
    assert not ENGLISH.search(out), ENGLISH.search(out)
    if argv:
        description = out.split("\n\n")[1]  # after the usage: what the command does, as a sentence
        assert description[0].isupper() and description.endswith("."), description
    # argparse is itself again afterwards: the translation does not leak into other users of it.
    assert argparse._("usage: ") == "usage: "  # type: ignore[attr-defined]


@pytest.mark.parametrize(("argv", "said"), [
    (["bogus"], "choix inconnu 'bogus' (possibles : 'demo',"),
    (["status", "--bogus"], "argument non reconnu : --bogus"),
    (["verify"], "argument obligatoire manquant : PAQUET ; voir « convergence verify --help »."),
    (["keygen", "--out", "x.p12"], "argument obligatoire manquant : --name"),
    (["export", "--out"], "argument --out : une valeur est attendue"),
    (["restore", "deux"], "argument NUMÉRO : valeur invalide 'deux'"),
    (["status", "--date", "hier"], "date invalide « hier », attendu JJ/MM/AAAA (ou AAAA-MM-JJ)"),
    (["status", "--d", "x"], "option ambiguë : --d peut désigner"),
    (["referentiel"], "argument obligatoire manquant : ACTION"),
    (["migrate", "en-trop"], "argument non reconnu : en-trop"),
])
def test_usual_errors_are_french(cli, argv, said):
    code, out, err = cli(*argv)
    assert code == 2 and out == ""
    assert said in err, err
    assert err.startswith("utilisation : convergence")
    assert not ENGLISH.search(err), ENGLISH.search(err)
    assert "Traceback" not in err


def test_date_option_takes_the_french_form_too(cli, demo_db):
    _, iso, _ = cli("status", "--db", demo_db, "--json", "--date", "2027-06-30")
    _, fr, _ = cli("status", "--db", demo_db, "--json", "--date", "30/06/2027")
    assert iso == fr and '"reference_date":"2027-06-30"' in fr.replace(" ", "")


def test_status_says_dates_plurals_and_conformity_for_people(cli, demo_db):
    from convergence_tui.usecases.session import Session

    with Session.open(demo_db) as s:  # the demo's plan is complete: one cause fewer leaves gaps open
        s.delete_item(s.data.live_ids("blocker")[0])
        s.delete_item(s.data.live_ids("action")[0])
    code, out, _ = cli("status", "--db", demo_db)
    assert code == 0
    assert not ISO_DATE.search(out), ISO_DATE.search(out)
    assert "(s)" not in out
    assert "date de référence 31/12/2026" in out
    assert re.search(r"\b5 convergents, \d+ partiellement, 8 non convergents\b", out)
    assert re.search(r"15 niveaux sans preuve, \d\d? écarts sans frein, \d\d? écarts sans action qui atteint le "
                     r"niveau dû", out)
    header = next(line for line in out.splitlines() if line.startswith("Service"))
    assert "Conf." in header
    ror = next(line for line in out.splitlines() if line.startswith("ROR Bretagne"))
    assert "94,7 %" in ror  # conformity 0.947 said as a percent, beside the maturity percent


def test_status_lists_the_first_problems_then_all_with_details(cli, demo_db):
    _, out, _ = cli("status", "--db", demo_db)
    listed = [line for line in out.splitlines() if line.startswith("  - ")]
    assert len(listed) == 10
    assert out.rstrip().endswith("… et 6 autres : « convergence status --details » les liste tous.")
    _, full, _ = cli("status", "--db", demo_db, "--details")
    listed = [line for line in full.splitlines() if line.startswith("  - ")]
    assert len(listed) == 16 and "  - Pas encore validée par le responsable." in listed


def test_refused_export_is_summarised_first(cli, identity, demo_db, tmp_path, monkeypatch):
    monkeypatch.setenv("CONVERGENCE_P12_PASSWORD", PASSWORD)
    code, out, err = cli("export", "--db", demo_db, "--p12", identity, "--out", tmp_path / "out")
    assert code == 2 and out == ""
    lines = err.splitlines()
    assert len(lines) <= 8, err  # the refusal stays on screen
    assert lines[0] == ("Export définitif refusé : 16 points à régler — 15 niveaux sans preuve, 1 validation du "
                        "responsable absente ou retirée. Réglez-les, ou exportez un brouillon avec --draft.")
    assert sum(line.startswith("  - ") for line in lines) == 5
    assert lines[-1] == ("  … et 11 autres : « convergence export --details » (ou « convergence status --details ») "
                         "les liste tous.")
    code, _, err = cli("export", "--db", demo_db, "--p12", identity, "--out", tmp_path / "out", "--details")
    lines = err.splitlines()
    assert code == 2 and sum(line.startswith("  - ") for line in lines) == 16
    assert lines[0].startswith("Export définitif refusé : 16 points") and "  - Pas encore validée par le responsable." in lines
    assert lines[-1] == "Export définitif refusé : les 16 points ci-dessus."
    assert not (tmp_path / "out").exists()


def test_signoff_import_and_restore_say_dates_and_plurals(cli, demo_db, tmp_path):
    code, out, _ = cli("signoff", "--db", demo_db, "--name", "Camille Le Goff", "--role", "Responsable déléguée")
    assert code == 0
    assert re.search(r"Campagne validée par Camille Le Goff \(Responsable déléguée\) le \d\d/\d\d/\d{4} à "
                     r"\d\d:\d\d UTC\.", out), out
    assert "15 points à régler" in out
    code, out, _ = cli("restore", "--db", demo_db)
    assert code == 0 and re.search(r"  1  \d\d/\d\d/\d{4} à \d\d:\d\d UTC  \d+ Kio  20 services", out), out
    from convergence_tui.usecases.session import Session

    src = tmp_path / "answers.json"
    with Session.open(demo_db) as s:
        src.write_text(__import__("json").dumps(s.answers_document()), encoding="utf-8")
    code, out, _ = cli("import", src, "--db", tmp_path / "new.sqlite")
    assert code == 0 and re.search(r"Importé dans .* : 20 services, \d+ réponses\.", out), out


def _export(cli, db, identity, out, *extra):
    code, stdout, err = cli("export", "--db", db, "--p12", identity, "--out", out, *extra)
    assert code == 0, err
    return stdout


def test_several_bundles_verified_each_with_its_verdict(cli, identity, demo_db, tmp_path, monkeypatch):
    monkeypatch.setenv("CONVERGENCE_P12_PASSWORD", PASSWORD)
    out_dir = tmp_path / "exports"
    for epoch in (time.time() - 120, time.time() - 60):  # two exports, two names
        monkeypatch.setenv("SOURCE_DATE_EPOCH", str(int(epoch)))
        said = _export(cli, demo_db, identity, out_dir, "--draft")
        assert "Nature : BROUILLON (16 points à compléter avant un export définitif : " in said
    first, second = sorted(out_dir.glob("53-2026-S2-*.zip"))
    assert first.name.endswith("Z-brouillon.zip") and second.name.endswith("Z-brouillon.zip")
    code, out, err = cli("verify", first, second, "--trust", identity.with_suffix(".pem"))
    assert code == 0, err
    assert out.count("Paquet valide : région 53") == 2
    assert f"[1/2] {first}" in out and f"[2/2] {second}" in out
    assert out.rstrip().endswith("2 paquets vérifiés : 2 valides, 0 refusé.")
    assert "niveaux dus au 31/12/2026" in out and not ISO_DATE.search(out)
    assert re.search(r"Date de signature : \d\d/\d\d/\d{4} à \d\d:\d\d UTC, déclarée", out)

    # One of them altered: it alone is refused, the other still gets its verdict; exit 1.
    entries = entries_of(second)
    entries["plan.csv"] = entries["plan.csv"].replace("Planifiée".encode(), "Réalisée".encode(), 1)
    altered = rezip(entries, out_dir / "53-2026-S2-altere.zip")
    code, out, err = cli("verify", first, altered)
    assert code == 1
    assert "Paquet valide" in out and f"REFUSÉ — {altered} : entrée modifiée : plan.csv" in err
    assert out.rstrip().endswith(f"2 paquets vérifiés : 1 valide, 1 refusé ({altered}).")
    # A path that is no bundle at all is bad input (2), as for one bundle.
    code, _, err = cli("verify", first, tmp_path / "absent.zip")
    assert code == 2 and "paquet introuvable" in err
    code, _, err = cli("verify", first, second, "--report", tmp_path / "r.html")
    assert code == 2 and "--report écrit le rapport d'un seul paquet" in err and not (tmp_path / "r.html").exists()


def test_final_bundle_name_has_no_draft_mark(cli, identity, complete_db, tmp_path, monkeypatch):
    from convergence_tui.usecases import review
    from convergence_tui.usecases.session import Session
    from tests.conftest import MINI

    with Session.open(complete_db, MINI) as s:
        review.sign_off(s, "Camille", "Responsable déléguée")
    monkeypatch.setenv("CONVERGENCE_P12_PASSWORD", PASSWORD)
    code, _, err = cli("export", "--referentiel", MINI, "--db", complete_db, "--p12", identity, "--out",
                       tmp_path / "out")
    assert code == 0, err
    (bundle,) = (tmp_path / "out").glob("*.zip")
    assert re.fullmatch(r"53-2023-S1-\d{8}T\d{6}Z\.zip", bundle.name)


def readme_block(title: str) -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split(f"## {title}", 1)[1]
    block = re.search(r"```sh\n(.*?)```", section, re.S)
    assert block is not None
    return [line for line in block.group(1).splitlines() if line.strip() and not line.lstrip().startswith("#")]


def test_readme_from_the_team_to_the_ans_runs_as_written(tmp_path):
    """The README's lines, run in a shell; the export twice (a first draft, then a second one): the
    verify line's pattern then names two bundles, and each gets its verdict."""
    lines = readme_block("Du poste de l'équipe à l'ANS")
    env = {**os.environ, "PATH": f"{os.path.dirname(sys.executable)}{os.pathsep}{os.environ['PATH']}",
           "HOME": str(tmp_path)}
    env.pop("SOURCE_DATE_EPOCH", None)
    script = ["set -e", "convergence demo --db demo.sqlite >/dev/null"]
    for line in lines:
        command = line.split("  #", 1)[0].strip()  # a comment after the command
        if command.startswith("export CONVERGENCE_P12_PASSWORD"):
            command = f"export CONVERGENCE_P12_PASSWORD={shlex.quote(PASSWORD)}"
        script.append(command)
        if command.startswith("convergence export"):
            script += ["sleep 1.1", command]  # a second export: another bundle in exports/
    run = subprocess.run(["bash", "-c", "\n".join(script)], cwd=tmp_path, env=env, capture_output=True, text=True,
                         timeout=300)
    assert run.returncode == 0, run.stderr
    bundles = sorted((tmp_path / "exports").glob("53-2026-S2-*.zip"))
    assert len(bundles) == 2
    assert run.stdout.count("Paquet valide : région 53") == 2
    assert "2 paquets vérifiés : 2 valides, 0 refusé." in run.stdout
    assert run.stdout.count("signataire reconnu") == 2
