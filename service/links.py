"""Absolute links to a quote on the web page and to a document's original file, as exports and the MCP
server's citations give them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import PurePosixPath
from urllib.parse import quote, urlencode

from indexer.types import DocumentInfo

#: Where the MCP server points its links when no public address is set (``stadshus serve``'s default).
DEFAULT_BASE_URL = "http://127.0.0.1:8000"


def base_url(public_url: str | None, fallback: str = DEFAULT_BASE_URL) -> str:
    """The address links start with: the configured public address, else ``fallback``; no trailing slash."""
    return (public_url or fallback).rstrip("/")


def quote_link(base: str, doc_id: str, start: int, end: int) -> str:
    """The web page's view of a document with ``start``..``end`` highlighted."""
    return f"{base}/?" + urlencode({"doc": doc_id, "start": start, "end": end})


def compare_link(base: str, earlier: str, later: str) -> str:
    """The web page's comparison of two versions of a report."""
    return f"{base}/?" + urlencode({"mode": "compare", "a": earlier, "b": later})


def original_link(base: str, document: DocumentInfo, page: int | None = None) -> str:
    """The document's original file as the service serves it; a PDF opens at ``page``."""
    link = f"{base}/api/documents/{quote(document.doc_id, safe='')}/original"
    if page is not None and PurePosixPath(document.source).suffix.lower() == ".pdf":
        link += f"#page={page}"
    return link


@dataclass(frozen=True, slots=True)
class Links:
    """Absolute links and the years of the documents of one index, for exports."""

    base: str
    infos: Mapping[str, DocumentInfo]

    def quote(self, doc_id: str, start: int, end: int) -> str:
        """The quote highlighted on the web page."""
        return quote_link(self.base, doc_id, start, end)

    def original(self, doc_id: str, page: int | None = None) -> str:
        """The document's original file (a PDF at ``page``)."""
        return original_link(self.base, self.infos[doc_id], page)

    def years(self, doc_id: str) -> str:
        """The years the document covers as the page shows them: its period ("2017–2022") or its year."""
        info = self.infos[doc_id]
        if info.period and any(ch.isdigit() for ch in info.period):
            return info.period
        return str(info.year) if info.year else ""
