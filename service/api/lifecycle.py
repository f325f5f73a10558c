"""The served engine over time: loaded at start-up, reloaded in the background when a newer index build is
swapped in, and re-indexing started from the API.

A request takes the engine reference once and keeps it to the end, so swapping in a new engine never
fails a request in flight; the previous build stays on disk until the one after it (see indexer.storage).
"""

from __future__ import annotations

import logging
import math
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from indexer.buildlog import error_text
from indexer.embedders import EmbedderError
from indexer.pipeline import build_index
from indexer.qdrant_store import QdrantTarget
from indexer.settings import Settings
from indexer.storage import IndexProblem, served_build
from service.engine import Engine, load_engine
from service.search import SearchMode

from .errors import unavailable_message

#: How often a request may look for a newer build (one stat of the `current` link, or with Qdrant one
#: request for its alias).
RELOAD_CHECK_SECONDS = 1.0
#: How long /healthz trusts its last search of the served index.
PROBE_SECONDS = 5.0
SEARCH_BROKEN = "Sökningen fungerar inte: sökindexet verkar skadat. Bygg om det med `stadshus index`."
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
    # Changes (uploads, deletes, requests) that came while this build ran; a following build applies them.
    queued: bool = False


@dataclass
class ServiceState:
    """What the application holds between requests: the engine, or why it could not be loaded."""

    settings: Settings
    engine: Engine | None = None
    error: str | None = None
    reindex: ReindexStatus = field(default_factory=ReindexStatus)
    # Documents deleted through the API and not yet out of a published build: not counted lost by the guard.
    deleted: set[str] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _checked: float = 0.0
    _reloading: bool = False
    _failed: Path | None = None
    _probed: tuple[Engine | None, float, str | None] = (None, 0.0, None)

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

    def search_problem(self, engine: Engine) -> str | None:
        """Why ``engine`` cannot search end to end (None when it can), from one real search: remembered for
        ``PROBE_SECONDS``, so that health checks cost at most one search that often."""
        probed, when, problem = self._probed
        if probed is engine and time.monotonic() - when < PROBE_SECONDS:
            return problem
        problem = _search_problem(engine)
        self._probed = (engine, time.monotonic(), problem)
        return problem

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
        """Start re-indexing the corpus in the background. If a build is running, queue one to follow it
        (a change made now may come too late for the running build to see) and return False."""
        with self._lock:
            if self.reindex.running:
                self.reindex.queued = True
                return False
            self.reindex = ReindexStatus(running=True, started_at=_now())
        threading.Thread(target=self._run_reindexes, name="stadshus-reindex", daemon=True).start()
        return True

    def _run_reindexes(self) -> None:
        """Build until no change is queued: each build queued during one runs after it, as one."""
        while True:
            self._run_reindex(self.reindex)
            with self._lock:
                if not self.reindex.queued:
                    self.reindex.running = False
                    return
                self.reindex = ReindexStatus(running=True, started_at=_now())

    def _run_reindex(self, status: ReindexStatus) -> None:
        try:
            embedder = self.engine.embedder if self.engine is not None else None
            deleted = set(self.deleted)
            report = build_index(self.settings, embedder=embedder, deleted=deleted)
            self.deleted -= deleted
            status.documents, status.chunks = report.documents, report.chunks
            status.skipped = [f"{s.path}: {s.reason}" for s in report.skipped]
            self._checked = 0.0
            self._reload()
        except Exception as exc:  # noqa: BLE001 - whatever stops the build is reported, never lost in the thread
            status.error = error_text(exc)
            logger.error("re-indexing failed: %s", status.error)
        finally:
            status.finished_at = _now()


def _search_problem(engine: Engine) -> str | None:
    """A hybrid search for the first passage's words must find passages whose text is their document's
    text at their offsets, with finite scores; any error or other outcome is the Swedish reason, logged."""
    index = engine.index
    if not len(index.chunks):
        return None
    try:
        passages = engine.searcher.search(" ".join(index.chunks[0].text.split()[:12]), 3, SearchMode.hybrid)
        broken = not passages or any(
            not math.isfinite(p.score) or index.documents[p.chunk.doc_id].text[p.chunk.start : p.chunk.end] != p.chunk.text
            for p in passages
        )
    except Exception as exc:  # noqa: BLE001 - whatever breaks a search, /healthz must say so rather than fail
        logger.error("the served index fails a search: %s: %s", type(exc).__name__, exc)
        return f"{SEARCH_BROKEN} ({type(exc).__name__}: {exc})"
    if broken:
        logger.error("the served index returns passages that are not their documents' text, or no passages")
        return SEARCH_BROKEN
    return None


def _current_target(settings: Settings) -> Path | None:
    try:
        return served_build(Path(settings.index_dir), QdrantTarget.from_settings(settings))
    except IndexProblem:
        return None


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")
