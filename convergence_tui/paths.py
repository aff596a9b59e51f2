"""Where things live on the user's machine (platformdirs), and environment overrides."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

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
