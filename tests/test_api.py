"""The HTTP API over the real corpus: responses, filters, errors in Swedish, security headers, and a
service that starts without an index."""

from __future__ import annotations

import json
import re
import shutil
from concurrent.futures import ThreadPoolExecutor
from html.parser import HTMLParser
from pathlib import Path

import anyio.to_thread
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from indexer.storage import Manifest, manifest_checksum
from service.api import main as api_main
from service.api.main import create_app
from service.cli import app as cli_app
from tests.conftest import CORPUS, make_settings

WEB = Path(__file__).resolve().parents[1] / "service" / "web"
LIST_QUESTION = "vilka stadsdelar arbetar med medborgarvärdar?"
SECURITY_HEADERS = ("content-security-policy", "x-content-type-options", "referrer-policy")


@pytest.fixture(scope="module")
def client(engine, app_settings) -> TestClient:
    with TestClient(create_app(settings=app_settings, engine=engine)) as client:
        yield client


def assert_swedish_error(response, status: int) -> str:
    """The response has ``status`` and a one-sentence string detail; returns the detail."""
    assert response.status_code == status, response.text
    detail = response.json()["detail"]
    assert isinstance(detail, str) and detail
    assert "Traceback" not in detail
    return detail


# Health, listing and documents


def test_health_reports_the_loaded_index(client, engine):
    body = client.get("/healthz").json()
    assert body["status"] == "ok" and body["index_loaded"] is True
    assert body["documents"] == len(engine.index.documents) == 5
    assert body["chunks"] == len(engine.index.chunks)
    assert body["embedder"] == engine.settings.embedder
    assert body["build"] == engine.index.manifest.build_id


def test_the_app_wires_its_parts_without_dependency_overrides(engine):
    # With any override set, FastAPI analyses every route's dependencies again on every request.
    assert create_app(engine=engine).dependency_overrides == {}


def test_documents_are_the_corpus_files(client):
    documents = client.get("/api/documents").json()
    assert sorted(d["doc_id"] for d in documents) == sorted(p.stem for p in CORPUS.glob("*.txt"))
    assert sum(d["chunks"] for d in documents) == client.get("/healthz").json()["chunks"]
    rinkeby = next(d for d in documents if d["doc_id"] == "rinkeby-kista-lup-2017-2022")
    assert rinkeby["districts"] == ["Rinkeby-Kista"] and rinkeby["period"] == "2017–2022"


def test_document_detail_has_text_sections_pages_and_passage(client, engine):
    document = engine.index.documents["rinkeby-kista-lup-2017-2022"]
    body = client.get(f"/api/documents/{document.doc_id}", params={"start": 100, "end": 160}).json()
    assert body["text"] == document.text
    assert body["passage"] == {"start": 100, "end": 160, "text": document.text[100:160]}
    assert len(body["sections"]) == len(document.sections) > 0
    assert all(0 <= s["start"] <= s["end"] <= len(document.text) for s in body["sections"])
    assert body["pages"] == [{"number": p.number, "start": p.start, "end": p.end} for p in document.pages]
    assert client.get(f"/api/documents/{document.doc_id}").json()["passage"] is None


@pytest.mark.parametrize(
    "params",
    [{"start": 10, "end": 5}, {"start": 0, "end": 10_000_000}, {"start": 5}, {"end": 5}, {"start": -1, "end": 3}],
)
def test_document_passage_out_of_range_is_422(client, params):
    response = client.get("/api/documents/norrmalm-naringsliv-2022", params=params)
    assert_swedish_error(response, 422)


@pytest.mark.parametrize(
    "raw_path",
    [
        "/api/documents/unknown-document",
        "/api/documents/..",
        "/api/documents/%2e%2e",
        "/api/documents/%2e%2e%2fetc%2fpasswd",
        "/api/documents/..%2F..%2F..%2Fetc%2Fpasswd",
        "/api/documents/%2Fetc%2Fpasswd",
        "/api/documents/norrmalm-naringsliv-2022.txt",
        "/api/documents/corpus%2Fnorrmalm-naringsliv-2022",
        "/api/documents/%2e%2e%2fcorpus%2fnorrmalm-naringsliv-2022",
        "/api/documents/norrmalm-naringsliv-2022%00",
        "/api/documents/norrmalm-naringsliv-2022/",
        "/api/documents/" + "a" * 300,
    ],
)
def test_document_ids_never_reach_the_filesystem(client, raw_path):
    response = client.get(raw_path)
    assert response.status_code in (404, 422), (raw_path, response.status_code)
    assert_swedish_error(response, response.status_code)
    assert "root:" not in response.text and "UPPFÖLJNINGSRAPPORT" not in response.text


