"""The systems the evaluation compares on the same questions: our three search modes, each of our
choices switched off in turn (ablations), and the LangChain baseline.

Every system gets its own ``Searcher`` over its own load of the index (and so its own caches of query
embeddings and query-term expansions), so that one system's latency is not lowered by the work of the
system run before it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import indexer
from indexer.embedders import Embedder
from indexer.gazetteer import Gazetteer
from indexer.pipeline import BuildOptions, build_index, settings_hash
from indexer.settings import Settings
from indexer.storage import IndexMismatch, IndexProblem, StoredIndex, load_index
from indexer.types import Passage
from service.engine import Engine
from service.search import Filters, Searcher, SearchMode, SearchOptions

from .metrics import Retrieved

REPO = Path(__file__).resolve().parent.parent
CACHE_DIR = REPO / ".cache" / "eval"

Progress = Callable[[str], None]


class RetrievalSystem(Protocol):
    """Anything that returns ranked passages for a question."""

    name: str
    label: str

    def retrieve(self, question: str, k: int) -> list[Retrieved]:
        """The top ``k`` passages for ``question``, best first."""
        ...


@dataclass(frozen=True)
class SystemSpec:
    """One of our systems: a search mode over an index built with ``build`` options, searched with
    ``search`` options and these ``settings`` changed. ``label`` may name settings: ``{fusion}``."""

    label: str
    mode: SearchMode = SearchMode.hybrid
    build: BuildOptions = field(default_factory=BuildOptions)
    search: SearchOptions = field(default_factory=SearchOptions)
    settings: tuple[tuple[str, object], ...] = ()


SPECS: dict[str, SystemSpec] = {
    "hybrid": SystemSpec("Hybrid (dense + BM25, {fusion} fusion), the default"),
    "dense": SystemSpec("Dense only", mode=SearchMode.dense),
    "bm25": SystemSpec("BM25 only", mode=SearchMode.bm25),
    "no-section-context": SystemSpec("Hybrid, chunks without section context", build=BuildOptions(section_context=False)),
    "no-stemming": SystemSpec("Hybrid, BM25 without stemming", build=BuildOptions(stemming=False)),
    "no-cleaning": SystemSpec("Hybrid over uncleaned text (paragraphs at blank lines only)", build=BuildOptions(cleaning=False)),
    "no-district-boost": SystemSpec("Hybrid, no district boost", search=SearchOptions(district_boost=False)),
    "no-term-expansion": SystemSpec("Hybrid, no query-term expansion", search=SearchOptions(expand_terms=False)),
    "no-duplicate-collapse": SystemSpec(
        "Hybrid, near-duplicates not collapsed", search=SearchOptions(collapse_duplicates=False)
    ),
    "rrf-fusion": SystemSpec("Hybrid with reciprocal rank fusion (k = {rrf_k})", settings=(("fusion", "rrf"),)),
}
BASELINE = "langchain"
ABLATIONS = (
    "no-cleaning",
    "no-section-context",
    "no-stemming",
    "no-district-boost",
    "no-term-expansion",
    "no-duplicate-collapse",
    "rrf-fusion",
)
GROUPS: dict[str, tuple[str, ...]] = {
    "ours": ("hybrid", "dense", "bm25"),
    "ablations": ABLATIONS,
    "all": ("hybrid", "dense", "bm25", BASELINE, *ABLATIONS),
}
#: Switches the evaluation cannot turn off, reported as not measured (none at present).
NOT_MEASURED: dict[str, str] = {}


class UnknownSystem(ValueError):
    """A system name the evaluation does not know; the message is Swedish."""


def resolve_names(names: Sequence[str] | None) -> list[str]:
    """The systems to run, groups expanded, in a stable order; ``hybrid`` is always included because
    the targets and the failure list are about it."""
    wanted: list[str] = []
    for name in names or GROUPS["all"]:
        expanded = GROUPS.get(name, (name,))
        for single in expanded:
            if single not in SPECS and single != BASELINE:
                known = ", ".join([*SPECS, BASELINE, *GROUPS])
                raise UnknownSystem(f"Okänt system {single!r}. Välj bland: {known}.")
            wanted.append(single)
    return [name for name in GROUPS["all"] if name in wanted or name == "hybrid"]


def retrieved(passage: Passage) -> Retrieved:
    """A search result as the metrics see it."""
    chunk = passage.chunk
    return Retrieved(doc_id=chunk.doc_id, text=chunk.text, section=chunk.section, also_in=passage.also_in)


class SearcherSystem:
    """One of our systems: a Searcher with a mode and search options."""

    def __init__(self, name: str, label: str, searcher: Searcher, mode: SearchMode, options: SearchOptions):
        self.name = name
        self.label = label
        self.searcher = searcher
        self.mode = mode
        self.options = options

    def retrieve(self, question: str, k: int) -> list[Retrieved]:
        """The top ``k`` passages of our search."""
        return [retrieved(p) for p in self.searcher.search(question, k, self.mode, options=self.options)]


class CachingSearcher(Searcher):
    """A Searcher that remembers each search's result for the rest of the run, so that answering the
    same questions again (with other thresholds) costs no retrieval."""

    def __init__(self, index: StoredIndex, embedder: Embedder, gazetteer: Gazetteer, settings: Settings):
        super().__init__(index, embedder, gazetteer, settings)
        self._results: dict[tuple, list[Passage]] = {}

    def search(
        self,
        query: str,
        k: int = 10,
        mode: SearchMode = SearchMode.hybrid,
        filters: Filters = Filters(),
        options: SearchOptions = SearchOptions(),
    ) -> list[Passage]:
        """As ``Searcher.search``, computed once per distinct call."""
        key = (query, k, mode, filters, options)
        if key not in self._results:
            self._results[key] = super().search(query, k, mode, filters, options)
        return list(self._results[key])


def make_system(name: str, engine: Engine, cache_dir: Path = CACHE_DIR, progress: Progress | None = None) -> RetrievalSystem:
    """The system called ``name``, over ``engine``'s index or an ablation index built (once) in ``cache_dir``."""
    if name == BASELINE:
        from .langchain_baseline import LangChainBaseline

        return LangChainBaseline(Path(engine.settings.corpus_dir), engine.embedder, cache_dir, progress)
    spec = SPECS[name]
    if spec.build != BuildOptions():
        index = ablation_index(engine.settings, engine.embedder, spec.build, cache_dir, progress)
    else:
        index = served_index(engine)
    settings = engine.settings.model_copy(update=dict(spec.settings))
    searcher = Searcher(index, engine.embedder, engine.gazetteer, settings)
    label = spec.label.format(**settings.model_dump())
    return SearcherSystem(name, label, searcher, spec.mode, spec.search)


