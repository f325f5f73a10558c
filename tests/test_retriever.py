"""The LangChain retriever: LangChain's standard retriever suite, metadata that locates each passage,
and composition in an LCEL chain."""

from __future__ import annotations

import pytest
from langchain_core.documents import Document
from langchain_core.runnables import RunnableLambda
from langchain_tests.integration_tests import RetrieversIntegrationTests

from service.retriever import StadshusRetriever
from service.search import QueryError

QUERY = "medborgarvärdar och trygghet"
METADATA_KEYS = {"doc_id", "title", "section", "districts", "start", "end", "page", "chunk_id", "score", "rank", "also_in"}


@pytest.fixture
def anyio_backend() -> str:
    """The suite's one async test runs on asyncio (LangChain's ``ainvoke`` uses an asyncio executor)."""
    return "asyncio"


@pytest.mark.anyio  # runs the suite's async test; the sync ones are left as they are
class TestStadshusRetrieverStandard(RetrieversIntegrationTests):
    """LangChain's own checks: constructor ``k``, ``invoke(..., k=)``, sync and async invocation."""

    @pytest.fixture(autouse=True)
    def _use_session_engine(self, engine) -> None:
        # The suite reads constructor parameters from a property; the session engine is handed to it here.
        self.engine = engine

    @property
    def retriever_constructor(self) -> type[StadshusRetriever]:
        return StadshusRetriever

    @property
    def retriever_constructor_params(self) -> dict:
        return {"searcher": self.engine.searcher}

    @property
    def retriever_query_example(self) -> str:
        return QUERY


def format_passages(documents: list[Document]) -> str:
    """Numbered passages with their source, as a prompt's context block."""
    return "\n\n".join(
        f"[{i}] {d.metadata['title']} – {d.metadata['section']}\n{d.page_content}" for i, d in enumerate(documents, start=1)
    )


def test_documents_carry_the_passage_and_where_it_lies(engine):
    documents = StadshusRetriever.from_engine(engine, k=5).invoke(QUERY)
    expected = engine.searcher.search(QUERY, 5)
    assert [d.metadata["chunk_id"] for d in documents] == [p.chunk.chunk_id for p in expected]
    for document in documents:
        assert set(document.metadata) == METADATA_KEYS
        source = engine.index.documents[document.metadata["doc_id"]]
        assert source.text[document.metadata["start"] : document.metadata["end"]] == document.page_content
        assert document.metadata["title"] == source.title
        assert document.id == document.metadata["chunk_id"]
    assert [d.metadata["rank"] for d in documents] == [1, 2, 3, 4, 5]


def test_filters_and_modes(engine):
    about = StadshusRetriever.from_engine(engine, district="Skärholmen", k=3).invoke("trygghet")
    assert about and all("Skärholmen" in d.metadata["districts"] for d in about)
    only = StadshusRetriever.from_engine(engine, doc_ids=["norrmalm-naringsliv-2022"], mode="bm25").invoke("företag")
    assert only and {d.metadata["doc_id"] for d in only} == {"norrmalm-naringsliv-2022"}


def test_bad_queries_raise_the_swedish_error(engine):
    retriever = StadshusRetriever.from_engine(engine)
    with pytest.raises(QueryError, match="tom"):
        retriever.invoke("   ")
    with pytest.raises(QueryError, match="mellan 1 och"):
        retriever.invoke(QUERY, k=0)


def test_composes_in_an_lcel_chain(engine):
    chain = StadshusRetriever.from_engine(engine, k=3) | RunnableLambda(format_passages)
    context = chain.invoke("Vilka stadsdelar har anställt medborgarvärdar?")
    passages = engine.searcher.search("Vilka stadsdelar har anställt medborgarvärdar?", 3)
    assert context.startswith("[1] ")
    for i, passage in enumerate(passages, start=1):
        assert f"[{i}] {passage.title} – {passage.chunk.section}\n{passage.chunk.text}" in context
    assert "medborgarvärdar" in context
