"""Markdown and CSV exports of answers, search results and coverage tables, as Swedish offices open them."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from indexer.types import Answer, Citation, DistrictFinding, DocumentInfo
from service.coverage import coverage
from service.export import INVOLVEMENT_LABELS, STATUS_LABELS, to_csv, to_markdown
from service.links import Links

BASE = "https://stadshus.example.se"
WEB = Path(__file__).resolve().parents[1] / "service" / "web"


def parse(text: str) -> list[dict[str, str]]:
    """Rows as Swedish Excel reads them: ';' between fields."""
    return list(csv.DictReader(io.StringIO(text, newline=""), delimiter=";"))


@pytest.fixture(scope="module")
def links(engine) -> Links:
    return Links(BASE, engine.index.documents.infos)


def assert_link(link: str, doc_id: str, start: int, end: int) -> None:
    parts = urlsplit(link)
    assert f"{parts.scheme}://{parts.netloc}" == BASE and parts.path == "/"
    assert parse_qs(parts.query) == {"doc": [doc_id], "start": [str(start)], "end": [str(end)]}


def assert_quotes_verbatim(engine, rows: list[dict[str, str]]) -> int:
    checked = 0
    for row in rows:
        if not row["Citat"]:
            continue
        start, end = int(row["Start"]), int(row["Slut"])
        assert engine.index.documents[row["Dokument-id"]].text[start:end] == row["Citat"]
        assert_link(row["Länk"], row["Dokument-id"], start, end)
        assert row["Originalfil"] == f"{BASE}/api/documents/{row['Dokument-id']}/original"
        assert row["År"] == str(engine.index.documents.infos[row["Dokument-id"]].period)
        checked += 1
    return checked


@pytest.fixture(scope="module")
def answer(engine):
    return engine.answerer.ask("Vilka stadsdelar arbetar med medborgarvärdar?")


def test_the_labels_are_the_pages():
    involvement = (WEB / "involvement.js").read_text(encoding="utf-8")
    for value, label in INVOLVEMENT_LABELS.items():
        assert f'"{value}": {{ label: "{label}"' in involvement
    overview = (WEB / "coverage.js").read_text(encoding="utf-8")
    assert f'"{STATUS_LABELS["evidence"]}"' in overview and f'NO_EVIDENCE = "{STATUS_LABELS["no evidence found"]}"' in overview


def test_answer_csv_has_one_row_per_citation_with_full_citations(engine, answer, links):
    rows = parse(to_csv(answer, links))
    assert len(rows) == len(answer.citations) > 0
    assert assert_quotes_verbatim(engine, rows) == len(rows)
    assert all(row["Dokument"] and row["Avsnitt"] and row["Fråga"] == answer.question for row in rows)
    assert {row["Besvarad"] for row in rows} == {"Ja"}
    spanga = next(row for row in rows if "Spånga-Tensta" in row["Stadsdel"].split("; "))
    assert spanga["Involvering"] in INVOLVEMENT_LABELS.values()


def test_answer_markdown_contains_every_citation(answer, links):
    markdown = to_markdown(answer, links)
    assert markdown.startswith("# Vilka stadsdelar arbetar med medborgarvärdar?")
    for citation in answer.citations:
        assert f"[{citation.id}] **" in markdown
        assert all(line in markdown for line in citation.quote.split("\n"))
        assert links.quote(citation.doc_id, citation.start, citation.end) in markdown
    assert "(Gör redan)" in markdown


def test_search_results_csv_keeps_multi_paragraph_quotes_intact(engine, links):
    passages = engine.searcher.search("trygghetsvandringar", 10)
    rows = parse(to_csv(passages, links, query="trygghetsvandringar"))
    assert len(rows) == len(passages)
    assert assert_quotes_verbatim(engine, rows) == len(rows)
    # Passages span paragraphs: the line breaks survive the round trip inside quoted fields.
    assert any("\n" in row["Citat"] for row in rows)
    assert [int(row["Nr"]) for row in rows] == [p.rank for p in passages]
    assert {row["Sökning"] for row in rows} == {"trygghetsvandringar"}
    # Decimal commas, as Swedish Excel reads numbers.
    assert all(re.fullmatch(r"-?\d+,\d{3}", row["Poäng"]) for row in rows)


def test_search_results_markdown(engine, links):
    passages = engine.searcher.search("trygghetsvandringar", 5)
    markdown = to_markdown(passages, links, query="trygghetsvandringar")
    assert markdown.startswith("# Sökresultat: trygghetsvandringar")
    for passage in passages:
        chunk = passage.chunk
        assert links.quote(chunk.doc_id, chunk.start, chunk.end) in markdown
        assert all(line in markdown for line in chunk.text.split("\n"))
    assert "Inga träffar." in to_markdown([], links, query="ingenting")


def test_coverage_csv_has_every_row_and_verbatim_evidence(engine, links):
    table = coverage(engine, "medborgarvärdar")
    rows = parse(to_csv(table, links))
    assert {row["Stadsdel/organisation"] for row in rows} == {row.name for row in table.rows}
    assert assert_quotes_verbatim(engine, rows) == sum(len(row.evidence) for row in table.rows)
    bromma = [row for row in rows if row["Stadsdel/organisation"] == "Bromma"]
    assert len(bromma) == 1 and bromma[0]["Status"] == "Inga belägg hittades" and not bromma[0]["Citat"]
    assert {row["Innehåller ämnets ord"] for row in rows if row["Citat"]} <= {"Ja", "Nej"}
    assert {row["Typ"] for row in rows} == {"stadsdel", "organisation"}


def test_a_rows_involvement_is_the_strongest_of_its_quotes(engine):
    order = ["nämner", "planerar", "kommer att", "har"]
    for row in coverage(engine, "medborgarvärdar").rows:
        if row.evidence:
            assert row.involvement == max((e.involvement for e in row.evidence), key=order.index)


def test_coverage_markdown_has_a_table_line_per_row_and_every_citation(engine, links):
    table = coverage(engine, "medborgarvärdar", year_to=2022)
    markdown = to_markdown(table, links)
    for row in table.rows:
        assert any(line.startswith(f"| {row.name} |") for line in markdown.splitlines()), row.name
    for citation in table.citations:
        assert all(line in markdown for line in citation.quote.split("\n"))
        assert links.quote(citation.doc_id, citation.start, citation.end) in markdown
    assert "Inga belägg hittades" in markdown and "…–2022" in markdown and "Tröskel 0,57" in markdown


def test_csv_quotes_separators_quotes_and_line_breaks():
    quote = 'Han sa "ja"; och\n\nsedan, nej'
    end = 10 + len(quote)
    citation = Citation(1, "rapporter/a#0-0", "rapporter/a", "Titel; med semikolon", (), "1 | Avsnitt", quote, 10, end, 3)
    answer = Answer("Fråga?", "Svar [1]", True, (citation,), (DistrictFinding("Farsta", (1,), "har"),))
    links = Links(BASE, {"rapporter/a": DocumentInfo("rapporter/a", "rapporter/a.pdf", "Titel; med semikolon", "0", year=2021)})
    rows = parse(to_csv(answer, links))
    assert rows[0]["Citat"] == quote and rows[0]["Dokument"] == "Titel; med semikolon"
    assert (rows[0]["Stadsdel"], rows[0]["Involvering"], rows[0]["Sida"], rows[0]["År"]) == ("Farsta", "Gör redan", "3", "2021")
    assert_link(rows[0]["Länk"], "rapporter/a", 10, end)
    assert rows[0]["Originalfil"] == f"{BASE}/api/documents/rapporter%2Fa/original#page=3"
    markdown = to_markdown(answer, links)
    assert "1 \\| Avsnitt" in markdown and "> Han sa \"ja\"; och\n>\n> sedan, nej" in markdown


def test_an_abstention_exports_one_row_without_citation(links):
    answer = Answer("Fråga?", "Jag hittar inget i dokumenten som besvarar frågan.", False)
    rows = parse(to_csv(answer, links))
    assert len(rows) == 1 and rows[0]["Besvarad"] == "Nej" and rows[0]["Citat"] == ""
    assert "Källor" not in to_markdown(answer, links)


def test_other_things_cannot_be_exported(links):
    with pytest.raises(TypeError):
        to_csv({"not": "exportable"}, links)
