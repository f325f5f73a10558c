"""What every benchmark shares: the cached index, the gold questions, the server process, statistics,
tables and the JSON results with the conditions they were measured under."""

from __future__ import annotations

import json
import os
import platform
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
RESULTS_DIR = Path(__file__).resolve().parent / "results"
CACHE_DIR = ROOT / ".cache" / "bench"
CORPUS_DIR = ROOT / "corpus"
GAZETTEER = CORPUS_DIR / "districts.yaml"
GOLD_FILE = ROOT / "eval" / "gold" / "questions.jsonl"
STADSHUS = ROOT / ".venv" / "bin" / "stadshus"
CONDITIONS = (
    "Measured on a 2-core machine; load_average_before/after say how busy it was (other processes inflate "
    "latencies, tails most)."
)


class BenchError(RuntimeError):
    """A benchmark cannot run (no index, server did not start, ...); the message says why."""


def gold_questions() -> list[str]:
    """The distinct question texts of the gold file, in file order."""
    questions = [json.loads(line)["question"] for line in GOLD_FILE.read_text("utf-8").splitlines() if line.strip()]
    return list(dict.fromkeys(questions))


@dataclass(frozen=True)
class Stats:
    """Latency summary in milliseconds."""

    n: int
    mean: float | None
    median: float | None
    p95: float | None
    p99: float | None
    max: float | None

    @classmethod
    def of(cls, seconds: Sequence[float]) -> Stats:
        """Summarise samples given in seconds; without samples every figure is None (null in JSON)."""
        if not len(seconds):
            return cls(0, None, None, None, None, None)
        ms = np.asarray(seconds, dtype=np.float64) * 1000
        return cls(
            n=len(ms),
            mean=round(float(ms.mean()), 3),
            median=round(float(np.median(ms)), 3),
            p95=round(float(np.percentile(ms, 95)), 3),
            p99=round(float(np.percentile(ms, 99)), 3),
            max=round(float(ms.max()), 3),
        )

    def as_dict(self) -> dict[str, float | None]:
        """The summary as a JSON object."""
        return {"n": self.n, "mean_ms": self.mean, "median_ms": self.median, "p95_ms": self.p95, "p99_ms": self.p99, "max_ms": self.max}


def load_average() -> list[float]:
    """The 1, 5 and 15 minute load averages (how busy the shared machine was)."""
    return [round(x, 2) for x in os.getloadavg()]


def rss_mb(pid: int | str = "self") -> float:
    """Resident memory of a process in MiB, from /proc (0 when the process is gone)."""
    return _status_mb(pid, "VmRSS")


def tree_rss_mb(pid: int) -> float:
    """Resident memory of a process and its children (uvicorn workers), in MiB; shared pages count once per process."""
    total = rss_mb(pid)
    for child in _children(pid):
        total += tree_rss_mb(child)
    return total


def descendants(pid: int) -> list[int]:
    """The processes below ``pid`` (children, their children, ...)."""
    found = []
    for child in _children(pid):
        found.extend([child, *descendants(child)])
    return found


def process_peak_rss_mb(pid: int | str = "self") -> float:
    """Peak resident memory of a process so far (VmHWM) in MiB, from /proc (0 when the process is gone)."""
    return _status_mb(pid, "VmHWM")


