"""Reading source files (.txt, .md, .pdf, .docx, .html) into page texts, or a reason they cannot be read.

Every reader is linear in its input (a hostile file costs its size, never its size squared), and archives
are measured before they are unpacked; what a reader cannot bound itself, the worker process it runs in
bounds (indexer.isolation).
"""

from __future__ import annotations

import codecs
import io
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

SUPPORTED_SUFFIXES = (".txt", ".md", ".pdf", ".docx", ".html", ".htm")
#: Unpacked XML a .docx may hold when no limit is given (python-docx needs about 25 s and 600 MB for 25 MB).
DEFAULT_MAX_UNPACKED_BYTES = 25_000_000
# Byte order marks, longest first: UTF-32 LE's mark begins with UTF-16 LE's.
BYTE_ORDER_MARKS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# What a Word file encrypted with a password is: an OLE compound file, not a zip archive.
OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
LEGACY_FALLBACK = "stadshus-cp1252"


class UnreadableDocument(Exception):
    """A file that cannot be indexed; the message says why, in words a user can act on."""


@dataclass(frozen=True, slots=True)
class RawDocument:
    """The text of a file as read, one entry per page (a single page with number None when unpaginated)."""

    pages: tuple[tuple[int | None, str], ...]
    metadata: dict[str, str] = field(default_factory=dict)


def read_file(path: Path, data: bytes, max_unpacked_bytes: int = DEFAULT_MAX_UNPACKED_BYTES) -> RawDocument:
    """Read ``data`` (the bytes of ``path``) according to the file's suffix; a .docx whose XML unpacks to
    more than ``max_unpacked_bytes`` is refused unread."""
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise UnreadableDocument(f"unsupported file type {suffix or '(none)'}")
    if not data.strip():
        raise UnreadableDocument("empty file")
    if suffix == ".pdf":
        return _read_pdf(data)
    if suffix == ".docx":
        return _read_docx(data, max_unpacked_bytes)
    text = decode_text(data)
    if suffix in (".html", ".htm"):
        return _read_html(text)
    if suffix == ".md":
        return _read_markdown(text)
    return RawDocument(pages=((None, text),))


def decode_text(data: bytes) -> str:
    """Decode text bytes: UTF-32 or UTF-16 when a byte order mark says so; otherwise UTF-8 wherever it is
    valid, and each byte that is not as Windows-1252 (Latin-1 where Windows-1252 has no letter).

    So one stray byte in a UTF-8 file costs one letter, not the whole file, and a Windows-1252 file (whose
    Swedish letters are never valid UTF-8 sequences) reads as before. Binary data is refused rather than
    indexed as mojibake.
    """
    for mark, codec in BYTE_ORDER_MARKS:
        if data.startswith(mark):
            try:
                return data.decode(codec)
            except UnicodeDecodeError as exc:
                raise UnreadableDocument(f"broken {codec.upper()} text") from exc
    if b"\x00" in data[:8192]:
        raise UnreadableDocument("binary file (contains NUL bytes), not text")
    text = data.decode("utf-8-sig", errors=LEGACY_FALLBACK)
    controls = sum(1 for ch in text[:20000] if ord(ch) < 32 and ch not in "\t\n\r\f")
    if controls > 0.01 * min(len(text), 20000):
        raise UnreadableDocument("binary file, not text")
    return text


def _legacy_bytes(error: UnicodeError) -> tuple[str, int]:
    """The codec error handler behind ``decode_text``: bytes that are not UTF-8, one by one as Windows-1252."""
    if not isinstance(error, UnicodeDecodeError):
        raise error
    return "".join(_cp1252(byte) for byte in error.object[error.start : error.end]), error.end


def _cp1252(byte: int) -> str:
    try:
        return bytes((byte,)).decode("cp1252")
    except UnicodeDecodeError:
        return chr(byte)


codecs.register_error(LEGACY_FALLBACK, _legacy_bytes)


def _read_pdf(data: bytes) -> RawDocument:
    from pypdf import PdfReader
    from pypdf.errors import DependencyError, PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            try:
                if not reader.decrypt(""):
                    raise UnreadableDocument("encrypted PDF (needs a password)")
            except (NotImplementedError, DependencyError) as exc:
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


def _read_docx(data: bytes, max_unpacked_bytes: int) -> RawDocument:
    import docx
    from docx.opc.exceptions import PackageNotFoundError
    from lxml.etree import XMLSyntaxError

    if data.startswith(OLE_SIGNATURE):
        raise UnreadableDocument("password-protected or old-format Word file (not a .docx zip archive)")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError) as exc:
        raise UnreadableDocument("not a valid .docx (not a zip archive)") from exc
    entries = archive.infolist()
    if any(entry.flag_bits & 0x1 for entry in entries):
        raise UnreadableDocument("encrypted .docx (parts of the archive need a password)")
    # Declared sizes bound what unpacking produces: zipfile stops at them and fails the checksum after.
    unpacked = sum(entry.file_size for entry in entries if entry.filename.endswith((".xml", ".rels")))
    if unpacked > max_unpacked_bytes:
        raise UnreadableDocument(
            f"the .docx unpacks to {unpacked:,} bytes of XML (the limit is {max_unpacked_bytes:,}): "
            "a zip bomb, or a document too large to read"
        )
    try:
        document = docx.Document(io.BytesIO(data))
    except (PackageNotFoundError, KeyError, ValueError, zipfile.BadZipFile, XMLSyntaxError) as exc:
        raise UnreadableDocument(f"broken .docx ({type(exc).__name__}: {exc})") from exc
    pages = _docx_pages(document)
    props = document.core_properties
    metadata = {"title": props.title or "", "created": props.created.isoformat() if props.created else ""}
    numbered = len(pages) > 1
    return RawDocument(
        pages=tuple((number if numbered else None, "\n\n".join(blocks)) for number, blocks in enumerate(pages, start=1)),
        metadata={k: v for k, v in metadata.items() if v},
    )


