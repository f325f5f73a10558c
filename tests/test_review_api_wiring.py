"""The review API inside the service: the store opened in the lifespan (and closed after it), keys from
the settings, answers signed by /api/ask and checked against the engine the service serves, a review
database that cannot be opened (or whose URL is refused) costing the review routes only (503), and
refused reviewer keys costing writing only (503), while the rest of the service works."""

from __future__ import annotations

import copy
import logging
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from indexer.settings import load_settings
from service.api.main import create_app
from service.reviews.routes import DATABASE_URL_INVALID, KEYS_INVALID
from service.reviews.store import ReviewStore
from tests.conftest import GAZETTEER, make_settings

KEYS = {"anna": "anna-nyckel-0123456789", "bo": "bo-nyckel-0123456789ab"}
# STADSHUS_REVIEWER_KEYS values that cannot be used, the reason logged, and the keys they hold.
MALFORMED_KEYS = [
    pytest.param("anna", "har inget ':' i post 1", ["anna"], id="no-colon"),
    pytest.param("anna:kortnyckel", "ger granskaren anna en nyckel som är kortare än 16 tecken", ["kortnyckel"], id="short-key"),
    pytest.param("anna:", "ger granskaren anna en nyckel som är tom", [], id="empty-key"),
    pytest.param('{"anna": "anna-nyckel-0123456789"', "är inte giltig JSON", [KEYS["anna"]], id="broken-json"),
    pytest.param(
        '{"anna": "anna-nyckel-0123456789", "anna": "anna-nyckel-9876543210"}',
        "nämner granskaren anna flera gånger",
        [KEYS["anna"], "anna-nyckel-9876543210"],
        id="name-twice-json",
    ),
    pytest.param(
        "anna:anna-nyckel-0123456789,anna:anna-nyckel-9876543210",
        "nämner granskaren anna flera gånger",
        [KEYS["anna"], "anna-nyckel-9876543210"],
        id="name-twice-pairs",
    ),
    pytest.param(
        "anna:samma-nyckel-0123456789,bo:samma-nyckel-0123456789",
        "ger två granskare samma nyckel",
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
    app = create_app(settings=make_settings(engine.settings.index_dir, db_url=database, reviewer_keys=KEYS), engine=engine)
    with TestClient(app) as client:
        yield client


@pytest.fixture
def answer(client) -> dict:
    """A real answer of the service, as the page receives it (signed with the client's review database)."""
    body = client.post("/api/ask", json={"question": QUESTION}).json()
    assert body["supported"] and len(body["citations"]) >= 2 and body["districts"]
    assert len(body["signature"]) == 64
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


@pytest.mark.parametrize(
    "spoil",
    [
        lambda a: a["citations"][0].update(quote="Något som inte står där."),
        lambda a: a.update(answer=a["answer"] + " Dessutom har Atlantis medborgarvärdar."),
        lambda a: a["districts"].append({"name": "Atlantis", "citations": [1], "involvement": "har"}),
        lambda a: a.update(supported=False),
    ],
    ids=["quote", "text", "district", "supported"],
)
def test_an_answer_the_service_did_not_give_is_refused(client, answer, spoil):
    spoiled = copy.deepcopy(answer)
    spoil(spoiled)
    response = client.post("/api/reviews", json=judgment(spoiled, "correct", {1: "supports"}), headers={"X-Reviewer-Key": KEYS["anna"]})
    assert response.status_code == 422
    assert "signature" in response.json()["detail"]
    assert client.get("/api/reviews").json()["total"] == 0


def test_an_answer_without_its_signature_is_refused(client, answer):
    unsigned = {key: value for key, value in answer.items() if key != "signature"}
    response = client.post("/api/reviews", json=judgment(unsigned, "correct", {}), headers={"X-Reviewer-Key": KEYS["anna"]})
    assert response.status_code == 422
    assert client.get("/api/reviews").json()["total"] == 0


def test_a_key_is_checked_before_the_body_is_read(client):
    for headers in ({}, {"X-Reviewer-Key": "fel-nyckel-0123456789"}):
        broken = client.post("/api/reviews", content=b"{not json", headers={**headers, "Content-Type": "application/json"})
        assert broken.status_code == 401, broken.text


def test_the_store_is_opened_in_the_lifespan_and_closed_after_it(engine, database):
    app = create_app(settings=make_settings(engine.settings.index_dir, db_url=database, reviewer_keys=KEYS), engine=engine)
    assert app.state.review_store is None
    with TestClient(app):
        store = app.state.review_store
        assert isinstance(store, ReviewStore)
        assert Path(database.removeprefix("sqlite:///")).is_file()
    assert app.state.review_store is None


def test_an_unusable_database_costs_only_the_review_routes(engine, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder", encoding="utf-8")
    settings = make_settings(engine.settings.index_dir, db_url=f"sqlite:///{blocker}/reviews.db", reviewer_keys=KEYS)
    with TestClient(create_app(settings=settings, engine=engine)) as client:
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
    settings = make_settings(tmp_path / "no-index", db_url=f"sqlite:///{tmp_path / 'reviews.db'}", reviewer_keys=KEYS)
    with TestClient(create_app(settings=settings)) as client:
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


def environment_settings(engine, tmp_path: Path) -> object:
    """The settings ``stadshus serve`` reads (the environment's, set by the test with monkeypatch) over the
    session index, with a review database of the test's own."""
    return load_settings(
        index_dir=engine.settings.index_dir, gazetteer=GAZETTEER, db_url=f"sqlite:///{tmp_path / 'reviews.db'}"
    )


@pytest.mark.parametrize(("keys", "reason", "secrets"), MALFORMED_KEYS)
def test_malformed_reviewer_keys_cost_writing_only(engine, answer, monkeypatch, tmp_path, caplog, keys, reason, secrets):
    monkeypatch.setenv("STADSHUS_REVIEWER_KEYS", keys)
    settings = environment_settings(engine, tmp_path)
    assert settings.reviewer_keys == {} and reason in settings.refused["reviewer_keys"]
    with caplog.at_level(logging.WARNING, logger="stadshus.api"), TestClient(create_app(settings, engine)) as client:
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


@pytest.mark.parametrize("url", ["inte-en-adress", "postgresql://u@h:port/db", "mysql://u@localhost/db", "sqlite://"])
def test_a_refused_database_url_starts_the_service_without_reviews(engine, monkeypatch, tmp_path, caplog, url):
    monkeypatch.setenv("STADSHUS_DB_URL", url)
    settings = load_settings(index_dir=engine.settings.index_dir, gazetteer=GAZETTEER, reviewer_keys=KEYS)
    assert settings.db_url is None and "STADSHUS_DB_URL" in settings.refused["db_url"]
    with caplog.at_level(logging.ERROR, logger="stadshus.api"), TestClient(create_app(settings, engine)) as client:
        health = client.get("/healthz").json()
        assert (health["status"], health["reviews"]) == ("ok", DATABASE_URL_INVALID)
        for response in (client.get("/api/reviews"), client.get("/api/reviews/summary")):
            assert response.status_code == 503
        assert client.get("/api/search", params={"q": "trygghet"}).status_code == 200
        assert client.post("/api/ask", json={"question": QUESTION}).json()["signature"] is None
    assert any("STADSHUS_DB_URL" in record.getMessage() for record in caplog.records)


def test_well_formed_keys_leave_nothing_to_report(engine, monkeypatch, tmp_path):
    monkeypatch.setenv("STADSHUS_REVIEWER_KEYS", ",".join(f"{name}:{key}" for name, key in KEYS.items()))
    with TestClient(create_app(environment_settings(engine, tmp_path), engine)) as client:
        assert client.get("/healthz").json()["reviews"] is None
        response = client.post("/api/reviews", json={}, headers={"X-Reviewer-Key": "fel-nyckel-0123456789"})
        assert response.status_code == 401
