"""Hostile files: for each file that once stopped or stalled indexing (issue 17), a build of a corpus holding
it and one ordinary document, in a child process with the real embedder: wall time, time spent reading,
peak memory of the build and of its reader processes, and what became of the file.

    python -m eval.bench.hostile [--case NAME ...]

The files are written by tests/generated_files.py (fpdf2 and python-docx, the development dependencies).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

from .common import (
    GAZETTEER,
    ROOT,
    BenchError,
    bench_settings,
    descendants,
    load_average,
    print_table,
    process_peak_rss_mb,
    run_child,
    write_result,
)

MODULE = "eval.bench.hostile"
ORDINARY = (
    "Trygghet i Skärholmen 2021\n\nMedborgarvärdar\n\n"
    "Stadsdelsförvaltningen anställer medborgarvärdar som rör sig i Vårberg på kvällar och helger.\n"
)
SAMPLE_SECONDS = 0.02


def _hostile_files() -> dict:
    sys.path.insert(0, str(ROOT))
    from tests.generated_files import HOSTILE_FILES

    return HOSTILE_FILES


class ReaderPeak:
    """The highest peak resident memory (VmHWM) any process below this one reaches while it runs: the
    fork server and the reader processes, sampled until stopped."""

    def __init__(self) -> None:
        self.mb = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> ReaderPeak:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    def _sample(self) -> None:
        while not self._stop.wait(SAMPLE_SECONDS):
            for pid in descendants(os.getpid()):
                self.mb = max(self.mb, process_peak_rss_mb(pid))


def child(case: str) -> dict:
    """Build the index of a corpus of one ordinary document and the hostile file ``case``."""
    from indexer.pipeline import build_index

    with tempfile.TemporaryDirectory(prefix="stadshus-hostile-") as scratch:
        corpus, index = Path(scratch) / "corpus", Path(scratch) / "index"
        corpus.mkdir()
        (corpus / "vanlig.txt").write_text(ORDINARY, encoding="utf-8")
        names = _hostile_files()[case](corpus)
        size = sum(os.lstat(os.path.join(os.fsencode(corpus), os.fsencode(n))).st_size for n in names)
        reading_done = [0.0]

        def progress(stage: str, done: int, total: int) -> None:
            if stage == "reading" and done == total:
                reading_done[0] = time.perf_counter()

        started = time.perf_counter()
        with ReaderPeak() as readers:
            report = build_index(bench_settings(index, corpus, GAZETTEER), progress=progress)
        return {
            "case": case,
            "files": [os.fsencode(name).decode("utf-8", "backslashreplace") for name in names],
            "bytes": size,
            "seconds": round(report.seconds, 2),
            "reading_seconds": round(reading_done[0] - started, 2),
            "peak_rss_mb": round(process_peak_rss_mb(), 1),
            "reader_peak_rss_mb": round(readers.mb, 1),
            "documents": report.documents,
            "chunks": report.chunks,
            "skipped": [{"path": s.path, "reason": s.reason} for s in report.skipped],
        }


def run(cases: list[str] | None = None) -> dict:
    """Measure every case (or the named ones), print the table, write ``results/hostile.json``."""
    started_load = load_average()
    results = []
    for case in cases or list(_hostile_files()):
        print(f"{case} ...", flush=True)
        results.append(run_child(MODULE, "--child", case, timeout=1800))
    rows = [
        [
            r["case"],
            f"{r['bytes']:,}",
            r["seconds"],
            r["reading_seconds"],
            r["peak_rss_mb"],
            r["reader_peak_rss_mb"],
            r["documents"],
            "; ".join(f"{s['path']}: {s['reason']}" for s in r["skipped"]) or "indexed",
        ]
        for r in results
    ]
    print_table(
        "Builds of one ordinary document and one hostile file (real embedder; reading = until every file is read)",
        ["case", "bytes", "build s", "reading s", "peak RSS MiB", "reader peak MiB", "documents", "outcome"],
        rows,
    )
    payload = {"cases": results}
    write_result("hostile", payload, started_load)
    return payload


def main() -> None:
    """Command-line entry point (``--child`` is how the parent runs each measured case)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--case", action="append", help="Only this case (repeatable).")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.child:
        print(json.dumps(child(arguments.child), ensure_ascii=False))
        return
    try:
        run(arguments.case)
    except BenchError as exc:
        raise SystemExit(f"hostile-files benchmark failed: {exc}") from None


if __name__ == "__main__":
    main()
