"""JSON records one per line, read by byte offset (``os.pread``) out of a file kept open.

The chunk and document tables keep their records this way: a million records cost an offsets array
and the page cache that every worker shares, not a million Python objects in every worker. They are read
rather than memory-mapped: a mapped file cut short under its reader kills the process with SIGBUS, a
read comes back short and is a RecordError (a 503 that says the index is damaged).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

from .problems import RecordError


class RecordFile:
    """Lines of a JSON-lines file by number, through ``offsets`` (each line's start, and the length last)."""

    def __init__(self, path: Path, offsets: np.ndarray):
        self._path = path
        self._file = path.open("rb", buffering=0)
        self._offsets = offsets
        if len(offsets) == 0 or int(offsets[-1]) != os.fstat(self._file.fileno()).st_size:
            self._file.close()
            raise RecordError(f"the records in {path} and their offsets are inconsistent (sizes differ)")

    def __len__(self) -> int:
        return len(self._offsets) - 1

    def read(self, number: int) -> dict[str, Any]:
        """Record ``number`` as decoded JSON; raises RecordError when it is not a JSON object or the file
        no longer holds it (cut short)."""
        begin, end = int(self._offsets[number]), int(self._offsets[number + 1])
        try:
            line = os.pread(self._file.fileno(), end - begin, begin)
        except OSError as exc:
            raise RecordError(f"record {number} cannot be read from {self._path} ({exc})") from exc
        if len(line) != end - begin:
            raise RecordError(f"record {number} is missing from {self._path}: the file was cut short")
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
