"""The review tables: an answer as it was shown, the judgments of it, and the verdicts on its citations.

    answers              one row per distinct answer (unique content hash), whoever judged it
      answer_citations   the answer's citations with their offsets in the cleaned document text
    judgments            one row per (answer, reviewer); a changed verdict updates the row
      citation_judgments one row per (judgment, citation)
    signing_secret       one row: the secret the service signs its answers with
    reviewer_writes      one row per reviewer: judgments written in the current minute (the write limit)

Times are stored as naive UTC (the same on SQLite and PostgreSQL) and read back as aware UTC.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal, get_args

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

Verdict = Literal["correct", "partly_correct", "wrong", "should_have_abstained"]
CitationVerdict = Literal["supports", "does_not_support"]
QuestionType = Literal["list", "fact"]
VERDICTS: tuple[str, ...] = get_args(Verdict)
CITATION_VERDICTS: tuple[str, ...] = get_args(CitationVerdict)

# Named constraints, so that migrations can refer to them on every database.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """An aware UTC datetime, stored naive so that SQLite and PostgreSQL compare it alike."""

    impl = DateTime(timezone=False)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are ambiguous here; pass an aware (UTC) datetime")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    """The declarative base of the review tables."""

    metadata = MetaData(naming_convention=NAMING)


class AnswerRecord(Base):
    """An answer as the service gave it, identified by a hash of its content and the index build."""

    __tablename__ = "answers"
    __table_args__ = (UniqueConstraint("content_hash"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    content_hash: Mapped[str] = mapped_column(String(64))
    question: Mapped[str] = mapped_column(Text)
    question_type: Mapped[str] = mapped_column(String(16), index=True)
    text: Mapped[str] = mapped_column(Text)
    supported: Mapped[bool] = mapped_column(Boolean)
    generator: Mapped[str] = mapped_column(String(64))
    # The district lines of a list answer: [{"name", "citations", "involvement"}]; empty for fact answers.
    districts: Mapped[list[dict]] = mapped_column(JSON)
    build_id: Mapped[str] = mapped_column(String(64), index=True)
    index_settings_hash: Mapped[str] = mapped_column(String(64))
    answer_settings_hash: Mapped[str] = mapped_column(String(64))
    first_seen: Mapped[datetime] = mapped_column(UTCDateTime())

    citations: Mapped[list[AnswerCitation]] = relationship(
        back_populates="answer", order_by="AnswerCitation.number", cascade="all, delete-orphan"
    )
    judgments: Mapped[list[Judgment]] = relationship(back_populates="answer", cascade="all, delete-orphan")


class AnswerCitation(Base):
    """One citation of an answer: ``number`` is its [n] in the answer text."""

    __tablename__ = "answer_citations"
    __table_args__ = (UniqueConstraint("answer_id", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    answer_id: Mapped[int] = mapped_column(ForeignKey("answers.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    doc_id: Mapped[str] = mapped_column(String(200))
    chunk_id: Mapped[str] = mapped_column(String(200))
    start: Mapped[int] = mapped_column(Integer)
    end: Mapped[int] = mapped_column(Integer)
    quote: Mapped[str] = mapped_column(Text)

    answer: Mapped[AnswerRecord] = relationship(back_populates="citations")


class Judgment(Base):
    """One reviewer's verdict on one answer."""

    __tablename__ = "judgments"
    __table_args__ = (
        UniqueConstraint("answer_id", "reviewer"),
        CheckConstraint(f"verdict IN {VERDICTS!r}", name="verdict"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    answer_id: Mapped[int] = mapped_column(ForeignKey("answers.id", ondelete="CASCADE"), index=True)
    reviewer: Mapped[str] = mapped_column(String(100), index=True)
    verdict: Mapped[str] = mapped_column(String(32), index=True)
    comment: Mapped[str | None] = mapped_column(Text)
    judged_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)

    answer: Mapped[AnswerRecord] = relationship(back_populates="judgments")
    citation_judgments: Mapped[list[CitationJudgment]] = relationship(
        back_populates="judgment", cascade="all, delete-orphan", order_by="CitationJudgment.citation_id"
    )


class CitationJudgment(Base):
    """A reviewer's verdict on whether one citation supports the answer."""

    __tablename__ = "citation_judgments"
    __table_args__ = (
        UniqueConstraint("judgment_id", "citation_id"),
        CheckConstraint(f"verdict IN {CITATION_VERDICTS!r}", name="verdict"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    judgment_id: Mapped[int] = mapped_column(ForeignKey("judgments.id", ondelete="CASCADE"))
    citation_id: Mapped[int] = mapped_column(ForeignKey("answer_citations.id", ondelete="CASCADE"))
    verdict: Mapped[str] = mapped_column(String(32))
    comment: Mapped[str | None] = mapped_column(Text)

    judgment: Mapped[Judgment] = relationship(back_populates="citation_judgments")
    citation: Mapped[AnswerCitation] = relationship()


class SigningSecret(Base):
    """The secret the service signs the answers it gives with (``service.reviews.checks.answer_signature``),
    so that only those can be judged. One row, made when the store first opens; every worker reads it."""

    __tablename__ = "signing_secret"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    secret: Mapped[str] = mapped_column(String(64))


class ReviewerWrites(Base):
    """How many judgments a reviewer stored or changed since ``window_start`` (a minute at most)."""

    __tablename__ = "reviewer_writes"

    reviewer: Mapped[str] = mapped_column(String(100), primary_key=True)
    window_start: Mapped[datetime] = mapped_column(UTCDateTime())
    writes: Mapped[int] = mapped_column(Integer)
