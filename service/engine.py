"""The loaded service: settings, index, embedder, gazetteer, searcher and answerer, built once."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from indexer.embedders import Embedder, load_embedder
from indexer.gazetteer import Gazetteer, load_gazetteer
from indexer.qdrant_store import QdrantTarget
from indexer.settings import Settings
from indexer.storage import StoredIndex, load_index

from .ask import Answerer
from .evidence import EvidenceModel
from .search import Searcher


@dataclass
class Engine:
    """Everything a request needs, loaded once (at start-up, or again after a re-index)."""

    settings: Settings
    index: StoredIndex
    embedder: Embedder
    gazetteer: Gazetteer
    searcher: Searcher
    answerer: Answerer

    @property
    def build(self) -> Path:
        """The build folder this engine serves."""
        return self.index.path


def load_engine(settings: Settings, embedder: Embedder | None = None, model: EvidenceModel | None = None) -> Engine:
    """Load the served index (from Qdrant with ``STADSHUS_STORE=qdrant``) and everything that serves it
    (with the fitted evidence model unless ``model`` is given). Raises the storage errors with clear messages."""
    index = load_index(
        Path(settings.index_dir), settings.embedder, settings.fuzzy_max_distance, qdrant=QdrantTarget.from_settings(settings)
    )
    embedder = embedder or load_embedder(settings.embedder, settings.embed_batch_size, settings.embed_threads)
    gazetteer = load_gazetteer(settings.gazetteer)
    searcher = Searcher(index, embedder, gazetteer, settings)
    generator = None
    if settings.llm_base_url:
        from .llm import LLMGenerator

        generator = LLMGenerator(settings)
    return Engine(settings, index, embedder, gazetteer, searcher, Answerer(searcher, settings, generator, model))
