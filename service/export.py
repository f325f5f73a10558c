"""Exports of an answer, a search result list and a coverage table, as Markdown or CSV.

Every row carries its full citation: document title, section, page, the verbatim quote with its offsets,
and a link to the quote on the web page (``/?doc=<doc_id>&start=<start>&end=<end>``, relative to it).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from urllib.parse import urlencode

from indexer.types import Answer, Citation, Passage

from .coverage import EVIDENCE, Coverage

Exportable = Answer | Coverage | Sequence[Passage]
STATUS_LABELS = {EVIDENCE: "belägg finns", "no evidence found": "inga belägg hittades"}
MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>#|])")

ANSWER_COLUMNS = ["question", "answer", "supported", "citation", "districts", "involvement", "doc_id", "title",
                  "section", "page", "quote", "start", "end", "link", "chunk_id"]
SEARCH_COLUMNS = ["query", "rank", "score", "doc_id", "title", "section", "page", "districts", "quote", "start",
                  "end", "link", "chunk_id", "also_in"]
COVERAGE_COLUMNS = ["query", "name", "kind", "status", "involvement", "best_score", "citation", "score", "doc_id",
                    "title", "section", "page", "quote", "start", "end", "link", "chunk_id"]


def citation_link(doc_id: str, start: int, end: int) -> str:
    """The web page's link to a quote, relative to the page."""
    return "/?" + urlencode({"doc": doc_id, "start": start, "end": end})


def to_markdown(item: Exportable, query: str | None = None) -> str:
    """``item`` as Markdown; ``query`` titles a search result list (answers and tables carry their own)."""
    if isinstance(item, Answer):
        return _answer_markdown(item)
    if isinstance(item, Coverage):
        return _coverage_markdown(item)
    return _search_markdown(_passages(item), query)


def to_csv(item: Exportable, query: str | None = None) -> str:
    """``item`` as CSV (a header row, then one row per citation or result); ``query`` fills the search
    list's query column."""
    if isinstance(item, Answer):
        columns, rows = ANSWER_COLUMNS, _answer_rows(item)
    elif isinstance(item, Coverage):
        columns, rows = COVERAGE_COLUMNS, _coverage_rows(item)
    else:
        columns, rows = SEARCH_COLUMNS, _search_rows(_passages(item), query or "")
    out = io.StringIO()
    # QUOTE_MINIMAL quotes fields with commas, quotes or line breaks (quotes span paragraphs).
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


# Markdown


def _answer_markdown(answer: Answer) -> str:
    parts = [f"# {_inline(answer.question)}", answer.text]
    if answer.districts:
        lines = [
            f"- {_inline(d.name)} ({d.involvement}): " + " ".join(f"[{i}]" for i in d.citations)
            for d in answer.districts
        ]
        parts.append("## Stadsdelar\n\n" + "\n".join(lines))
    if answer.citations:
        parts.append("## Källor\n\n" + "\n\n".join(_citation_markdown(c) for c in answer.citations))
    if answer.notes:
        parts.append("\n".join(f"*{_inline(note)}*" for note in answer.notes))
    return "\n\n".join(parts) + "\n"


def _coverage_markdown(table: Coverage) -> str:
    years = _years(table.year_from, table.year_to)
    parts = [
        f"# Täckning: {_inline(table.query)}",
        f"Tröskel {table.threshold:.2f}" + (f", dokument från {years}" if years else "") + ".",
    ]
    header = "| Stadsdel/organisation | Status | Involvering | Bästa poäng | Källor |\n|---|---|---|---|---|"
    lines = [
        f"| {_inline(row.name)} | {STATUS_LABELS[row.status]} | {row.involvement or '–'} | {row.best_score:.2f} | "
        + " ".join(f"[{e.citation.id}]" for e in row.evidence)
        + " |"
        for row in table.rows
    ]
    parts.append(header + "\n" + "\n".join(lines))
    if table.citations:
        parts.append("## Källor\n\n" + "\n\n".join(_citation_markdown(c) for c in table.citations))
    return "\n\n".join(parts) + "\n"


