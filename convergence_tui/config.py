"""The user's settings file (TOML): author name, signing certificate and its chain,
trust anchors (the ANS's roots, for verify and import), keymap overrides.

Read with tomllib, written with tomli-w. A broken file never stops the app:
it is reported and the defaults are used.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from .paths import config_file

MAX_SETTINGS_BYTES = 1024 * 1024  # a few lines of settings; checked before parsing


@dataclass
class Settings:
    author: str = ""
    theme: str = ""
    p12: str = ""  # the signing certificate last used (a path; never its password)
    chain: str = ""  # the PEM of intermediate certificates embedded with it (`export --chain`)
    trust: list[str] = field(default_factory=list)  # trust anchors for verify and import (the ANS's roots)
    keymap: dict[str, str] = field(default_factory=dict)
    grid_advance: bool = True  # the grid moves to the next criterion after a level key
    problem: str = ""  # a French sentence when the file could not be read
    origin: str = ""  # the file read (relative paths in it are relative to its folder); not saved

    @classmethod
    def load(cls, path: Path | None = None) -> Settings:
        path = path or config_file()
        try:
            if path.stat().st_size > MAX_SETTINGS_BYTES:
                raise ValueError(f"{path.stat().st_size} octets, bien plus qu'un fichier de réglages")
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return cls()
        except RecursionError:
            return cls(problem=f"{path} illisible (tableaux imbriqués sur des centaines de niveaux) ; réglages par "
                               "défaut utilisés, corrigez ou supprimez ce fichier.")
        except (OSError, UnicodeDecodeError, ValueError) as exc:  # TOMLDecodeError is a ValueError
            return cls(problem=f"{path} illisible ({exc}) ; réglages par défaut utilisés, corrigez ou supprimez "
                               "ce fichier.")
        keymap = data.get("keymap", {})
        if not isinstance(keymap, dict) or not all(isinstance(v, str) for v in keymap.values()):
            return cls(problem=f"{path} : la table [keymap] doit associer un id de commande à des touches "
                               "(ex. next_problem = \"ctrl+n\").")
        trust = data.get("trust", [])
        trust = [trust] if isinstance(trust, str) else trust
        if not isinstance(trust, list) or not all(isinstance(v, str) and v.strip() for v in trust):
            return cls(problem=f"{path} : « trust » doit être la liste des fichiers PEM des certificats de confiance "
                               "(ex. trust = [\"/chemin/ans-racine.pem\"]) ; réglages par défaut utilisés.")
        return cls(
            author=str(data.get("author", "")),
            theme=str(data.get("theme", "")),
            p12=str(data.get("p12", "")),
            chain=str(data.get("chain", "")),
            trust=list(trust),
            keymap=dict(keymap),
            grid_advance=data.get("grid_advance", True) is not False,
            origin=str(path),
        )

    def path_of(self, value: str) -> Path:
        """A path written in the file: ~ expanded; relative to the file's folder (not to where the
        command runs, which changes)."""
        path = Path(value).expanduser()
        return path if path.is_absolute() or not self.origin else Path(self.origin).parent / path

    def save(self, path: Path | None = None) -> None:
        if self.problem:
            return  # a file we could not read is the user's to fix: writing defaults would lose it (trust anchors…)
        path = path or config_file()
        path.parent.mkdir(parents=True, exist_ok=True)
        data = {"author": self.author, "theme": self.theme, "p12": self.p12,
                "chain": self.chain, "trust": self.trust, "keymap": self.keymap}
        import tomli_w  # only to write: start-up reads the settings, quitting saves them

        path.write_text(tomli_w.dumps({k: v for k, v in data.items() if v or k == "keymap"}), encoding="utf-8")
