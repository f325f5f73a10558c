"""Throughput under concurrent clients: ``/api/search`` on a served Stadshus, driven by wrk (``wrk.py``) in
a separate process at 1, 4, 16 and 64 clients.

    python -m eval.bench.load [--quick] [--duration SECONDS]

Two query mixes: ``gold`` repeats the gold questions after a warm-up pass, so every query embedding comes
from the server's cache (the search cost alone); ``distinct`` makes each query unique, so every request
embeds (the cost of new queries). The distinct mix is also run with two uvicorn workers, and with the
embedder held to one OpenMP thread (``STADSHUS_EMBED_THREADS=1``) against the default (every core for a
query embedded alone, one each for concurrent ones).
"""

from __future__ import annotations

import argparse

import httpx

from . import wrk
from .common import BenchError, ensure_index, gold_questions, load_average, print_table, serve, write_result

LEVELS = (1, 4, 16, 64)
# (uvicorn workers, the embedder's threads (STADSHUS_EMBED_THREADS; None: the default), query mix)
CONFIGURATIONS = (
    (1, None, "gold"),
    (1, None, "distinct"),
    (1, 1, "distinct"),
    (2, None, "distinct"),
)


def drive(url: str, mix: str, levels: tuple[int, ...], duration: float) -> list[dict]:
    """One wrk run per concurrency level, one after another."""
    runs = []
    for concurrency in levels:
        summary = wrk.run(url, mix, concurrency, duration)
        runs.append(summary)
        print(f"  {mix:8} c={concurrency:<3} {summary['requests_per_second']:7.1f} req/s  "
              f"p50 {summary['latency']['median_ms']} ms  p99 {summary['latency']['p99_ms']} ms  errors {summary['errors']}", flush=True)
    return runs


def run(duration: float, quick: bool) -> dict:
    """Measure, print the table, write ``results/load.json``."""
    started_load = load_average()
    index_dir = ensure_index()
    configurations = CONFIGURATIONS[:2] if quick else CONFIGURATIONS
    results = []
    for workers, threads, mix in configurations:
        with serve(index_dir, workers=workers, threads=threads) as server:
            if mix == "gold":
                # One pass so every gold question's embedding is cached before measuring.
                with httpx.Client(base_url=server.url, timeout=60.0) as client:
                    for question in gold_questions():
                        client.get("/api/search", params={"q": question, "k": 10})
            print(f"workers={workers} threads={threads or 'default'} mix={mix} (server up in {server.startup_seconds:.1f} s)", flush=True)
            runs = drive(server.url, mix, LEVELS, duration)
            results.append(
                {"workers": workers, "embed_threads": threads or "default", "mix": mix, "server_rss_mb": round(server.rss_mb(), 1), "runs": runs}
            )
    rows = [
        [
            entry["workers"], entry["embed_threads"], entry["mix"], r["concurrency"], r["requests"], r["requests_per_second"],
            r["latency"]["median_ms"], r["latency"]["p99_ms"], sum(r["errors"].values()), entry["server_rss_mb"],
        ]
        for entry in results
        for r in entry["runs"]
    ]
    print_table(
        f"/api/search under load from wrk, {duration:.0f} s per level, latency in ms",
        ["workers", "threads", "mix", "clients", "requests", "req/s", "p50", "p99", "errors", "server RSS MiB"],
        rows,
    )
    payload = {"endpoint": "/api/search", "generator": "wrk", "duration_per_level_s": duration, "results": results}
    write_result("load", payload, started_load)
    return payload


def main() -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="One worker with the default thread only, 4 s per level.")
    parser.add_argument("--duration", type=float, default=None, help="Seconds per level (default 10, quick 4).")
    arguments = parser.parse_args()
    duration = arguments.duration or (4.0 if arguments.quick else 10.0)
    try:
        run(duration, arguments.quick)
    except BenchError as exc:
        raise SystemExit(f"load benchmark failed: {exc}") from None


if __name__ == "__main__":
    main()
