"""`python -m eval`: the same evaluation as `stadshus eval`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .gold import Split
from .run import main
from .systems import GROUPS, SPECS


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    """The command-line arguments."""
    parser = argparse.ArgumentParser(
        prog="python -m eval",
        description="Utvärdera sökning och svar mot guldfrågorna (eval/gold/questions.jsonl och research.jsonl).",
    )
    parser.add_argument("--split", choices=[s.value for s in Split], default=Split.test.value, help="Vilka frågor (standard: test).")
    parser.add_argument(
        "--systems",
        nargs="+",
        metavar="SYSTEM",
        help=f"System eller grupper (standard: all). System: {', '.join([*SPECS, 'langchain'])}; grupper: {', '.join(GROUPS)}.",
    )
    parser.add_argument(
        "--reviews",
        type=Path,
        metavar="PATH",
        help="Poängsätt också granskningskandidater (från `stadshus review export`), redovisade för sig.",
    )
    parser.add_argument("--json", action="store_true", help="Skriv ut ett JSON-objekt.")
    parser.add_argument("--no-report", action="store_true", help="Skriv inte eval/report.md och eval/recall_at_k.png.")
    parser.add_argument(
        "--record",
        action="store_true",
        help="Spara dev-delens värden i eval/figures.json för regressionstestet (kör hybrid på dev, ingen rapport).",
    )
    return parser.parse_args(argv)


def run(argv: list[str] | None = None) -> int:
    """Parse ``argv`` and run the evaluation; the exit code."""
    args = parse(argv)
    if args.record:
        return main(Split.dev, ["hybrid"], args.json, write_report=False, record=True, reviews=args.reviews)
    return main(args.split, args.systems, args.json, write_report=not args.no_report, reviews=args.reviews)


if __name__ == "__main__":
    sys.exit(run())
