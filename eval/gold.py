"""The gold questions: the schemas of ``eval/gold/questions.jsonl``, ``eval/gold/research.jsonl`` and the
review candidates `stadshus review export` writes (see ``eval/gold/SCHEMA.md``), and their loaders."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

GOLD_DIR = Path(__file__).resolve().parent / "gold"
GOLD_FILE = GOLD_DIR / "questions.jsonl"
RESEARCH_FILE = GOLD_DIR / "research.jsonl"
QUESTION_TYPES = (
    "fact", "district", "list", "paraphrase", "spelling", "version", "unanswerable",
    "actor_list", "multi_part", "over_time", "near_miss", "english",
)
QuestionType = Literal[
    "fact", "district", "list", "paraphrase", "spelling", "version", "unanswerable",
    "actor_list", "multi_part", "over_time", "near_miss", "english",
]
RESEARCH_TYPES = ("coverage", "version", "time")
ResearchType = Literal["coverage", "version", "time"]


class Split(str, Enum):
    """Which questions to evaluate: tune on ``dev``, report on ``test``."""

    test = "test"
    dev = "dev"
    all = "all"


class GoldError(ValueError):
    """The gold file is missing or breaks its schema; the message names the line."""


class Evidence(BaseModel):
    """A verbatim snippet of one document that answers (part of) a question."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    doc_id: str
    snippet: str = Field(min_length=1)


class Question(BaseModel):
    """One gold question with the evidence that answers it (for a ``near_miss``, the evidence that comes
    closest to what it asks, which the documents lack: ``missing``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^q\d{3}$")
    split: Literal["dev", "test"]
    type: QuestionType
    question: str = Field(min_length=1)
    answerable: bool
    evidence: tuple[Evidence, ...]
    districts: tuple[str, ...] | None = None
    actors: tuple[str, ...] | None = None
    missing: str | None = Field(None, min_length=1)
    answer_contains: tuple[str, ...] = ()
    notes: str | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Question:
        if self.type == "near_miss":
            # The documents come close but lack what is asked: evidence shows how close, if anything does.
            if self.answerable:
                raise ValueError("a near_miss question is not answerable")
        elif self.answerable != bool(self.evidence):
            raise ValueError("answerable questions need evidence and unanswerable ones must have none")
        if self.type == "list" and (not self.districts or len(self.districts) != len(self.evidence)):
            raise ValueError("a list question needs one evidence item per district")
        if (self.type == "actor_list") != (self.actors is not None):
            raise ValueError("actors are required for actor_list questions and only for them")
        if self.actors is not None and (not self.actors or len(self.actors) != len(self.evidence)):
            raise ValueError("an actor_list question needs one evidence item per actor")
        if (self.type == "near_miss") != (self.missing is not None):
            raise ValueError("missing is required for near_miss questions and only for them")
        return self


class ResearchQuestion(Question):
    """A research question: a topic across every district (``coverage``), a difference between versions
    of a report (``version``) or a question limited to years (``time``)."""

    type: ResearchType
    answerable: Literal[True]
    year_from: int | None = None
    year_to: int | None = None

    @model_validator(mode="after")
    def _research_consistent(self) -> ResearchQuestion:
        if self.type == "coverage" and (not self.districts or len(self.districts) != len(self.evidence)):
            raise ValueError("a coverage question needs one evidence item per district")
        if self.type != "coverage" and self.districts is not None:
            raise ValueError("districts are only for coverage questions")
        if self.type == "time" and (self.year_from is None or self.year_to is None):
            raise ValueError("a time question needs year_from and year_to")
        if self.year_from is not None and self.year_to is not None and self.year_from > self.year_to:
            raise ValueError("year_from is later than year_to")
        return self


class ReviewCandidate(Question):
    """A candidate gold entry written by `stadshus review export` from reviewers' judgments."""

    id: str = Field(pattern=r"^r\d+$")
    split: Literal["review"]
    type: Literal["fact", "list", "unanswerable"]

    @model_validator(mode="after")
    def _candidate_consistent(self) -> ReviewCandidate:
        if self.answerable == (self.type == "unanswerable"):
            raise ValueError("answerable must be false exactly for type unanswerable")
        if self.type != "list" and self.districts is not None:
            raise ValueError("districts are only for list entries")
        return self


Entry = TypeVar("Entry", bound=Question)


def load_questions(split: Split = Split.test, path: Path = GOLD_FILE) -> list[Question]:
    """The gold questions of ``split``, in file order."""
    return [q for q in _load(path, Question, "guldfrågorna") if split is Split.all or q.split == split.value]


def load_research(split: Split = Split.test, path: Path = RESEARCH_FILE) -> list[ResearchQuestion]:
    """The research questions of ``split``, in file order."""
    return [q for q in _load(path, ResearchQuestion, "forskningsfrågorna") if split is Split.all or q.split == split.value]


def load_candidates(path: Path) -> list[ReviewCandidate]:
    """Every candidate of an exported review file (they have no dev/test split)."""
    return _load(path, ReviewCandidate, "granskningskandidaterna")


def _load(path: Path, model: type[Entry], what: str) -> list[Entry]:
    """The entries of a JSON Lines file, each validated by ``model``; ids must be unique."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise GoldError(f"Kan inte läsa {what} i {path}: {exc}") from exc
    entries: list[Entry] = []
    seen: set[str] = set()
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            entry = model.model_validate_json(line)
        except ValidationError as exc:
            error = exc.errors()[0]
            field = ".".join(str(part) for part in error["loc"])
            where = f"{field}: " if field else ""
            raise GoldError(f"{path}:{number} följer inte formatet för {what}: {where}{error['msg']}") from exc
        if entry.id in seen:
            raise GoldError(f"{path}:{number}: id {entry.id} förekommer två gånger")
        seen.add(entry.id)
        entries.append(entry)
    return entries
