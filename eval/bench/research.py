"""Research tools' latency: the coverage table, the comparison of two report versions, what's new, more like
this and a development question, in process and over HTTP.

    python -m eval.bench.research [--repeat N]

Topics are the coverage questions of the gold sets (list and coverage types); each is timed cold (first
time since start-up: its query embedding is computed) and warm. The comparison and what's new need no
embedding, so they are timed ``--repeat`` times. More like this is timed from every tenth chunk.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from urllib.parse import quote

from .common import (
    ROOT,
    BenchError,
    Stats,
    bench_settings,
    ensure_index,
    load_average,
    print_table,
    serve,
    write_result,
)

EARLIER, LATER = "rinkeby-kista-naringsliv-2022-t1", "rinkeby-kista-naringsliv-2022-t2"
DEVELOPMENT = (
    "Hur har arbetet med medborgarvärdar utvecklats mellan 2017 och 2022?",
    "Hur har trygghetsvandringarna förändrats över tid?",
)


def coverage_topics() -> list[str]:
    """The questions of the gold sets that a coverage table answers (list and coverage questions)."""
    topics = []
    for name in ("questions.jsonl", "research.jsonl"):
        for line in (ROOT / "eval" / "gold" / name).read_text("utf-8").splitlines():
            if line.strip() and (entry := json.loads(line))["type"] in ("list", "coverage"):
                topics.append(entry["question"])
    return list(dict.fromkeys(topics))


def timed(function, inputs) -> Stats:
    """Latency of ``function`` over ``inputs``."""
    seconds = []
    for item in inputs:
        started = time.perf_counter()
        function(item)
        seconds.append(time.perf_counter() - started)
    return Stats.of(seconds)


def in_process(index_dir: Path, topics: list[str], repeat: int) -> dict:
    """Each tool called as the routes call it, on one loaded engine."""
    from service.coverage import coverage
    from service.engine import load_engine
    from service.similar import similar_passages
    from service.versions import compare, whats_new

    engine = load_engine(bench_settings(index_dir))
    engine.searcher.search("uppvärmning")
    sources = [engine.index.chunks[p].chunk_id for p in range(0, len(engine.index.chunks), 10)]
    return {
        "coverage_cold": timed(lambda q: coverage(engine, q), topics).as_dict(),
        "coverage_warm": timed(lambda q: coverage(engine, q), topics).as_dict(),
        "compare": timed(lambda _: compare(engine, EARLIER, LATER), range(repeat)).as_dict(),
        "whats_new": timed(lambda _: whats_new(engine, LATER), range(repeat)).as_dict(),
        "similar": timed(lambda chunk_id: similar_passages(engine, chunk_id, 10), sources).as_dict(),
        "ask_development_cold": timed(engine.answerer.ask, DEVELOPMENT).as_dict(),
    }


def over_http(index_dir: Path, topics: list[str], repeat: int) -> dict:
    """The same over HTTP against a freshly started server (so the first coverage pass is cold)."""
    import httpx

    failures: dict[str, int] = {}

    def get(client: httpx.Client, name: str, path: str, **params) -> None:
        if client.get(path, params=params).status_code != 200:
            failures[name] = failures.get(name, 0) + 1

    with serve(index_dir) as server, httpx.Client(base_url=server.url, timeout=60.0) as client:
        sources = [r["chunk_id"] for r in client.get("/api/search", params={"q": "trygghet", "k": 20}).json()["results"]]
        results = {
            "coverage_cold": timed(lambda q: get(client, "coverage", "/api/coverage", q=q), topics).as_dict(),
            "coverage_warm": timed(lambda q: get(client, "coverage", "/api/coverage", q=q), topics).as_dict(),
            "compare": timed(
                lambda _: get(client, "compare", f"/api/documents/{EARLIER}/compare", **{"with": LATER}), range(repeat)
            ).as_dict(),
            "whats_new": timed(lambda _: get(client, "whats_new", f"/api/documents/{LATER}/whats-new"), range(repeat)).as_dict(),
            "similar": timed(
                lambda chunk_id: get(client, "similar", f"/api/passages/{quote(chunk_id, safe='')}/similar"), sources
            ).as_dict(),
        }
    return {"latency": results, "errors": failures}


def run(repeat: int) -> dict:
    """Measure, print the table, write ``results/research.json``."""
    started_load = load_average()
    index_dir = ensure_index()
    topics = coverage_topics()
    local = in_process(index_dir, topics, repeat)
    http = over_http(index_dir, topics, repeat)
    rows = [[f"in-process {name.replace('_', ' ')}", s["n"], s["median_ms"], s["p95_ms"], s["max_ms"]] for name, s in local.items()]
    rows += [[f"HTTP {name.replace('_', ' ')}", s["n"], s["median_ms"], s["p95_ms"], s["max_ms"]] for name, s in http["latency"].items()]
    print_table(f"Research tools, {len(topics)} coverage topics, ms", ["what", "n", "median", "p95", "max"], rows)
    if http["errors"]:
        print(f"\nHTTP errors: {http['errors']}")
    payload = {"topics": len(topics), "repeat": repeat, "in_process": local, "http": http}
    write_result("research", payload, started_load)
    return payload


def main() -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=30, help="Times the comparison and what's new are timed.")
    arguments = parser.parse_args()
    try:
        run(max(1, arguments.repeat))
    except BenchError as exc:
        raise SystemExit(f"research benchmark failed: {exc}") from None


if __name__ == "__main__":
    main()
