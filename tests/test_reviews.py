"""Answer review: the store and its migrations (SQLite, and PostgreSQL when installed), the review API
(keys, citation checks, idempotent writes, filters, summary), Cohen's kappa, and concurrent reviewers."""

from __future__ import annotations

import copy
import multiprocessing
import os
import pwd
import shutil
import socket
import stat
import subprocess
import tempfile
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlalchemy import inspect

from pydantic import SecretStr

from indexer.settings import Settings, load_settings
from service.reviews.checks import answer_settings_hash, answer_signature, signed
from service.reviews.migrations import VERSION_TABLE, current_revision
from service.reviews.models import Base
from service.reviews.routes import REVIEWS_OFF, reviewer_for_key, router
from service.reviews.schemas import ReviewedAnswer, ReviewFilter, ReviewIn
from service.reviews.store import IndexStamp, ReviewStore, ReviewStoreUnavailable, WriteLimitReached
from service.reviews.summary import VerdictRow, cohen_kappa, summarize
from service.schemas.ask import ask_response
from tests.conftest import make_settings

KEYS = {"anna": "anna-nyckel-0123456789", "bo": "bo-nyckel-0123456789ab"}
SECRET_KEYS = {name: SecretStr(key) for name, key in KEYS.items()}
# The store keeps what it is given; signatures are the review API's to check.
UNCHECKED = "0" * 64
CROWD = {f"granskare{k}": f"nyckel-for-granskare-{k}-0123456789" for k in range(8)}
STAMP = IndexStamp("build-1", "index-hash", "answer-hash")
FACT_QUESTION = "Hur många ärenden inom ekonomiskt bistånd har Rinkeby-Kista granskat hittills?"
LIST_QUESTION = "Vilka stadsdelar har medborgarvärdar?"
QUOTE = "I stadsdelsområdet finns 48 aktörer."
TABLES = {"answers", "answer_citations", "judgments", "citation_judgments", "signing_secret", "reviewer_writes"}
HEAD = "0002"


def review(
    question: str = "Hur många aktörer utför hemtjänst?",
    verdict: str = "correct",
    citations: list[dict] | None = None,
    comment: str | None = None,
) -> ReviewIn:
    """A judgment of a made-up answer with one citation, judged as supporting unless told otherwise."""
    answer = {
        "question": question,
        "answer": "I stadsdelsområdet finns 48 aktörer. [1]",
        "supported": True,
        "citations": [{"id": 1, "chunk_id": "doc#1", "doc_id": "doc", "start": 10, "end": 46, "quote": QUOTE}],
        "signature": UNCHECKED,
    }
    if citations is None:
        citations = [{"citation_id": 1, "verdict": "supports"}]
    return ReviewIn.model_validate({"answer": answer, "verdict": verdict, "citations": citations, "comment": comment})


# Backends


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def postgres_server():
    """A throwaway PostgreSQL cluster in a temporary folder; skipped when PostgreSQL is not installed."""
    # Debian keeps the server programs off the PATH, in /usr/lib/postgresql/<version>/bin.
    path = os.pathsep.join([os.environ.get("PATH", ""), *sorted(map(str, Path("/usr/lib/postgresql").glob("*/bin")))])
    initdb, pg_ctl = shutil.which("initdb", path=path), shutil.which("pg_ctl", path=path)
    if not initdb or not pg_ctl:
        pytest.skip("PostgreSQL is not installed (no initdb/pg_ctl)")
    base = Path(tempfile.mkdtemp(prefix="stadshus-pg-"))
    as_user: list[str] = []
    if os.geteuid() == 0:
        # initdb refuses to run as root: run the cluster as the postgres user.
        runuser = shutil.which("runuser", path=os.pathsep.join([path, "/usr/sbin", "/sbin"]))
        try:
            account = pwd.getpwnam("postgres")
        except KeyError:
            account = None
        if runuser is None or account is None:
            shutil.rmtree(base)
            pytest.skip("running as root without a postgres user to run PostgreSQL as")
        os.chown(base, account.pw_uid, account.pw_gid)
        as_user = [runuser, "-u", "postgres", "--"]
    data, port = base / "data", _free_port()
    initialise = [initdb, "-D", str(data), "-A", "trust", "-U", "stadshus", "-E", "UTF8"]
    options = f"-p {port} -k {base} -c listen_addresses=127.0.0.1 -F"  # -F: no fsync, a throwaway cluster
    start = [pg_ctl, "-D", str(data), "-l", str(base / "log"), "-o", options, "-w", "-t", "300", "start"]
    try:
        subprocess.run([*as_user, *initialise], check=True, capture_output=True)
        subprocess.run([*as_user, *start], check=True, capture_output=True)
        yield f"postgresql+psycopg://stadshus@127.0.0.1:{port}"
    finally:
        subprocess.run([*as_user, pg_ctl, "-D", str(data), "-m", "immediate", "-w", "stop"], capture_output=True)
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty database of each backend."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/data/reviews.db"
    import psycopg

    server = request.getfixturevalue("postgres_server")
    name = f"reviews_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(f"{server.replace('+psycopg', '')}/postgres", autocommit=True) as connection:
        connection.execute(f"CREATE DATABASE {name}")
    return f"{server}/{name}"


