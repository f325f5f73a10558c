"""Scale: synthetic corpora of 10k, 100k and 1M chunks, each measured in its own child process.

    python -m eval.bench.scale [--quick] [--sizes 10000,100000]

Lexical side: realistic Swedish text, chunks recombined from the corpus's own sentences (as many words as
the real chunks have), with a few compounds of corpus words drawn from a Zipf distribution so the
vocabulary grows with the corpus as real vocabularies do. Dense side: normalised vectors of the
embedder's dimension, clustered around topic centres so nearest neighbours are meaningful and HNSW recall
is a real measurement. For each store: build time, memory (RSS delta, split into private and file-backed
pages), disk size, and latency over 200 queries of the store as the service loads it. Qdrant runs in local
mode at 10k and 100k only. Also the memory of the chunk records as ``load_index`` holds them.
"""

from __future__ import annotations

import argparse
import gc
import json
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


def build_store(store: str, scratch: Path) -> dict:
    """Build one store from ``scratch/vectors.npy`` and save it; time and memory of the build alone."""
    from indexer.qdrant_store import QdrantStore
    from indexer.vectorstore import FaissStore

    vectors = np.load(scratch / "vectors.npy")
    gc.collect()
    before = memory()
    started = time.perf_counter()
    if store == "qdrant":
        built = QdrantStore.build(vectors, location=str(scratch / "qdrant"))
        seconds = time.perf_counter() - started
        grown = delta(before)
        built.close()
        folder = scratch / "qdrant"
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

    from indexer.qdrant_store import QdrantStore
    from indexer.vectorstore import FaissStore

    queries = np.load(scratch / "queries.npy")
    exact = np.load(scratch / "exact.npy")
    gc.collect()
    before = memory()
    started = time.perf_counter()
    if store == "qdrant":
        loaded = QdrantStore.connect(str(scratch / "qdrant"))
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
        loaded.close()
        return result
    # The bare FAISS index read into memory (what each worker held before FaissStore mapped it) and searched
    # with all OpenMP threads (as FaissStore searched before it pinned one thread per query).
    before = memory()
    raw = faiss.read_index(str(scratch / f"faiss-{store}" / "dense.faiss"))
    result["unmapped_index_memory"] = delta(before)
    result["faiss_threads"] = faiss.omp_get_max_threads()
    result["latency_all_threads"] = latency(lambda q: raw.search(q.reshape(1, -1), DEPTH), queries).as_dict()
    return result


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
        # What Searcher._lexical does: score every chunk, keep the top DEPTH in order.
        scores = loaded.scores(query)
        top = np.argpartition(-scores, DEPTH - 1)[:DEPTH]
        return top[np.argsort(-scores[top], kind="stable")]

    # Expansion first, on a fresh index (its per-term cache empty); then the whole step with terms cached.
    expansion = latency(loaded.query_terms, queries)
    stats = latency(lexical, queries)
    return {
        "load_seconds": round(load_seconds, 3),
        "expansion_cold_latency": expansion.as_dict(),
        "latency": stats.as_dict(),
        "loaded_memory_after_queries": delta(before),
    }


def build_records(size: int, scratch: Path) -> dict:
    """Write ``size`` chunk records shaped like the index's ``chunks.jsonl`` (synthetic text, real fields)."""
    import hashlib
    from dataclasses import asdict

    from indexer.types import Chunk

    rng = np.random.default_rng(SEED + size)
    texts = synthetic_texts(size, corpus_sentences(), rng)
    with (scratch / "chunks.jsonl").open("w", encoding="utf-8") as out:
        for position, text in enumerate(texts):
            chunk = Chunk(
                chunk_id=hashlib.sha256(f"doc-{position // 40}:{position}:{text}".encode()).hexdigest()[:16],
                doc_id=f"doc-{position // 40}",
                position=position % 40,
                section=f"{position % 9 + 1} Avsnitt {position % 9 + 1}",
                context=f"Stadsdelsförvaltning > {position % 9 + 1} Avsnitt {position % 9 + 1}",
                start=0,
                end=len(text),
                text=text,
                page=position % 30 + 1,
                districts=("Rinkeby-Kista",) if position % 3 == 0 else (),
            )
            out.write(json.dumps(asdict(chunk), ensure_ascii=False) + "\n")
    return {"records_disk_mb": round((scratch / "chunks.jsonl").stat().st_size / 2**20, 1)}


