"""From a file on disk to a cleaned, structured Document; and finding the files of a corpus."""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path

from .cleaning import clean
from .gazetteer import Gazetteer
from .readers import DEFAULT_MAX_UNPACKED_BYTES, SUPPORTED_SUFFIXES, UnreadableDocument, read_file
from .structure import build_sections, extract_metadata, find_headings
from .types import Document


@dataclass(frozen=True, slots=True)
class Skipped:
    """A file the indexer did not index, and why."""

    path: str
    reason: str


def doc_id_for(relative: Path) -> str:
    """A stable, readable document id from the path inside the corpus ("rapporter/Årsrapport 2022.pdf"
    -> "rapporter/arsrapport-2022")."""
    stem = relative.with_suffix("").as_posix().lower()
    stem = stem.translate(str.maketrans("åäöéü", "aaoeu"))
    return re.sub(r"[^a-z0-9/]+", "-", stem).strip("-/") or "document"


def discover(corpus_dir: Path, exclude: tuple[Path, ...] = ()) -> tuple[list[Path], list[Skipped]]:
    """Files under ``corpus_dir`` to index (recursively), and those skipped with a reason.

    Links that lead outside the corpus are skipped, so that a link cannot expose other files; so are links
    that lead in a circle and names that are not UTF-8 (they could not be shown or stored).
    """
    root = corpus_dir.resolve()
    excluded = {path.resolve() for path in exclude}
    found: list[Path] = []
    skipped: list[Skipped] = []
    for directory, subdirs, files in os.walk(root, followlinks=False):
        subdirs[:] = sorted(d for d in subdirs if not d.startswith("."))
        for name in sorted(files):
            if name.startswith("."):
                continue
            path = Path(directory) / name
            relative = printable_path(path.relative_to(root))
            if not _is_utf8(str(path.relative_to(root))):
                skipped.append(Skipped(relative, "the file name is not valid UTF-8: rename the file"))
                continue
            try:
                resolved = path.resolve()
            except (RuntimeError, OSError):  # Python 3.11 raises RuntimeError for a link loop
                skipped.append(Skipped(relative, "a link that leads in a circle"))
                continue
            if resolved in excluded:
                continue
            if not resolved.is_relative_to(root):
                skipped.append(Skipped(relative, "link pointing outside the corpus"))
            elif not resolved.is_file():
                skipped.append(Skipped(relative, "not a regular file"))
            elif path.suffix.lower() not in SUPPORTED_SUFFIXES:
                skipped.append(Skipped(relative, f"unsupported file type {path.suffix or '(none)'}"))
            else:
                found.append(path)
    return found, skipped


def printable_path(relative: Path) -> str:
    """A path inside the corpus as text that can always be printed and stored: bytes of a name that are not
    UTF-8 shown as escapes ("rapport-\\xe5r.txt")."""
    return os.fsencode(relative.as_posix()).decode("utf-8", "backslashreplace")


def _is_utf8(name: str) -> bool:
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def parse_document(
    path: Path,
    corpus_dir: Path,
    data: bytes,
    gazetteer: Gazetteer,
    cleaning: bool = True,
    max_unpacked_bytes: int = DEFAULT_MAX_UNPACKED_BYTES,
) -> Document:
    """Read, clean and structure one file. Raises UnreadableDocument with a reason.

    ``cleaning=False`` keeps the extracted text as it is (an ablation for the evaluation)."""
    relative = path.resolve().relative_to(corpus_dir.resolve())
    raw = read_file(path, data, max_unpacked_bytes)
    cleaned = clean(raw.pages, enabled=cleaning)
    if not cleaned.text.strip():
        raise UnreadableDocument("no text left after cleaning")
    meta = extract_metadata(cleaned.blocks, relative.stem, raw.metadata)
    headings = find_headings(cleaned.blocks)
    sections = build_sections(cleaned.blocks, headings, meta.title, gazetteer)
    organisation_districts = gazetteer.find(meta.organisation or "") or gazetteer.find(meta.title)
    return Document(
        doc_id=doc_id_for(relative),
        source=relative.as_posix(),
        title=_display_title(meta.title, meta.organisation, meta.period),
        text=cleaned.text,
        sha256=hashlib.sha256(data).hexdigest(),
        organisation=meta.organisation,
        doc_type=meta.doc_type,
        year=meta.year,
        period=meta.period,
        districts=organisation_districts,
        pages=cleaned.pages,
        sections=sections,
    )


def _display_title(title: str, organisation: str | None, period: str | None) -> str:
    """The title as shown in citations: two reports with the same heading are told apart."""
    extra = [part for part in (organisation, period) if part and part.lower() not in title.lower()]
    return f"{title} ({', '.join(extra)})" if extra else title
