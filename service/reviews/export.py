"""Judged answers as candidate gold entries, in the format of ``eval/gold/questions.jsonl``.

An answer is exported when its reviewers' verdict (the majority; a tie goes to the more cautious
verdict) says what the gold answer is:

- correct or partly correct: an answerable question whose evidence is the citations every reviewer
  who judged them said support the answer, each trimmed to a 6-20 word snippet of its quote;
  a list answer becomes a ``list`` entry with the districts whose lines cite such a citation;
- should have abstained (or a correct abstention): an ``unanswerable`` entry with no evidence.

Entries get ``split: "review"`` and the id ``r<answer id>``: they are candidates for a person to copy
into the gold set (with a ``q`` id and a dev/test split), not gold themselves.
"""

from __future__ import annotations

import json
import os
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from indexer.storage import StoredIndex
from service.engine import Engine

from .schemas import ReviewOut
from .store import ReviewStore

SPLIT = "review"
MIN_WORDS, MAX_WORDS = 6, 20
#: Verdicts from the most to the least cautious; a tied vote takes the most cautious.
CAUTION = ("wrong", "should_have_abstained", "partly_correct", "correct")
WORD = re.compile(r"\S+")
BOILERPLATE = "klicka här för att ange text"


class Evidence(BaseModel):
    """A verbatim snippet of a document that supports the answer."""

    model_config = ConfigDict(extra="forbid")

    doc_id: str
    snippet: str


class GoldCandidate(BaseModel):
    """One candidate gold entry (the fields of eval/gold/SCHEMA.md)."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^r\d+$")
    split: Literal["review"] = SPLIT
    type: Literal["fact", "list", "unanswerable"]
    question: str = Field(min_length=1)
    answerable: bool
    evidence: list[Evidence]
    districts: list[str] | None = None
    notes: str | None = None

    @model_validator(mode="after")
    def _consistent(self) -> GoldCandidate:
        if self.answerable == (self.type == "unanswerable"):
            raise ValueError("answerable must be false exactly for type unanswerable")
        if self.answerable != bool(self.evidence):
            raise ValueError("answerable entries need evidence, unanswerable ones none")
        if (self.type == "list") != (self.districts is not None):
            raise ValueError("districts are given for list entries only")
        if self.districts is not None and len(self.districts) != len(self.evidence):
            raise ValueError("a list entry has one evidence item per district")
        return self


@dataclass
class ExportReport:
    """What an export wrote, and which judged answers it left out and why."""

    path: Path
    written: int = 0
    skipped: list[tuple[int, str]] = field(default_factory=list)


def snippet_window(quote: str, accept: Callable[[str], bool] = lambda snippet: True) -> str | None:
    """The longest run of 6-20 words of ``quote`` that ``accept`` takes, the earliest of equal length first; or None.

    A run never crosses a line break or a double space, so it is a substring of the quote (and so of
    the document) with single spaces, as the gold set's snippet rules want.
    """
    best: str | None = None
    for run in _single_spaced_runs(quote):
        for first in range(len(run) - MIN_WORDS + 1):
            longest = min(MAX_WORDS, len(run) - first)
            if best is not None and longest <= len(best.split()):
                break
            for count in range(longest, MIN_WORDS - 1, -1):
                if best is not None and count <= len(best.split()):
                    break
                snippet = quote[run[first].start() : run[first + count - 1].end()]
                if accept(snippet):
                    best = snippet
                    break
    return best


def _single_spaced_runs(text: str) -> list[list[re.Match[str]]]:
    """The words of ``text`` in runs separated by anything but one space."""
    runs: list[list[re.Match[str]]] = []
    for word in WORD.finditer(text):
        if runs and text[runs[-1][-1].end() : word.start()] == " ":
            runs[-1].append(word)
        else:
            runs.append([word])
    return runs


def consensus(verdicts: Iterable[str]) -> str:
    """The majority verdict; a tie goes to the most cautious of the tied verdicts."""
    counts = Counter(verdicts)
    top = max(counts.values())
    return next(verdict for verdict in CAUTION if counts[verdict] == top)


class Snippets:
    """Cuts gold snippets out of quotes: verbatim in the index's cleaned text and, where the corpus's
    raw ``.txt`` file is at hand, inside one of its lines (rules 2 and 7 of eval/gold/SCHEMA.md)."""

    def __init__(self, index: StoredIndex, corpus_dir: Path | None = None):
        self.index = index
        self.corpus_dir = corpus_dir
        self._raw: dict[str, str | None] = {}

    def cut(self, doc_id: str, quote: str) -> str | None:
        """A 6-20 word snippet of ``quote`` that meets the rules in ``doc_id``, or None."""
        document = self.index.documents.get(doc_id)
        if document is None:
            return None
        raw = self._raw_text(doc_id)

        def accept(snippet: str) -> bool:
            return snippet in document.text and (raw is None or snippet in raw) and BOILERPLATE not in snippet.lower()

        return snippet_window(quote, accept)

    def _raw_text(self, doc_id: str) -> str | None:
        if doc_id not in self._raw:
            source = self.corpus_dir / self.index.documents[doc_id].source if self.corpus_dir else None
            self._raw[doc_id] = (
                source.read_text(encoding="utf-8") if source and source.suffix == ".txt" and source.is_file() else None
            )
        return self._raw[doc_id]


def candidate(judgments: list[ReviewOut], snippets: Snippets) -> GoldCandidate | str:
    """The gold candidate of one answer's judgments, or the reason it has none."""
    first = judgments[0]
    verdict = consensus(j.verdict for j in judgments)
    notes = f"From review of answer {first.answer_id} (index {first.build_id}): " + ", ".join(
        f"{j.reviewer}: {j.verdict}" for j in sorted(judgments, key=lambda j: j.reviewer)
    )
    if verdict == "should_have_abstained" or (verdict == "correct" and not first.supported):
        return GoldCandidate(
            id=f"r{first.answer_id}",
            type="unanswerable",
            question=first.question,
            answerable=False,
            evidence=[],
            notes=notes,
        )
    if verdict not in ("correct", "partly_correct"):
        return f"verdict {verdict}"
    if not first.supported:
        return "an abstention judged partly correct gives no gold answer"
    evidence_of = _supporting_evidence(judgments, snippets)
    if first.districts:
        districts, evidence = [], []
        for line in first.districts:
            found = next((evidence_of[n] for n in line.citations if n in evidence_of), None)
            if found is not None and line.name not in districts:
                districts.append(line.name)
                evidence.append(found)
        if not districts:
            return "no district line cites a supporting citation with a usable snippet"
        return GoldCandidate(
            id=f"r{first.answer_id}",
            type="list",
            question=first.question,
            answerable=True,
            evidence=evidence,
            districts=districts,
            notes=notes,
        )
    evidence = list({(e.doc_id, e.snippet): e for e in evidence_of.values()}.values())
    if not evidence:
        return "no supporting citation with a usable snippet"
    return GoldCandidate(
        id=f"r{first.answer_id}", type="fact", question=first.question, answerable=True, evidence=evidence, notes=notes
    )


