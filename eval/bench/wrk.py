"""Load from wrk (Debian's ``wrk``), a C load generator in its own process: a Python generator on the same
two cores took enough of them to throttle the server it measured (64 clients: 60-80 requests/s from an
asyncio + httpx generator, 206 from wrk, against the same server).

A Lua script gives wrk the queries: the gold questions in a shuffled cycle, and for the ``distinct`` mix
each with a number suffix unique to the request, so that every request embeds anew. The numbers of a run
begin at a random offset: a counter from 0 in every run would find the previous runs' queries in the
server's cache (which made 16 clients look three times faster than they were). Its ``done`` hook prints
one JSON line with the counts and latency percentiles. Only loopback addresses are accepted.
"""

from __future__ import annotations

import ipaddress
import json
import random
import secrets
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path
from urllib.parse import quote, urlparse

from .common import BenchError, gold_questions

SUMMARY = """
done = function(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d, ' ..
    '"mean_us": %.1f, "p50_us": %d, "p90_us": %d, "p99_us": %d, "max_us": %d}\\n',
    summary.requests, summary.duration, errors.connect, errors.read, errors.write, errors.status, errors.timeout,
    latency.mean, latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
"""


def loopback_url(url: str) -> str:
    """``url`` if its host resolves to loopback only; anything else is refused."""
    host = urlparse(url).hostname
    if not host:
        raise BenchError(f"not a URL: {url!r}")
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(host, None)}
    except socket.gaierror as exc:
        raise BenchError(f"cannot resolve {host!r}: {exc}") from exc
    if not addresses or not all(ipaddress.ip_address(a.split("%")[0]).is_loopback for a in addresses):
        raise BenchError(f"{host} is not a loopback address: load is only ever sent to this machine")
    return url.rstrip("/")


def script(mix: str, seed: int = 0, first: int = 0) -> str:
    """The Lua script: the request paths of the gold questions and how each request picks one; the
    distinct suffixes count from ``first``."""
    questions = gold_questions()
    random.Random(seed).shuffle(questions)
    paths = ", ".join(json.dumps(f"/api/search?k=10&q={quote(q)}") for q in questions)
    # A unique " (n)" after the question makes every query new to the server's embedding cache.
    suffix = ' .. "%20%28" .. counter .. "%29"' if mix == "distinct" else ""
    return (
        f"paths = {{{paths}}}\ncounter = {first}\n"
        "request = function()\n  counter = counter + 1\n"
        f"  return wrk.format(\"GET\", paths[(counter % #paths) + 1]{suffix})\nend\n" + SUMMARY
    )


def run(url: str, mix: str, connections: int, seconds: float) -> dict:
    """Drive ``url``'s /api/search with ``connections`` clients for ``seconds``; the summary in milliseconds."""
    binary = shutil.which("wrk")
    if binary is None:
        raise BenchError("wrk is not installed: `apt-get install wrk` (Debian's package)")
    url = loopback_url(url)
    with tempfile.TemporaryDirectory(prefix="stadshus-wrk-") as folder:
        lua = Path(folder) / "queries.lua"
        lua.write_text(script(mix, first=secrets.randbelow(10**5) * 10**4), encoding="utf-8")
        done = subprocess.run(
            [binary, "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--timeout", "30s", "-s", str(lua), url],
            capture_output=True, text=True, timeout=seconds + 120,
        )
    if done.returncode != 0:
        raise BenchError(f"wrk failed (exit {done.returncode}): {done.stderr[-2000:]}")
    raw = json.loads(done.stdout.strip().splitlines()[-1])
    errors = {kind: raw[kind] for kind in ("connect", "read", "write", "status", "timeout") if raw[kind]}
    ok = raw["requests"] - raw["status"]
    return {
        "mix": mix,
        "concurrency": connections,
        "seconds": round(raw["duration_us"] / 1e6, 2),
        "requests": raw["requests"],
        "ok": ok,
        "errors": errors,
        "requests_per_second": round(ok / (raw["duration_us"] / 1e6), 2),
        "latency": {
            "mean_ms": round(raw["mean_us"] / 1000, 3),
            "median_ms": round(raw["p50_us"] / 1000, 3),
            "p90_ms": round(raw["p90_us"] / 1000, 3),
            "p99_ms": round(raw["p99_us"] / 1000, 3),
            "max_ms": round(raw["max_us"] / 1000, 3),
        },
    }