def test_unknown_document_message_is_swedish(client):
    detail = assert_swedish_error(client.get("/api/documents/finns-inte"), 404)
    assert "finns inte" in detail


def test_districts_come_from_the_gazetteer(client, engine):
    districts = client.get("/api/districts").json()
    assert [d["name"] for d in districts] == list(engine.gazetteer.names)
    rinkeby = next(d for d in districts if d["name"] == "Rinkeby-Kista")
    assert "Husby" in rinkeby["places"] and rinkeby["region"]


# Search


def test_search_is_exactly_the_cli_json(client, cli_env):
    query = "medborgarvärdar trygghet"
    api = client.get("/api/search", params={"q": query, "k": 5, "mode": "hybrid"}).json()
    result = CliRunner().invoke(cli_app, ["search", query, "--k", "5", "--json"])
    assert result.exit_code == 0, result.output
    assert api == json.loads(result.stdout)
    assert len(api["results"]) == 5


@pytest.mark.parametrize("mode", ["hybrid", "dense", "bm25"])
def test_search_modes(client, engine, mode):
    body = client.get("/api/search", params={"q": "medborgarvärdar", "k": 3, "mode": mode}).json()
    assert body["mode"] == mode
    assert [r["rank"] for r in body["results"]] == [1, 2, 3]
    for result in body["results"]:
        document = engine.index.documents[result["doc_id"]]
        assert document.text[result["start"] : result["end"]] == result["text"]


def test_year_means_year_from_and_year_to(client):
    one = client.get("/api/search", params={"q": "näringsliv", "k": 20, "year": 2017}).json()
    both = client.get("/api/search", params={"q": "näringsliv", "k": 20, "year_from": 2017, "year_to": 2017}).json()
    assert one == both
    # The 2022 follow-up reports do not cover 2017; the 2017-2022 programme and the 2017 plan do.
    covering_2017 = {"rinkeby-kista-lup-2017-2022", "socialforvaltningen-lokala-utvecklingsplaner-2017"}
    assert {r["doc_id"] for r in one["results"]} <= covering_2017
    assert one["results"]


def test_district_and_document_filters(client):
    by_district = client.get("/api/search", params={"q": "trygghet", "district": "skärholmen"}).json()
    assert by_district["results"] and all("Skärholmen" in r["districts"] for r in by_district["results"])
    by_doc = client.get("/api/search", params={"q": "företag", "doc": "norrmalm-naringsliv-2022"}).json()
    assert by_doc["results"] and {r["doc_id"] for r in by_doc["results"]} == {"norrmalm-naringsliv-2022"}


def test_concurrent_requests_get_the_same_answers(client):
    # Routes run in a thread pool: searches in parallel must not disturb each other (the embedder is native code).
    queries = ["medborgarvärdar", "trygghet i Tensta", "företagare i Kista", "nattvandring"] * 3
    one_at_a_time = {q: client.get("/api/search", params={"q": q, "k": 5}).json() for q in set(queries)}
    with ThreadPoolExecutor(max_workers=6) as pool:
        together = list(pool.map(lambda q: client.get("/api/search", params={"q": q, "k": 5}).json(), queries))
    assert together == [one_at_a_time[q] for q in queries]


# Ask


def test_ask_list_question_cites_verbatim_quotes(client):
    body = client.post("/api/ask", json={"question": LIST_QUESTION}).json()
    assert body["supported"] is True and body["generator"] == "extractive"
    names = [d["name"] for d in body["districts"]]
    assert "Skärholmen" in names and "Spånga-Tensta" in names
    ids = {c["id"] for c in body["citations"]}
    for line in body["districts"]:
        assert line["involvement"] in ("har", "kommer att", "planerar", "nämner")
        assert line["citations"] and set(line["citations"]) <= ids
    for citation in body["citations"]:
        passage = client.get(
            f"/api/documents/{citation['doc_id']}", params={"start": citation["start"], "end": citation["end"]}
        ).json()["passage"]
        assert passage["text"] == citation["quote"]


