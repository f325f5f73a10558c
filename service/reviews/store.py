"""Where judgments are kept: SQLite by default (one file, WAL, writers wait for each other), PostgreSQL by URL.

``ReviewStore.open(url)`` migrates the database to the newest schema (under a lock, so that workers
opening a new database at once take turns) and returns a thread-safe store: every call runs in a session
of its own. Writes are idempotent: the same answer judged by several reviewers is one ``answers`` row,
the same judgment sent twice is stored once, and a changed verdict by the same reviewer updates that
reviewer's judgment. The settings are the main ``Settings`` (``db_url``, ``reviewer_keys``,
``review_writes_per_minute``).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Connection, Engine, Select, create_engine, event, func, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, IntegrityError, OperationalError
from sqlalchemy.orm import Session, selectinload, sessionmaker

from service.analysis import DISTRICT_LIST
from service.schemas.convert import from_attributes

from . import migrations
from .models import AnswerCitation, AnswerRecord, CitationJudgment, Judgment, ReviewerWrites, SigningSecret
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

#: How long a SQLite writer waits for another writer's lock before giving up, in seconds.
SQLITE_BUSY_TIMEOUT = 60
#: Attempts of one write when another writer inserted the same answer or judgment at the same moment.
WRITE_ATTEMPTS = 3
#: The window of the per-reviewer write limit.
WRITE_WINDOW = timedelta(minutes=1)
# Any constant works: every process that migrates the review tables takes the same PostgreSQL advisory lock.
MIGRATION_LOCK_ID = 0x5354414453485553  # "STADSHUS"


class ReviewStoreUnavailable(Exception):
    """The review database cannot be opened or migrated; the message says which and why."""


class WriteLimitReached(Exception):
    """A reviewer stored or changed ``limit`` judgments within the last minute; ``retry_after`` in seconds."""

    def __init__(self, limit: int, retry_after: int):
        super().__init__(f"at most {limit} judgments a minute")
        self.limit = limit
        self.retry_after = retry_after


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
    """A SQLAlchemy engine for ``url``; a SQLite file gets WAL mode and a busy timeout (see ``sqlite_file``)."""
    parsed = make_url(url)
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")  # psycopg 3 is the installed driver
    if parsed.get_backend_name() != "sqlite":
        return create_engine(parsed, pool_pre_ping=True)
    engine = create_engine(parsed, connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT})

    @event.listens_for(engine, "connect")
    def _on_connect(connection, _record) -> None:
        # Transactions are begun by the "begin" hook below rather than implicitly by the driver.
        connection.isolation_level = None
        cursor = connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT * 1000}")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection) -> None:
        # A write takes the lock when it begins: a deferred transaction that reads and then writes
        # fails at once with "database is locked" when another writer got there first.
        immediate = connection.get_execution_options().get("sqlite_immediate", False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def sqlite_file(url: str) -> Path | None:
    """The database file of a SQLite URL (None for other databases); refuses an in-memory database."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return None
    if not parsed.database or parsed.database == ":memory:":
        raise ReviewStoreUnavailable("granskningsdatabasen måste vara en fil, t.ex. sqlite:///data/stadshus.db")
    return Path(parsed.database)


