"""The README's two fresh-machine commands exist, and CI runs exactly the test one."""

from __future__ import annotations

import re

from tests.conftest import ROOT


def readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return [block.strip() for block in re.findall(r"```sh\n(.*?)```", text, re.S)]


def test_readme_gives_install_run_and_install_test():
    commands = readme_commands()
    assert any(c.startswith("python3 -m venv") and c.endswith("&& convergence") for c in commands)
    assert any(c.startswith("python3 -m venv") and "python -m pytest" in c for c in commands)


def test_ci_runs_the_readme_test_command():
    test_command = next(c for c in readme_commands() if "python -m pytest" in c)
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert test_command in ci.splitlines()