def test_ask_with_district_answers_from_that_district(client):
    body = client.post("/api/ask", json={"question": "Vad gör medborgarvärdarna?", "district": "Skärholmen"}).json()
    assert body["supported"] is True
    assert all("Skärholmen" in c["districts"] for c in body["citations"])


def test_ask_abstains_with_related_passages(client):
    # Near the documents' topics but not answered by them: the nearest passages are offered.
    body = client.post("/api/ask", json={"question": "Hur många cykelparkeringar finns vid Kista busstorg?"}).json()
    assert body["supported"] is False and body["gaps"] == ["antal"]
    assert body["answer"].startswith("Dokumenten anger ingen siffra för det.")
    assert body["related"]
    # Near nothing in them: no passage passes the search page's relevance floor, so none is offered.
    body = client.post("/api/ask", json={"question": "Hur många elefanter finns på Skansen?"}).json()
    assert body["supported"] is False and body["citations"] == [] and body["related"] == []
    assert body["answer"].startswith("Jag hittar inget")


def test_ask_with_document_and_year_filters(client):
    question = {"question": "Hur arbetar förvaltningen med företagare?", "doc": "norrmalm-naringsliv-2022", "year": 2022}
    body = client.post("/api/ask", json=question).json()
    assert body["citations"] or body["related"]
    assert {c["doc_id"] for c in body["citations"] + body["related"]} == {"norrmalm-naringsliv-2022"}
    # The Norrmalm report covers 2022 only: asking it about 2017 finds nothing at all.
    empty = client.post("/api/ask", json={**question, "year": 2017}).json()
    assert empty["supported"] is False and empty["related"] == []


# Bad input: 4xx with a Swedish message, never 5xx


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"q": ""}, "tom"),
        ({"q": "   \t "}, "tom"),
        ({}, "saknas"),
        ({"q": "x" * 2001}, "för lång"),
        ({"q": "trygghet", "k": 0}, "mellan 1 och 100"),
        ({"q": "trygghet", "k": 101}, "mellan 1 och 100"),
        ({"q": "trygghet", "k": "tio"}, "heltal"),
        ({"q": "trygghet", "mode": "magic"}, "något av"),
        ({"q": "trygghet", "year": 17}, "minst 1000"),
        ({"q": "trygghet", "year": 2017, "year_from": 2016}, "antingen"),
        ({"q": "trygghet", "year_from": 2022, "year_to": 2017}, "senare"),
        ({"q": "trygg\x00het"}, "styrtecken"),
        ({"q": "trygg\x1bhet"}, "styrtecken"),
    ],
)
def test_bad_search_input_is_422_in_swedish(client, params, expected):
    detail = assert_swedish_error(client.get("/api/search", params=params), 422)
    assert expected in detail


@pytest.mark.parametrize(
    ("params", "expected"),
    [({"district": "Atlantis"}, "Okänd stadsdel"), ({"doc": "../etc/passwd"}, "Okänt dokument")],
)
def test_an_unknown_district_or_document_is_404_in_swedish(client, params, expected):
    assert expected in assert_swedish_error(client.get("/api/search", params={"q": "trygghet", **params}), 404)
    body = {"question": "Vad gör medborgarvärdar?", **params}
    assert expected in assert_swedish_error(client.post("/api/ask", json=body), 404)


def test_k_at_the_limit_is_accepted(client):
    assert client.get("/api/search", params={"q": "trygghet", "k": 100}).status_code == 200


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("{not json", "inte giltig JSON"),
        ("[1, 2]", "JSON-objekt"),
        ('"fråga"', "JSON-objekt"),
        ("{}", "saknas"),
        ('{"question": ""}', "tomt"),
        ('{"question": "  "}', "tom"),
        ('{"question": 42}', "text"),
        ('{"question": "' + "x" * 2001 + '"}', "för långt"),
        ('{"question": "Vad\\u0000 gör?"}', "styrtecken"),
    ],
)
def test_bad_ask_input_is_422_in_swedish(client, body, expected):
    response = client.post("/api/ask", content=body, headers={"Content-Type": "application/json"})
    assert expected in assert_swedish_error(response, 422)


