"""Two files outside the campaign, kept apart (README, « Vos fichiers »):

- the settings (`config.toml`), which the person writes: theme, the chain of certificates embedded
  at export, trust anchors (the ANS's roots, for verify and import), keymap overrides. The program
  reads them and never writes them (comments and layout stay as the person left them);
- what the program remembers from one run to the next (`state.toml`): the author name last typed in
  the wizard, the signing certificate (.p12) last used. The program writes it; deleting it only
  forgets them.

Read with tomllib, the state written with tomli-w. A broken settings file never stops the app: it is
reported and the defaults are used.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path

from .paths import config_file, state_file

MAX_SETTINGS_BYTES = 1024 * 1024  # a few lines of settings; checked before parsing


@dataclass
class Settings:
    # Written here by the versions that kept what they remembered in this file: still read, as the
    # defaults of what `Remembered` holds, never written back (see Remembered).
    author: str = ""
    p12: str = ""
    theme: str = ""
    chain: str = ""  # the PEM of intermediate certificates embedded with it (`export --chain`)
    trust: list[str] = field(default_factory=list)  # trust anchors for verify and import (the ANS's roots)
    keymap: dict[str, str] = field(default_factory=dict)
    grid_advance: bool = True  # the grid moves to the next criterion after a level key
    problem: str = ""  # a French sentence when the file could not be read
    origin: str = ""  # the file read (relative paths in it are relative to its folder)

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


@dataclass
class Remembered:
    """What the program remembers from one run to the next, in a file of its own (`state.toml`): the
    settings file is the person's, and rewriting it would lose their comments and layout."""

    author: str = ""  # the name last typed in the wizard (pre-fills the next one, and a sign-off)
    p12: str = ""  # the signing certificate last used (an absolute path; never its password)
    path: Path | None = None  # where it is saved; None: nowhere (tests)
    _saved: tuple[str, ...] = field(default=(), repr=False, compare=False)  # the values in the file

    @classmethod
    def load(cls, settings: Settings | None = None, path: Path | None = None) -> Remembered:
        """The file's values; those it lacks come from the settings file, where earlier versions wrote
        them (read as defaults, never written back there). An unreadable file is the program's own
        memory: it starts again empty and is rewritten at the next change."""
        path = path or state_file()
        data: dict[str, object] = {}
        try:
            if path.stat().st_size <= MAX_SETTINGS_BYTES:
                data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError, RecursionError):
            data = {}
        legacy = settings or Settings()
        remembered = cls(path=path)
        for name in REMEMBERED:
            value = data.get(name)
            setattr(remembered, name, value if isinstance(value, str) and value else str(getattr(legacy, name)))
        remembered._saved = remembered._values()
        return remembered

    def _values(self) -> tuple[str, ...]:
        return tuple(getattr(self, name) for name in REMEMBERED)

    def remember(self, **values: str) -> None:
        """Note values and write the file at once (a crash later does not forget them). Best effort:
        a file that cannot be written costs a pre-filled field next time, never the campaign."""
        for name, value in values.items():
            if name not in REMEMBERED:
                raise ValueError(f"nothing remembered under {name!r}")
            setattr(self, name, value)
        try:
            self.save()
        except OSError:
            pass

    def save(self) -> None:
        """Written only when something changed; atomically (a new file renamed over the old one) and
        readable by its owner only (names and paths of a person)."""
        if self.path is None or self._values() == self._saved:
            return
        import tomli_w  # only to write

        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        text = STATE_HEADER + tomli_w.dumps({name: v for name in REMEMBERED if (v := getattr(self, name))})
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(text)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self.path)
        finally:
            tmp.unlink(missing_ok=True)
        self._saved = self._values()


REMEMBERED = tuple(f.name for f in fields(Remembered) if f.name not in ("path", "_saved"))
STATE_HEADER = ("# Écrit par convergence-tui : ce dont il se souvient d'une fois sur l'autre (dernier nom saisi,\n"
                "# dernier certificat employé). Vos réglages sont dans config.toml ; supprimer ce fichier ne fait\n"
                "# qu'oublier ces valeurs.\n")


def known_author(remembered: Remembered) -> str:
    """The name changes are journaled under: CONVERGENCE_AUTHOR (a shared or scripted machine), else
    the name this laptop remembers; "" when it knows none (the TUI asks it once)."""
    return os.environ.get("CONVERGENCE_AUTHOR", "").strip() or remembered.author
