"""Run every benchmark and print a summary: ``python -m eval.bench [--quick]``.

Without ``--quick`` the scale benchmark builds 10k, 100k and 1M chunk corpora (the 1M one takes tens of
minutes on two cores); ``--quick`` measures 10k only and shortens the load levels.
"""

from __future__ import annotations

import argparse

from . import indexing, load, query, research, scale
from .common import BenchError, print_table


def main() -> None:
    """Run query, load, research, indexing and scale in turn; a benchmark that cannot run is reported, not fatal."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10k chunks for scale, 4 s per load level.")
    arguments = parser.parse_args()
    steps = {
        "query": lambda: query.run(),
        "load": lambda: load.run(4.0 if arguments.quick else 10.0, arguments.quick),
        "research": lambda: research.run(10 if arguments.quick else 30),
        "indexing": indexing.run,
        "scale": lambda: scale.run(scale.SIZES[:1] if arguments.quick else scale.SIZES),
    }
    results: dict[str, dict] = {}
    failures: dict[str, str] = {}
    for name, step in steps.items():
        print(f"\n=== {name} ===", flush=True)
        try:
            results[name] = step()
        except BenchError as exc:
            failures[name] = str(exc)
            print(f"{name}: skipped ({exc})")
    print_table("Summary (details above and in eval/bench/results/*.json)", ["benchmark", "headline"], _headlines(results, failures))
    if failures:
        raise SystemExit(1)


def _headlines(results: dict[str, dict], failures: dict[str, str]) -> list[list[str]]:
    rows = []
    if "query" in results:
        latency = results["query"]["in_process"]["latency"]
        http = results["query"]["http"].get("latency", {})
        line = f"embed_query median {latency['embed_query']['median_ms']} ms; search cold {latency['search_cold']['median_ms']} ms, warm {latency['search_warm']['median_ms']} ms in process"
        if http:
            line += f"; HTTP search cold {http['search_cold']['median_ms']} ms, warm {http['search_warm']['median_ms']} ms"
        rows.append(["query", line])
    if "load" in results:
        best = max((run for entry in results["load"]["results"] for run in entry["runs"]), key=lambda run: run["requests_per_second"])
        rows.append(["load", f"best {best['requests_per_second']} req/s ({best['mix']} queries, {best['concurrency']} clients, p99 {best['latency']['p99_ms']} ms)"])
    if "research" in results:
        local = results["research"]["in_process"]
        rows.append(["research", f"coverage cold {local['coverage_cold']['median_ms']} ms, warm {local['coverage_warm']['median_ms']} ms; compare {local['compare']['median_ms']} ms; similar {local['similar']['median_ms']} ms (in process, medians)"])
    if "indexing" in results:
        full, incremental = results["indexing"]["full"], results["indexing"]["incremental"]
        rows.append(["indexing", f"full build {full['seconds']} s ({full['chunks']} chunks), one changed document {incremental['seconds']} s, peak {full['peak_rss_mb']} MiB"])
    if "scale" in results:
        for size, entry in sorted(results["scale"]["sizes"].items(), key=lambda pair: int(pair[0])):
            hnsw = entry["faiss_hnsw"]
            rows.append(["scale", f"{int(size):,} chunks: flat {entry['faiss_flat']['latency']['median_ms']} ms, HNSW {hnsw['latency']['median_ms']} ms (recall@10 {hnsw['recall_at_10']}), BM25 {entry['bm25']['latency']['median_ms']} ms"])
    rows.extend([name, f"skipped: {reason}"] for name, reason in failures.items())
    return rows


if __name__ == "__main__":
    main()
