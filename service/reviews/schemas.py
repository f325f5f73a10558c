"""The JSON of the review API: what a reviewer sends, what the service returns."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, AwareDatetime, BaseModel, BeforeValidator, Field, model_validator

from .models import CitationVerdict, QuestionType, Verdict

SaveStatus = Literal["created", "updated", "unchanged"]
# Declared in the schema: text may hold tabs and line breaks but no other control character (PostgreSQL
# cannot store NUL at all); names, ids and other one-line fields hold none.
TEXT_PATTERN = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"
LINE_PATTERN = r"^[^\x00-\x1f\x7f]*$"
#: The largest integer the review tables store (PostgreSQL's integer).
INT32_MAX = 2**31 - 1
SIGNATURE_PATTERN = r"^[0-9a-f]{64}$"
ISO_DATE_TIME = re.compile(r"\d{4}-\d{2}-\d{2}[Tt ]")


def _date_time_text(value: Any) -> Any:
    """Only ISO 8601 text: pydantic would also read a number ("0.5") as seconds since 1970."""
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str) or not ISO_DATE_TIME.match(value):
        raise ValueError("ange tiden som ISO 8601 med tidszon, t.ex. 2026-03-01T12:00:00Z")
    return value


def _in_utc(value: datetime) -> datetime:
    """``value`` in UTC; a time that falls outside the calendar in UTC becomes its first or last moment."""
    try:
        return value.astimezone(UTC)
    except OverflowError:
        return (datetime.min if value.year == 1 else datetime.max).replace(tzinfo=UTC)


Moment = Annotated[AwareDatetime, BeforeValidator(_date_time_text), AfterValidator(_in_utc)]


def _blank_to_none(value: str | None) -> str | None:
    """Comments are stripped; an empty one is no comment."""
    if value is None:
        return None
    value = value.strip()
    return value or None


Comment = Annotated[str | None, Field(max_length=2000, pattern=TEXT_PATTERN), AfterValidator(_blank_to_none)]


class ReviewedCitation(BaseModel):
    """A citation of the judged answer, as ``/api/ask`` returned it (other fields are ignored)."""

    id: int = Field(ge=1, le=INT32_MAX, description="The citation's [n] in the answer text.")
    chunk_id: str = Field(min_length=1, max_length=200, pattern=LINE_PATTERN)
    doc_id: str = Field(min_length=1, max_length=200, pattern=LINE_PATTERN)
    start: int = Field(ge=0, le=INT32_MAX)
    end: int = Field(ge=0, le=INT32_MAX)
    quote: str = Field(
        min_length=1,
        max_length=20_000,
        pattern=TEXT_PATTERN,
        description="Must equal the document's cleaned text[start:end].",
    )


class ReviewedDistrict(BaseModel):
    """One line of a list answer."""

    name: str = Field(min_length=1, max_length=100, pattern=LINE_PATTERN, description="A district of the gazetteer.")
    citations: list[Annotated[int, Field(ge=1, le=INT32_MAX)]] = Field(default_factory=list, max_length=100)
    involvement: str = Field("nämner", max_length=32, pattern=LINE_PATTERN)


class ReviewedAnswer(BaseModel):
    """The answer being judged, in the shape of ``/api/ask``'s response (so the page can send it back as is),
    with the signature the service gave it: only answers the service gave can be judged."""

    question: str = Field(min_length=1, max_length=2000, pattern=TEXT_PATTERN)
    answer: str = Field(min_length=1, max_length=50_000, pattern=TEXT_PATTERN, description="The answer text.")
    supported: bool
    citations: list[ReviewedCitation] = Field(default_factory=list, max_length=200)
    districts: list[ReviewedDistrict] = Field(default_factory=list, max_length=100)
    generator: str = Field("extractive", max_length=64, pattern=LINE_PATTERN)
    signature: str = Field(
        pattern=SIGNATURE_PATTERN,
        description="The answer's signature from /api/ask (HMAC-SHA256 of the answer, its citations and the "
        "index build); a changed or made-up answer does not match it.",
    )

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
        pattern=LINE_PATTERN,
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

    reviewer: str | None = Field(None, max_length=100, pattern=LINE_PATTERN)
    verdict: Verdict | None = None
    question_type: QuestionType | None = None
    build_id: str | None = Field(None, max_length=64, pattern=LINE_PATTERN)
    since: Moment | None = Field(None, description="Judged at or after this time (ISO 8601 with a time zone).")
    until: Moment | None = Field(None, description="Judged before this time (ISO 8601 with a time zone).")


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
