"""The Model Context Protocol server (``stadshus mcp``): search, ask, coverage, compare and reading a
document, as tools an assistant can call, on the official ``mcp`` SDK.

Each tool is a thin wrapper over the function the HTTP API calls for the same thing; every result carries
its citations (document, section, page, offsets, the verbatim quote, a link to the quote on the web page
and to the original file). A bad argument is a tool error with a Swedish message, never a crash.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Annotated, ParamSpec, TypeVar

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import Field, ValidationError

from indexer.types import Citation

from .api.routes.documents import version_links
from .coverage import coverage as coverage_table
from .engine import Engine
from .links import base_url, compare_link
from .schemas.mcp import (
    AskResult,
    CompareResult,
    CoverageLine,
    CoverageResult,
    DistrictLine,
    DocumentEntry,
    DocumentList,
    DocumentSpan,
    Hit,
    NumberedCitation,
    SearchResult,
    SectionDifference,
    SourceCitation,
    source_citation,
)
from .results import search_page
from .search import Filters, QueryError, SearchMode
from .versions import NoEarlierVersion, SentenceRef, UnknownDocument, compare as compare_versions

#: Longest span ``read_document`` returns at once, in characters (an assistant pages through longer ones).
MAX_SPAN_CHARS = 20_000
INSTRUCTIONS = (
    "Stadshus searches and answers from the City of Stockholm's documents (in Swedish: ask in Swedish). "
    "Every result carries citations: quote them verbatim and give their link. `ask` answers a question, "
    "abstaining when the documents say nothing; `search` lists passages; `coverage` shows which districts "
    "work with a topic; `compare` shows what changed between two versions of a report (`list_documents` "
    "names them); `read_document` reads the text around a citation."
)

P = ParamSpec("P")
R = TypeVar("R")


def _as_tool_error(tool: Callable[P, R]) -> Callable[P, R]:
    """``tool`` with the service's Swedish errors for bad input turned into tool errors for the client."""

    @functools.wraps(tool)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return tool(*args, **kwargs)
        except (QueryError, UnknownDocument, NoEarlierVersion) as exc:
            raise ToolError(str(exc)) from exc
        except ValidationError as exc:
            problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
            raise ToolError(f"Ogiltigt argument ({problems}).") from exc

    return wrapper


