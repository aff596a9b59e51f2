"""Child process for the crash test: saves answers through the real session, one line per save
that returned, until it is killed."""

from __future__ import annotations

import sys

from convergence_tui.usecases.session import Session


def main() -> None:
    db, run = sys.argv[1], int(sys.argv[2])
    with Session.open(db) as session:
        scopes = [f"{sid}/{c.id}" for sid in session.data.live_ids("service") for c in session.candidates(sid)]
        print("ready", flush=True)
        for i, scope in enumerate(scopes):
            value = f"{run}:{i}"
            session.set_answer(scope, "comment", value)
            # Printed only once the save has returned: this change must survive a kill from now on.
            print(f"saved {scope} {value}", flush=True)
        print("done", flush=True)


if __name__ == "__main__":
    main()
