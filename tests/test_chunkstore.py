"""The chunk table: records read on demand, documents and districts answered from arrays."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from indexer.chunkstore import RECORDS_FILE, ChunkTable
from indexer.records import RecordError
from indexer.types import Chunk

DOCUMENTS = ("farsta-2017", "bromma-2022", "tom")


def make_chunks() -> list[Chunk]:
    """Chunks of two documents (the third has none), some about districts, ids as the chunker makes them."""
    chunks = []
    for doc_id, count, districts in (("farsta-2017", 4, ("Farsta",)), ("bromma-2022", 3, ("Bromma", "Farsta"))):
        for number in range(count):
            chunks.append(
                Chunk(
                    chunk_id=f"{doc_id}#{number}-abc{number}",
                    doc_id=doc_id,
                    position=number,
                    section=f"{number} Avsnitt",
                    context="Stadsdelsförvaltning",
                    start=number * 10,
                    end=number * 10 + 9,
                    text=f"Text {number} om Hökarängen och Åkeslund",
                    page=number + 1,
                    districts=districts if number % 2 == 0 else (),
                )
            )
    return chunks


@pytest.fixture
def written(tmp_path: Path) -> tuple[Path, list[Chunk]]:
    chunks = make_chunks()
    ChunkTable.write(tmp_path, chunks, DOCUMENTS)
    return tmp_path, chunks


def test_records_round_trip_in_position_order(written):
    build, chunks = written
    table = ChunkTable.open(build)
    assert len(table) == len(chunks)
    assert list(table) == chunks
    assert table[3] == chunks[3]
    assert table[-1] == chunks[-1]
    with pytest.raises(IndexError):
        table[len(chunks)]


def test_documents_and_districts_come_from_the_arrays(written):
    build, chunks = written
    table = ChunkTable.open(build)
    assert [table.doc_id(p) for p in range(len(table))] == [c.doc_id for c in chunks]
    assert [table.districts(p) for p in range(len(table))] == [c.districts for c in chunks]
    assert table.doc_ids == DOCUMENTS


def test_positions_by_document_district_and_mask(written):
    build, chunks = written
    table = ChunkTable.open(build)
    assert table.positions_of_documents(["bromma-2022"]).tolist() == [4, 5, 6]
    assert table.positions_of_documents(["tom", "okänd"]).tolist() == []
    assert table.positions_about(["Farsta"]).tolist() == [0, 2, 4, 6]
    assert table.positions_about(["Bromma", "Farsta"]).tolist() == [0, 2, 4, 6]
    assert table.positions_about(["Skärholmen"]).tolist() == []
    assert table.positions_where(np.array([True, False, False])).tolist() == [0, 1, 2, 3]


def test_position_of_finds_chunks_by_id(written):
    build, chunks = written
    table = ChunkTable.open(build)
    for position, chunk in enumerate(chunks):
        assert table.position_of(chunk.chunk_id) == position
    assert table.position_of("farsta-2017#9-abc9") is None
    assert table.position_of("farsta-2017#1-fel") is None
    assert table.position_of("okänd#0-abc0") is None
    assert table.position_of("utan-nummer") is None


def test_ids_of_another_shape_are_found_by_looking_through_the_document(tmp_path):
    chunks = [Chunk(f"farsta-2017#v{n}", "farsta-2017", n, "", "", 0, 1, "x") for n in range(3)]
    ChunkTable.write(tmp_path, chunks, ["farsta-2017"])
    table = ChunkTable.open(tmp_path)
    assert table.position_of("farsta-2017#v2") == 2
    assert table.position_of("farsta-2017#v3") is None


def test_an_empty_table_opens(tmp_path):
    ChunkTable.write(tmp_path, [], ["tom"])
    table = ChunkTable.open(tmp_path)
    assert len(table) == 0
    assert list(table) == []
    assert table.positions_about(["Farsta"]).tolist() == []


def test_records_of_another_length_than_the_table_are_refused(written):
    build, _ = written
    with (build / RECORDS_FILE).open("a", encoding="utf-8") as out:
        out.write('{"extra": 1}\n')
    with pytest.raises(RecordError, match="inconsistent"):
        ChunkTable.open(build)


def test_a_damaged_record_of_the_same_length_fails_when_read(written):
    build, chunks = written
    records = (build / RECORDS_FILE).read_bytes()
    first_line = records.index(b"\n")
    (build / RECORDS_FILE).write_bytes(b"#" * first_line + records[first_line:])
    table = ChunkTable.open(build)
    assert table[1] == chunks[1]
    with pytest.raises(RecordError, match="record 0"):
        table[0]