def test_body_that_is_not_text_is_422(client):
    response = client.post("/api/ask", content=b"\xff\xfe\x05", headers={"Content-Type": "application/json"})
    assert "inte giltig JSON" in assert_swedish_error(response, 422)


def test_body_over_64_kb_is_413(client):
    big = json.dumps({"question": "x" * (65 * 1024)})
    declared = client.post("/api/ask", content=big, headers={"Content-Type": "application/json"})
    assert "för stor" in assert_swedish_error(declared, 413)

    def chunks():  # no Content-Length: the limit applies while the body is read
        for _ in range(70):
            yield b"x" * 1024

    streamed = client.post("/api/ask", content=chunks(), headers={"Content-Type": "application/json"})
    assert "för stor" in assert_swedish_error(streamed, 413)


def test_body_under_the_limit_is_read(client):
    body = json.dumps({"question": "Vad gör medborgarvärdar?", "ignored": "x" * (60 * 1024)})
    response = client.post("/api/ask", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 200 and response.json()["supported"] is True


def test_an_internal_failure_is_a_swedish_500_without_traceback(engine, monkeypatch, app_settings):
    def broken(*_, **__):
        raise RuntimeError("secret internal detail")

    monkeypatch.setattr(engine.searcher, "search", broken)
    with TestClient(create_app(settings=app_settings, engine=engine), raise_server_exceptions=False) as client:
        response = client.get("/api/search", params={"q": "trygghet"})
    assert "oväntat fel" in assert_swedish_error(response, 500)
    assert "secret" not in response.text and "RuntimeError" not in response.text
    assert all(header in response.headers for header in SECURITY_HEADERS)


def test_unknown_route_and_method_are_swedish(client):
    assert "inget här" in assert_swedish_error(client.get("/api/nothing"), 404)
    assert "Metoden" in assert_swedish_error(client.delete("/api/search"), 405)


# Security headers and the page


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("GET", "/"),
        ("GET", "/static/app.js"),
        ("GET", "/api/search?q=trygghet"),
        ("GET", "/api/search?q="),
        ("GET", "/api/documents/nope"),
        ("GET", "/healthz"),
        ("GET", "/openapi.json"),
        ("GET", "/docs"),
    ],
)
def test_security_headers_on_every_response(client, method, url):
    response = client.request(method, url)
    for header in SECURITY_HEADERS:
        assert header in response.headers, (url, header)
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]


def test_page_policy_forbids_inline_script(client):
    policy = client.get("/").headers["content-security-policy"]
    assert "default-src 'self'" in policy
    script = re.search(r"script-src ([^;]*)", policy).group(1)
    assert "unsafe-inline" not in script and "http" not in script


def test_413_also_has_security_headers(client):
    response = client.post("/api/ask", content=b"x" * (70 * 1024), headers={"Content-Type": "application/json"})
    assert response.status_code == 413
    assert all(header in response.headers for header in SECURITY_HEADERS)


