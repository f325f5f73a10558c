"""The review API inside the service: the store opened in the lifespan (and closed after it), keys from
the review settings, citations checked against the engine the service serves, a review database that
cannot be opened costing the review routes only (503), and malformed reviewer keys costing writing only
(503), while the rest of the service works."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from service.api.main import create_app
from service.reviews.routes import KEYS_INVALID
from service.reviews.store import ReviewSettings, ReviewStore, get_review_settings
from tests.conftest import make_settings

KEYS = {"anna": "anna-nyckel-0123456789", "bo": "bo-nyckel-0123456789ab"}
# STADSHUS_REVIEWER_KEYS values that cannot be used, the English reason logged, and the keys they hold.
MALFORMED_KEYS = [
    pytest.param("anna", "entry 1 has no ':'", ["anna"], id="no-colon"),
    pytest.param("anna:kortnyckel", "the key of 'anna' is shorter than 16 characters", ["kortnyckel"], id="short-key"),
    pytest.param('{"anna": "anna-nyckel-0123456789"', "is not valid JSON", [KEYS["anna"]], id="broken-json"),
    pytest.param(
        '{"anna": "anna-nyckel-0123456789", "anna": "anna-nyckel-9876543210"}',
        "names 'anna' more than once",
        [KEYS["anna"], "anna-nyckel-9876543210"],
        id="name-twice-json",
    ),
    pytest.param(
        "anna:anna-nyckel-0123456789,anna:anna-nyckel-9876543210",
        "names 'anna' more than once",
        [KEYS["anna"], "anna-nyckel-9876543210"],
        id="name-twice-pairs",
    ),
    pytest.param(
        "anna:samma-nyckel-0123456789,bo:samma-nyckel-0123456789",
        "gives two reviewers the same key",
        ["samma-nyckel-0123456789"],
        id="key-twice",
    ),
]
QUESTION = "Vilka stadsdelar arbetar med medborgarvärdar?"


def judgment(answer: dict, verdict: str, citation_verdicts: dict[int, str], comment: str | None = None) -> dict:
    """A review request for ``answer`` exactly as /api/ask returned it."""
    citations = [{"citation_id": number, "verdict": verdict} for number, verdict in citation_verdicts.items()]
    return {"answer": answer, "verdict": verdict, "comment": comment, "citations": citations}


@pytest.fixture
def database(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'granskning' / 'reviews.db'}"


@pytest.fixture
def client(engine, database: str) -> TestClient:
    app = create_app(engine=engine, review_settings=ReviewSettings(db_url=database, reviewer_keys=KEYS))
    with TestClient(app) as client:
        yield client


@pytest.fixture(scope="module")
def answer(engine, tmp_path_factory) -> dict:
    """A real answer of the service, as the page receives it."""
    database = tmp_path_factory.mktemp("answer") / "reviews.db"
    with TestClient(create_app(engine=engine, review_settings=ReviewSettings(db_url=f"sqlite:///{database}"))) as c:
        body = c.post("/api/ask", json={"question": QUESTION}).json()
    assert body["supported"] and len(body["citations"]) >= 2 and body["districts"]
    return body


def test_without_a_key_writing_is_refused(client, answer):
    response = client.post("/api/reviews", json=judgment(answer, "correct", {1: "supports"}))
    assert response.status_code == 401
    assert "X-Reviewer-Key" in response.json()["detail"]
    wrong = client.post(
        "/api/reviews", json=judgment(answer, "correct", {}), headers={"X-Reviewer-Key": "x" * 20}
    )
    assert wrong.status_code == 401
    assert client.get("/api/reviews").json()["total"] == 0


def test_a_judgment_round_trips(client, answer, engine):
    key = {"X-Reviewer-Key": KEYS["anna"]}
    sent = judgment(answer, "partly_correct", {1: "supports", 2: "does_not_support"}, "Källa 2 gäller något annat.")
    created = client.post("/api/reviews", json=sent, headers=key)
    assert created.status_code == 201, created.text
    assert created.json()["status"] == "created"

    page = client.get("/api/reviews").json()
    assert page["total"] == 1
    stored = page["items"][0]
    assert (stored["reviewer"], stored["verdict"], stored["comment"]) == ("anna", "partly_correct", "Källa 2 gäller något annat.")
    assert (stored["question"], stored["answer"], stored["question_type"]) == (QUESTION, answer["answer"], "list")
    assert stored["build_id"] == engine.index.manifest.build_id
    assert [d["name"] for d in stored["districts"]] == [d["name"] for d in answer["districts"]]
    verdicts = {c["citation_id"]: c["verdict"] for c in stored["citations"]}
    assert verdicts == {c["id"]: None for c in answer["citations"]} | {1: "supports", 2: "does_not_support"}
    for citation, original in zip(stored["citations"], answer["citations"]):
        assert (citation["quote"], citation["start"], citation["end"]) == (original["quote"], original["start"], original["end"])

    bo = client.post("/api/reviews", json=judgment(answer, "correct", {1: "supports"}), headers={"X-Reviewer-Key": KEYS["bo"]})
    assert bo.status_code == 201
    again = client.post("/api/reviews", json=sent, headers=key)
    assert (again.status_code, again.json()["status"]) == (200, "unchanged")

    summary = client.get("/api/reviews/summary").json()
    assert (summary["answers"], summary["reviewers"]) == (1, 2)
    assert summary["overall"]["judgments"] == 2 and summary["overall"]["share_correct"] == 0.5
    assert summary["by_question_type"]["list"]["judgments"] == 2
    assert summary["by_build"] == {engine.index.manifest.build_id: summary["overall"]}
    assert summary["agreement"][0]["reviewers"] == ["anna", "bo"]
    assert summary["agreement"][0]["observed_agreement"] == 0.0

    filtered = client.get("/api/reviews", params={"reviewer": "bo"}).json()
    assert [item["verdict"] for item in filtered["items"]] == ["correct"]


def test_a_quote_that_is_not_the_document_is_refused(client, answer):
    spoiled = {**answer, "citations": [{**answer["citations"][0], "quote": "Något som inte står där."}, *answer["citations"][1:]]}
    response = client.post("/api/reviews", json=judgment(spoiled, "correct", {1: "supports"}), headers={"X-Reviewer-Key": KEYS["anna"]})
    assert response.status_code == 422
    assert isinstance(response.json()["detail"], str)
    assert client.get("/api/reviews").json()["total"] == 0


def test_the_store_is_opened_in_the_lifespan_and_closed_after_it(engine, database):
    app = create_app(engine=engine, review_settings=ReviewSettings(db_url=database, reviewer_keys=KEYS))
    assert app.state.review_store is None
    with TestClient(app):
        store = app.state.review_store
        assert isinstance(store, ReviewStore)
        assert Path(database.removeprefix("sqlite:///")).is_file()
    assert app.state.review_store is None


def test_an_unusable_database_costs_only_the_review_routes(engine, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder", encoding="utf-8")
    settings = ReviewSettings(db_url=f"sqlite:///{blocker}/reviews.db", reviewer_keys=KEYS)
    with TestClient(create_app(engine=engine, review_settings=settings)) as client:
        for response in (
            client.get("/api/reviews"),
            client.get("/api/reviews/summary"),
            client.post("/api/reviews", json={}, headers={"X-Reviewer-Key": KEYS["anna"]}),
        ):
            assert response.status_code == 503
            assert "Granskningsdatabasen" in response.json()["detail"]
        assert client.get("/healthz").json()["status"] == "ok"
        assert client.get("/api/search", params={"q": "trygghet"}).status_code == 200
        assert client.get("/granskning").status_code == 200


def test_without_an_index_the_review_routes_say_why(tmp_path, answer):
    settings = make_settings(tmp_path / "no-index")
    reviews = ReviewSettings(db_url=f"sqlite:///{tmp_path / 'reviews.db'}", reviewer_keys=KEYS)
    with TestClient(create_app(settings=settings, review_settings=reviews)) as client:
        health = client.get("/healthz").json()
        response = client.post("/api/reviews", json=judgment(answer, "correct", {}), headers={"X-Reviewer-Key": KEYS["anna"]})
        assert response.status_code == 503
        assert response.json()["detail"] == health["message"]
        # Reading needs no index: the stored judgments stay readable.
        assert client.get("/api/reviews").json()["total"] == 0


def test_the_review_page_is_served_with_the_page_policy(client):
    response = client.get("/granskning")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert '<script type="module" src="/static/granskning.js"></script>' in response.text
    assert "<style" not in response.text and " style=" not in response.text
    assert client.get("/static/granskning.js").status_code == 200


@pytest.fixture
def environment_review_settings(monkeypatch, tmp_path):
    """Review settings read from the environment (as ``stadshus serve`` reads them), with a database of the
    test's own; set ``STADSHUS_REVIEWER_KEYS`` in the test."""
    monkeypatch.setenv("STADSHUS_DB_URL", f"sqlite:///{tmp_path / 'reviews.db'}")
    get_review_settings.cache_clear()
    yield
    get_review_settings.cache_clear()