def _supporting_evidence(judgments: list[ReviewOut], snippets: Snippets) -> dict[int, Evidence]:
    """Snippets of the citations that every reviewer who judged them said support the answer, by number."""
    verdicts: dict[int, set[str]] = defaultdict(set)
    for judgment in judgments:
        for citation in judgment.citations:
            if citation.verdict is not None:
                verdicts[citation.citation_id].add(citation.verdict)
    evidence = {}
    for citation in judgments[0].citations:
        if verdicts.get(citation.citation_id) != {"supports"}:
            continue
        # Cut from the given index's text: it may be a later build than the one the answer came from.
        snippet = snippets.cut(citation.doc_id, citation.quote)
        if snippet is not None:
            evidence[citation.citation_id] = Evidence(doc_id=citation.doc_id, snippet=snippet)
    return evidence


def export_candidates(
    store: ReviewStore, engine_or_index: Engine | StoredIndex, path: Path, corpus_dir: Path | None = None
) -> ExportReport:
    """Write every judged answer that has a gold answer to ``path`` (JSON Lines), replacing the file at once.

    With ``corpus_dir`` (the folder the index was built from), snippets of plain-text documents are
    also kept inside one raw line, so that they pass ``eval/gold/validate.py``.
    """
    index = engine_or_index.index if isinstance(engine_or_index, Engine) else engine_or_index
    snippets = Snippets(index, Path(corpus_dir) if corpus_dir is not None else None)
    by_answer: dict[int, list[ReviewOut]] = defaultdict(list)
    for review in store.iter_reviews():
        by_answer[review.answer_id].append(review)
    path = Path(path)
    report = ExportReport(path)
    lines = []
    for answer_id in sorted(by_answer):
        made = candidate(by_answer[answer_id], snippets)
        if isinstance(made, str):
            report.skipped.append((answer_id, made))
        else:
            lines.append(made.model_dump_json(exclude_none=True))
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    partial.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
    os.replace(partial, path)
    report.written = len(lines)
    return report


class CandidateFileError(ValueError):
    """A candidate file that does not parse; the message names the line."""


def load_candidates(path: Path) -> list[GoldCandidate]:
    """Read a candidate file written by ``export_candidates``."""
    candidates = []
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            candidates.append(GoldCandidate.model_validate(json.loads(line)))
        except (json.JSONDecodeError, ValidationError) as exc:
            raise CandidateFileError(f"{path}, rad {number}: {exc}") from exc
    return candidates
