"""The document table: metadata of every document in memory, texts decoded from the records when asked."""

from __future__ import annotations

from pathlib import Path

import pytest

from indexer.documentstore import RECORDS_FILE, TABLE_DIR, DocumentTable
from indexer.records import RecordError
from indexer.types import Document, PageSpan, Section


def make_documents() -> list[Document]:
    """Two documents with pages, sections and Swedish text, one without any metadata beyond the required."""
    text = "Mål för Hökarängen.\nÅtgärder i Farsta strand och Sköndal."
    return [
        Document(
            doc_id="farsta-2017",
            source="farsta-2017.pdf",
            title="Lokal utvecklingsplan för Farsta 2017–2022",
            text=text,
            sha256="a" * 64,
            organisation="Farsta stadsdelsförvaltning",
            doc_type="plan",
            year=2017,
            period="2017–2022",
            districts=("Farsta",),
            pages=(PageSpan(1, 0, 20), PageSpan(2, 20, len(text))),
            sections=(Section(("1 Mål",), 0, 20, ("Farsta",)), Section(("2 Åtgärder",), 20, len(text))),
        ),
        Document(doc_id="anteckning", source="anteckning.txt", title="Anteckning", text="Kort text.", sha256="b" * 64),
    ]


@pytest.fixture
def written(tmp_path: Path) -> tuple[Path, list[Document]]:
    documents = make_documents()
    DocumentTable.write(tmp_path, documents)
    return tmp_path, documents


def test_documents_round_trip_by_id(written):
    build, documents = written
    table = DocumentTable.open(build)
    assert len(table) == 2 and list(table) == ["farsta-2017", "anteckning"]
    for document in documents:
        assert document.doc_id in table
        assert table[document.doc_id] == document
    assert "saknas" not in table and table.get("saknas") is None
    with pytest.raises(KeyError):
        table["saknas"]


def test_the_metadata_is_there_without_reading_a_record(written):
    build, documents = written
    (build / RECORDS_FILE).write_bytes(b"#" * (build / RECORDS_FILE).stat().st_size)
    table = DocumentTable.open(build)
    assert table.infos == {d.doc_id: d.info for d in documents}
    assert table.infos["farsta-2017"].period == "2017–2022" and table.infos["farsta-2017"].districts == ("Farsta",)
    # The damage shows when a text is asked for, as a record error (the API answers 503 to it).
    with pytest.raises(RecordError, match="record 0"):
        table["farsta-2017"]


def test_records_of_another_length_than_the_table_are_refused(written):
    build, _ = written
    with (build / RECORDS_FILE).open("a", encoding="utf-8") as out:
        out.write('{"extra": 1}\n')
    with pytest.raises(RecordError, match="inconsistent"):
        DocumentTable.open(build)


def test_a_table_that_lists_fewer_documents_than_the_records_is_refused(written):
    build, _ = written
    infos = build / TABLE_DIR / "infos.jsonl"
    infos.write_text(infos.read_text(encoding="utf-8").splitlines()[0] + "\n", encoding="utf-8")
    with pytest.raises(RecordError, match="inconsistent"):
        DocumentTable.open(build)


def test_a_record_of_another_document_is_refused_when_read(written):
    build, _ = written
    infos = build / TABLE_DIR / "infos.jsonl"
    infos.write_text("".join(reversed(infos.read_text(encoding="utf-8").splitlines(keepends=True))), encoding="utf-8")
    with pytest.raises(RecordError, match="holds 'farsta-2017'"):
        DocumentTable.open(build)["anteckning"]


def test_an_empty_corpus_has_an_empty_table(tmp_path):
    DocumentTable.write(tmp_path, [])
    table = DocumentTable.open(tmp_path)
    assert len(table) == 0 and dict(table.infos) == {}
