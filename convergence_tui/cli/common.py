"""What every command shares: the campaign file it works on."""

from __future__ import annotations

import argparse
from pathlib import Path


def resolve_db(args: argparse.Namespace) -> Path:
    from ..paths import default_db

    return args.db if args.db is not None else default_db()
