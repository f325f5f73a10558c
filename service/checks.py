"""The checks every answer passes before it is served, extractive or generated: each quote is the document's
text at its offsets, each marker in the text names a citation, each citation is used (but for a comparison's
sources), each list line cites."""

from __future__ import annotations

import re

from indexer.storage import StoredIndex
from indexer.types import Answer

MARKER = re.compile(r"\[(\d+)\]")


def problems(answer: Answer, index: StoredIndex) -> list[str]:
    """What is wrong with ``answer`` (empty when it may be served)."""
    found: list[str] = []
    ids = {citation.id for citation in answer.citations}
    for citation in answer.citations:
        if citation.doc_id not in index.documents:
            found.append(f"[{citation.id}] cites an unknown document {citation.doc_id!r}")
            continue
        text = index.documents[citation.doc_id].text
        if text[citation.start : citation.end] != citation.quote:
            found.append(f"[{citation.id}] is not the document's text at {citation.start}:{citation.end}")
    marked = {int(m) for m in MARKER.findall(answer.text)}
    for number in sorted(marked - ids):
        found.append(f"[{number}] in the text names no citation")
    # A comparison's answer names one sentence and carries every new sentence as its sources (the page
    # folds them and links to the comparison); any other answer uses each citation it carries.
    if answer.supported and answer.comparison is None:
        for number in sorted(ids - marked):
            found.append(f"citation [{number}] is not used in the text")
    for line in (*answer.districts, *answer.actors):
        if not line.citations or not set(line.citations) <= ids:
            found.append(f"the line for {line.name} cites nothing it may")
    return found
