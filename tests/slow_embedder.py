"""A build that stops at a chosen stage and waits there to be killed (for the crash tests, in a subprocess).

    python -c "import sys; from tests.slow_embedder import main; main(sys.argv[1:])" INDEX CORPUS STAGE MARKER [QDRANT_URL]

STAGE is where the build waits: ``embedding`` (after the first batch), ``before-rename`` (every file of the
new build written into its partial folder), ``before-swap`` (the build folder renamed, ``current`` not yet
moved) or ``after-swap`` (``current`` moved, old builds not yet removed). With QDRANT_URL the build goes
into Qdrant and may also wait at ``qdrant`` (the new collection's first point written, one per request)
or ``before-alias`` (collection sealed and build folder written, the alias not yet moved); ``after-swap``
is then after the alias moved. On reaching it the build creates MARKER, so the test kills it at a known
moment instead of after a guessed delay.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from indexer import qdrant_build, storage
from indexer.pipeline import build_index
from tests.conftest import make_settings
from tests.fakes import HashEmbedder

STAGES = ("embedding", "qdrant", "before-rename", "before-alias", "before-swap", "after-swap")
# Long enough that the test, not this timer, ends the wait.
WAIT_SECONDS = 600


class SlowEmbedder(HashEmbedder):
    """The hash embedder, sleeping ``delay`` seconds per batch as a real model would take time."""

    def __init__(self, delay: float = 0.05, dim: int = 64):
        super().__init__(dim)
        self.delay = delay

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        time.sleep(self.delay)
        return super().embed_passages(texts)


def _wait_at(marker: Path, step: Callable) -> Callable:
    """``step`` preceded by announcing the stage and waiting there."""

    def waiting(*args, **kwargs):
        marker.touch()
        time.sleep(WAIT_SECONDS)
        return step(*args, **kwargs)

    return waiting


def main(argv: Sequence[str]) -> None:
    """Build the index of CORPUS into INDEX, waiting at STAGE (see the module docstring)."""
    index_dir, corpus_dir, stage, marker, *qdrant_url = argv
    if stage not in STAGES:
        raise SystemExit(f"unknown stage {stage!r}; one of {', '.join(STAGES)}")
    marker_path = Path(marker)
    # Each stage is a step of storage.write_build; wrapping the step makes the build wait right there.
    if stage == "before-rename":
        storage._fsync_tree = _wait_at(marker_path, storage._fsync_tree)
    elif stage == "before-swap":
        storage._point_current = _wait_at(marker_path, storage._point_current)
    elif stage == "before-alias":
        qdrant_build._publish = _wait_at(marker_path, qdrant_build._publish)
    elif stage == "after-swap":
        storage._remove_old_builds = _wait_at(marker_path, storage._remove_old_builds)
    elif stage == "qdrant":
        qdrant_build.WRITE_BATCH = 1

    def progress(step: str, done: int, total: int) -> None:
        if (stage == "embedding" and step == "embedding" and done < total) or (stage == "qdrant" and step == "qdrant"):
            marker_path.touch()
            time.sleep(WAIT_SECONDS)

    store = {"store": "qdrant", "qdrant_url": qdrant_url[0]} if qdrant_url else {}
    settings = make_settings(Path(index_dir), Path(corpus_dir), embed_batch_size=1, **store)
    build_index(settings, embedder=SlowEmbedder(), progress=progress)