@pytest.fixture
def store(store_url: str):
    """An open review store on a fresh database."""
    opened = ReviewStore.open(store_url)
    yield opened
    opened.close()


# Migrations


class TestMigrations:
    def test_fresh_sqlite_file_gets_folder_tables_and_wal(self, tmp_path: Path):
        path = tmp_path / "not" / "yet" / "there.db"
        store = ReviewStore.open(f"sqlite:///{path}")
        try:
            assert path.is_file()
            # Readable by its owner only, like its lock file; SQLite gives the -wal and -shm files the same mode.
            assert stat.S_IMODE(path.stat().st_mode) == 0o600
            assert stat.S_IMODE(Path(f"{path}.lock").stat().st_mode) == 0o600
            assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
            store.save(review(), "anna", STAMP)
            assert stat.S_IMODE(Path(f"{path}-wal").stat().st_mode) == 0o600
            assert TABLES | {VERSION_TABLE} <= set(inspect(store.engine).get_table_names())
            assert current_revision(store.engine) == HEAD
            with store.engine.connect() as connection:
                assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
                assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() > 0
                assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        finally:
            store.close()

    def test_migrated_schema_matches_the_models(self, store: ReviewStore):
        with store.engine.connect() as connection:
            differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
        # The version table is Alembic's own, not a model.
        assert [d for d in differences if not (d[0] == "remove_table" and d[1].name == VERSION_TABLE)] == []

    def test_opening_again_keeps_the_data(self, store_url: str):
        first = ReviewStore.open(store_url)
        first.save(review(), "anna", STAMP)
        first.close()
        again = ReviewStore.open(store_url)
        try:
            assert again.counts()["judgments"] == 1
            assert current_revision(again.engine) == HEAD
            assert again.signing_secret == first.signing_secret and len(again.signing_secret) == 32
        finally:
            again.close()

    @pytest.mark.slow
    def test_eight_processes_opening_a_new_database_at_once_all_get_a_store(self, store_url: str):
        # As eight `stadshus serve --workers 8` workers do on their first start: each migrates, then writes.
        context = multiprocessing.get_context("spawn")
        barrier = context.Manager().Barrier(8)
        with context.Pool(8) as pool:
            results = pool.starmap(open_and_judge, [(store_url, barrier, f"granskare{k}") for k in range(8)])
        assert [status for status, _ in results] == ["created"] * 8
        assert len({secret for _, secret in results}) == 1  # one signing secret, made once
        store = ReviewStore.open(store_url)
        try:
            assert store.counts()["judgments"] == 8 and current_revision(store.engine) == HEAD
        finally:
            store.close()

    def test_unusable_databases_are_refused_with_a_reason(self, tmp_path: Path):
        with pytest.raises(ReviewStoreUnavailable, match="måste vara en fil"):
            ReviewStore.open("sqlite://")
        (tmp_path / "a-file").write_text("")
        with pytest.raises(ReviewStoreUnavailable, match="kan inte skapa"):
            ReviewStore.open(f"sqlite:///{tmp_path}/a-file/reviews.db")
        refused = r"kan inte öppna granskningsdatabasen postgresql://u:\*\*\*@"
        with pytest.raises(ReviewStoreUnavailable, match=refused) as caught:
            ReviewStore.open(f"postgresql://u:hemligt@127.0.0.1:{_free_port()}/stadshus")
        assert "hemligt" not in str(caught.value)
        for url in ("inte-en-adress", "postgresql://u:hemligt@h:port/db"):
            with pytest.raises(ReviewStoreUnavailable, match="adress är ogiltig") as caught:
                ReviewStore.open(url)
            assert "hemligt" not in str(caught.value)


def open_and_judge(url: str, barrier, reviewer: str) -> tuple[str, str]:
    """Open the store at ``url`` when every other process is ready to, and store one judgment."""
    barrier.wait()
    store = ReviewStore.open(url)
    try:
        return store.save(review(), reviewer, STAMP).status, store.signing_secret.hex()
    finally:
        store.close()


# The store


