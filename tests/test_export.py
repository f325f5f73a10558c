"""Markdown and CSV exports of answers, search results and coverage tables."""

from __future__ import annotations

import csv
import io
from urllib.parse import parse_qs, urlsplit

import pytest

from indexer.types import Answer, Citation, DistrictFinding
from service.coverage import coverage
from service.export import citation_link, to_csv, to_markdown


def parse(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


def assert_link(link: str, doc_id: str, start: int, end: int) -> None:
    parts = urlsplit(link)
    assert parts.path == "/" and not parts.netloc
    assert parse_qs(parts.query) == {"doc": [doc_id], "start": [str(start)], "end": [str(end)]}


def assert_quotes_verbatim(engine, rows: list[dict[str, str]]) -> int:
    checked = 0
    for row in rows:
        if not row["quote"]:
            continue
        start, end = int(row["start"]), int(row["end"])
        assert engine.index.documents[row["doc_id"]].text[start:end] == row["quote"]
        assert_link(row["link"], row["doc_id"], start, end)
        checked += 1
    return checked


@pytest.fixture(scope="module")
def answer(engine):
    return engine.answerer.ask("Vilka stadsdelar arbetar med medborgarvärdar?")


def test_answer_csv_has_one_row_per_citation_with_full_citations(engine, answer):
    rows = parse(to_csv(answer))
    assert len(rows) == len(answer.citations) > 0
    assert assert_quotes_verbatim(engine, rows) == len(rows)
    assert all(row["title"] and row["section"] and row["question"] == answer.question for row in rows)
    spanga = next(row for row in rows if "Spånga-Tensta" in row["districts"].split("; "))
    assert spanga["involvement"]


def test_answer_markdown_contains_every_citation(answer):
    markdown = to_markdown(answer)
    assert markdown.startswith("# Vilka stadsdelar arbetar med medborgarvärdar?")
    for citation in answer.citations:
        assert f"[{citation.id}] **" in markdown
        assert all(line in markdown for line in citation.quote.split("\n"))
        assert citation_link(citation.doc_id, citation.start, citation.end) in markdown


def test_search_results_csv_keeps_multi_paragraph_quotes_intact(engine):
    passages = engine.searcher.search("trygghetsvandringar", 10)
    text = to_csv(passages, query="trygghetsvandringar")
    rows = parse(text)
    assert len(rows) == len(passages)
    assert assert_quotes_verbatim(engine, rows) == len(rows)
    # Passages span paragraphs: the line breaks survive the round trip inside quoted fields.
    assert any("\n" in row["quote"] for row in rows)
    assert [int(row["rank"]) for row in rows] == [p.rank for p in passages]
    assert {row["query"] for row in rows} == {"trygghetsvandringar"}


def test_search_results_markdown(engine):
    passages = engine.searcher.search("trygghetsvandringar", 5)
    markdown = to_markdown(passages, query="trygghetsvandringar")
    assert markdown.startswith("# Sökresultat: trygghetsvandringar")
    for passage in passages:
        chunk = passage.chunk
        assert citation_link(chunk.doc_id, chunk.start, chunk.end) in markdown
        assert all(line in markdown for line in chunk.text.split("\n"))
    assert "Inga träffar." in to_markdown([], query="ingenting")


def test_coverage_csv_has_every_row_and_verbatim_evidence(engine):
    table = coverage(engine, "medborgarvärdar")
    rows = parse(to_csv(table))
    assert {row["name"] for row in rows} == {row.name for row in table.rows}
    assert assert_quotes_verbatim(engine, rows) == sum(len(row.evidence) for row in table.rows)
    bromma = [row for row in rows if row["name"] == "Bromma"]
    assert len(bromma) == 1 and bromma[0]["status"] == "no evidence found" and not bromma[0]["quote"]


def test_coverage_markdown_has_a_table_line_per_row_and_every_citation(engine):
    table = coverage(engine, "medborgarvärdar", year_to=2022)
    markdown = to_markdown(table)
    for row in table.rows:
        assert any(line.startswith(f"| {row.name} |") for line in markdown.splitlines()), row.name
    for citation in table.citations:
        assert all(line in markdown for line in citation.quote.split("\n"))
        assert citation_link(citation.doc_id, citation.start, citation.end) in markdown
    assert "inga belägg hittades" in markdown and "…–2022" in markdown


def test_csv_quotes_commas_quotes_and_line_breaks():
    quote = 'Han sa "ja", och\n\nsedan; nej'
    end = 10 + len(quote)
    citation = Citation(1, "rapporter/a#0-0", "rapporter/a", "Titel, med komma", (), "1 | Avsnitt", quote, 10, end, 3)
    answer = Answer("Fråga?", "Svar [1]", True, (citation,), (DistrictFinding("Farsta", (1,), "har"),))
    rows = parse(to_csv(answer))
    assert rows[0]["quote"] == quote and rows[0]["title"] == "Titel, med komma"
    assert rows[0]["districts"] == "Farsta" and rows[0]["page"] == "3"
    assert_link(rows[0]["link"], "rapporter/a", 10, end)
    markdown = to_markdown(answer)
    assert "1 \\| Avsnitt" in markdown and "> Han sa \"ja\", och\n>\n> sedan; nej" in markdown


def test_an_abstention_exports_one_row_without_citation():
    answer = Answer("Fråga?", "Jag hittar inget i dokumenten som besvarar frågan.", False)
    rows = parse(to_csv(answer))
    assert len(rows) == 1 and rows[0]["supported"] == "False" and rows[0]["quote"] == ""
    assert "Källor" not in to_markdown(answer)


def test_other_things_cannot_be_exported():
    with pytest.raises(TypeError):
        to_csv({"not": "exportable"})
