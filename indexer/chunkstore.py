"""The chunk records of a build, read on demand, so that a million chunks cost a few arrays and not a
million Python objects in every worker.

    chunks.jsonl                 one record a line (the Chunk's fields)
    chunk_table/
      offsets.npy                byte offset of each record's line, and the file's length last
      documents.npy              the document of each chunk, as an index into names.json's documents
      districts.npy              the districts of all chunks, concatenated (indexes into names.json's districts)
      district_offsets.npy       where each chunk's districts begin in districts.npy, and their total last
      names.json                 {"documents": [...], "districts": [...]}

The arrays are memory-mapped, so workers share them; what search filters and ranks by (a chunk's
document and districts) is answered from them without reading a record.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict
from functools import lru_cache
from pathlib import Path

import numpy as np

from .records import RecordError, RecordFile
from .types import Chunk

RECORDS_FILE = "chunks.jsonl"
TABLE_DIR = "chunk_table"
# Decoded records kept per table: every chunk of a small corpus, the hot ones of a large one.
DECODED_CACHE = 4096


class ChunkTable(Sequence[Chunk]):
    """The chunks of one build, in position order; ``table[i]`` decodes record ``i`` (cached)."""

    def __init__(
        self,
        records: RecordFile,
        documents: np.ndarray,
        districts: np.ndarray,
        district_offsets: np.ndarray,
        doc_ids: Sequence[str],
        district_names: Sequence[str],
    ):
        self._records = records
        self._documents = documents
        self._districts = districts
        self._district_offsets = district_offsets
        self._doc_ids = tuple(doc_ids)
        self._doc_index = {doc_id: i for i, doc_id in enumerate(self._doc_ids)}
        self._district_names = tuple(district_names)
        self._district_index = {name: i for i, name in enumerate(self._district_names)}
        self._by_document = _group(documents, len(self._doc_ids))
        owners = np.repeat(np.arange(len(documents), dtype=np.int64), np.diff(district_offsets))
        self._by_district = _group(districts, len(self._district_names), owners)
        self._decode = lru_cache(maxsize=DECODED_CACHE)(self._read)

    @staticmethod
    def write(build: Path, chunks: Sequence[Chunk], doc_ids: Sequence[str]) -> None:
        """Write the records and the table of ``chunks`` (whose documents are all in ``doc_ids``) into ``build``."""
        doc_index = {doc_id: i for i, doc_id in enumerate(doc_ids)}
        district_names = sorted({name for chunk in chunks for name in chunk.districts})
        district_index = {name: i for i, name in enumerate(district_names)}
        offsets = RecordFile.write(build / RECORDS_FILE, (asdict(chunk) for chunk in chunks))
        table = build / TABLE_DIR
        table.mkdir()
        np.save(table / "offsets.npy", offsets, allow_pickle=False)
        np.save(table / "documents.npy", np.array([doc_index[c.doc_id] for c in chunks], dtype=np.int32), allow_pickle=False)
        flat = [district_index[name] for chunk in chunks for name in chunk.districts]
        np.save(table / "districts.npy", np.array(flat, dtype=np.int32), allow_pickle=False)
        counts = np.array([len(chunk.districts) for chunk in chunks], dtype=np.int64)
        np.save(table / "district_offsets.npy", np.concatenate([[0], np.cumsum(counts)]).astype(np.int64), allow_pickle=False)
        names = {"documents": list(doc_ids), "districts": district_names}
        (table / "names.json").write_text(json.dumps(names, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def open(cls, build: Path, mmap_arrays: bool = True) -> ChunkTable:
        """Open the table written by ``write``; raises RecordError when its files disagree."""
        table = build / TABLE_DIR
        mode = "r" if mmap_arrays else None

        def array(name: str) -> np.ndarray:
            # A plain ndarray over the mapping: indexing a np.memmap costs several times more per call.
            return np.asarray(np.load(table / name, mmap_mode=mode, allow_pickle=False))

        names = json.loads((table / "names.json").read_text(encoding="utf-8"))
        offsets, documents = array("offsets.npy"), array("documents.npy")
        districts, district_offsets = array("districts.npy"), array("district_offsets.npy")
        records = RecordFile(build / RECORDS_FILE, offsets)
        if (
            len(offsets) != len(documents) + 1
            or len(district_offsets) != len(documents) + 1
            or int(district_offsets[-1]) != len(districts)
        ):
            raise RecordError(f"the chunk records and their table in {build} are inconsistent (sizes differ)")
        if len(documents) and (int(documents.max()) >= len(names["documents"]) or int(documents.min()) < 0):
            raise RecordError(f"the chunk table in {build} names documents it does not list")
        if len(districts) and (int(districts.max()) >= len(names["districts"]) or int(districts.min()) < 0):
            raise RecordError(f"the chunk table in {build} names districts it does not list")
        return cls(records, documents, districts, district_offsets, names["documents"], names["districts"])

    def __len__(self) -> int:
        return len(self._documents)

    def __getitem__(self, position: int) -> Chunk:  # type: ignore[override]
        position = int(position)
        if position < 0:
            position += len(self)
        if not 0 <= position < len(self):
            raise IndexError(f"chunk position {position} out of range")
        return self._decode(position)

    def __iter__(self) -> Iterator[Chunk]:
        for position in range(len(self)):
            yield self._decode(position)

    def _read(self, position: int) -> Chunk:
        data = self._records.read(position)
        try:
            data["districts"] = tuple(data["districts"])
            return Chunk(**data)
        except (KeyError, TypeError) as exc:
            raise RecordError(f"chunk record {position} cannot be read ({type(exc).__name__}: {exc})") from exc

    def doc_id(self, position: int) -> str:
        """The document of the chunk at ``position`` (no record is read)."""
        return self._doc_ids[int(self._documents[position])]

    def districts(self, position: int) -> tuple[str, ...]:
        """The districts of the chunk at ``position`` (no record is read)."""
        begin, end = int(self._district_offsets[position]), int(self._district_offsets[position + 1])
        return tuple(self._district_names[i] for i in self._districts[begin:end])

    @property
    def doc_ids(self) -> tuple[str, ...]:
        """The documents the chunks belong to, in the order ``positions_where`` masks them."""
        return self._doc_ids

    def positions_where(self, document_mask: np.ndarray) -> np.ndarray:
        """Positions of every chunk whose document is True in ``document_mask`` (aligned with ``doc_ids``)."""
        return np.flatnonzero(document_mask[self._documents])

    def positions_of_documents(self, doc_ids: Iterable[str]) -> np.ndarray:
        """Positions of every chunk of these documents, in ascending order."""
        return _union(self._by_document, (self._doc_index[d] for d in doc_ids if d in self._doc_index))

    def positions_about(self, districts: Iterable[str]) -> np.ndarray:
        """Positions of every chunk about any of these districts, in ascending order."""
        return _union(self._by_district, (self._district_index[d] for d in districts if d in self._district_index))

    def position_of(self, chunk_id: str) -> int | None:
        """The position of a chunk by id, or None; ids name their document and position in it."""
        doc_id, _, rest = chunk_id.rpartition("#")
        if doc_id not in self._doc_index:
            return None
        positions = self.positions_of_documents([doc_id])
        number = rest.partition("-")[0]
        if number.isdigit() and int(number) < len(positions) and self[positions[int(number)]].chunk_id == chunk_id:
            return int(positions[int(number)])
        # Ids of another shape (or documents whose chunks were not numbered from 0): look through the document.
        return next((int(p) for p in positions if self[p].chunk_id == chunk_id), None)


def _group(keys: np.ndarray, count: int, values: np.ndarray | None = None) -> list[np.ndarray]:
    """For each key 0..count-1, the (ascending) values whose key it is; values default to the positions."""
    # A stable sort keeps each key's values in their original, ascending order.
    order = np.argsort(keys, kind="stable")
    values = order if values is None else values[order]
    bounds = np.searchsorted(keys[order], np.arange(count + 1))
    return [values[bounds[i] : bounds[i + 1]] for i in range(count)]


def _union(groups: list[np.ndarray], keys: Iterable[int]) -> np.ndarray:
    parts = [groups[key] for key in keys]
    if not parts:
        return np.zeros(0, dtype=np.int64)
    return parts[0].astype(np.int64, copy=False) if len(parts) == 1 else np.unique(np.concatenate(parts)).astype(np.int64)