def served_index(engine: Engine) -> StoredIndex:
    """A separate load of the index ``engine`` serves (its caches start empty)."""
    settings = engine.settings
    index = load_index(Path(settings.index_dir), engine.embedder.name, settings.fuzzy_max_distance)
    if index.path != engine.index.path:
        raise IndexMismatch(f"the index in {settings.index_dir} was rebuilt during the evaluation: run it again")
    return index


def ablation_index(
    settings: Settings, embedder: Embedder, options: BuildOptions, cache_dir: Path, progress: Progress | None = None
) -> StoredIndex:
    """An index of the corpus built with ``options``, cached in ``cache_dir`` by :func:`ablation_key`."""
    index_dir = Path(cache_dir) / f"index-{ablation_key(settings, options)}"
    try:
        return load_index(index_dir, embedder.name, settings.fuzzy_max_distance)
    except IndexProblem:
        pass  # not built yet (or a build was killed): build it below
    if progress:
        progress(f"Bygger ablationsindex ({options}) i {index_dir}; en gång, sedan återanvänds det")
    build_index(settings.model_copy(update={"index_dir": index_dir}), embedder=embedder, options=options)
    return load_index(index_dir, embedder.name, settings.fuzzy_max_distance)


def ablation_key(settings: Settings, options: BuildOptions) -> str:
    """A hash of what shapes an index: the settings hash, the corpus and gazetteer bytes, and the
    indexer's source (a change to cleaning or chunking changes the index without changing any setting)."""
    digest = hashlib.sha256(settings_hash(settings, options).encode())
    corpus = Path(settings.corpus_dir)
    sources = [p for p in sorted(corpus.rglob("*")) if p.is_file()]
    sources += [Path(settings.gazetteer)] + sorted(Path(indexer.__file__).parent.glob("*.py"))
    for path in sources:
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]