@pytest.mark.parametrize(("keys", "reason", "secrets"), MALFORMED_KEYS)
def test_malformed_reviewer_keys_cost_writing_only(
    engine, answer, environment_review_settings, monkeypatch, caplog, keys, reason, secrets
):
    monkeypatch.setenv("STADSHUS_REVIEWER_KEYS", keys)
    with caplog.at_level(logging.WARNING, logger="stadshus.api"), TestClient(create_app(engine=engine)) as client:
        sent = judgment(answer, "correct", {1: "supports"})
        for key in (KEYS["anna"], "fel-nyckel-0123456789", None):
            response = client.post("/api/reviews", json=sent, headers={"X-Reviewer-Key": key} if key else {})
            assert response.status_code == 503
            assert response.json()["detail"] == KEYS_INVALID
            assert not any(secret in response.text for secret in secrets)
        # Reading needs no key: the database is open, and nothing was written.
        assert client.get("/api/reviews").json()["total"] == 0
        assert client.get("/api/reviews/summary").status_code == 200
        assert client.get("/granskning").status_code == 200
        health = client.get("/healthz").json()
        assert (health["status"], health["reviews"]) == ("ok", KEYS_INVALID)
        assert client.get("/api/search", params={"q": "trygghet"}).status_code == 200
        assert client.post("/api/ask", json={"question": QUESTION}).status_code == 200
    logged = [record.getMessage() for record in caplog.records]
    assert any(reason in line and "STADSHUS_REVIEWER_KEYS" in line for line in logged), logged
    assert not any(secret in line for line in logged for secret in secrets)


def test_well_formed_keys_leave_nothing_to_report(engine, environment_review_settings, monkeypatch):
    monkeypatch.setenv("STADSHUS_REVIEWER_KEYS", ",".join(f"{name}:{key}" for name, key in KEYS.items()))
    with TestClient(create_app(engine=engine)) as client:
        assert client.get("/healthz").json()["reviews"] is None
        response = client.post("/api/reviews", json={}, headers={"X-Reviewer-Key": "fel-nyckel-0123456789"})
        assert response.status_code == 401
