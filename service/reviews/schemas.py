"""The JSON of the review API: what a reviewer sends, what the service returns."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, AwareDatetime, BaseModel, Field, model_validator

from .models import CitationVerdict, QuestionType, Verdict

SaveStatus = Literal["created", "updated", "unchanged"]


def _blank_to_none(value: str | None) -> str | None:
    """Comments are stripped; an empty one is no comment."""
    if value is None:
        return None
    value = value.strip()
    return value or None


Comment = Annotated[str | None, Field(max_length=2000), AfterValidator(_blank_to_none)]


class ReviewedCitation(BaseModel):
    """A citation of the judged answer, as ``/api/ask`` returned it (other fields are ignored)."""

    id: int = Field(ge=1, description="The citation's [n] in the answer text.")
    chunk_id: str = Field(min_length=1, max_length=200)
    doc_id: str = Field(min_length=1, max_length=200)
    start: int = Field(ge=0)
    end: int = Field(ge=0)
    quote: str = Field(
        min_length=1, max_length=20_000, description="Must equal the document's cleaned text[start:end]."
    )


class ReviewedDistrict(BaseModel):
    """One line of a list answer."""

    name: str = Field(min_length=1, max_length=100)
    citations: list[int] = Field(default_factory=list, max_length=100)
    involvement: str = Field("nämner", max_length=32)


class ReviewedAnswer(BaseModel):
    """The answer being judged, in the shape of ``/api/ask``'s response (so the page can send it back as is)."""

    question: str = Field(min_length=1, max_length=2000)
    answer: str = Field(min_length=1, max_length=50_000, description="The answer text.")
    supported: bool
    citations: list[ReviewedCitation] = Field(default_factory=list, max_length=200)
    districts: list[ReviewedDistrict] = Field(default_factory=list, max_length=100)
    generator: str = Field("extractive", max_length=64)

    @model_validator(mode="after")
    def _citations_consistent(self) -> ReviewedAnswer:
        numbers = [citation.id for citation in self.citations]
        if len(set(numbers)) != len(numbers):
            raise ValueError("svaret har flera citat med samma nummer")
        for citation in self.citations:
            if citation.end <= citation.start:
                raise ValueError(
                    f"citat [{citation.id}] slutar ({citation.end}) före eller där det börjar ({citation.start})"
                )
        for line in self.districts:
            missing = sorted(set(line.citations) - set(numbers))
            if missing:
                raise ValueError(f"raden {line.name!r} hänvisar till citat som inte finns i svaret: {missing}")
        return self


class CitationVerdictIn(BaseModel):
    """The reviewer's verdict on one citation of the answer."""

    citation_id: int = Field(ge=1, description="The citation's [n] in the answer.")
    verdict: CitationVerdict
    comment: Comment = None


class ReviewIn(BaseModel):
    """A judgment of an answer. The reviewer is the one whose key is in ``X-Reviewer-Key``."""

    answer: ReviewedAnswer
    verdict: Verdict
    comment: Comment = None
    citations: list[CitationVerdictIn] = Field(default_factory=list, max_length=200)
    build_id: str | None = Field(
        None,
        max_length=64,
        description="The index build the answer came from, if the client knows it; must be the loaded one.",
    )

    @model_validator(mode="after")
    def _judged_citations_exist(self) -> ReviewIn:
        judged = [verdict.citation_id for verdict in self.citations]
        if len(set(judged)) != len(judged):
            raise ValueError("samma citat är bedömt flera gånger")
        unknown = sorted(set(judged) - {citation.id for citation in self.answer.citations})
        if unknown:
            raise ValueError(f"bedömda citat finns inte i svaret: {unknown}")
        if self.verdict == "should_have_abstained" and not self.answer.supported:
            raise ValueError("svaret avstod redan; välj correct eller wrong")
        return self


class ReviewFilter(BaseModel):
    """Which judgments to list; every field narrows the selection."""

    reviewer: str | None = Field(None, max_length=100)
    verdict: Verdict | None = None
    question_type: QuestionType | None = None
    build_id: str | None = Field(None, max_length=64)
    since: AwareDatetime | None = Field(None, description="Judged at or after this time (ISO 8601 with a time zone).")
    until: AwareDatetime | None = Field(None, description="Judged before this time (ISO 8601 with a time zone).")


class ReviewQuery(ReviewFilter):
    """The query string of ``GET /api/reviews``: the filters and one page of the result."""

    limit: int = Field(50, ge=1, le=500)
    offset: int = Field(0, ge=0, le=2**62)  # SQLite integers are 64-bit


class CitationReviewOut(BaseModel):
    """A citation of a judged answer with this reviewer's verdict on it (None when not judged)."""

    citation_id: int
    doc_id: str
    chunk_id: str
    start: int
    end: int
    quote: str
    verdict: CitationVerdict | None
    comment: str | None


class ReviewOut(BaseModel):
    """A stored judgment with the answer it judges."""

    id: int
    answer_id: int
    reviewer: str
    verdict: Verdict
    comment: str | None
    judged_at: datetime
    question: str
    question_type: QuestionType
    answer: str
    supported: bool
    generator: str
    districts: list[ReviewedDistrict]
    build_id: str
    index_settings_hash: str
    answer_settings_hash: str
    citations: list[CitationReviewOut]


class ReviewSaved(BaseModel):
    """The stored judgment, and whether this request created, changed or merely repeated it."""

    status: SaveStatus
    review: ReviewOut


class ReviewPage(BaseModel):
    """One page of judgments, newest first."""

    total: int
    limit: int
    offset: int
    items: list[ReviewOut]


class VerdictCounts(BaseModel):
    """How many judgments gave each verdict, and the share that judged the answer correct."""

    judgments: int
    share_correct: float | None = Field(description="correct / judgments; null when there are none.")
    verdicts: dict[str, int]


class PairAgreement(BaseModel):
    """How well two reviewers agree on the answers both judged."""

    reviewers: tuple[str, str]
    answers: int = Field(description="Answers both reviewers judged.")
    observed_agreement: float = Field(description="Share of those answers given the same verdict.")
    kappa: float | None = Field(description="Cohen's kappa; null when chance agreement is 1 (both used one verdict).")


class ReviewSummary(BaseModel):
    """The state of the review: correctness overall, per question type, per index build, and agreement."""

    answers: int
    reviewers: int
    overall: VerdictCounts
    by_question_type: dict[str, VerdictCounts]
    by_build: dict[str, VerdictCounts]
    agreement: list[PairAgreement]


class ReviewerStatus(BaseModel):
    """Whether judging is on, and the reviewer a key names (null without a key)."""

    enabled: bool
    reviewer: str | None
