"""Where judgments are kept: SQLite by default (one file, WAL, writers wait for each other), PostgreSQL by URL.

``ReviewStore.open(url)`` migrates the database to the newest schema and returns a thread-safe store:
every call runs in a session of its own. Writes are idempotent: the same answer judged by several
reviewers is one ``answers`` row, the same judgment sent twice is stored once, and a changed verdict by
the same reviewer updates that reviewer's judgment.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from sqlalchemy import Engine, Select, create_engine, event, func, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, selectinload, sessionmaker

from service.analysis import DISTRICT_LIST
from service.schemas.convert import from_attributes

from . import migrations
from .models import AnswerCitation, AnswerRecord, CitationJudgment, Judgment
from .schemas import (
    CitationReviewOut,
    ReviewedAnswer,
    ReviewFilter,
    ReviewIn,
    ReviewOut,
    ReviewPage,
    ReviewSaved,
    ReviewSummary,
    SaveStatus,
)
from .summary import VerdictRow, summarize

DEFAULT_DB_URL = "sqlite:///data/stadshus.db"
#: How long a SQLite writer waits for another writer's lock before giving up, in seconds.
SQLITE_BUSY_TIMEOUT = 60
#: Shortest reviewer key accepted: a key is a shared secret, not a password to remember.
MIN_KEY_LENGTH = 16
#: Attempts of one write when another writer inserted the same answer or judgment at the same moment.
WRITE_ATTEMPTS = 3


class ReviewSettingsInvalid(ValueError):
    """Malformed review settings: ``str()`` is the Swedish reason, ``operator`` the English one for the log.
    Neither repeats a key."""

    def __init__(self, swedish: str, operator: str):
        super().__init__(swedish)
        self.operator = operator


class ReviewDatabaseSettings(BaseSettings):
    """Where the judgments are kept; read on its own when the reviewer keys are malformed, so that the
    judgments stay readable."""

    model_config = SettingsConfigDict(env_prefix="STADSHUS_", extra="ignore", frozen=True)

    db_url: str = Field(
        DEFAULT_DB_URL,
        description="Database of the answer reviews: a SQLite file (created with its folder) or "
        "postgresql+psycopg://user:password@host/database.",
    )


class ReviewSettings(ReviewDatabaseSettings):
    """Settings of the answer review, read from ``STADSHUS_*`` variables like the main settings."""

    reviewer_keys: Annotated[dict[str, str], NoDecode] = Field(
        default_factory=dict,
        description="Reviewers and their keys, as 'name:key' pairs separated by commas, or a JSON object "
        "{\"name\": \"key\"}. Empty turns the write endpoints of the review API off.",
    )

    @field_validator("reviewer_keys", mode="before")
    @classmethod
    def _parse_keys(cls, value: Any) -> dict[str, str]:
        return parse_reviewer_keys(value)


def parse_reviewer_keys(value: Any) -> dict[str, str]:
    """Reviewers and their keys from ``name:key,name:key``, a JSON object or a mapping.

    Raises ``ReviewSettingsInvalid`` for an entry without a name or a colon, broken JSON, a key that is
    not text or is shorter than ``MIN_KEY_LENGTH``, a reviewer named twice, or a key given to two reviewers.
    """
    if isinstance(value, str):
        value = value.strip()
        pairs = _json_pairs(value) if value.startswith("{") else [_name_and_key(i, e) for i, e in _entries(value)]
    elif isinstance(value, dict):
        pairs = list(value.items())
    else:
        raise ReviewSettingsInvalid(
            "granskarnycklarna skrivs namn:nyckel,namn:nyckel eller som ett JSON-objekt",
            f"STADSHUS_REVIEWER_KEYS must be name:key pairs or a JSON object, not {type(value).__name__}",
        )
    keys: dict[str, str] = {}
    for name, key in pairs:
        if not isinstance(name, str) or not name.strip():
            raise ReviewSettingsInvalid(
                "en granskarnyckel saknar namn (skriv namn:nyckel)", "STADSHUS_REVIEWER_KEYS has a key without a name"
            )
        if not isinstance(key, str):
            raise ReviewSettingsInvalid(
                f"granskaren {name}s nyckel måste vara text", f"STADSHUS_REVIEWER_KEYS: the key of {name!r} is not a string"
            )
        if len(key) < MIN_KEY_LENGTH:
            raise ReviewSettingsInvalid(
                f"granskaren {name}s nyckel är kortare än {MIN_KEY_LENGTH} tecken",
                f"STADSHUS_REVIEWER_KEYS: the key of {name!r} is shorter than {MIN_KEY_LENGTH} characters",
            )
        if name in keys:
            raise ReviewSettingsInvalid(
                f"granskaren {name} står flera gånger; varje granskare har en nyckel",
                f"STADSHUS_REVIEWER_KEYS names {name!r} more than once",
            )
        keys[name] = key
    if len(set(keys.values())) != len(keys):
        raise ReviewSettingsInvalid(
            "två granskare har samma nyckel; varje granskare behöver en egen",
            "STADSHUS_REVIEWER_KEYS gives two reviewers the same key",
        )
    return keys


def _entries(value: str) -> list[tuple[int, str]]:
    """The non-empty comma-separated entries of ``value``, numbered from 1."""
    return [(number, entry) for number, entry in enumerate(value.split(","), start=1) if entry.strip()]


def _name_and_key(number: int, entry: str) -> tuple[str, str]:
    name, separator, key = entry.strip().partition(":")
    if not separator:
        # The entry is not repeated: it may be a key without its name.
        raise ReviewSettingsInvalid(
            "varje granskarnyckel skrivs namn:nyckel", f"STADSHUS_REVIEWER_KEYS entry {number} has no ':' (write name:key)"
        )
    return name.strip(), key.strip()


def _json_pairs(value: str) -> list[tuple[Any, Any]]:
    """The name-key pairs of a JSON object, in order and with repeated names kept (json.loads keeps the last)."""
    try:
        return json.loads(value, object_pairs_hook=list)
    except json.JSONDecodeError as exc:
        # exc.msg and the position only: the message of the exception itself quotes the document.
        raise ReviewSettingsInvalid(
            "granskarnycklarna är inte giltig JSON",
            f"STADSHUS_REVIEWER_KEYS is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}",
        ) from None


@lru_cache
def get_review_settings() -> ReviewSettings:
    """The process-wide review settings, built on first use (never at import time).

    Raises ``ReviewSettingsInvalid`` when the environment's are malformed (not cached: every call reads
    the environment again until they are fixed).
    """
    try:
        return ReviewSettings()
    except ValidationError as exc:
        # The keys are the only setting the environment can get wrong; their parser says how.
        causes = [error["ctx"]["error"] for error in exc.errors() if isinstance(error.get("ctx", {}).get("error"), ReviewSettingsInvalid)]
        if not causes:
            raise
        raise causes[0] from None


class ReviewStoreUnavailable(Exception):
    """The review database cannot be opened or migrated; the message says which and why."""


@dataclass(frozen=True, slots=True)
class IndexStamp:
    """What shaped the judged answer: the index build, its settings hash, and the answering settings' hash."""

    build_id: str
    index_settings_hash: str
    answer_settings_hash: str


