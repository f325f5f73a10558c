"""CLI start-up: wall time of ``stadshus --help`` and of one ``stadshus search`` (default embedder), each
run as a fresh process several times, as an operator or a script calls it.

    python -m eval.bench.startup [--runs N]
"""

from __future__ import annotations

import argparse
import subprocess
import time

from .common import STADSHUS, BenchError, Stats, ensure_index, load_average, print_table, server_environment, write_result

QUERY = "vilka stadsdelar arbetar med medborgarvärdar?"
COMMANDS = {"help": ["--help"], "search": ["search", QUERY]}


def run(runs: int = 7) -> dict:
    """Time each command ``runs`` times (after one unmeasured run), print the table, write ``results/startup.json``."""
    if not STADSHUS.exists():
        raise BenchError(f"{STADSHUS} is missing (run `make install`)")
    started_load = load_average()
    env = server_environment(ensure_index())
    figures = {}
    for name, arguments in COMMANDS.items():
        seconds = [_timed([str(STADSHUS), *arguments], env) for _ in range(runs + 1)][1:]
        figures[name] = Stats.of(seconds).as_dict()
    rows = [[name, f["n"], f["median_ms"], f["p95_ms"], f["max_ms"]] for name, f in figures.items()]
    print_table("stadshus start-up, wall time of a fresh process (ms)", ["command", "runs", "median", "p95", "max"], rows)
    payload = {"query": QUERY, "commands": figures}
    write_result("startup", payload, started_load)
    return payload


def _timed(command: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, check=False)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise BenchError(f"{' '.join(command[1:])} failed: {done.stderr.decode(errors='replace')[-500:]}")
    return elapsed


def main() -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="Measured runs per command.")
    try:
        run(parser.parse_args().runs)
    except BenchError as exc:
        raise SystemExit(f"start-up benchmark failed: {exc}") from None


if __name__ == "__main__":
    main()
