"""Stadshus search as a LangChain retriever, so it composes with LCEL chains and LangChain tooling.

    retriever = StadshusRetriever.from_engine(load_engine(get_settings()), k=4)
    chain = retriever | format_passages
"""

from __future__ import annotations

from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict, Field

from indexer.types import Passage

from .engine import Engine
from .search import Filters, Searcher, SearchMode


class StadshusRetriever(BaseRetriever):
    """Passages of the Stadshus index as LangChain ``Document``s, best first.

    ``page_content`` is the passage's cleaned text; ``metadata`` says where it lies (document, section,
    offsets, page) and how it ranked. ``k`` may also be given per call: ``retriever.invoke(query, k=2)``.
    Bad queries raise ``service.search.QueryError`` with a Swedish message.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    searcher: Searcher
    k: int = Field(4, ge=1, description="Passages returned per query.")
    mode: SearchMode = Field(SearchMode.hybrid, description="hybrid, dense or bm25.")
    district: str | None = Field(None, description="Only passages about this district.")
    doc_ids: list[str] = Field(default_factory=list, description="Only passages of these documents.")

    @classmethod
    def from_engine(cls, engine: Engine, **fields: Any) -> StadshusRetriever:
        """A retriever over a loaded engine's searcher."""
        return cls(searcher=engine.searcher, **fields)

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun, k: int | None = None
    ) -> list[Document]:
        filters = Filters(districts=(self.district,) if self.district else (), doc_ids=tuple(self.doc_ids))
        passages = self.searcher.search(query, self.k if k is None else k, self.mode, filters)
        return [to_document(passage) for passage in passages]


def to_document(passage: Passage) -> Document:
    """A passage as a LangChain document."""
    chunk = passage.chunk
    return Document(
        id=chunk.chunk_id,
        page_content=chunk.text,
        metadata={
            "doc_id": chunk.doc_id,
            "title": passage.title,
            "section": chunk.section,
            "districts": list(chunk.districts),
            "start": chunk.start,
            "end": chunk.end,
            "page": chunk.page,
            "chunk_id": chunk.chunk_id,
            "score": passage.score,
            "rank": passage.rank,
            "also_in": list(passage.also_in),
        },
    )
