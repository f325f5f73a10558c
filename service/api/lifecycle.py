"""The served engine over time: loaded at start-up, reloaded in the background when a newer index build is
swapped in, and re-indexing started from the API.

A request takes the engine reference once and keeps it to the end, so swapping in a new engine never
fails a request in flight; the previous build stays on disk until the one after it (see indexer.storage).
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from indexer.embedders import EmbedderError
from indexer.pipeline import build_index
from indexer.qdrant_store import QdrantTarget
from indexer.settings import Settings
from indexer.storage import IndexProblem, served_build
from service.engine import Engine, load_engine

from .errors import unavailable_message

#: How often a request may look for a newer build (one stat of the `current` link, or with Qdrant one
#: request for its alias).
RELOAD_CHECK_SECONDS = 1.0
logger = logging.getLogger("stadshus.api")


@dataclass
class ReindexStatus:
    """The last re-index started through the API."""

    running: bool = False
    started_at: str | None = None
    finished_at: str | None = None
    documents: int | None = None
    chunks: int | None = None
    skipped: list[str] = field(default_factory=list)
    error: str | None = None


@dataclass
class ServiceState:
    """What the application holds between requests: the engine, or why it could not be loaded."""

    settings: Settings
    engine: Engine | None = None
    error: str | None = None
    reindex: ReindexStatus = field(default_factory=ReindexStatus)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _checked: float = 0.0
    _reloading: bool = False
    _failed: Path | None = None

    def load(self) -> None:
        """Load the engine now (at start-up); on failure keep the reason for /healthz and the 503s."""
        try:
            self.engine = load_engine(self.settings, embedder=self.engine.embedder if self.engine else None)
            self.error = None
        except (IndexProblem, EmbedderError, OSError) as exc:
            self.error = unavailable_message(exc)
            logger.error("the index could not be loaded: %s", exc)

    def current(self) -> Engine | None:
        """The engine to serve; if a newer build has appeared, start loading it in the background."""
        now = time.monotonic()
        if now - self._checked >= RELOAD_CHECK_SECONDS:
            self._checked = now
            target = _current_target(self.settings)
            serving = self.engine.build if self.engine is not None else None
            if target not in (None, serving, self._failed):
                self._reload_in_background()
        return self.engine

    def _reload_in_background(self) -> None:
        with self._lock:
            if self._reloading:
                return
            self._reloading = True
        threading.Thread(target=self._reload, name="stadshus-reload", daemon=True).start()

    def _reload(self) -> None:
        target = _current_target(self.settings)
        try:
            embedder = self.engine.embedder if self.engine is not None else None
            self.engine = load_engine(self.settings, embedder=embedder)
            self.error, self._failed = None, None
            logger.info("serving index build %s", self.engine.build.name)
        except (IndexProblem, EmbedderError, OSError) as exc:
            # Keep serving what we have and say why in /healthz; do not retry the same broken build.
            self.error, self._failed = unavailable_message(exc), target
            logger.warning("a newer index could not be loaded: %s", exc)
        finally:
            self._reloading = False

    def start_reindex(self) -> bool:
        """Start re-indexing the corpus in the background; False if one is already running."""
        with self._lock:
            if self.reindex.running:
                return False
            self.reindex = ReindexStatus(running=True, started_at=_now())
        threading.Thread(target=self._run_reindex, name="stadshus-reindex", daemon=True).start()
        return True

    def _run_reindex(self) -> None:
        status = self.reindex
        try:
            embedder = self.engine.embedder if self.engine is not None else None
            report = build_index(self.settings, embedder=embedder)
            status.documents, status.chunks = report.documents, report.chunks
            status.skipped = [f"{s.path}: {s.reason}" for s in report.skipped]
            self._checked = 0.0
            self._reload()
        except (IndexProblem, EmbedderError, OSError) as exc:
            status.error = str(exc)
            logger.error("re-indexing failed: %s", exc)
        finally:
            status.running = False
            status.finished_at = _now()


def _current_target(settings: Settings) -> Path | None:
    try:
        return served_build(Path(settings.index_dir), QdrantTarget.from_settings(settings))
    except IndexProblem:
        return None


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")
