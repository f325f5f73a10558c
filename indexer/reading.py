"""Reading a corpus: each file read, cleaned, structured and chunked in a worker process bounded in time and
memory, so that no file can stall or end a build; a file that fails in any way is skipped with its reason."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from itertools import islice
from pathlib import Path

from .chunking import chunk_document
from .documents import Skipped, discover, parse_document, printable_path
from .gazetteer import Gazetteer, load_gazetteer
from .isolation import BoundedWorkers, Failure, Limits
from .readers import UnreadableDocument
from .settings import Settings
from .types import Chunk, Document

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True, slots=True)
class ReadSettings:
    """What reading one file depends on; sent to the worker with each file."""

    corpus_dir: Path
    gazetteer: Path
    cleaning: bool
    section_context: bool
    chunk_tokens: int
    overlap_tokens: int
    tokenizer: str
    max_file_bytes: int
    max_unpacked_bytes: int
    max_file_passages: int

    @classmethod
    def of(cls, settings: Settings, corpus_dir: Path, cleaning: bool, section_context: bool) -> ReadSettings:
        """The reading part of ``settings``, for the corpus in ``corpus_dir``."""
        return cls(
            corpus_dir=corpus_dir,
            gazetteer=Path(settings.gazetteer),
            cleaning=cleaning,
            section_context=section_context,
            chunk_tokens=settings.chunk_tokens,
            overlap_tokens=settings.chunk_overlap_tokens,
            tokenizer=settings.tokenizer,
            max_file_bytes=settings.max_file_bytes,
            max_unpacked_bytes=settings.max_unpacked_bytes,
            max_file_passages=settings.max_file_passages,
        )


@dataclass(frozen=True, slots=True)
class ReadFile:
    """A file of the corpus as the index takes it: its document and the document's chunks."""

    document: Document
    chunks: tuple[Chunk, ...]


def read_corpus(
    settings: Settings,
    corpus_dir: Path,
    cleaning: bool = True,
    section_context: bool = True,
    progress: Progress | None = None,
) -> tuple[list[ReadFile], list[Skipped]]:
    """Every file of ``corpus_dir`` read into its document and chunks, in worker processes; the files that
    could not be read (for any reason, including the limits) are skipped with why."""
    files, skipped = discover(corpus_dir, exclude=(Path(settings.gazetteer),))
    read_settings = ReadSettings.of(settings, corpus_dir, cleaning, section_context)
    limits = Limits(seconds=settings.read_timeout_seconds, memory_bytes=settings.read_memory_bytes)
    root = corpus_dir.resolve()
    read: list[ReadFile] = []
    seen: dict[str, str] = {}
    if not files:
        return read, skipped
    with BoundedWorkers(min(settings.read_workers, len(files)), limits) as workers:
        jobs = [(path, read_settings) for path in files]
        for done, outcome in enumerate(workers.map(read_one, jobs), start=1):
            relative = printable_path(outcome.item[0].relative_to(root))
            if progress:
                progress("reading", done, len(files))
            if isinstance(outcome.result, Failure):
                skipped.append(Skipped(relative, outcome.result.reason))
                continue
            document = outcome.result.document
            if document.doc_id in seen:
                skipped.append(Skipped(relative, f"same document id as {seen[document.doc_id]}"))
                continue
            seen[document.doc_id] = relative
            read.append(outcome.result)
    return read, skipped


def read_one(job: tuple[Path, ReadSettings]) -> ReadFile | Failure:
    """Read one file (in a worker): its document and chunks, or why it cannot be indexed."""
    path, settings = job
    try:
        size = path.stat().st_size
        if size > settings.max_file_bytes:
            raise UnreadableDocument(f"file too large ({size:,} bytes; the limit is {settings.max_file_bytes:,})")
        gazetteer = _gazetteer(settings.gazetteer)
        document = parse_document(
            path, settings.corpus_dir, path.read_bytes(), gazetteer, settings.cleaning, settings.max_unpacked_bytes
        )
        chunks = tuple(
            islice(
                chunk_document(
                    document,
                    gazetteer,
                    settings.chunk_tokens,
                    settings.overlap_tokens,
                    settings.tokenizer,
                    with_context=settings.section_context,
                ),
                settings.max_file_passages + 1,
            )
        )
    except UnreadableDocument as exc:
        return Failure(str(exc))
    except MemoryError:
        raise
    except Exception as exc:  # noqa: BLE001 - any failure of one file skips that file, never the build
        return Failure(f"could not be read ({type(exc).__name__}: {exc})")
    if len(chunks) > settings.max_file_passages:
        return Failure(
            f"more than {settings.max_file_passages:,} passages (the limit per file): "
            "split the document, or raise STADSHUS_MAX_FILE_PASSAGES"
        )
    return ReadFile(document, chunks)


@lru_cache(maxsize=4)
def _gazetteer(path: Path) -> Gazetteer:
    return load_gazetteer(path)
