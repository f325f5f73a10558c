"""Reading source files (.txt, .md, .pdf, .docx, .html) into page texts, or a reason they cannot be read."""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path


SUPPORTED_SUFFIXES = (".txt", ".md", ".pdf", ".docx", ".html", ".htm")


class UnreadableDocument(Exception):
    """A file that cannot be indexed; the message says why, in words a user can act on."""


@dataclass(frozen=True, slots=True)
class RawDocument:
    """The text of a file as read, one entry per page (a single page with number None when unpaginated)."""

    pages: tuple[tuple[int | None, str], ...]
    metadata: dict[str, str] = field(default_factory=dict)


def read_file(path: Path, data: bytes) -> RawDocument:
    """Read ``data`` (the bytes of ``path``) according to the file's suffix."""
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise UnreadableDocument(f"unsupported file type {suffix or '(none)'}")
    if not data.strip():
        raise UnreadableDocument("empty file")
    if suffix == ".pdf":
        return _read_pdf(data)
    if suffix == ".docx":
        return _read_docx(data)
    text = decode_text(data)
    if suffix in (".html", ".htm"):
        return _read_html(text)
    if suffix == ".md":
        return _read_markdown(text)
    return RawDocument(pages=((None, text),))


def decode_text(data: bytes) -> str:
    """Decode text bytes: UTF-8 (with or without BOM) first, then Windows-1252 / Latin-1.

    Binary data is refused rather than indexed as mojibake.
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise UnreadableDocument("broken UTF-16 text") from exc
    if b"\x00" in data[:8192]:
        raise UnreadableDocument("binary file (contains NUL bytes), not text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    # Swedish text that is not UTF-8 is almost always Windows-1252 or Latin-1 (statistical detection
    # guesses badly on short texts: "Vårberg" -> "Vĺrberg").
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    controls = sum(1 for ch in text[:20000] if ord(ch) < 32 and ch not in "\t\n\r\f")
    if controls > 0.01 * min(len(text), 20000):
        raise UnreadableDocument("binary file, not text")
    return text


def _read_pdf(data: bytes) -> RawDocument:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            try:
                if not reader.decrypt(""):
                    raise UnreadableDocument("encrypted PDF (needs a password)")
            except NotImplementedError as exc:
                raise UnreadableDocument(f"encrypted PDF ({exc})") from exc
        pages = tuple((number, page.extract_text() or "") for number, page in enumerate(reader.pages, start=1))
        info = reader.metadata or {}
        metadata = {key.lstrip("/").lower(): str(value) for key, value in info.items() if value}
    except UnreadableDocument:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError, AttributeError, IndexError) as exc:
        raise UnreadableDocument(f"broken PDF ({type(exc).__name__}: {exc})") from exc
    if not any(text.strip() for _, text in pages):
        raise UnreadableDocument("PDF has no text layer (scanned images need OCR)")
    return RawDocument(pages=pages, metadata=metadata)


def _read_docx(data: bytes) -> RawDocument:
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise UnreadableDocument("not a valid .docx (not a zip archive)")
    try:
        document = docx.Document(io.BytesIO(data))
    except (PackageNotFoundError, KeyError, ValueError, zipfile.BadZipFile) as exc:
        raise UnreadableDocument(f"broken .docx ({type(exc).__name__}: {exc})") from exc
    blocks: list[str] = []
    for paragraph in document.paragraphs:
        blocks.append(paragraph.text)
    for table in document.tables:
        for row in table.rows:
            blocks.append(" | ".join(cell.text.strip() for cell in row.cells))
    props = document.core_properties
    metadata = {"title": props.title or "", "created": props.created.isoformat() if props.created else ""}
    return RawDocument(pages=((None, "\n\n".join(blocks)),), metadata={k: v for k, v in metadata.items() if v})


_HTML_BLOCKS = ("p", "div", "section", "article", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "br", "td", "th")


def _read_html(text: str) -> RawDocument:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(text, "html.parser")
    for tag in soup(["script", "style", "noscript", "template", "nav", "footer"]):
        tag.decompose()
    title = soup.title.get_text(strip=True) if soup.title else ""
    if soup.title:
        soup.title.decompose()
    # Headings and block elements become their own lines so that structure detection sees them.
    for tag in soup.find_all(_HTML_BLOCKS):
        tag.insert_before("\n\n")
        tag.insert_after("\n\n")
    body = soup.get_text()
    return RawDocument(pages=((None, body),), metadata={"title": title} if title else {})


_MD_HEADING = re.compile(r"^ {0,3}#{1,6}[ \t]+(.*?)[ \t#]*$", re.MULTILINE)
_MD_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_MD_EMPHASIS = re.compile(r"(\*\*|__|\*|`)(?=\S)(.+?)(?<=\S)\1")


def _read_markdown(text: str) -> RawDocument:
    """Markdown as the text a reader sees: headings on lines of their own without their #, link texts
    without their targets, emphasis without its markers."""
    text = _MD_HEADING.sub(lambda match: f"\n{match.group(1)}\n", text)
    text = _MD_LINK.sub(r"\1", text)
    return RawDocument(pages=((None, _MD_EMPHASIS.sub(r"\2", text)),))
