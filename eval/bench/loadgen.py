"""A bounded load generator, run as its own process so it does not share an interpreter with the server.

    python -m eval.bench.loadgen --url http://127.0.0.1:8000 --concurrency 16 --duration 10 --max-requests 5000

Each of ``concurrency`` clients sends one request at a time until the duration is over or the request
budget is spent, whichever comes first. Only loopback addresses are accepted. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import itertools
import json
import random
import socket
import sys
import time
from dataclasses import dataclass, field
from urllib.parse import urlparse

import httpx

from .common import Stats, gold_questions

MAX_CONCURRENCY = 256
MAX_DURATION = 120.0
MAX_REQUESTS = 100_000


class LoadError(ValueError):
    """Arguments the load generator refuses; the message says why."""


def loopback_url(url: str) -> str:
    """``url`` if its host resolves to loopback only; anything else is refused."""
    host = urlparse(url).hostname
    if not host:
        raise LoadError(f"not a URL: {url!r}")
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(host, None)}
    except socket.gaierror as exc:
        raise LoadError(f"cannot resolve {host!r}: {exc}") from exc
    if not addresses or not all(ipaddress.ip_address(a.split("%")[0]).is_loopback for a in addresses):
        raise LoadError(f"{host} is not a loopback address: load is only ever sent to this machine")
    return url.rstrip("/")


@dataclass
class Tally:
    """What the clients observed."""

    latencies: list[float] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)
    sent: int = 0

    def error(self, kind: str) -> None:
        self.errors[kind] = self.errors.get(kind, 0) + 1


def query_stream(mix: str, seed: int) -> itertools.cycle | map:
    """The queries to send: gold questions in a shuffled cycle; for ``distinct`` each also gets a unique
    suffix so no query repeats (every request embeds anew)."""
    questions = gold_questions()
    random.Random(seed).shuffle(questions)
    cycle = itertools.cycle(questions)
    if mix == "gold":
        return cycle
    return map(lambda pair: f"{pair[1]} ({pair[0]})", enumerate(cycle))


async def client_loop(
    client: httpx.AsyncClient, endpoint: str, queries, tally: Tally, deadline: float, budget: int
) -> None:
    """One client: a request at a time until the deadline or the shared budget."""
    while time.perf_counter() < deadline and tally.sent < budget:
        tally.sent += 1
        query = next(queries)
        started = time.perf_counter()
        try:
            if endpoint == "ask":
                response = await client.post("/api/ask", json={"question": query})
            else:
                response = await client.get("/api/search", params={"q": query, "k": 10})
        except httpx.HTTPError as exc:
            tally.error(type(exc).__name__)
            continue
        if response.status_code == 200:
            tally.latencies.append(time.perf_counter() - started)
        else:
            tally.error(f"HTTP {response.status_code}")


async def generate(url: str, endpoint: str, concurrency: int, duration: float, budget: int, mix: str, seed: int) -> dict:
    """Run the load and summarise it."""
    tally = Tally()
    queries = query_stream(mix, seed)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=httpx.Timeout(60.0)) as client:
        started = time.perf_counter()
        deadline = started + duration
        await asyncio.gather(*(client_loop(client, endpoint, queries, tally, deadline, budget) for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    stats = Stats.of(tally.latencies)
    return {
        "endpoint": endpoint,
        "mix": mix,
        "concurrency": concurrency,
        "seconds": round(elapsed, 2),
        "requests": tally.sent,
        "ok": len(tally.latencies),
        "errors": tally.errors,
        "requests_per_second": round(len(tally.latencies) / elapsed, 2) if elapsed else 0.0,
        "latency": stats.as_dict(),
    }


def main() -> None:
    """Command-line entry point: prints one JSON object, exits 2 on refused arguments."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="Base URL of the server (loopback only).")
    parser.add_argument("--endpoint", choices=("search", "ask"), default="search")
    parser.add_argument("--concurrency", type=int, default=1)
    parser.add_argument("--duration", type=float, default=10.0, help="Seconds of load.")
    parser.add_argument("--max-requests", type=int, default=5000, help="Request budget across all clients.")
    parser.add_argument("--mix", choices=("gold", "distinct"), default="gold", help="Repeat gold questions, or make each distinct.")
    parser.add_argument("--seed", type=int, default=0)
    arguments = parser.parse_args()
    try:
        url = loopback_url(arguments.url)
        if not 1 <= arguments.concurrency <= MAX_CONCURRENCY:
            raise LoadError(f"--concurrency must be 1..{MAX_CONCURRENCY}")
        if not 0 < arguments.duration <= MAX_DURATION:
            raise LoadError(f"--duration must be in (0, {MAX_DURATION:.0f}] seconds")
        if not 1 <= arguments.max_requests <= MAX_REQUESTS:
            raise LoadError(f"--max-requests must be 1..{MAX_REQUESTS}")
    except LoadError as exc:
        print(f"loadgen: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    summary = asyncio.run(
        generate(url, arguments.endpoint, arguments.concurrency, arguments.duration, arguments.max_requests, arguments.mix, arguments.seed)
    )
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