class TestStore:
    def test_same_judgment_twice_is_stored_once(self, store: ReviewStore):
        assert store.save(review(), "anna", STAMP).status == "created"
        assert store.save(review(), "anna", STAMP).status == "unchanged"
        assert store.counts() == {"answers": 1, "answer_citations": 1, "judgments": 1, "citation_judgments": 1}

    def test_a_changed_verdict_updates_the_reviewers_judgment(self, store: ReviewStore):
        first = store.save(review(), "anna", STAMP).review
        saved = store.save(review(verdict="wrong", citations=[], comment="Fel siffra"), "anna", STAMP)
        assert saved.status == "updated"
        assert (saved.review.id, saved.review.verdict, saved.review.comment) == (first.id, "wrong", "Fel siffra")
        assert saved.review.citations[0].verdict is None
        assert saved.review.judged_at >= first.judged_at
        assert store.counts() == {"answers": 1, "answer_citations": 1, "judgments": 1, "citation_judgments": 0}

    def test_a_changed_citation_verdict_updates_it_in_place(self, store: ReviewStore):
        store.save(review(), "anna", STAMP)
        flipped = review(citations=[{"citation_id": 1, "verdict": "does_not_support", "comment": "Fel stycke"}])
        saved = store.save(flipped, "anna", STAMP)
        assert saved.status == "updated"
        citation = saved.review.citations[0]
        assert (citation.verdict, citation.comment) == ("does_not_support", "Fel stycke")
        assert store.counts()["citation_judgments"] == 1

    def test_reviewers_of_one_answer_share_its_row(self, store: ReviewStore):
        anna = store.save(review(), "anna", STAMP).review
        bo = store.save(review(verdict="partly_correct"), "bo", STAMP).review
        assert anna.answer_id == bo.answer_id and anna.id != bo.id
        assert store.counts()["answers"] == 1 and store.counts()["judgments"] == 2

    def test_the_same_answer_from_another_build_is_another_answer(self, store: ReviewStore):
        store.save(review(), "anna", STAMP)
        store.save(review(), "anna", IndexStamp("build-2", "index-hash", "answer-hash"))
        assert store.counts()["answers"] == 2

    def test_stored_fields(self, store: ReviewStore):
        saved = store.save(review(question="Vilka stadsdelar har medborgarvärdar?"), "anna", STAMP).review
        assert saved.question_type == "list"
        stamp = IndexStamp(saved.build_id, saved.index_settings_hash, saved.answer_settings_hash)
        assert stamp == STAMP
        assert saved.judged_at.tzinfo is not None and datetime.now(UTC) - saved.judged_at < timedelta(days=1)
        citation = saved.citations[0]
        stored = (citation.doc_id, citation.chunk_id, citation.start, citation.end, citation.verdict)
        assert stored == ("doc", "doc#1", 10, 46, "supports")
        assert store.get(saved.id) == saved
        assert store.get(saved.id + 1000) is None

    def test_filters(self, store: ReviewStore):
        day = datetime(2026, 3, 1, 12, tzinfo=UTC)
        store.save(review("Vilka stadsdelar har medborgarvärdar?"), "anna", STAMP, now=day)
        store.save(review("Hur många bostäder?", verdict="wrong"), "anna", STAMP, now=day + timedelta(days=1))
        later_build = IndexStamp("build-2", "h", "a")
        store.save(review("Hur många bostäder?", verdict="correct"), "bo", later_build, now=day + timedelta(days=2))

        def ids(**filters) -> list[tuple[str, str]]:
            return [(r.reviewer, r.verdict) for r in store.list_reviews(ReviewFilter(**filters)).items]

        assert ids() == [("bo", "correct"), ("anna", "wrong"), ("anna", "correct")]
        assert ids(reviewer="anna") == [("anna", "wrong"), ("anna", "correct")]
        assert ids(verdict="wrong") == [("anna", "wrong")]
        assert ids(question_type="list") == [("anna", "correct")]
        assert ids(build_id="build-2") == [("bo", "correct")]
        assert ids(since=day + timedelta(hours=1)) == [("bo", "correct"), ("anna", "wrong")]
        assert ids(until=day + timedelta(days=1)) == [("anna", "correct")]
        page = store.list_reviews(limit=1, offset=1)
        assert (page.total, [r.verdict for r in page.items]) == (3, ["wrong"])

    @pytest.mark.slow
    def test_eight_concurrent_reviewers_lose_nothing(self, store: ReviewStore):
        # 200 answers, each judged by all 8 reviewers: every answer row is raced for by 8 writers.
        def judge_all(reviewer: str) -> list[str]:
            return [store.save(review(f"Fråga nummer {i}?"), reviewer, STAMP).status for i in range(200)]

        with ThreadPoolExecutor(max_workers=8) as pool:
            statuses = [s for result in pool.map(judge_all, CROWD) for s in result]
        assert statuses == ["created"] * 1600
        counts = store.counts()
        assert counts == {"answers": 200, "answer_citations": 200, "judgments": 1600, "citation_judgments": 1600}


# Settings and keys


def plain(keys: dict[str, SecretStr]) -> dict[str, str]:
    return {name: key.get_secret_value() for name, key in keys.items()}