def create_mcp_server(engine: Engine) -> MCPServer:
    """The MCP server over ``engine``, its links starting at the settings' public address."""
    base = base_url(engine.settings.public_url)
    infos = engine.index.documents.infos
    server = MCPServer("stadshus", title="Stadshus", instructions=INSTRUCTIONS)

    def cite(citation: Citation) -> NumberedCitation:
        source = source_citation(
            infos, base, citation.doc_id, citation.section, citation.page, citation.start, citation.end, citation.quote
        )
        return NumberedCitation(id=citation.id, **source.model_dump())

    def cite_sentence(ref: SentenceRef) -> SourceCitation:
        return source_citation(infos, base, ref.doc_id, ref.section, ref.page, ref.start, ref.end, ref.text)

    @server.tool()
    @_as_tool_error
    def search(
        query: Annotated[str, Field(description="What to search for, in Swedish.")],
        k: Annotated[int, Field(description="Number of passages (1-100).")] = 10,
        district: Annotated[str | None, Field(description="Only passages about this district.")] = None,
        doc: Annotated[str | None, Field(description="Only passages of this document id.")] = None,
        year: Annotated[int | None, Field(description="Only documents covering this year.")] = None,
    ) -> SearchResult:
        """The passages of the documents that best match the query, best first, each with its citation;
        none when nothing is near enough (the web page's relevance floor)."""
        filters = Filters((district,) if district else (), (doc,) if doc else (), year, year)
        page = search_page(engine, query, 0, k, SearchMode.hybrid, filters)
        hits = [
            Hit(
                rank=p.rank, score=round(p.score, 6), districts=list(p.chunk.districts),
                citation=source_citation(
                    infos, base, p.chunk.doc_id, p.chunk.section, p.chunk.page, p.chunk.start, p.chunk.end, p.chunk.text
                ),
            )
            for p in (hit.passage for hit in page.hits)
        ]
        return SearchResult(query=page.query, total=page.total, results=hits)

    @server.tool()
    @_as_tool_error
    def ask(
        question: Annotated[str, Field(description="A question in Swedish.")],
        district: Annotated[str | None, Field(description="Answer only from passages about this district.")] = None,
        doc: Annotated[str | None, Field(description="Answer only from this document id.")] = None,
        year: Annotated[int | None, Field(description="Answer only from documents covering this year.")] = None,
    ) -> AskResult:
        """Answer a question from the documents: every claim cites a verbatim quote ([n] in the answer
        refers to citation n); an honest abstention when the documents say nothing."""
        filters = Filters(doc_ids=(doc,) if doc else (), year_from=year, year_to=year)
        answer = engine.answerer.ask(question, district, filters)
        return AskResult(
            question=answer.question,
            answer=answer.text,
            supported=answer.supported,
            districts=[DistrictLine(name=d.name, involvement=d.involvement, citations=list(d.citations)) for d in answer.districts],
            citations=[cite(c) for c in answer.citations],
            notes=list(answer.notes),
            compare=compare_link(base, *answer.comparison) if answer.comparison else None,
        )

    @server.tool()
    @_as_tool_error
    def coverage(
        topic: Annotated[str, Field(description="The topic, in Swedish (say 'medborgarvärdar').")],
        year_from: Annotated[int | None, Field(description="Only documents covering this year or later.")] = None,
        year_to: Annotated[int | None, Field(description="Only documents covering this year or earlier.")] = None,
    ) -> CoverageResult:
        """Every district and city-wide organisation: quoted evidence that it works with the topic, or
        'no evidence found' with the best score seen."""
        table = coverage_table(engine, topic, year_from, year_to)
        rows = [
            CoverageLine(
                name=row.name, kind=row.kind, status=row.status, involvement=row.involvement, best_score=row.best_score,
                citations=[cite(e.citation) for e in row.evidence],
            )
            for row in table.rows
        ]
        return CoverageResult(topic=table.query, threshold=table.threshold, rows=rows)

    @server.tool()
    @_as_tool_error
    def compare(
        earlier: Annotated[str, Field(description="The earlier version's document id.")],
        later: Annotated[str, Field(description="The later version's document id.")],
    ) -> CompareResult:
        """What changed between two versions of a report: per section, the sentences added and removed,
        each cited (unchanged sections are only counted)."""
        comparison = compare_versions(engine, earlier, later)
        sections = [
            SectionDifference(
                status=change.status, section_earlier=change.section_a, section_later=change.section_b,
                added=[cite_sentence(r) for r in change.added], removed=[cite_sentence(r) for r in change.removed],
            )
            for change in comparison.changed
        ]
        return CompareResult(
            earlier=comparison.doc_a, later=comparison.doc_b, title_earlier=comparison.title_a, title_later=comparison.title_b,
            unchanged_sections=len(comparison.sections) - len(sections), sections=sections,
            link=compare_link(base, comparison.doc_a, comparison.doc_b),
        )

    @server.tool()
    @_as_tool_error
    def read_document(
        doc_id: Annotated[str, Field(description="The document id (as citations and list_documents give it).")],
        start: Annotated[int, Field(ge=0, description="First character of the span in the cleaned text.")] = 0,
        end: Annotated[
            int | None, Field(ge=1, description=f"End of the span (default: start + {MAX_SPAN_CHARS:,} or the end).")
        ] = None,
    ) -> DocumentSpan:
        """A span of a document's cleaned text (the text every citation's offsets point into), with its
        sections and citation; read around a quote to check its context."""
        if doc_id not in engine.index.documents:
            raise UnknownDocument(f"Okänt dokument: {doc_id!r}. Se list_documents för giltiga id.")
        document = engine.index.documents[doc_id]
        length = len(document.text)
        end = min(length, start + MAX_SPAN_CHARS) if end is None else end
        if not start < end <= length:
            raise QueryError(f"Spannet måste ligga inom dokumentet: 0 ≤ start < end ≤ {length}.")
        if end - start > MAX_SPAN_CHARS:
            raise QueryError(f"Spannet är för långt: högst {MAX_SPAN_CHARS} tecken åt gången.")
        overlapping = [s for s in document.sections if s.start < end and start < s.end]
        innermost = max((s for s in overlapping if s.start <= start < s.end), key=lambda s: len(s.path), default=None)
        citation = source_citation(
            infos, base, doc_id, innermost.title if innermost else "", document.page_at(start), start, end,
            document.text[start:end],
        )
        return DocumentSpan(doc_id=doc_id, length=length, sections=[s.title for s in overlapping], citation=citation)

    @server.tool()
    def list_documents() -> DocumentList:
        """Every indexed document: id, title, organisation, year, districts and the versions of its report."""
        links = version_links(infos)
        return DocumentList(
            documents=[
                DocumentEntry(
                    doc_id=doc_id, title=info.title, organisation=info.organisation, doc_type=info.doc_type,
                    year=info.year, period=info.period, districts=list(info.districts), versions=links[doc_id][1],
                )
                for doc_id, info in sorted(infos.items())
            ]
        )

    return server
