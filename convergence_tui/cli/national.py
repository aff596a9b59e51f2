"""`convergence national BUNDLE… --out DIR`: the ANS's national view (DESIGN.md §9)."""

from __future__ import annotations

import argparse
import json
import sys

from .bundle import trust_anchors


def cmd_national(args: argparse.Namespace) -> int:
    from ..bundle.verify import questionnaire_file
    from ..escaping import json_printable, printable
    from ..usecases.national import consolidate, outcome_lines

    # Same rules as `verify`: --referentiel names a questionnaire to compare with, --trust (or the
    # settings' trust) the anchors the signers must chain to.
    compare_with = questionnaire_file(args.referentiel) if args.referentiel else None
    anchors = trust_anchors(args)
    result = consolidate(args.bundles, args.out, anchors, compare_with,
                         progress=lambda step: print(f"… {step}", file=sys.stderr))
    for r in result.consolidation.rejected:
        print(f"REFUSÉ — {printable(r.reason, multiline=True)}", file=sys.stderr)
    if args.json:
        sys.stdout.write(json_printable(json.dumps(result.document, ensure_ascii=False)) + "\n")
    else:
        for line in outcome_lines(result):
            print(line)
    return result.consolidation.exit_code