class TestSettings:
    def test_keys_as_pairs_or_json(self, monkeypatch: pytest.MonkeyPatch):
        monkeypatch.setenv("STADSHUS_REVIEWER_KEYS", " anna:anna-nyckel-0123456789 , bo:bo-nyckel-0123456789ab ")
        assert plain(Settings().reviewer_keys) == KEYS
        monkeypatch.setenv("STADSHUS_REVIEWER_KEYS", '{"anna": "anna-nyckel-0123456789"}')
        assert plain(Settings().reviewer_keys) == {"anna": "anna-nyckel-0123456789"}
        monkeypatch.delenv("STADSHUS_REVIEWER_KEYS")
        assert Settings().reviewer_keys == {}
        assert "anna-nyckel" not in repr(Settings(reviewer_keys=KEYS))

    @pytest.mark.parametrize(
        ("value", "message"),
        [
            ("anna-utan-namn-0123456789", "namn:nyckel"),
            ("anna:kort", "kortare än 16"),
            ("anna:", "är tom"),
            ("anna:nyckel med mellanslag", "synliga ASCII-tecken"),
            ("anna:nyckel-med-åäö-0123456789", "synliga ASCII-tecken"),
            (":namnlos-nyckel-0123456789", "utan namn"),
            ("anna:samma-nyckel-0123456789,bo:samma-nyckel-0123456789", "samma nyckel"),
            ("anna:anna-nyckel-0123456789,anna:anna-nyckel-9876543210", "flera gånger"),
            ('{"anna": "anna-nyckel-0123456789", "anna": "anna-nyckel-9876543210"}', "flera gånger"),
            ('{"anna": "anna-nyckel-0123456789"', "inte giltig JSON"),
            ('{"anna": 12345678901234567890}', "måste vara text"),
        ],
    )
    def test_bad_keys_turn_writing_off_with_a_reason(self, monkeypatch: pytest.MonkeyPatch, value: str, message: str):
        monkeypatch.setenv("STADSHUS_REVIEWER_KEYS", value)
        with pytest.raises(ValidationError, match=message):
            Settings()
        # Loaded for the service, the settings start without keys and say why.
        settings = load_settings()
        assert settings.reviewer_keys == {}
        assert message in settings.refused["reviewer_keys"] and "STADSHUS_REVIEWER_KEYS" in settings.refused["reviewer_keys"]
        assert not any(part in settings.refused["reviewer_keys"] for part in ("0123456789", "9876543210"))

    def test_db_url_default_and_environment(self, monkeypatch: pytest.MonkeyPatch):
        monkeypatch.delenv("STADSHUS_DB_URL", raising=False)
        assert Settings().db_url == "sqlite:///data/stadshus.db"
        monkeypatch.setenv("STADSHUS_DB_URL", "postgresql+psycopg://u@localhost/stadshus")
        assert Settings().db_url == "postgresql+psycopg://u@localhost/stadshus"

    @pytest.mark.parametrize("url", ["", "inte-en-adress", "postgresql://u@h:port/db", "mysql://u@h/db", "sqlite://"])
    def test_a_bad_db_url_turns_reviews_off(self, monkeypatch: pytest.MonkeyPatch, url: str):
        monkeypatch.setenv("STADSHUS_DB_URL", url)
        settings = load_settings()
        assert settings.db_url is None and settings.refused["db_url"].startswith("STADSHUS_DB_URL ")

    def test_reviewer_for_key(self):
        assert reviewer_for_key(SECRET_KEYS, KEYS["bo"]) == "bo"
        assert reviewer_for_key(SECRET_KEYS, KEYS["bo"][:-1]) is None
        assert reviewer_for_key(SECRET_KEYS, "å" * 20) is None

    def test_the_answer_hash_is_its_settings_group(self):
        assert answer_settings_hash(Settings()) == answer_settings_hash(Settings())
        for changed in ({"answer_passages": 3}, {"fusion": "rrf"}, {"llm_model": "annan"}, {"coverage_threshold": 0.6}):
            assert answer_settings_hash(Settings(**changed)) != answer_settings_hash(Settings()), changed
        for unchanged in ({"llm_api_key": "hemlig"}, {"index_dir": Path("annat")}, {"request_threads": 2}):
            assert answer_settings_hash(Settings(**unchanged)) == answer_settings_hash(Settings()), unchanged

    def test_the_signature_covers_what_is_stored(self):
        answer = review().answer
        signature = answer_signature(b"k" * 32, answer, "build-1")
        assert answer_signature(b"k" * 32, answer, "build-1") == signature
        assert answer_signature(b"k" * 32, answer, "build-2") != signature
        assert answer_signature(b"x" * 32, answer, "build-1") != signature
        for change in ({"question": "Annan?"}, {"answer": "Annat. [1]"}, {"supported": False}, {"generator": "llm:x"}):
            assert answer_signature(b"k" * 32, answer.model_copy(update=change), "build-1") != signature, change


# Cohen's kappa and the summary