def question_type(question: str) -> str:
    """``list`` for the questions the answerer aggregates over districts, else ``fact``."""
    return "list" if DISTRICT_LIST.search(question) else "fact"


def content_hash(answer: ReviewedAnswer, build_id: str) -> str:
    """The identity of an answer: its question, text and citations, in the index build that produced it."""
    payload = [
        answer.question,
        answer.answer,
        [[c.id, c.doc_id, c.chunk_id, c.start, c.end, c.quote] for c in sorted(answer.citations, key=lambda c: c.id)],
        build_id,
    ]
    return hashlib.sha256(json.dumps(payload, ensure_ascii=False).encode()).hexdigest()


def create_review_engine(url: str) -> Engine:
    """A SQLAlchemy engine for ``url``; a SQLite file gets its folder, WAL mode and a busy timeout."""
    parsed = make_url(url)
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")  # psycopg 3 is the installed driver
    if parsed.get_backend_name() != "sqlite":
        return create_engine(parsed, pool_pre_ping=True)
    if not parsed.database or parsed.database == ":memory:":
        raise ReviewStoreUnavailable("granskningsdatabasen måste vara en fil, t.ex. sqlite:///data/stadshus.db")
    Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(parsed, connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT})

    @event.listens_for(engine, "connect")
    def _on_connect(connection, _record) -> None:
        # Transactions are begun by the "begin" hook below rather than implicitly by the driver.
        connection.isolation_level = None
        cursor = connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT * 1000}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection) -> None:
        # A write takes the lock when it begins: a deferred transaction that reads and then writes
        # fails at once with "database is locked" when another writer got there first.
        immediate = connection.get_execution_options().get("sqlite_immediate", False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


class ReviewStore:
    """Judgments of answers in a SQL database; safe to share between threads."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self._read = sessionmaker(engine, expire_on_commit=False)
        self._write = sessionmaker(engine.execution_options(sqlite_immediate=True), expire_on_commit=False)

    @classmethod
    def open(cls, url: str) -> ReviewStore:
        """Open the database at ``url``, migrating it to the newest schema first."""
        where = make_url(url).render_as_string(hide_password=True)
        try:
            engine = create_review_engine(url)
        except OSError as exc:  # the SQLite file's folder cannot be made
            raise ReviewStoreUnavailable(f"kan inte skapa granskningsdatabasen {where}: {exc}") from exc
        try:
            migrations.upgrade(engine)
        except OperationalError as exc:
            engine.dispose()
            raise ReviewStoreUnavailable(f"kan inte öppna granskningsdatabasen {where}: {exc.orig}") from exc
        return cls(engine)

    def close(self) -> None:
        """Close the database connections."""
        self.engine.dispose()

    # Writing

    def save(self, review: ReviewIn, reviewer: str, stamp: IndexStamp, now: datetime | None = None) -> ReviewSaved:
        """Store ``reviewer``'s judgment of an answer: created, updated (a changed verdict) or unchanged."""
        now = now or datetime.now(UTC)
        for _ in range(WRITE_ATTEMPTS - 1):
            try:
                return self._save_once(review, reviewer, stamp, now)
            except IntegrityError:
                # Another writer inserted the same answer or judgment between our read and our write
                # (PostgreSQL; SQLite writers take turns): the next attempt finds its row.
                continue
        return self._save_once(review, reviewer, stamp, now)

    def _save_once(self, review: ReviewIn, reviewer: str, stamp: IndexStamp, now: datetime) -> ReviewSaved:
        with self._write() as session, session.begin():
            answer = self._answer(session, review.answer, stamp, now)
            status, judgment = self._judgment(session, answer, review, reviewer, now)
            session.flush()
            return ReviewSaved(status=status, review=_review_out(judgment))

    def _answer(self, session: Session, answer: ReviewedAnswer, stamp: IndexStamp, now: datetime) -> AnswerRecord:
        digest = content_hash(answer, stamp.build_id)
        record = session.scalar(
            select(AnswerRecord)
            .where(AnswerRecord.content_hash == digest)
            .options(selectinload(AnswerRecord.citations))
        )
        if record is not None:
            return record
        record = AnswerRecord(
            content_hash=digest,
            question=answer.question,
            question_type=question_type(answer.question),
            text=answer.answer,
            supported=answer.supported,
            generator=answer.generator,
            districts=[line.model_dump() for line in answer.districts],
            build_id=stamp.build_id,
            index_settings_hash=stamp.index_settings_hash,
            answer_settings_hash=stamp.answer_settings_hash,
            first_seen=now,
            citations=[
                AnswerCitation(
                    number=c.id, doc_id=c.doc_id, chunk_id=c.chunk_id, start=c.start, end=c.end, quote=c.quote
                )
                for c in answer.citations
            ],
        )
        session.add(record)
        session.flush()
        return record

    def _judgment(
        self, session: Session, answer: AnswerRecord, review: ReviewIn, reviewer: str, now: datetime
    ) -> tuple[SaveStatus, Judgment]:
        judgment = session.scalar(
            select(Judgment)
            .where(Judgment.answer_id == answer.id, Judgment.reviewer == reviewer)
            .options(selectinload(Judgment.citation_judgments))
        )
        by_number = {citation.number: citation for citation in answer.citations}
        wanted = {v.citation_id: (v.verdict, v.comment) for v in review.citations}
        if judgment is None:
            judgment = Judgment(
                answer=answer, reviewer=reviewer, verdict=review.verdict, comment=review.comment, judged_at=now
            )
            for number, (verdict, comment) in wanted.items():
                judgment.citation_judgments.append(
                    CitationJudgment(citation=by_number[number], verdict=verdict, comment=comment)
                )
            session.add(judgment)
            return "created", judgment
        number_of = {citation.id: citation.number for citation in answer.citations}
        current = {number_of[cj.citation_id]: cj for cj in judgment.citation_judgments}
        if (
            judgment.verdict == review.verdict
            and judgment.comment == review.comment
            and {number: (cj.verdict, cj.comment) for number, cj in current.items()} == wanted
        ):
            return "unchanged", judgment
        judgment.verdict, judgment.comment, judgment.judged_at = review.verdict, review.comment, now
        # Update in place rather than delete-and-insert: the (judgment, citation) pair is unique.
        for number, cj in current.items():
            if number in wanted:
                cj.verdict, cj.comment = wanted[number]
            else:
                judgment.citation_judgments.remove(cj)
        for number in wanted.keys() - current.keys():
            verdict, comment = wanted[number]
            judgment.citation_judgments.append(
                CitationJudgment(citation=by_number[number], verdict=verdict, comment=comment)
            )
        return "updated", judgment

    # Reading

    def get(self, judgment_id: int) -> ReviewOut | None:
        """One judgment by id, or None."""
        with self._read() as session:
            judgment = session.scalar(_with_answer(select(Judgment).where(Judgment.id == judgment_id)))
            return None if judgment is None else _review_out(judgment)

    def list_reviews(self, filters: ReviewFilter | None = None, limit: int | None = 50, offset: int = 0) -> ReviewPage:
        """Judgments matching ``filters``, newest first; ``limit=None`` returns them all."""
        query = _filtered(select(Judgment).join(Judgment.answer), filters or ReviewFilter())
        with self._read() as session:
            total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
            newest_first = query.order_by(Judgment.judged_at.desc(), Judgment.id.desc())
            page = _with_answer(newest_first.offset(offset).limit(limit))
            items = [_review_out(judgment) for judgment in session.scalars(page)]
        return ReviewPage(total=total, limit=limit if limit is not None else total, offset=offset, items=items)

    def iter_reviews(self, batch: int = 500) -> Iterator[ReviewOut]:
        """Every judgment, oldest first, read in batches."""
        last_id = 0
        while True:
            with self._read() as session:
                query = _with_answer(select(Judgment).where(Judgment.id > last_id).order_by(Judgment.id).limit(batch))
                judgments = list(session.scalars(query))
                rows = [_review_out(judgment) for judgment in judgments]
            yield from rows
            if len(rows) < batch:
                return
            last_id = rows[-1].id

    def verdict_rows(self) -> list[VerdictRow]:
        """Every judgment reduced to what the summary counts."""
        query = select(
            Judgment.answer_id, Judgment.reviewer, Judgment.verdict, AnswerRecord.question_type, AnswerRecord.build_id
        ).join(Judgment.answer)
        with self._read() as session:
            return [VerdictRow(*row) for row in session.execute(query)]

    def summary(self) -> ReviewSummary:
        """Share correct overall, per question type and per build, and agreement between reviewers."""
        return summarize(self.verdict_rows())

    def counts(self) -> dict[str, int]:
        """Rows per table."""
        with self._read() as session:
            return {
                model.__tablename__: session.scalar(select(func.count()).select_from(model)) or 0
                for model in (AnswerRecord, AnswerCitation, Judgment, CitationJudgment)
            }


def _filtered(query: Select, filters: ReviewFilter) -> Select:
    if filters.reviewer is not None:
        query = query.where(Judgment.reviewer == filters.reviewer)
    if filters.verdict is not None:
        query = query.where(Judgment.verdict == filters.verdict)
    if filters.question_type is not None:
        query = query.where(AnswerRecord.question_type == filters.question_type)
    if filters.build_id is not None:
        query = query.where(AnswerRecord.build_id == filters.build_id)
    if filters.since is not None:
        query = query.where(Judgment.judged_at >= filters.since)
    if filters.until is not None:
        query = query.where(Judgment.judged_at < filters.until)
    return query


def _with_answer(query: Select) -> Select:
    return query.options(
        selectinload(Judgment.answer).selectinload(AnswerRecord.citations),
        selectinload(Judgment.citation_judgments),
    )


def _review_out(judgment: Judgment) -> ReviewOut:
    answer = judgment.answer
    verdicts = {cj.citation_id: cj for cj in judgment.citation_judgments}
    citations = []
    for citation in answer.citations:
        judged = verdicts.get(citation.id)
        citations.append(
            from_attributes(
                CitationReviewOut,
                citation,
                citation_id=citation.number,
                verdict=judged.verdict if judged else None,
                comment=judged.comment if judged else None,
            )
        )
    return from_attributes(ReviewOut, judgment, answer, answer=answer.text, citations=citations)
