"""The gold questions: the schema of ``eval/gold/questions.jsonl`` (see ``eval/gold/SCHEMA.md``) and its loader."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

GOLD_FILE = Path(__file__).resolve().parent / "gold" / "questions.jsonl"
QUESTION_TYPES = ("fact", "district", "list", "paraphrase", "spelling", "version", "unanswerable")
QuestionType = Literal["fact", "district", "list", "paraphrase", "spelling", "version", "unanswerable"]


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
    """One gold question with the evidence that answers it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^q\d{3}$")
    split: Literal["dev", "test"]
    type: QuestionType
    question: str = Field(min_length=1)
    answerable: bool
    evidence: tuple[Evidence, ...]
    districts: tuple[str, ...] | None = None
    answer_contains: tuple[str, ...] = ()
    notes: str | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Question:
        if self.answerable != bool(self.evidence):
            raise ValueError("answerable questions need evidence and unanswerable ones must have none")
        if self.type == "list" and (not self.districts or len(self.districts) != len(self.evidence)):
            raise ValueError("a list question needs one evidence item per district")
        return self


def load_questions(split: Split = Split.test, path: Path = GOLD_FILE) -> list[Question]:
    """The gold questions of ``split``, in file order."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise GoldError(f"cannot read the gold questions {path}: {exc}") from exc
    questions: list[Question] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            question = Question.model_validate_json(line)
        except ValidationError as exc:
            raise GoldError(f"{path}:{number} breaks the gold schema: {exc.errors()[0]['msg']}") from exc
        if split is Split.all or question.split == split.value:
            questions.append(question)
    return questions