def query_records(scratch: Path) -> dict:
    """Load the chunk records into objects as ``load_index`` does (the list and the id -> position map):
    memory that every worker holds privately."""
    from indexer.types import Chunk

    gc.collect()
    before = memory()
    started = time.perf_counter()
    with (scratch / "chunks.jsonl").open(encoding="utf-8") as lines:
        chunks = [Chunk(**{**data, "districts": tuple(data["districts"])}) for data in map(json.loads, lines)]
    positions = {chunk.chunk_id: position for position, chunk in enumerate(chunks)}
    seconds = time.perf_counter() - started
    grown = delta(before)
    return {"records_load_seconds": round(seconds, 3), "records_memory": grown, "records": len(positions)}


def measure(size: int) -> dict:
    """Every measurement of one size, each step in its own child so its memory delta is its own."""
    result: dict = {"size": size}
    with tempfile.TemporaryDirectory(prefix="stadshus-scale-") as scratch:
        result["vectors"] = run_child(MODULE, "--child", "prepare", "--size", str(size), "--scratch", scratch)
        stores = ("flat", "hnsw", "qdrant") if size <= QDRANT_MAX else ("flat", "hnsw")
        for store in stores:
            print(f"  {store} ...", flush=True)
            built = run_child(MODULE, "--child", f"build-{store}", "--size", str(size), "--scratch", scratch, timeout=4 * 3600)
            queried = run_child(MODULE, "--child", f"query-{store}", "--size", str(size), "--scratch", scratch)
            result["qdrant_local" if store == "qdrant" else f"faiss_{store}"] = {**built, **queried}
        Path(scratch, "vectors.npy").unlink()
        print("  bm25 ...", flush=True)
        built = run_child(MODULE, "--child", "build-bm25", "--size", str(size), "--scratch", scratch, timeout=4 * 3600)
        result["bm25"] = {**built, **run_child(MODULE, "--child", "query-bm25", "--size", str(size), "--scratch", scratch)}
        print("  chunk records ...", flush=True)
        built = run_child(MODULE, "--child", "build-records", "--size", str(size), "--scratch", scratch)
        result["chunk_records"] = {**built, **run_child(MODULE, "--child", "query-records", "--size", str(size), "--scratch", scratch)}
    return result


def child(step: str, size: int, scratch: Path) -> dict:
    """One step of ``measure``, run in this (child) process."""
    if step == "prepare":
        return prepare(size, scratch)
    if step == "build-bm25":
        return build_bm25(size, scratch)
    if step == "query-bm25":
        return query_bm25(scratch)
    if step == "build-records":
        return build_records(size, scratch)
    if step == "query-records":
        return query_records(scratch)
    action, store = step.split("-", 1)
    return build_store(store, scratch) if action == "build" else query_store(store, scratch)


def run(sizes: tuple[int, ...]) -> dict:
    """One child per size, then the table and ``results/scale.json`` (merged with earlier sizes' results)."""
    started_load = load_average()
    # Sizes measured earlier (the 1M run is long) are kept unless measured again.
    measured = json.loads(RESULTS_FILE.read_text("utf-8")).get("sizes", {}) if RESULTS_FILE.exists() else {}
    for size in sizes:
        print(f"measuring {size:,} chunks ...", flush=True)
        outcome = measure(size)
        outcome["load_average_after"] = load_average()
        measured[str(size)] = outcome
    rows = []
    for key in sorted(measured, key=int):
        entry = measured[key]
        for store in ("faiss_flat", "faiss_hnsw", "qdrant_local", "bm25"):
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
    records = [
        [f"{int(key):,}", entry["chunk_records"]["records_disk_mb"], entry["chunk_records"]["records_memory"]["anon_mb"],
         entry["chunk_records"]["records_load_seconds"]]
        for key, entry in sorted(measured.items(), key=lambda pair: int(pair[0]))
        if "chunk_records" in entry
    ]
    if records:
        print_table("Chunk records loaded as objects (held privately by every worker)", ["chunks", "jsonl MiB", "RSS MiB", "load s"], records)
    payload = {"dimension": DIM, "queries": QUERIES, "depth": DEPTH, "sizes": measured}
    write_result("scale", payload, started_load)
    return payload



def main() -> None:
    """Command-line entry point (``--child`` is how the parent measures one size)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10k chunks only.")
    parser.add_argument("--sizes", help="Comma-separated sizes (default: 10000,100000,1000000).")
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
        run(sizes)
    except BenchError as exc:
        raise SystemExit(f"scale benchmark failed: {exc}") from None


if __name__ == "__main__":
    main()
