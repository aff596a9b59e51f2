"""Persistence of one campaign in one SQLite file (sqlite-utils)."""

from ..cells import ITEM_FIELD, Cell, Change, JournalRow
from .db import Store, now_utc
from .migrations import SCHEMA_VERSION

__all__ = ["ITEM_FIELD", "SCHEMA_VERSION", "Cell", "Change", "JournalRow", "Store", "now_utc"]