def _search_markdown(passages: list[Passage], query: str | None) -> str:
    parts = [f"# Sökresultat: {_inline(query)}" if query else "# Sökresultat"]
    for passage in passages:
        chunk = passage.chunk
        heading = f"## {passage.rank}. {_inline(passage.title)}"
        where = f"{_inline(chunk.section)}{_page(chunk.page)} · poäng {passage.score:.3f}"
        link = f"[Öppna i dokumentet]({citation_link(chunk.doc_id, chunk.start, chunk.end)})"
        body = [heading, where, _blockquote(chunk.text), link]
        if passage.also_in:
            body.append("Finns även i: " + ", ".join(passage.also_in))
        parts.append("\n\n".join(body))
    if not passages:
        parts.append("Inga träffar.")
    return "\n\n".join(parts) + "\n"


def _citation_markdown(citation: Citation) -> str:
    source = f"[{citation.id}] **{_inline(citation.title)}**, {_inline(citation.section)}{_page(citation.page)}"
    link = f"[Öppna i dokumentet]({citation_link(citation.doc_id, citation.start, citation.end)})"
    return f"{source}\n\n{_blockquote(citation.quote)}\n\n{link}"


def _blockquote(text: str) -> str:
    return "\n".join(f"> {line}".rstrip() for line in text.split("\n"))


def _inline(text: str) -> str:
    """Text for a heading or table cell: one line, Markdown characters escaped."""
    return MARKDOWN_SPECIAL.sub(r"\\\1", " ".join(text.split()))


def _page(page: int | None) -> str:
    return f", s. {page}" if page is not None else ""


def _years(year_from: int | None, year_to: int | None) -> str:
    if year_from is None and year_to is None:
        return ""
    return f"{year_from if year_from is not None else '…'}–{year_to if year_to is not None else '…'}"


# CSV rows


def _citation_fields(citation: Citation) -> dict[str, object]:
    return {
        "citation": citation.id,
        "doc_id": citation.doc_id,
        "title": citation.title,
        "section": citation.section,
        "page": "" if citation.page is None else citation.page,
        "quote": citation.quote,
        "start": citation.start,
        "end": citation.end,
        "link": citation_link(citation.doc_id, citation.start, citation.end),
        "chunk_id": citation.chunk_id,
    }


def _answer_rows(answer: Answer) -> list[dict[str, object]]:
    base = {"question": answer.question, "answer": answer.text, "supported": answer.supported}
    if not answer.citations:
        return [base]
    rows = []
    for citation in answer.citations:
        findings = [d for d in answer.districts if citation.id in d.citations]
        rows.append(
            base
            | _citation_fields(citation)
            | {
                "districts": "; ".join(d.name for d in findings),
                "involvement": "; ".join(d.involvement for d in findings),
            }
        )
    return rows


def _coverage_rows(table: Coverage) -> list[dict[str, object]]:
    rows = []
    for row in table.rows:
        base = {
            "query": table.query,
            "name": row.name,
            "kind": row.kind,
            "status": row.status,
            "involvement": row.involvement or "",
            "best_score": row.best_score,
        }
        if not row.evidence:
            rows.append(base)
        for evidence in row.evidence:
            rows.append(base | _citation_fields(evidence.citation) | {"score": evidence.score})
    return rows


def _search_rows(passages: list[Passage], query: str) -> list[dict[str, object]]:
    rows = []
    for passage in passages:
        chunk = passage.chunk
        rows.append(
            {
                "query": query,
                "rank": passage.rank,
                "score": round(passage.score, 6),
                "doc_id": chunk.doc_id,
                "title": passage.title,
                "section": chunk.section,
                "page": "" if chunk.page is None else chunk.page,
                "districts": "; ".join(chunk.districts),
                "quote": chunk.text,
                "start": chunk.start,
                "end": chunk.end,
                "link": citation_link(chunk.doc_id, chunk.start, chunk.end),
                "chunk_id": chunk.chunk_id,
                "also_in": "; ".join(passage.also_in),
            }
        )
    return rows


def _passages(item: object) -> list[Passage]:
    """A search result list, checked: anything else is a programming error, not bad user input."""
    if isinstance(item, (list, tuple)) and all(isinstance(p, Passage) for p in item):
        return list(item)
    raise TypeError(f"cannot export {type(item).__name__}: expected an Answer, a Coverage or a list of Passages")
