"""The documents of a build: metadata in memory, texts read on demand.

    documents.jsonl              one cleaned document a line (the Document's fields)
    document_table/
      offsets.npy                byte offset of each document's line, and the file's length last
      infos.jsonl                each document's metadata (DocumentInfo), in the same order

Filtering, grouping and dating read ``DocumentTable.infos``; a document's text, pages and sections are
decoded from the memory-mapped records when asked for, so a corpus of many thousand reports does not sit
in every worker's memory.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict
from functools import lru_cache
from pathlib import Path

import numpy as np

from .records import RecordError, RecordFile
from .types import Document, DocumentInfo, PageSpan, Section

RECORDS_FILE = "documents.jsonl"
TABLE_DIR = "document_table"
# Decoded documents kept per table: a question cites a handful; a report's text can be megabytes.
DECODED_CACHE = 64


class DocumentTable(Mapping[str, Document]):
    """The documents of one build by id; ``table[doc_id]`` decodes the whole document (cached)."""

    def __init__(self, records: RecordFile, infos: Sequence[DocumentInfo]):
        self._records = records
        self._numbers = {info.doc_id: number for number, info in enumerate(infos)}
        self.infos: Mapping[str, DocumentInfo] = {info.doc_id: info for info in infos}
        self._decode = lru_cache(maxsize=DECODED_CACHE)(self._read)

    @staticmethod
    def write(build: Path, documents: Sequence[Document]) -> None:
        """Write the records and the table of ``documents`` into ``build``."""
        offsets = RecordFile.write(build / RECORDS_FILE, (asdict(document) for document in documents))
        table = build / TABLE_DIR
        table.mkdir()
        np.save(table / "offsets.npy", offsets, allow_pickle=False)
        RecordFile.write(table / "infos.jsonl", (asdict(document.info) for document in documents))

    @classmethod
    def open(cls, build: Path) -> DocumentTable:
        """Open the table written by ``write``; raises RecordError when its files disagree."""
        table = build / TABLE_DIR
        offsets = np.load(table / "offsets.npy", allow_pickle=False)
        records = RecordFile(build / RECORDS_FILE, offsets)
        with (table / "infos.jsonl").open(encoding="utf-8") as lines:
            try:
                infos = [_info(json.loads(line)) for line in lines]
            except (ValueError, KeyError, TypeError) as exc:
                raise RecordError(f"the document table in {build} cannot be read ({type(exc).__name__}: {exc})") from exc
        if len(infos) != len(records) or len({info.doc_id for info in infos}) != len(infos):
            raise RecordError(f"the document records and their table in {build} are inconsistent")
        return cls(records, infos)

    def __len__(self) -> int:
        return len(self._numbers)

    def __iter__(self) -> Iterator[str]:
        return iter(self._numbers)

    def __contains__(self, doc_id: object) -> bool:
        return doc_id in self._numbers

    def __getitem__(self, doc_id: str) -> Document:
        if doc_id not in self._numbers:
            raise KeyError(doc_id)
        return self._decode(doc_id)

    def _read(self, doc_id: str) -> Document:
        data = self._records.read(self._numbers[doc_id])
        try:
            document = _document(data)
        except (KeyError, TypeError) as exc:
            raise RecordError(f"document record {doc_id!r} cannot be read ({type(exc).__name__}: {exc})") from exc
        if document.doc_id != doc_id:
            raise RecordError(f"document record {doc_id!r} holds {document.doc_id!r}: the table is inconsistent")
        return document


def _info(data: dict) -> DocumentInfo:
    data["districts"] = tuple(data["districts"])
    return DocumentInfo(**data)


def _document(data: dict) -> Document:
    data["districts"] = tuple(data["districts"])
    data["pages"] = tuple(PageSpan(**page) for page in data["pages"])
    data["sections"] = tuple(Section(tuple(s["path"]), s["start"], s["end"], tuple(s["districts"])) for s in data["sections"])
    return Document(**data)
