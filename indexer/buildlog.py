"""The outcome of the last build, kept beside the index (``index/last-build.json``), so that whoever asks
later (the server's /healthz, the admin API, ``stadshus status``) can tell that a build failed and why,
whether it ran from the command line or through the API."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from pydantic import BaseModel, ValidationError

from .storage import IndexProblem

LAST_BUILD = "last-build.json"


class BuildOutcome(BaseModel):
    """How the last build ended: published (with its build id) or failed (with its error)."""

    ok: bool
    started_at: str
    finished_at: str
    build_id: str | None = None
    documents: int | None = None
    chunks: int | None = None
    error: str | None = None


@dataclass
class _Published:
    build_id: str | None = None
    documents: int | None = None
    chunks: int | None = None


@contextlib.contextmanager
def recorded(index_dir: Path) -> Iterator[_Published]:
    """Record how the build run inside this block ends; the block fills in what it published."""
    started = _now()
    published = _Published()
    try:
        yield published
    except Exception as exc:
        _write(index_dir, BuildOutcome(ok=False, started_at=started, finished_at=_now(), error=error_text(exc)))
        raise
    except KeyboardInterrupt:
        _write(index_dir, BuildOutcome(ok=False, started_at=started, finished_at=_now(), error="avbröts"))
        raise
    _write(index_dir, BuildOutcome(ok=True, started_at=started, finished_at=_now(), **published.__dict__))


def last_outcome(index_dir: Path) -> BuildOutcome | None:
    """The last build's outcome, or None when no build has recorded one (or the record is unreadable)."""
    try:
        return BuildOutcome.model_validate_json((Path(index_dir) / LAST_BUILD).read_bytes())
    except (OSError, ValidationError, ValueError):
        return None


def error_text(exc: Exception) -> str:
    """An exception as an operator reads it: the message itself for the indexer's own (Swedish) messages,
    with the kind of error for anything unexpected."""
    if isinstance(exc, IndexProblem):
        return str(exc)
    if isinstance(exc, OSError) and exc.filename:
        return f"{exc.strerror or type(exc).__name__}: {exc.filename}"
    return f"{type(exc).__name__}: {exc}"


def _write(index_dir: Path, outcome: BuildOutcome) -> None:
    # The record must never hide the build's own error: a folder that cannot be written loses it.
    with contextlib.suppress(OSError):
        index_dir.mkdir(parents=True, exist_ok=True)
        temporary = index_dir / f".{LAST_BUILD}.{os.getpid()}"
        temporary.write_text(outcome.model_dump_json(indent=2), encoding="utf-8")
        os.replace(temporary, index_dir / LAST_BUILD)


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")
