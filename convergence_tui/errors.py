"""Errors people can cause, each with a French message naming the place and the fix.

Anything else that escapes is our bug and deserves its traceback.
"""

from __future__ import annotations

import errno
from collections.abc import Sequence
from typing import Any

from .wording import counted as counted  # one definition of « 3 problèmes »; imported from here by many


class UserError(Exception):
    """A mistake in input or usage: one clear French sentence, an exit code."""

    exit_code = 2

    def __init__(self, message: str, *, details: list[str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or []

    def __str__(self) -> str:
        return "\n".join([self.message, *self.details])


class ListedError(UserError):
    """A refusal that counts what is wrong in one sentence, then names each thing on a line of its own."""

    def __init__(self, message: str, problems: Sequence[Any], lines: list[str]) -> None:
        super().__init__(message, details=lines)
        self.problems = list(problems)


class VerificationError(UserError):
    """A bundle that cannot be trusted (`convergence verify` exits 1)."""

    exit_code = 1


class CampaignLocked(UserError):
    """Another instance writes this campaign file."""


_REASONS = {
    errno.ENOSPC: "disque plein",
    errno.EDQUOT: "quota disque atteint",
    errno.EROFS: "support en lecture seule",
    errno.EACCES: "accès refusé",
    errno.EPERM: "opération non permise",
    errno.ENOENT: "fichier ou dossier introuvable",
    errno.ENOTDIR: "un élément du chemin n'est pas un dossier",
    errno.EISDIR: "c'est un dossier",
    errno.EEXIST: "existe déjà",
    errno.EIO: "erreur d'entrée-sortie du support",
    errno.ENAMETOOLONG: "nom trop long",
    errno.EADDRINUSE: "déjà utilisé par un autre programme",
}


def os_reason(exc: OSError) -> str:
    """Why the system refused, in French (its own text follows the machine's language)."""
    return _REASONS.get(exc.errno or 0) or exc.strerror or str(exc)