def _docx_pages(document) -> list[list[str]]:
    """The body's paragraphs and table rows in document order, split into pages where the file marks a page
    break (an explicit one, "page break before", or one Word rendered when it last laid the file out), so
    that headers and page counters typed into the body are found as page furniture."""
    from docx.table import Table

    pages: list[list[str]] = [[]]
    for block in document.iter_inner_content():
        if isinstance(block, Table):
            pages[-1].extend(" | ".join(cell.text.strip() for cell in row.cells) for row in block.rows)
            continue
        before, after = _page_breaks(block._p)
        if before and pages[-1]:
            pages.append([])
        pages[-1].append(block.text)
        if after:
            pages.append([])
    return [page for page in pages if page] or [[]]


_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def _page_breaks(paragraph) -> tuple[bool, bool]:
    """Whether a paragraph (its XML element) begins on a new page, and whether a new page follows it."""
    before = after = False
    if paragraph.find(f"{_W}pPr/{_W}pageBreakBefore") is not None:
        before = True
    text_seen = False
    for element in paragraph.iter(f"{_W}t", f"{_W}br", f"{_W}lastRenderedPageBreak"):
        if element.tag == f"{_W}t":
            text_seen = text_seen or bool(element.text and element.text.strip())
        elif element.tag == f"{_W}lastRenderedPageBreak" or element.get(f"{_W}type") == "page":
            if text_seen:
                after = True
            else:
                before = True
    return before, after


_HTML_BLOCKS = frozenset(
    ("p", "div", "section", "article", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "br", "td", "th")
)
_HTML_HIDDEN = frozenset(("script", "style", "noscript", "template", "nav", "footer"))


class _HtmlText:
    """An lxml parser target that keeps the text a reader sees, in one pass with no tree: block elements on
    lines of their own (so that structure detection sees headings), scripts, styles and navigation left out,
    the first <title> as the title."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.title: list[str] = []
        self.hidden = 0
        self.in_title = False
        self.titled = False

    def start(self, tag: str, attrib: dict) -> None:
        if tag in _HTML_HIDDEN:
            self.hidden += 1
        elif tag == "title":
            self.in_title = True
        elif tag in _HTML_BLOCKS:
            self.parts.append("\n\n")

    def end(self, tag: str) -> None:
        if tag in _HTML_HIDDEN:
            self.hidden = max(0, self.hidden - 1)
        elif tag == "title":
            self.in_title, self.titled = False, True
        elif tag in _HTML_BLOCKS:
            self.parts.append("\n\n")

    def data(self, text: str) -> None:
        if self.in_title:
            if not self.titled:
                self.title.append(text)
        elif not self.hidden:
            self.parts.append(text)

    def close(self) -> RawDocument:
        title = "".join(self.title).strip()
        return RawDocument(pages=((None, "".join(self.parts)),), metadata={"title": title} if title else {})


def _read_html(text: str) -> RawDocument:
    from lxml import etree

    # libxml2's HTML parser, fed events without building a tree: linear where html.parser is quadratic
    # on some inputs (40,000 <p> took 98 s through BeautifulSoup, unclosed comments a minute).
    parser = etree.HTMLParser(target=_HtmlText(), recover=True, no_network=True, remove_comments=True, remove_pis=True)
    parser.feed(text)
    return parser.close()


def _read_markdown(text: str) -> RawDocument:
    """Markdown as the text a reader sees: each block (heading, paragraph, list item, table row) on lines of
    its own, link texts without their targets, emphasis without its markers. markdown-it parses in linear
    time where a regular expression for emphasis backtracks quadratically."""
    from markdown_it import MarkdownIt

    blocks: list[str] = []
    cells: list[str] | None = None
    for token in MarkdownIt("commonmark").enable("table").parse(text):
        if token.type == "tr_open":
            cells = []
        elif token.type == "tr_close" and cells is not None:
            blocks.append(" | ".join(cells))
            cells = None
        elif token.type == "inline":
            inline = _inline_text(token.children or [])
            if cells is not None:
                cells.append(inline.strip())
            else:
                blocks.append(inline)
        elif token.type in ("fence", "code_block"):
            blocks.append(token.content)
    return RawDocument(pages=((None, "\n\n".join(blocks)),))


def _inline_text(children: list) -> str:
    parts = []
    for child in children:
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append("\n")
        elif child.type == "image":
            parts.append(_inline_text(child.children or []))
    return "".join(parts)