def _status_mb(pid: int | str, field: str) -> float:
    """A memory figure of ``/proc/<pid>/status`` (given there in kB) in MiB; 0 when the process is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(part) for part in text.split()]


def directory_mb(path: Path) -> float:
    """Bytes of all files under ``path``, in MiB."""
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 2**20


def print_table(title: str, headers: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    """A plain fixed-width table on stdout (pasteable into Markdown as is)."""
    cells = [[_cell(value) for value in row] for row in rows]
    widths = [max(len(h), *(len(row[i]) for row in cells)) if cells else len(h) for i, h in enumerate(headers)]
    print(f"\n{title}")
    print("| " + " | ".join(h.ljust(w) for h, w in zip(headers, widths)) + " |")
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for raw, row in zip(rows, cells):
        # Numbers line up on the right, words on the left.
        aligned = (c.rjust(w) if isinstance(v, int | float) else c.ljust(w) for v, c, w in zip(raw, row, widths))
        print("| " + " | ".join(aligned) + " |")


def _cell(value: object) -> str:
    if isinstance(value, float):
        return f"{value:,.1f}" if abs(value) >= 100 else f"{value:.3g}" if value else "0"
    return str(value)


def write_result(name: str, payload: dict, started_load: list[float]) -> Path:
    """Write ``payload`` with the measuring conditions to ``results/<name>.json``."""
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    record = {
        "benchmark": name,
        "measured_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
        "load_average_before": started_load,
        "load_average_after": load_average(),
        "note": CONDITIONS,
        **payload,
    }
    path = RESULTS_DIR / f"{name}.json"
    path.write_text(json.dumps(record, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"\nwrote {path.relative_to(ROOT)}")
    return path


def bench_settings(index_dir: Path, corpus_dir: Path = CORPUS_DIR, gazetteer: Path = GAZETTEER):
    """Settings for a benchmark, with absolute paths."""
    from indexer.settings import Settings

    return Settings(index_dir=index_dir, corpus_dir=corpus_dir, gazetteer=gazetteer)


def ensure_index() -> Path:
    """The index folder the benchmarks query: the repo's ``index/`` if built, else ``.cache/bench/index``
    (built once with the real embedder and kept)."""
    from indexer.storage import IndexProblem, current_build

    for candidate in (ROOT / "index", CACHE_DIR / "index"):
        try:
            current_build(candidate)
            return candidate
        except IndexProblem:
            continue
    from indexer.pipeline import build_index

    target = CACHE_DIR / "index"
    print(f"building the benchmark index in {target.relative_to(ROOT)} (once) ...", flush=True)
    report = build_index(bench_settings(target))
    print(f"  {report.chunks} chunks in {report.seconds:.1f} s", flush=True)
    return target


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_environment(index_dir: Path) -> dict[str, str]:
    """The environment a served Stadshus needs to find the benchmark index (the embedder's threads as
    they come by default: ``STADSHUS_*`` and ``OMP_NUM_THREADS`` are not passed on)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("STADSHUS_") and k != "OMP_NUM_THREADS"}
    env.update(
        STADSHUS_INDEX_DIR=str(index_dir),
        STADSHUS_CORPUS_DIR=str(CORPUS_DIR),
        STADSHUS_GAZETTEER=str(GAZETTEER),
        HF_HUB_OFFLINE="1",
    )
    # The review store the server opens at start-up: the benchmark's own, never the repo's data/.
    env["STADSHUS_DB_URL"] = f"sqlite:///{CACHE_DIR / 'reviews.db'}"
    return env


@dataclass
class Server:
    """A running ``stadshus serve`` on 127.0.0.1."""

    url: str
    process: subprocess.Popen
    startup_seconds: float

    def rss_mb(self) -> float:
        """Resident memory of the server and its workers, in MiB."""
        return tree_rss_mb(self.process.pid)


@contextmanager
def serve(index_dir: Path, workers: int = 1, timeout: float = 180.0) -> Iterator[Server]:
    """Start ``stadshus serve`` on a free port, wait for /healthz, and stop it on exit."""
    if not STADSHUS.is_file():
        raise BenchError(f"{STADSHUS.relative_to(ROOT)} is missing: run `make install` first")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    log_path = CACHE_DIR / f"server-{port}.log"
    with log_path.open("wb") as log:
        started = time.perf_counter()
        process = subprocess.Popen(
            [str(STADSHUS), "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)],
            cwd=ROOT,
            env=server_environment(index_dir),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            _wait_until_healthy(process, url, started, timeout, log_path)
            yield Server(url, process, time.perf_counter() - started)
        finally:
            _stop(process)


def _wait_until_healthy(process: subprocess.Popen, url: str, started: float, timeout: float, log_path: Path) -> None:
    """Poll /healthz until it answers 200; a server that exits or stays silent is a BenchError."""
    import httpx

    while True:
        if process.poll() is not None:
            raise BenchError(f"the server exited with code {process.returncode}; see {log_path}")
        if time.perf_counter() - started > timeout:
            raise BenchError(f"the server did not answer /healthz within {timeout:.0f} s; see {log_path}")
        try:
            if httpx.get(f"{url}/healthz", timeout=2.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.25)


def _stop(process: subprocess.Popen) -> None:
    """Stop the server's process group (uvicorn's workers with it): politely, then firmly."""
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def run_child(module: str, *args: str, timeout: float = 3600, env: dict[str, str] | None = None) -> dict:
    """Run ``python -m module args`` and parse the JSON object it prints last (children isolate memory);
    ``env`` adds to (or overrides) this process's environment."""
    completed = subprocess.run(
        [sys.executable, "-m", module, *args],
        cwd=ROOT,
        env={**os.environ, "HF_HUB_OFFLINE": "1", **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if completed.returncode != 0:
        raise BenchError(f"{module} {' '.join(args)} failed (exit {completed.returncode}):\n{completed.stderr[-3000:]}")
    return json.loads(completed.stdout.strip().splitlines()[-1])
