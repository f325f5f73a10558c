"""The baseline: the plain pipeline a newcomer writes from the LangChain tutorials.

Raw ``corpus/*.txt`` read as text (no cleaning: hard line wraps and hyphenation stay),
``RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200)``, a ``langchain_community`` FAISS
store over the same embedder as ours, and ``similarity_search``. Only the embeddings are cached (as
``.npy`` and JSON, keyed by a hash of the corpus and the settings); the store is rebuilt from them,
so the cache holds no pickle.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import os
import shutil
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
from langchain_core.embeddings import Embeddings
from langchain_text_splitters import RecursiveCharacterTextSplitter

from indexer.embedders import Embedder

from .metrics import Retrieved

with warnings.catch_warnings():
    # langchain-community warns on import that it is being sunset; the tutorials still use it.
    warnings.simplefilter("ignore", DeprecationWarning)
    from langchain_community.vectorstores import FAISS

CHUNK_SIZE = 1000
CHUNK_OVERLAP = 200


class EmbedderEmbeddings(Embeddings):
    """One of our embedders behind LangChain's ``Embeddings`` interface."""

    def __init__(self, embedder: Embedder):
        self.embedder = embedder

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """Passages, embedded as our index embeds them."""
        return self.embedder.embed_passages(texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        """A query, embedded as our searcher embeds it."""
        return self.embedder.embed_query(text).tolist()


def split_corpus(corpus_dir: Path) -> tuple[list[str], list[dict[str, str]]]:
    """The baseline's chunks of every ``*.txt`` in ``corpus_dir`` and their metadata (``doc_id`` = file stem)."""
    splitter = RecursiveCharacterTextSplitter(chunk_size=CHUNK_SIZE, chunk_overlap=CHUNK_OVERLAP)
    texts: list[str] = []
    metadatas: list[dict[str, str]] = []
    for path in sorted(corpus_dir.glob("*.txt")):
        for chunk in splitter.split_text(path.read_text(encoding="utf-8")):
            texts.append(chunk)
            metadatas.append({"doc_id": path.stem, "source": path.name})
    return texts, metadatas


def cache_key(corpus_dir: Path, embedder_name: str) -> str:
    """A hash of the raw corpus files, the embedder and the splitter's settings."""
    digest = hashlib.sha256()
    digest.update(repr((embedder_name, CHUNK_SIZE, CHUNK_OVERLAP, importlib.metadata.version("langchain-text-splitters"))).encode())
    for path in sorted(corpus_dir.glob("*.txt")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


class LangChainBaseline:
    """The tutorial pipeline as a retrieval system of the evaluation."""

    name = "langchain"
    label = "LangChain tutorial pipeline (raw text, 1000/200 characters, FAISS)"

    def __init__(self, corpus_dir: Path, embedder: Embedder, cache_dir: Path, progress: Callable[[str], None] | None = None):
        self.embeddings = EmbedderEmbeddings(embedder)
        folder = Path(cache_dir) / f"langchain-{cache_key(Path(corpus_dir), embedder.name)}"
        if not (folder / "vectors.npy").is_file():
            if progress:
                progress(f"LangChain-baslinjen: bäddar in råtexten (en gång; sparas i {folder})")
            _write_cache(folder, *split_corpus(Path(corpus_dir)), self.embeddings)
        chunks = json.loads((folder / "chunks.json").read_text(encoding="utf-8"))
        vectors = np.load(folder / "vectors.npy", allow_pickle=False)
        self.store = FAISS.from_embeddings(
            zip(chunks["texts"], vectors.tolist()), self.embeddings, metadatas=chunks["metadatas"]
        )

    def retrieve(self, question: str, k: int) -> list[Retrieved]:
        """The top ``k`` chunks by ``similarity_search``."""
        return [
            Retrieved(doc_id=doc.metadata["doc_id"], text=doc.page_content)
            for doc in self.store.similarity_search(question, k=k)
        ]


def _write_cache(folder: Path, texts: list[str], metadatas: list[dict[str, str]], embeddings: EmbedderEmbeddings) -> None:
    """Embed the chunks and write them beside the folder, then rename it into place (a killed run leaves no half cache)."""
    vectors = np.asarray(embeddings.embed_documents(texts), dtype=np.float32)
    staging = folder.with_name(f".{folder.name}.{os.getpid()}")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    np.save(staging / "vectors.npy", vectors, allow_pickle=False)
    (staging / "chunks.json").write_text(json.dumps({"texts": texts, "metadatas": metadatas}, ensure_ascii=False), "utf-8")
    shutil.rmtree(folder, ignore_errors=True)
    os.replace(staging, folder)