class _Scripts(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.inline_scripts = 0
        self.handlers: list[str] = []
        self.external: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "script" and not attributes.get("src"):
            self.inline_scripts += 1
        self.handlers += [name for name, _ in attrs if name.startswith("on")]
        for name in ("src", "href"):
            value = attributes.get(name) or ""
            if value.startswith(("http:", "https:", "//")):
                self.external.append(value)


def test_page_is_self_contained_and_has_no_inline_script(client):
    response = client.get("/")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    parser = _Scripts()
    parser.feed(response.text)
    assert parser.inline_scripts == 0 and parser.handlers == [] and parser.external == []
    assert "Ställ en fråga om dokumenten" in response.text
    for asset in ("/static/app.js", "/static/style.css"):
        assert client.get(asset).status_code == 200


def test_script_never_inserts_data_as_html():
    script = (WEB / "app.js").read_text(encoding="utf-8")
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
        assert sink not in script, sink
    css = (WEB / "style.css").read_text(encoding="utf-8")
    assert "@import" not in css and "url(http" not in css


def test_openapi_lists_every_operation(client):
    schema = client.get("/openapi.json").json()
    assert {
        "/healthz", "/api/search", "/api/ask", "/api/documents", "/api/documents/{doc_id}", "/api/districts",
        "/api/coverage", "/api/documents/{doc_id}/compare", "/api/passages/{chunk_id}/similar", "/api/reviews",
        "/api/admin/reindex",
    } <= set(schema["paths"])
    for path in schema["paths"].values():
        for operation in path.values():
            assert any(code.startswith("2") for code in operation["responses"])
    docs = client.get("/docs")
    assert docs.status_code == 200 and "swagger" in docs.text.lower()
    assert "'sha256-" in docs.headers["content-security-policy"]


# Start-up: the engine loads once, and a broken index leaves a running service that says why


def test_engine_loads_once_in_the_lifespan(engine, monkeypatch, app_settings):
    loads = []

    def counting_load(settings, embedder=None):
        loads.append(settings)
        return engine

    monkeypatch.setattr(api_main, "load_engine", counting_load)
    with TestClient(create_app(settings=app_settings)) as client:
        for _ in range(3):
            assert client.get("/api/search", params={"q": "trygghet"}).status_code == 200
        assert client.get("/healthz").json()["status"] == "ok"
    assert loads == [app_settings]


def test_the_served_requests_at_once_are_the_settings(engine, app_settings):
    settings = app_settings.model_copy(update={"request_threads": 3})
    with TestClient(create_app(settings=settings, engine=engine)) as client:
        assert client.portal.call(lambda: anyio.to_thread.current_default_thread_limiter().total_tokens) == 3
        assert client.get("/api/search", params={"q": "trygghet"}).status_code == 200


def _copy_index(source: Path, target: Path) -> Path:
    shutil.copytree(source, target, symlinks=True)
    for path in target.rglob("*"):
        if path.is_file() and not path.is_symlink():
            path.chmod(0o644)  # builds are written read-only
    return target


def _missing(tmp_path: Path, _: Path) -> Path:
    return tmp_path / "empty"


def _corrupt(tmp_path: Path, source: Path) -> Path:
    index = _copy_index(source, tmp_path / "corrupt")
    (index / "current" / "chunks.jsonl").write_text("{not json\n", encoding="utf-8")
    return index


def _mismatched(tmp_path: Path, source: Path) -> Path:
    index = _copy_index(source, tmp_path / "mismatched")
    manifest_path = index / "current" / "manifest.json"
    manifest = Manifest.model_validate_json(manifest_path.read_bytes()).model_copy(update={"embedder": "some-other/embedder"})
    # Written as a build of another embedder would be: whole, its checksum its own.
    manifest = manifest.model_copy(update={"checksum": manifest_checksum(manifest)})
    manifest_path.write_text(manifest.model_dump_json(), encoding="utf-8")
    return index


@pytest.mark.parametrize(
    ("make_index", "swedish", "english"),
    [
        (_missing, "Det finns inget sökindex", "no index"),
        (_corrupt, "skadat", "damaged"),
        (_mismatched, "annan inbäddningsmodell", "some-other/embedder"),
    ],
)
def test_service_starts_without_a_usable_index(tmp_path, corpus_settings, make_index, swedish, english, app_settings):
    index_dir = make_index(tmp_path, Path(corpus_settings.index_dir))
    with TestClient(create_app(settings=make_settings(index_dir, db_url=app_settings.db_url))) as client:
        health = client.get("/healthz")
        assert health.status_code == 503
        body = health.json()
        assert body["status"] == "error" and body["index_loaded"] is False
        assert body["embedder"] == corpus_settings.embedder and body["build"] is None
        assert swedish in body["message"] and english in body["message"]
        for response in (
            client.get("/api/search", params={"q": "trygghet"}),
            client.post("/api/ask", json={"question": "Vad gör medborgarvärdar?"}),
            client.get("/api/documents"),
            client.get("/api/documents/norrmalm-naringsliv-2022"),
            client.get("/api/districts"),
        ):
            assert assert_swedish_error(response, 503) == body["message"]
        assert client.get("/").status_code == 200