class TestSummary:
    def test_kappa_of_a_hand_computed_table(self):
        # 50 items: both yes 20, A yes B no 5, A no B yes 10, both no 15.
        # p_o = 35/50 = 0.7; p_e = 0.5*0.6 + 0.5*0.4 = 0.5; kappa = (0.7-0.5)/(1-0.5) = 0.4.
        a = ["ja"] * 20 + ["ja"] * 5 + ["nej"] * 10 + ["nej"] * 15
        b = ["ja"] * 20 + ["nej"] * 5 + ["ja"] * 10 + ["nej"] * 15
        assert cohen_kappa(a, b) == pytest.approx(0.4)

    def test_kappa_matches_scikit_learn(self):
        metrics = pytest.importorskip("sklearn.metrics")
        a = ["correct", "wrong", "correct", "partly_correct", "should_have_abstained", "correct", "wrong", "correct"]
        b = ["correct", "wrong", "partly_correct", "partly_correct", "wrong", "correct", "correct", "correct"]
        assert cohen_kappa(a, b) == pytest.approx(metrics.cohen_kappa_score(a, b))

    def test_kappa_edges(self):
        assert cohen_kappa(["correct"] * 3, ["correct"] * 3) is None  # chance agreement 1: undefined
        assert cohen_kappa(["correct", "wrong"], ["correct", "wrong"]) == pytest.approx(1.0)
        assert cohen_kappa(["correct", "wrong"], ["wrong", "correct"]) == pytest.approx(-1.0)
        with pytest.raises(ValueError):
            cohen_kappa(["correct"], [])

    def test_summary_of_two_reviewers(self):
        # anna and bo judge answers 1-4: p_o = 3/4; p_e = (2*1 + 1*2 + 1*1)/16 = 5/16;
        # kappa = (3/4 - 5/16) / (1 - 5/16) = 7/11.
        anna = ["correct", "correct", "wrong", "partly_correct"]
        bo = ["correct", "wrong", "wrong", "partly_correct"]
        rows = [VerdictRow(i + 1, "anna", v, "list" if i == 0 else "fact", "b1") for i, v in enumerate(anna)]
        rows += [
            VerdictRow(i + 1, "bo", v, "list" if i == 0 else "fact", "b1" if i < 2 else "b2") for i, v in enumerate(bo)
        ]
        rows.append(VerdictRow(5, "cai", "correct", "fact", "b2"))  # judged by nobody else: no pair
        summary = summarize(rows)
        assert (summary.answers, summary.reviewers) == (5, 3)
        assert summary.overall.judgments == 9
        assert summary.overall.share_correct == pytest.approx(4 / 9)
        assert summary.overall.verdicts == {"correct": 4, "partly_correct": 2, "wrong": 3, "should_have_abstained": 0}
        assert summary.by_question_type["list"].share_correct == pytest.approx(1.0)
        assert summary.by_question_type["fact"].share_correct == pytest.approx(2 / 7)
        assert summary.by_build["b1"].judgments == 6 and summary.by_build["b2"].share_correct == pytest.approx(1 / 3)
        [pair] = summary.agreement
        assert (pair.reviewers, pair.answers, pair.observed_agreement) == (("anna", "bo"), 4, 0.75)
        assert pair.kappa == pytest.approx(7 / 11)

    def test_summary_from_the_store(self, store: ReviewStore):
        store.save(review("Fråga A?"), "anna", STAMP)
        store.save(review("Fråga A?", verdict="wrong"), "bo", STAMP)
        summary = store.summary()
        assert summary.overall.share_correct == pytest.approx(0.5)
        assert summary.agreement[0].reviewers == ("anna", "bo") and summary.agreement[0].observed_agreement == 0

    def test_empty_summary(self):
        summary = summarize([])
        assert summary.overall.share_correct is None and summary.agreement == []


# The API


@pytest.fixture(scope="module")
def real_answers(engine) -> dict[str, dict]:
    """Answers of the service over the real corpus, in the JSON /api/ask gives the page."""
    answers = {
        "fact": engine.answerer.ask(FACT_QUESTION),
        "list": engine.answerer.ask(LIST_QUESTION),
        "abstained": engine.answerer.ask("Hur många invånare har Malmö?"),
    }
    assert answers["fact"].citations and answers["list"].districts and not answers["abstained"].supported
    return {kind: ask_response(answer).model_dump(mode="json") for kind, answer in answers.items()}


def sign(answer: dict, store: ReviewStore, engine) -> dict:
    """``answer`` with the signature /api/ask gives it with ``store``'s secret."""
    unsigned = ReviewedAnswer.model_validate(answer | {"signature": UNCHECKED})
    return answer | {"signature": answer_signature(store.signing_secret, unsigned, engine.index.manifest.build_id)}


def make_app(store: ReviewStore, engine, keys: dict[str, str], writes_per_minute: int = 1000) -> FastAPI:
    """A minimal app serving the review router over ``store`` and ``engine``."""
    app = FastAPI()
    app.include_router(router)
    app.state.review_store = store
    app.state.review_engine = lambda: engine
    app.state.settings = make_settings(
        engine.settings.index_dir, reviewer_keys=keys, review_writes_per_minute=writes_per_minute
    )
    return app


@pytest.fixture
def sqlite_store(tmp_path: Path):
    opened = ReviewStore.open(f"sqlite:///{tmp_path}/reviews.db")
    yield opened
    opened.close()


@pytest.fixture
def client(sqlite_store: ReviewStore, engine) -> TestClient:
    with TestClient(make_app(sqlite_store, engine, KEYS | CROWD)) as test_client:
        yield test_client


