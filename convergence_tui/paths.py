"""Where things live on the user's machine (platformdirs), and environment overrides."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

from .errors import UserError, os_reason

APP = "convergence-tui"


def data_dir() -> Path:
    """`CONVERGENCE_DATA`, else the user data folder: the default campaign, its backups
    (`sauvegardes/`), the changes a closed terminal could not save (`non-enregistre/`)."""
    override = os.environ.get("CONVERGENCE_DATA")
    return Path(override) if override else Path(platformdirs.user_data_dir(APP, appauthor=False))


def cache_dir() -> Path:
    return Path(platformdirs.user_cache_dir(APP, appauthor=False))


def config_file() -> Path:
    """The settings the person writes (`CONVERGENCE_CONFIG`, else config.toml in the user
    configuration folder); the program reads it and never writes it."""
    override = os.environ.get("CONVERGENCE_CONFIG")
    if override:
        return Path(override)
    return Path(platformdirs.user_config_dir(APP, appauthor=False)) / "config.toml"


def state_file() -> Path:
    """What the program remembers from one run to the next (`CONVERGENCE_STATE`, else state.toml in
    the user state folder); the program writes it, the person need not."""
    override = os.environ.get("CONVERGENCE_STATE")
    if override:
        return Path(override)
    return Path(platformdirs.user_state_dir(APP, appauthor=False)) / "state.toml"


def default_db() -> Path:
    """`CONVERGENCE_DB`, else `campagne.sqlite` in the user data folder."""
    env = os.environ.get("CONVERGENCE_DB")
    return Path(env) if env else data_dir() / "campagne.sqlite"


def short_path(path: Path) -> str:
    """Relative to the working folder when inside it, else with ~ for the home folder."""
    path = path.resolve()
    for base, prefix in ((Path.cwd(), ""), (Path.home(), "~/")):
        try:
            return prefix + str(path.relative_to(base))
        except ValueError:
            continue
    return str(path)


def fsync_folder(folder: Path) -> None:
    """Make a rename in `folder` durable (POSIX: the folder's entry is written by its own fsync).
    Best effort: some file systems (and Windows) cannot open a folder."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def check_target(path: Path, *, replace: bool = False, exists_hint: str = "choisissez un autre nom") -> bool:
    """Refuse a file name that `write_whole` would refuse (to say it before any work); returns
    whether a file is there to be replaced."""
    if path.is_dir():
        raise UserError(f"{path} est un dossier ; donnez un nom de fichier.")
    if not path.parent.is_dir():
        raise UserError(f"{path.parent} : dossier introuvable ; créez-le ou choisissez un autre emplacement.")
    existed = path.exists()
    if existed and not replace:
        raise UserError(f"{path} existe déjà ; {exists_hint}.")
    return existed


def temporary_file(folder: Path, data: bytes, *, prefix: str, suffix: str) -> Path:
    """`data` in a new temporary file of `folder` (0600 from its creation), flushed to the disk: the
    first half of writing a file whole (the caller checks it, then renames it into place). A folder
    that refuses: one French sentence; a write that fails removes the file and raises OSError."""
    import tempfile

    try:
        fd, name = tempfile.mkstemp(prefix=prefix, suffix=suffix, dir=folder)
    except OSError as exc:
        raise UserError(f"{folder} : écriture impossible ({os_reason(exc)}) ; vérifiez le dossier et la place "
                        "libre.") from None
    tmp = Path(name)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return tmp


def write_whole(path: Path, data: bytes, *, mode: int = 0o600, replace: bool = False,
                exists_hint: str = "choisissez un autre nom") -> bool:
    """Write `data` to `path` whole or not at all: into a temporary file of the same folder (mode
    0600 from its creation), flushed to the disk, then renamed over `path` and the folder synced. A
    full disk or a folder that refuses leaves nothing behind (and, with `replace`, the old file as
    it was). Never over an existing file unless `replace`; `exists_hint` says what to do then.
    Returns whether a file was replaced."""
    existed = check_target(path, replace=replace, exists_hint=exists_hint)
    folder = path.parent
    tmp: Path | None = None
    try:
        tmp = temporary_file(folder, data, prefix=f".{path.name}.", suffix=".partiel")
        if mode != 0o600:
            os.chmod(tmp, mode)
        os.replace(tmp, path)
    except OSError as exc:
        if tmp is not None:
            tmp.unlink(missing_ok=True)
        kept = " (le fichier existant est intact)" if existed else ""
        raise UserError(f"{path} : écriture impossible ({os_reason(exc)}) ; rien n'a été écrit{kept}.") from None
    except BaseException:
        if tmp is not None:
            tmp.unlink(missing_ok=True)
        raise
    fsync_folder(folder)
    return existed
