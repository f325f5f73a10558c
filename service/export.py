"""Exports of an answer, a search result list and a coverage table, as Markdown or CSV for Swedish offices.

CSV is what Swedish Excel opens without a wizard: fields separated by ``;``, decimal commas, "Ja"/"Nej"
for yes and no, a byte order mark (added by the route) so that å, ä and ö survive, and the web page's own
labels as headers and values ("Gör redan", "Belägg finns"). Every row carries its full citation: document,
year, section, page, the verbatim quote with its offsets, an absolute link to the quote on the web page
and one to the original file.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence

from indexer.types import Answer, Citation, Passage

from .coverage import EVIDENCE, NO_EVIDENCE, Coverage
from .links import Links, compare_link

Exportable = Answer | Coverage | Sequence[Passage]
# The page's labels (service/web/involvement.js and coverage.js).
INVOLVEMENT_LABELS = {"har": "Gör redan", "kommer att": "Kommer att", "planerar": "Planerar", "nämner": "Nämns"}
STATUS_LABELS = {EVIDENCE: "Belägg finns", NO_EVIDENCE: "Inga belägg hittades"}
KIND_LABELS = {"district": "stadsdel", "organisation": "organisation"}
YES_NO = {True: "Ja", False: "Nej"}
MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>#|])")
DELIMITER = ";"

CITATION_COLUMNS = ["Dokument", "År", "Avsnitt", "Sida", "Citat", "Start", "Slut", "Länk", "Originalfil", "Dokument-id",
                    "Textstycke-id"]
ANSWER_COLUMNS = ["Fråga", "Svar", "Besvarad", "Källa", "Stadsdel", "Involvering", *CITATION_COLUMNS]
SEARCH_COLUMNS = ["Sökning", "Nr", "Poäng", "Stadsdel", *CITATION_COLUMNS, "Finns även i"]
COVERAGE_COLUMNS = ["Ämne", "Stadsdel/organisation", "Typ", "Status", "Involvering", "Bästa poäng", "Källa", "Poäng",
                    "Innehåller ämnets ord", *CITATION_COLUMNS]


def to_markdown(item: Exportable, links: Links, query: str | None = None) -> str:
    """``item`` as Markdown; ``query`` titles a search result list (answers and tables carry their own)."""
    if isinstance(item, Answer):
        return _answer_markdown(item, links)
    if isinstance(item, Coverage):
        return _coverage_markdown(item, links)
    return _search_markdown(_passages(item), links, query)


def to_csv(item: Exportable, links: Links, query: str | None = None) -> str:
    """``item`` as Swedish CSV (a header row, then one row per citation or result); ``query`` fills the
    search list's first column."""
    if isinstance(item, Answer):
        columns, rows = ANSWER_COLUMNS, _answer_rows(item, links)
    elif isinstance(item, Coverage):
        columns, rows = COVERAGE_COLUMNS, _coverage_rows(item, links)
    else:
        columns, rows = SEARCH_COLUMNS, _search_rows(_passages(item), links, query or "")
    out = io.StringIO()
    # QUOTE_MINIMAL quotes fields with ";", quotes or line breaks (quotes span paragraphs).
    writer = csv.DictWriter(out, fieldnames=columns, delimiter=DELIMITER, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def decimal(value: float, digits: int) -> str:
    """A number with a Swedish decimal comma ("0,57")."""
    return f"{value:.{digits}f}".replace(".", ",")


# Markdown


def _answer_markdown(answer: Answer, links: Links) -> str:
    parts = [f"# {_inline(answer.question)}", answer.text]
    if answer.districts:
        lines = [
            f"- {_inline(d.name)} ({INVOLVEMENT_LABELS[d.involvement]}): " + " ".join(f"[{i}]" for i in d.citations)
            for d in answer.districts
        ]
        parts.append("## Stadsdelar\n\n" + "\n".join(lines))
    if answer.comparison:
        parts.append(f"[Öppna jämförelsen sida vid sida]({compare_link(links.base, *answer.comparison)})")
    if answer.citations:
        parts.append("## Källor\n\n" + "\n\n".join(_citation_markdown(c, links) for c in answer.citations))
    if answer.notes:
        parts.append("\n".join(f"*{_inline(note)}*" for note in answer.notes))
    return "\n\n".join(parts) + "\n"


def _coverage_markdown(table: Coverage, links: Links) -> str:
    years = _years(table.year_from, table.year_to)
    parts = [
        f"# Täckning: {_inline(table.query)}",
        f"Tröskel {decimal(table.threshold, 2)}" + (f", dokument från {years}" if years else "") + ".",
    ]
    header = "| Stadsdel/organisation | Status | Involvering | Bästa poäng | Källor |\n|---|---|---|---|---|"
    lines = [
        f"| {_inline(row.name)} | {STATUS_LABELS[row.status]} | "
        f"{INVOLVEMENT_LABELS[row.involvement] if row.involvement else '–'} | {decimal(row.best_score, 2)} | "
        + " ".join(f"[{e.citation.id}]" for e in row.evidence)
        + " |"
        for row in table.rows
    ]
    parts.append(header + "\n" + "\n".join(lines))
    if table.citations:
        parts.append("## Källor\n\n" + "\n\n".join(_citation_markdown(c, links) for c in table.citations))
    return "\n\n".join(parts) + "\n"


def _search_markdown(passages: list[Passage], links: Links, query: str | None) -> str:
    parts = [f"# Sökresultat: {_inline(query)}" if query else "# Sökresultat"]
    for passage in passages:
        chunk = passage.chunk
        heading = f"## {passage.rank}. {_inline(passage.title)}"
        where = f"{_inline(chunk.section)}{_page(chunk.page)}{_year(links, chunk.doc_id)} · poäng {decimal(passage.score, 3)}"
        link = f"[Öppna i dokumentet]({links.quote(chunk.doc_id, chunk.start, chunk.end)}) · [Originalfil]({links.original(chunk.doc_id, chunk.page)})"
        body = [heading, where, _blockquote(chunk.text), link]
        if passage.also_in:
            body.append("Finns även i: " + ", ".join(passage.also_in))
        parts.append("\n\n".join(body))
    if not passages:
        parts.append("Inga träffar.")
    return "\n\n".join(parts) + "\n"


def _citation_markdown(citation: Citation, links: Links) -> str:
    source = (f"[{citation.id}] **{_inline(citation.title)}**{_year(links, citation.doc_id)}, {_inline(citation.section)}"
              f"{_page(citation.page)}")
    link = (f"[Öppna i dokumentet]({links.quote(citation.doc_id, citation.start, citation.end)}) · "
            f"[Originalfil]({links.original(citation.doc_id, citation.page)})")
    return f"{source}\n\n{_blockquote(citation.quote)}\n\n{link}"


def _blockquote(text: str) -> str:
    return "\n".join(f"> {line}".rstrip() for line in text.split("\n"))


def _inline(text: str) -> str:
    """Text for a heading or table cell: one line, Markdown characters escaped."""
    return MARKDOWN_SPECIAL.sub(r"\\\1", " ".join(text.split()))


def _page(page: int | None) -> str:
    return f", s. {page}" if page is not None else ""


def _year(links: Links, doc_id: str) -> str:
    years = links.years(doc_id)
    return f" ({years})" if years else ""


def _years(year_from: int | None, year_to: int | None) -> str:
    if year_from is None and year_to is None:
        return ""
    return f"{year_from if year_from is not None else '…'}–{year_to if year_to is not None else '…'}"


# CSV rows


def _source_fields(links: Links, doc_id: str, title: str, section: str, page: int | None, quote: str, start: int,
                   end: int, chunk_id: str) -> dict[str, object]:
    return {
        "Dokument": title,
        "År": links.years(doc_id),
        "Avsnitt": section,
        "Sida": "" if page is None else page,
        "Citat": quote,
        "Start": start,
        "Slut": end,
        "Länk": links.quote(doc_id, start, end),
        "Originalfil": links.original(doc_id, page),
        "Dokument-id": doc_id,
        "Textstycke-id": chunk_id,
    }


def _citation_fields(citation: Citation, links: Links) -> dict[str, object]:
    return {"Källa": citation.id} | _source_fields(
        links, citation.doc_id, citation.title, citation.section, citation.page, citation.quote, citation.start,
        citation.end, citation.chunk_id,
    )


def _answer_rows(answer: Answer, links: Links) -> list[dict[str, object]]:
    base = {"Fråga": answer.question, "Svar": answer.text, "Besvarad": YES_NO[answer.supported]}
    if not answer.citations:
        return [base]
    rows = []
    for citation in answer.citations:
        findings = [d for d in answer.districts if citation.id in d.citations]
        rows.append(
            base
            | _citation_fields(citation, links)
            | {
                "Stadsdel": "; ".join(d.name for d in findings),
                "Involvering": "; ".join(INVOLVEMENT_LABELS[d.involvement] for d in findings),
            }
        )
    return rows


def _coverage_rows(table: Coverage, links: Links) -> list[dict[str, object]]:
    rows = []
    for row in table.rows:
        base = {
            "Ämne": table.query,
            "Stadsdel/organisation": row.name,
            "Typ": KIND_LABELS[row.kind],
            "Status": STATUS_LABELS[row.status],
            "Involvering": INVOLVEMENT_LABELS[row.involvement] if row.involvement else "",
            "Bästa poäng": decimal(row.best_score, 2),
        }
        if not row.evidence:
            rows.append(base)
        for evidence in row.evidence:
            rows.append(
                base
                | _citation_fields(evidence.citation, links)
                | {
                    "Poäng": decimal(evidence.score, 2),
                    "Innehåller ämnets ord": YES_NO[evidence.anchored],
                    "Involvering": INVOLVEMENT_LABELS[evidence.involvement],
                }
            )
    return rows


def _search_rows(passages: list[Passage], links: Links, query: str) -> list[dict[str, object]]:
    rows = []
    for passage in passages:
        chunk = passage.chunk
        rows.append(
            {"Sökning": query, "Nr": passage.rank, "Poäng": decimal(passage.score, 3), "Stadsdel": "; ".join(chunk.districts)}
            | _source_fields(links, chunk.doc_id, passage.title, chunk.section, chunk.page, chunk.text, chunk.start,
                             chunk.end, chunk.chunk_id)
            | {"Finns även i": "; ".join(passage.also_in)}
        )
    return rows


def _passages(item: object) -> list[Passage]:
    """A search result list, checked: anything else is a programming error, not bad user input."""
    if isinstance(item, (list, tuple)) and all(isinstance(p, Passage) for p in item):
        return list(item)
    raise TypeError(f"cannot export {type(item).__name__}: expected an Answer, a Coverage or a list of Passages")