@pytest.fixture
def signed_answers(real_answers, sqlite_store: ReviewStore, engine) -> dict[str, dict]:
    """The real answers signed as /api/ask signs them for ``sqlite_store``."""
    return {kind: sign(answer, sqlite_store, engine) for kind, answer in real_answers.items()}


def body(answer: dict, verdict: str = "correct", citations: list[dict] | None = None, **extra) -> dict:
    """A review request judging every citation of ``answer`` as supporting unless told otherwise."""
    if citations is None:
        citations = [{"citation_id": c["id"], "verdict": "supports"} for c in answer["citations"]]
    # A copy: tests spoil the body, and the answers are shared by the module.
    return {"answer": copy.deepcopy(answer), "verdict": verdict, "citations": citations} | extra


class TestApi:
    def test_submit_repeat_and_change(self, client: TestClient, sqlite_store: ReviewStore, signed_answers, engine):
        key = {"X-Reviewer-Key": KEYS["anna"]}
        created = client.post("/api/reviews", json=body(signed_answers["fact"]), headers=key)
        assert created.status_code == 201, created.text
        saved = created.json()
        assert saved["status"] == "created" and saved["review"]["reviewer"] == "anna"
        assert saved["review"]["build_id"] == engine.index.manifest.build_id
        assert saved["review"]["index_settings_hash"] == engine.index.manifest.settings_hash
        assert saved["review"]["answer_settings_hash"] == answer_settings_hash(engine.settings)
        assert saved["review"]["question_type"] == "fact"

        again = client.post("/api/reviews", json=body(signed_answers["fact"]), headers=key)
        assert (again.status_code, again.json()["status"]) == (200, "unchanged")
        changed = client.post(
            "/api/reviews", json=body(signed_answers["fact"], "partly_correct", comment="Saknar år"), headers=key
        )
        assert changed.status_code == 200
        assert (changed.json()["status"], changed.json()["review"]["comment"]) == ("updated", "Saknar år")
        assert sqlite_store.counts()["judgments"] == 1

    def test_list_answers_keep_their_district_lines(self, client: TestClient, signed_answers):
        response = client.post("/api/reviews", json=body(signed_answers["list"]), headers={"X-Reviewer-Key": KEYS["bo"]})
        assert response.status_code == 201, response.text
        stored = response.json()["review"]
        assert stored["question_type"] == "list"
        assert [d["name"] for d in stored["districts"]] == [d["name"] for d in signed_answers["list"]["districts"]]

    @pytest.mark.parametrize("headers", [{}, {"X-Reviewer-Key": "fel-nyckel-0123456789"}, {"X-Reviewer-Key": ""}])
    def test_no_key_or_a_wrong_key_is_401_and_writes_nothing(self, client, sqlite_store, signed_answers, headers):
        before = sqlite_store.counts()
        for payload in (body(signed_answers["fact"]), {"not": "a review"}):
            response = client.post("/api/reviews", json=payload, headers=headers)
            assert response.status_code == 401
            assert "granskarnyckel" in response.json()["detail"].lower()
        assert sqlite_store.counts() == before

    def test_whoami_checks_a_key_before_anything_is_judged(self, client, sqlite_store, engine):
        assert client.get("/api/reviews/whoami").json() == {"enabled": True, "reviewer": None}
        mine = client.get("/api/reviews/whoami", headers={"X-Reviewer-Key": KEYS["anna"]})
        assert (mine.status_code, mine.json()) == (200, {"enabled": True, "reviewer": "anna"})
        wrong = client.get("/api/reviews/whoami", headers={"X-Reviewer-Key": "fel-nyckel-0123456789"})
        assert wrong.status_code == 401 and "stämmer inte" in wrong.json()["detail"]
        with TestClient(make_app(sqlite_store, engine, {})) as off:
            for headers in ({}, {"X-Reviewer-Key": KEYS["anna"]}):
                assert off.get("/api/reviews/whoami", headers=headers).json() == {"enabled": False, "reviewer": None}

    def test_without_configured_keys_writing_is_off(self, sqlite_store, engine, signed_answers):
        with TestClient(make_app(sqlite_store, engine, {})) as off:
            key = {"X-Reviewer-Key": KEYS["anna"]}
            response = off.post("/api/reviews", json=body(signed_answers["fact"]), headers=key)
            assert (response.status_code, response.json()["detail"]) == (403, REVIEWS_OFF)
            assert off.get("/api/reviews").status_code == 200
        assert sqlite_store.counts()["judgments"] == 0

    @pytest.mark.parametrize(
        ("spoil", "where", "message"),
        [
            (
                lambda b: b["citations"].append({"citation_id": 99, "verdict": "supports"}),
                "citations",
                "finns inte i svaret",
            ),
            (
                lambda b: b["answer"]["citations"][0].update(quote="Hittills har 454 ärenden granskats."),
                "quote",
                "inte dokumentets text",
            ),
            (lambda b: b["answer"]["citations"][0].update(doc_id="finns-inte"), "doc_id", "finns inte i indexet"),
            (lambda b: b["answer"]["citations"][0].update(chunk_id="finns-inte#0"), "chunk_id", "textstycket"),
            (lambda b: b["answer"]["citations"][0].update(end=10**9), "end", "efter dokumentets slut"),
            (lambda b: b.update(build_id="en-annan-build"), "build_id", "indexversionen"),
            (lambda b: b.update(verdict="kanske"), "verdict", ""),
            (
                lambda b: b["answer"]["districts"].append({"name": "Atlantis", "citations": [1], "involvement": "har"}),
                "districts",
                "stadsdelen 'Atlantis' finns inte",
            ),
        ],
        ids=[
            "unknown-citation", "quote-mismatch", "unknown-doc", "unknown-chunk", "offsets-outside", "other-build",
            "bad-verdict", "unknown-district",
        ],
    )
    def test_answers_that_do_not_match_the_index_give_422(
        self, client, sqlite_store, signed_answers, engine, spoil, where, message
    ):
        # Signed again after spoiling, as if the service had given it: the checks behind the signature hold.
        payload = body(signed_answers["fact"])
        spoil(payload)
        payload["answer"] = sign(payload["answer"], sqlite_store, engine)
        response = client.post("/api/reviews", json=payload, headers={"X-Reviewer-Key": KEYS["anna"]})
        assert response.status_code == 422, response.text
        detail = response.json()["detail"]
        # A judged citation missing from the answer is caught by the body's validation, at the body itself.
        located = [error for error in detail if where in error["loc"] or where == "citations"]
        assert any(message in error["msg"] for error in located), detail
        assert sqlite_store.counts()["judgments"] == 0

    @pytest.mark.parametrize(
        "spoil",
        [
            lambda a: a["citations"][0].update(quote="Hittills har 454 ärenden granskats."),
            lambda a: a.update(answer="Rinkeby-Kista har granskat 454 ärenden. [1]"),
            lambda a: a.update(question="Hur många invånare har Atlantis?"),
            lambda a: a.update(signature="f" * 64),
        ],
        ids=["quote", "text", "question", "signature"],
    )
    def test_a_fabricated_answer_is_refused(self, client, sqlite_store, signed_answers, spoil):
        payload = body(signed_answers["fact"])
        spoil(payload["answer"])
        response = client.post("/api/reviews", json=payload, headers={"X-Reviewer-Key": KEYS["anna"]})
        assert response.status_code == 422, response.text
        [error] = response.json()["detail"]
        assert error["loc"] == ["body", "answer", "signature"] and "inte ett som tjänsten gav" in error["msg"]
        assert sqlite_store.counts()["answers"] == 0

    def test_a_signature_from_another_database_is_refused(self, client, sqlite_store, real_answers, engine, tmp_path):
        other = ReviewStore.open(f"sqlite:///{tmp_path}/annan.db")
        try:
            assert other.signing_secret != sqlite_store.signing_secret
            payload = body(sign(real_answers["fact"], other, engine))
        finally:
            other.close()
        response = client.post("/api/reviews", json=payload, headers={"X-Reviewer-Key": KEYS["anna"]})
        assert response.status_code == 422 and "signature" in response.text

    def test_the_service_signs_what_it_answers(self, sqlite_store, engine, real_answers):
        response = signed(ask_response(engine.answerer.ask(FACT_QUESTION)), sqlite_store.signing_secret, "b")
        unsigned = ReviewedAnswer.model_validate(response.model_dump() | {"signature": UNCHECKED})
        assert response.signature == answer_signature(sqlite_store.signing_secret, unsigned, "b")

    @pytest.mark.parametrize(
        ("where", "value"),
        [
            (("comment",), "Bra\x00svar"),
            (("answer", "question"), "Fråga\x00?"),
            (("citations", 0, "comment"), "\x00"),
            (("comment",), "x" * 2001),
        ],
        ids=["nul-comment", "nul-question", "nul-citation-comment", "long-comment"],
    )
    def test_text_fields_refuse_nul_and_are_bounded(self, client, sqlite_store, signed_answers, where, value):
        payload = body(signed_answers["fact"])
        target = payload
        for part in where[:-1]:
            target = target[part]
        target[where[-1]] = value
        response = client.post("/api/reviews", json=payload, headers={"X-Reviewer-Key": KEYS["anna"]})
        assert response.status_code == 422, response.text
        assert sqlite_store.counts()["judgments"] == 0

    @pytest.mark.parametrize("params", [{"reviewer": "\x00"}, {"build_id": "a\x00b"}, {"until": "0.5"}, {"since": "1700000000"}])
    def test_listing_refuses_what_its_schema_refuses(self, client, params):
        assert client.get("/api/reviews", params=params).status_code == 422

    def test_writes_are_limited_per_reviewer(self, sqlite_store, engine, signed_answers):
        with TestClient(make_app(sqlite_store, engine, KEYS, writes_per_minute=2)) as limited:
            anna, bo = {"X-Reviewer-Key": KEYS["anna"]}, {"X-Reviewer-Key": KEYS["bo"]}
            assert limited.post("/api/reviews", json=body(signed_answers["fact"]), headers=anna).status_code == 201
            assert limited.post("/api/reviews", json=body(signed_answers["list"]), headers=anna).status_code == 201
            # Sending a stored judgment again writes nothing and is not counted.
            assert limited.post("/api/reviews", json=body(signed_answers["fact"]), headers=anna).status_code == 200
            refused = limited.post("/api/reviews", json=body(signed_answers["fact"], "wrong"), headers=anna)
            assert refused.status_code == 429 and 1 <= int(refused.headers["Retry-After"]) <= 60
            assert "2 bedömningar" in refused.json()["detail"]
            assert limited.post("/api/reviews", json=body(signed_answers["fact"]), headers=bo).status_code == 201
        assert sqlite_store.counts()["judgments"] == 3
        assert sqlite_store.get(1).verdict == "correct"  # the refused change was not written

    def test_the_write_limit_window_moves_on(self, sqlite_store: ReviewStore):
        start = datetime(2026, 3, 1, 12, tzinfo=UTC)
        sqlite_store.save(review("A?"), "anna", STAMP, now=start, writes_per_minute=1)
        with pytest.raises(WriteLimitReached):
            sqlite_store.save(review("B?"), "anna", STAMP, now=start + timedelta(seconds=59), writes_per_minute=1)
        assert sqlite_store.save(review("B?"), "anna", STAMP, now=start + timedelta(seconds=61), writes_per_minute=1)

    def test_an_abstention_cannot_be_judged_should_have_abstained(self, client, signed_answers):
        payload = body(signed_answers["abstained"], "should_have_abstained")
        response = client.post("/api/reviews", json=payload, headers={"X-Reviewer-Key": KEYS["anna"]})
        assert response.status_code == 422 and "avstod redan" in response.text

    def test_listing_and_summary(self, client: TestClient, signed_answers):
        anna, bo = {"X-Reviewer-Key": KEYS["anna"]}, {"X-Reviewer-Key": KEYS["bo"]}
        client.post("/api/reviews", json=body(signed_answers["fact"]), headers=anna)
        client.post("/api/reviews", json=body(signed_answers["fact"], "wrong"), headers=bo)
        client.post("/api/reviews", json=body(signed_answers["list"], "partly_correct"), headers=anna)
        everything = client.get("/api/reviews").json()
        assert everything["total"] == 3 and len(everything["items"]) == 3
        annas = client.get("/api/reviews", params={"reviewer": "anna"}).json()["items"]
        assert [r["verdict"] for r in annas] == ["partly_correct", "correct"]
        assert client.get("/api/reviews", params={"question_type": "list"}).json()["total"] == 1
        assert client.get("/api/reviews", params={"verdict": "wrong"}).json()["items"][0]["reviewer"] == "bo"
        assert client.get("/api/reviews", params={"since": "2000-01-01T00:00:00Z", "limit": 2}).json()["total"] == 3
        assert client.get("/api/reviews", params={"until": "2000-01-01T00:00:00+01:00"}).json()["total"] == 0
        assert client.get("/api/reviews", params={"limit": 0}).status_code == 422
        assert client.get("/api/reviews", params={"since": "2000-01-01T00:00:00"}).status_code == 422  # no time zone
        summary = client.get("/api/reviews/summary").json()
        assert summary["overall"]["share_correct"] == pytest.approx(1 / 3)
        assert set(summary["by_question_type"]) == {"fact", "list"}
        assert summary["agreement"] == [
            {"reviewers": ["anna", "bo"], "answers": 1, "observed_agreement": 0.0, "kappa": 0.0}
        ]

    def test_missing_store_or_engine_is_503(self):
        app = FastAPI()
        app.include_router(router)
        with TestClient(app) as bare:
            assert bare.get("/api/reviews").status_code == 503
            assert "inte öppnad" in bare.get("/api/reviews/summary").json()["detail"]

    @pytest.mark.slow
    def test_eight_concurrent_reviewers_through_the_app(self, sqlite_store: ReviewStore, engine, signed_answers):
        app = make_app(sqlite_store, engine, CROWD)
        variants = [
            sign(signed_answers["fact"] | {"question": f"{FACT_QUESTION} (variant {i})"}, sqlite_store, engine)
            for i in range(200)
        ]

        def judge_all(reviewer: str) -> list[int]:
            with TestClient(app) as own:
                headers = {"X-Reviewer-Key": CROWD[reviewer]}
                return [own.post("/api/reviews", json=body(answer), headers=headers).status_code for answer in variants]

        with ThreadPoolExecutor(max_workers=8) as pool:
            codes = [code for result in pool.map(judge_all, CROWD) for code in result]
        assert codes == [201] * 1600
        counts = sqlite_store.counts()
        assert (counts["answers"], counts["judgments"]) == (200, 1600)
