"""JSON records one per line, read by byte offset out of a memory-mapped file.

The chunk and document tables keep their records this way: a million records cost an offsets array
and shared pages, not a million Python objects in every worker.
"""

from __future__ import annotations

import json
import mmap
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

from .problems import RecordError


class RecordFile:
    """Lines of a JSON-lines file by number, through ``offsets`` (each line's start, and the length last)."""

    def __init__(self, path: Path, offsets: np.ndarray):
        self._data = map_file(path)
        self._offsets = offsets
        if len(offsets) == 0 or int(offsets[-1]) != len(self._data):
            raise RecordError(f"the records in {path} and their offsets are inconsistent (sizes differ)")

    def __len__(self) -> int:
        return len(self._offsets) - 1

    def read(self, number: int) -> dict[str, Any]:
        """Record ``number`` as decoded JSON; raises RecordError when it is not a JSON object."""
        line = self._data[int(self._offsets[number]) : int(self._offsets[number + 1])]
        try:
            record = json.loads(line)
        except ValueError as exc:
            raise RecordError(f"record {number} cannot be read ({exc})") from exc
        if not isinstance(record, dict):
            raise RecordError(f"record {number} is not a JSON object")
        return record

    @staticmethod
    def write(path: Path, records: Iterable[dict[str, Any]]) -> np.ndarray:
        """Write ``records`` one a line to ``path`` and return their offsets (for ``RecordFile(path, offsets)``)."""
        offsets = [0]
        with path.open("wb") as out:
            for record in records:
                line = (json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8")
                out.write(line)
                offsets.append(offsets[-1] + len(line))
        return np.array(offsets, dtype=np.int64)


def map_file(path: Path) -> bytes | mmap.mmap:
    """The file's bytes, memory-mapped (an empty file cannot be mapped and has no bytes to share)."""
    with path.open("rb") as handle:
        if not path.stat().st_size:
            return b""
        return mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
