"""Work on untrusted input in worker processes bounded in time and memory.

A function that takes too long is killed with its worker process, one that allocates past the memory limit
gets a MemoryError (or dies), and a worker that crashes is replaced: each outcome becomes a ``Failure``
with a reason, and the other inputs are processed on. Workers come from a fork server, so starting one
costs a fork of an interpreter that has the readers imported, not a fresh interpreter.
"""

from __future__ import annotations

import multiprocessing
import resource
import signal
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from typing import Generic, TypeVar

from pebble import ProcessExpired, ProcessPool

T = TypeVar("T")
R = TypeVar("R")
# Imported once into the fork server, so that every worker forked from it starts with the readers loaded.
# (Each worker still imports the parent's main script, as multiprocessing does: keep scripts light and
# guarded by ``if __name__ == "__main__"``; ``python -m`` packages and the `stadshus` command are.)
PRELOAD = ["indexer.reading"]


@dataclass(frozen=True, slots=True)
class Limits:
    """What one call may take: wall-clock seconds and bytes of address space."""

    seconds: float
    memory_bytes: int


@dataclass(frozen=True, slots=True)
class Failure:
    """Why a call gave no result."""

    reason: str


@dataclass(frozen=True, slots=True)
class Outcome(Generic[T, R]):
    """One input and what became of it: a result, or a failure."""

    item: T
    result: R | Failure


class BoundedWorkers:
    """A pool of worker processes, each call bounded by ``limits``; use it as a context manager."""

    def __init__(self, workers: int, limits: Limits):
        self.workers = workers
        self.limits = limits
        self._pool: ProcessPool | None = None

    def __enter__(self) -> BoundedWorkers:
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(PRELOAD)
        self._pool = ProcessPool(
            max_workers=self.workers,
            initializer=_limit_memory,
            initargs=(self.limits.memory_bytes,),
            context=context,
        )
        return self

    def __exit__(self, *exc_info: object) -> None:
        assert self._pool is not None
        if exc_info[0] is None:
            self._pool.close()
        else:
            self._pool.stop()
        self._pool.join()
        self._pool = None

    def map(self, function: Callable[[T], R], items: Iterable[T]) -> Iterator[Outcome[T, R]]:
        """``function(item)`` for every item, run in the workers; outcomes come in the items' order."""
        assert self._pool is not None, "use BoundedWorkers as a context manager"
        scheduled = [(item, self._pool.schedule(function, (item,), timeout=self.limits.seconds)) for item in items]
        for item, future in scheduled:
            try:
                yield Outcome(item, future.result())
            except FutureTimeout:
                yield Outcome(item, Failure(f"took longer than {self.limits.seconds:g} s, and was stopped"))
            except MemoryError:
                yield Outcome(item, Failure(f"needed more than {self.limits.memory_bytes / 2**20:,.0f} MiB of memory"))
            except ProcessExpired as exc:
                yield Outcome(item, Failure(f"its worker process died ({_death(exc.exitcode)})"))
            except Exception as exc:  # noqa: BLE001 - whatever one input raises, the others go on
                yield Outcome(item, Failure(f"failed ({type(exc).__name__}: {exc})"))


def _limit_memory(memory_bytes: int) -> None:
    """Run in each worker as it starts: cap its address space, so that allocating past it fails."""
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    limit = memory_bytes if hard == resource.RLIM_INFINITY else min(memory_bytes, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def _death(exitcode: int | None) -> str:
    if exitcode is not None and exitcode < 0:
        try:
            return f"signal {signal.Signals(-exitcode).name}"
        except ValueError:
            return f"signal {-exitcode}"
    return f"exit code {exitcode}"
