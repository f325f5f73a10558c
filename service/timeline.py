"""Time order of documents, for questions like "hur har arbetet utvecklats?" and for report versions."""

from __future__ import annotations

import re

from indexer.filtering import document_years
from indexer.types import DocumentInfo

# A part of a year in a period or title: "T2 2022", "tertialrapport 2", "Q3", "kvartal 3".
TERTIAL = re.compile(r"\b(?:t|tertial(?:rapport)?\s*)([1-3])\b", re.IGNORECASE)
QUARTER = re.compile(r"\b(?:q|kvartal\s*)([1-4])\b", re.IGNORECASE)
UNDATED = (10_000, 13)


def period_start(document: DocumentInfo) -> tuple[int, int]:
    """(year, month) where the document's period begins; undated documents sort last.

    A tertial report's period begins in January, May or September, a quarter's every third month;
    a year report or a range ("2017–2022") begins in January of its first year.
    """
    years = document_years(document)
    if years is None:
        return UNDATED
    label = f"{document.period or ''} {document.title}"
    if tertial := TERTIAL.search(label):
        return years[0], 4 * (int(tertial.group(1)) - 1) + 1
    if quarter := QUARTER.search(label):
        return years[0], 3 * (int(quarter.group(1)) - 1) + 1
    return years[0], 1