@contextlib.contextmanager
def migration_lock(database: Path | None) -> Iterator[None]:
    """Held while a process migrates a SQLite file: a lock file beside it (made, like the database, readable
    by its owner only). PostgreSQL's lock is taken inside the migration (``_migrate``)."""
    if database is None:
        yield
        return
    database.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    descriptor = os.open(f"{database}.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        # SQLite gives its -wal and -shm files the database file's permissions.
        with contextlib.suppress(FileExistsError):
            os.close(os.open(database, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        yield
    finally:
        os.close(descriptor)


class ReviewStore:
    """Judgments of answers in a SQL database; safe to share between threads."""

    def __init__(self, engine: Engine, signing_secret: bytes):
        self.engine = engine
        #: The secret answers are signed with (``service.reviews.checks.answer_signature``).
        self.signing_secret = signing_secret
        self._read = sessionmaker(engine, expire_on_commit=False)
        self._write = sessionmaker(engine.execution_options(sqlite_immediate=True), expire_on_commit=False)

    @classmethod
    def open(cls, url: str) -> ReviewStore:
        """Open the database at ``url``, migrating it to the newest schema first (under a lock: processes
        opening a new database at once take turns, and all of them get a store)."""
        try:
            where = make_url(url).render_as_string(hide_password=True)
            database = sqlite_file(url)
            engine = create_review_engine(url)
        except (ArgumentError, ValueError) as exc:
            raise ReviewStoreUnavailable(f"granskningsdatabasens adress är ogiltig: {type(exc).__name__}") from None
        try:
            with migration_lock(database):
                secret = _migrate(engine)
        except OSError as exc:  # the SQLite file or its folder cannot be made
            engine.dispose()
            raise ReviewStoreUnavailable(f"kan inte skapa granskningsdatabasen {where}: {exc}") from exc
        except OperationalError as exc:
            engine.dispose()
            raise ReviewStoreUnavailable(f"kan inte öppna granskningsdatabasen {where}: {exc.orig}") from exc
        return cls(engine, secret)

    def close(self) -> None:
        """Close the database connections."""
        self.engine.dispose()

    # Writing

    def save(
        self,
        review: ReviewIn,
        reviewer: str,
        stamp: IndexStamp,
        now: datetime | None = None,
        writes_per_minute: int | None = None,
    ) -> ReviewSaved:
        """Store ``reviewer``'s judgment of an answer: created, updated (a changed verdict) or unchanged.

        With ``writes_per_minute``, raises ``WriteLimitReached`` (and writes nothing) when the reviewer has
        already created or changed that many judgments in the current minute; repeating a judgment is free.
        """
        now = now or datetime.now(UTC)
        for _ in range(WRITE_ATTEMPTS - 1):
            try:
                return self._save_once(review, reviewer, stamp, now, writes_per_minute)
            except IntegrityError:
                # Another writer inserted the same answer or judgment between our read and our write
                # (PostgreSQL; SQLite writers take turns): the next attempt finds its row.
                continue
        return self._save_once(review, reviewer, stamp, now, writes_per_minute)

    def _save_once(
        self, review: ReviewIn, reviewer: str, stamp: IndexStamp, now: datetime, writes_per_minute: int | None
    ) -> ReviewSaved:
        with self._write() as session, session.begin():
            answer = self._answer(session, review.answer, stamp, now)
            status, judgment = self._judgment(session, answer, review, reviewer, now)
            if status != "unchanged" and writes_per_minute is not None:
                # Raised inside the transaction, so the judgment is rolled back with it.
                _count_write(session, reviewer, now, writes_per_minute)
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


def _migrate(engine: Engine) -> bytes:
    """Migrate to the newest schema in one transaction and return the signing secret (made on first open).
    On PostgreSQL the transaction first takes an advisory lock, so that concurrent migrations take turns."""
    with engine.execution_options(sqlite_immediate=True).begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(select(func.pg_advisory_xact_lock(MIGRATION_LOCK_ID)))
        migrations.upgrade(connection)
        return _signing_secret(connection)


def _signing_secret(connection: Connection) -> bytes:
    stored = connection.scalar(select(SigningSecret.secret).where(SigningSecret.id == 1))
    if stored is None:
        stored = secrets.token_hex(32)
        connection.execute(SigningSecret.__table__.insert().values(id=1, secret=stored))
    return bytes.fromhex(stored)


def _count_write(session: Session, reviewer: str, now: datetime, limit: int) -> None:
    """Count one write of ``reviewer`` in the current window, or raise ``WriteLimitReached``."""
    counter = session.get(ReviewerWrites, reviewer, with_for_update=True)
    if counter is None:
        session.add(ReviewerWrites(reviewer=reviewer, window_start=now, writes=1))
    elif now - counter.window_start >= WRITE_WINDOW:
        counter.window_start, counter.writes = now, 1
    elif counter.writes >= limit:
        left = WRITE_WINDOW - (now - counter.window_start)
        raise WriteLimitReached(limit, max(1, int(left.total_seconds() + 0.999)))
    else:
        counter.writes += 1


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
