"""Deterministic test doubles."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np

from indexer.swedish import tokenize


class HashEmbedder:
    """A bag-of-stems embedder: each stem hashes to a fixed random direction. Fast, offline, repeatable,
    and texts that share words are similar, so search behaves sensibly in unit tests."""

    name = "test/hash-embedder"

    def __init__(self, dim: int = 64):
        self.dim = dim
        self.calls = 0

    def _vector(self, text: str) -> np.ndarray:
        total = np.zeros(self.dim, dtype=np.float32)
        for stem in tokenize(text) or ["<empty>"]:
            seed = int.from_bytes(hashlib.blake2b(stem.encode(), digest_size=8).digest(), "little")
            total += np.random.default_rng(seed).standard_normal(self.dim).astype(np.float32)
        return total / max(float(np.linalg.norm(total)), 1e-12)

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        self.calls += len(texts)
        return np.array([self._vector(t) for t in texts], dtype=np.float32).reshape(len(texts), self.dim)

    def embed_query(self, text: str) -> np.ndarray:
        return self._vector(text)

    def count_tokens(self, text: str) -> int:
        return len(text.split())
