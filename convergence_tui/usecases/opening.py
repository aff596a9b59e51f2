"""Opening and creating a campaign file: the questionnaire it is pinned to, another instance that
writes it, a file built whole or not at all.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import __version__
from ..campaign.data import CAMPAIGN, CampaignData, paused_gc
from ..errors import CampaignLocked, UserError
from ..referentiel import Referentiel
from ..referentiel import load as load_referentiel
from ..store import Store, now_utc
from ..store.files import new_campaign_file

if TYPE_CHECKING:
    from .session import Session

DEFAULT_AUTHOR = "anonyme"


class ReferentielChanged(UserError):
    """The campaign was filled with another version of the questionnaire."""


def questionnaire(referentiel: Path | str | Referentiel | None) -> Referentiel:
    return referentiel if isinstance(referentiel, Referentiel) else load_referentiel(referentiel)


def open_campaign(
    cls: type[Session],
    db: Path | str,
    referentiel: Path | str | Referentiel | None = None,
    *,
    readonly: bool = False,
    author: str | None = None,
    migrate: bool = False,
    fallback_readonly: bool = False,
    lazy: bool = False,
) -> Session:
    """Open a campaign. `fallback_readonly`: when another instance writes it, open it read-only
    (the TUI then says so) instead of refusing. `lazy`: load only what the first screen shows
    (the campaign's own answers: the opening view, the first form); the integrity check, the
    items, the scores and the other answers come from `load_in_background()` (usecases/loading.py);
    nothing is written before the check. `migrate`: follow the questionnaire given (journaled)."""
    ref = questionnaire(referentiel)
    locked_elsewhere = False
    try:
        store = Store.open(db, readonly=readonly, check=not lazy or migrate)
    except CampaignLocked:
        if not fallback_readonly:
            raise
        store = Store.open(db, readonly=True)
        locked_elsewhere = True
    try:
        meta = store.meta()
        pinned = (meta.get("referentiel_id"), meta.get("referentiel_version"), meta.get("referentiel_sha256"))
        if pinned[0] not in (None, ref.referentiel.id):
            raise UserError(
                f"{db} : campagne d'un autre questionnaire (« {pinned[0]} ») que celui chargé "
                f"(« {ref.referentiel.id} ») ; passez le bon fichier avec --referentiel."
            )
        changed = pinned[0] is not None and pinned[2] not in (None, ref.sha256)
        if changed and not migrate and not store.readonly:
            what = (f"la version {pinned[1]}" if pinned[1] != ref.referentiel.version
                    else f"une autre variante de la version {pinned[1]}")
            raise ReferentielChanged(
                f"{db} : campagne remplie avec {what} du questionnaire ; le questionnaire chargé est la "
                f"version {ref.referentiel.version}. Lancez « convergence migrate --db {db} » pour passer à "
                "cette version : toutes les réponses sont gardées (celles qui ne correspondent plus à rien "
                "restent listées comme orphelines)."
            )
        data = CampaignData(ref)
        with paused_gc():
            # Lazy: no item at all (services, actions… come with the background read).
            data.load([] if lazy else store.items(), store.answers("first" if lazy else "all"))
    except BaseException:
        store.close()
        raise
    # The campaign's ~100,000 cells live as long as the session: keep the
    # cyclic GC from walking them on every collection (50 ms pauses).
    gc.freeze()
    session = cls(store, ref, data, author or meta.get("author") or DEFAULT_AUTHOR, scored=not lazy)
    session.locked_elsewhere = locked_elsewhere
    session.stage = "first" if lazy else "complete"
    if changed and migrate and not store.readonly:
        # Follow the new version: a journaled change of the pin, no answer touched.
        new = {"id": ref.referentiel.id, "version": ref.referentiel.version, "sha256": ref.sha256}
        store.repin({"id": pinned[0], "version": pinned[1], "sha256": pinned[2]}, new, session.author)
        if not lazy:
            from .covers import adopt_covers

            adopt_covers(session)  # questionnaires up to 2026.2 named one gap per blocker or action
    return session


@contextmanager
def creating_campaign(
    cls: type[Session],
    db: Path | str,
    referentiel: Path | str | Referentiel | None = None,
    *,
    author: str,
    answers: dict[str, Any] | None = None,
) -> Iterator[Session]:
    """A new campaign being filled (wizard, demo, import into a new file): built under a temporary
    name and given its name only when the block ends without error, so a failure leaves nothing."""
    ref = questionnaire(referentiel)
    path = Path(db)
    if path.exists() and path.stat().st_size > 0:
        raise UserError(f"{path} : ce fichier existe déjà ; choisissez un autre nom ou ouvrez-le.")
    with new_campaign_file(path) as tmp:
        store = Store.open(tmp, create=True)
        try:
            store.set_meta(
                referentiel_id=ref.referentiel.id,
                referentiel_version=ref.referentiel.version,
                referentiel_sha256=ref.sha256,
                created_at=now_utc(),
                tool_version=__version__,
                author=author,
            )
            session = cls(store, ref, CampaignData(ref), author)
            if answers:
                session.set_many(CAMPAIGN, answers)
            yield session
            store.seal()  # everything in the file itself before it is given its name
        finally:
            store.close()
