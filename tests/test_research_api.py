"""The research tools over HTTP, on the real corpus: coverage, report versions (compare, what is new, and
"what is new" questions to /api/ask), more like this, and Markdown/CSV downloads of an answer, a search and
a coverage table. Bad input gets a Swedish 4xx, never a 5xx."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient

from service.api.main import create_app
from service.analysis import Asked, analyse
from service.coverage import coverage
from service.schemas.coverage import coverage_response
from service.schemas.similar import similar_response
from service.schemas.versions import comparison_response, whats_new_response
from service.similar import similar_passages
from service.timeline import period_start
from service.versions import compare, whats_new
from tests.conftest import make_settings

WEB = Path(__file__).resolve().parents[1] / "service" / "web"
T1 = "rinkeby-kista-naringsliv-2022-t1"
T2 = "rinkeby-kista-naringsliv-2022-t2"
NORRMALM = "norrmalm-naringsliv-2022"
TOPIC = "medborgarvärdar"
# The six districts the documents tie to medborgarvärdar (docs/research.md, eval/gold/research.jsonl).
COVERED = {"Rinkeby-Kista", "Spånga-Tensta", "Hässelby-Vällingby", "Enskede-Årsta-Vantör", "Skarpnäck", "Skärholmen"}
LIST_QUESTION = "Vilka stadsdelar arbetar med medborgarvärdar?"
WHATS_NEW = "Vad är nytt i den senare versionen av rapporten?"


@pytest.fixture(scope="module")
def client(engine, tmp_path_factory) -> TestClient:
    database = tmp_path_factory.mktemp("reviews") / "reviews.db"
    app = create_app(settings=make_settings(engine.settings.index_dir, db_url=f"sqlite:///{database}"), engine=engine)
    with TestClient(app) as client:
        yield client


def swedish_error(response, status: int) -> str:
    """The response has ``status`` and one Swedish sentence in ``detail``; returns it."""
    assert response.status_code == status, response.text
    detail = response.json()["detail"]
    assert isinstance(detail, str) and detail and "Traceback" not in detail
    return detail


def quote_is_verbatim(engine, doc_id: str, start: int, end: int, quote: str) -> bool:
    return engine.index.documents[doc_id].text[start:end] == quote


def encoded(chunk_id: str) -> str:
    return chunk_id.replace("#", "%23")


# Coverage


def test_coverage_is_the_library_table(client, engine):
    body = client.get("/api/coverage", params={"q": TOPIC}).json()
    assert body == coverage_response(coverage(engine, TOPIC)).model_dump(mode="json")
    rows = {row["name"]: row for row in body["rows"]}
    assert [row["name"] for row in body["rows"][:14]] == list(engine.gazetteer.names)
    assert {name for name, row in rows.items() if row["status"] == "evidence"} == COVERED
    assert rows["Socialförvaltningen"]["kind"] == "organisation"
    for row in body["rows"]:
        assert (row["status"] == "evidence") == bool(row["evidence"])
        for item in row["evidence"]:
            assert quote_is_verbatim(engine, item["doc_id"], item["start"], item["end"], item["quote"])


def test_coverage_years_narrow_the_documents(client):
    body = client.get("/api/coverage", params={"q": TOPIC, "year_from": 2022, "year_to": 2022}).json()
    assert (body["year_from"], body["year_to"]) == (2022, 2022)
    cited = {item["doc_id"] for row in body["rows"] for item in row["evidence"]}
    # The 2017 plan of Socialförvaltningen holds most of the evidence; in 2022 only the reports remain.
    assert cited and "socialforvaltningen-lokala-utvecklingsplaner-2017" not in cited


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, "saknas"),
        ({"q": ""}, "tom"),
        ({"q": "vilka stadsdelar arbetar"}, "ämne"),
        ({"q": "trygg\x00het"}, "styrtecken"),
        ({"q": TOPIC, "year_from": 2022, "year_to": 2017}, "senare än"),
        ({"q": TOPIC, "year_from": "i fjol"}, "heltal"),
        ({"q": TOPIC, "year_to": 99}, "minst 1000"),
    ],
)
def test_bad_coverage_input_is_422_in_swedish(client, params, expected):
    assert expected in swedish_error(client.get("/api/coverage", params=params), 422)


# Versions


def test_documents_link_their_report_versions(client):
    listed = {d["doc_id"]: d for d in client.get("/api/documents").json()}
    assert listed[T1]["versions"] == listed[T2]["versions"] == [T1, T2]
    assert listed[T1]["family"] == listed[T2]["family"] != listed[NORRMALM]["family"]
    assert listed[NORRMALM]["versions"] == [NORRMALM]
    detail = client.get(f"/api/documents/{T2}").json()
    assert (detail["family"], detail["versions"]) == (listed[T2]["family"], [T1, T2])


def test_compare_is_the_library_comparison(client, engine):
    body = client.get(f"/api/documents/{T1}/compare", params={"with": T2}).json()
    assert body == comparison_response(compare(engine, T1, T2)).model_dump(mode="json")
    statuses = [section["status"] for section in body["sections"]]
    assert (statuses.count("added"), statuses.count("changed"), statuses.count("unchanged")) == (8, 5, 11)
    for section in body["sections"]:
        for sentence in section["added"] + section["removed"]:
            assert quote_is_verbatim(engine, sentence["doc_id"], sentence["start"], sentence["end"], sentence["text"])


def test_whats_new_is_the_library_answer(client, engine):
    body = client.get(f"/api/documents/{T1}/whats-new").json()
    assert body == whats_new_response(whats_new(engine, T1)).model_dump(mode="json")
    assert (body["latest"], body["previous"], len(body["added"])) == (T2, T1, 52)


@pytest.mark.parametrize(
    ("url", "status", "expected"),
    [
        (f"/api/documents/finns-inte/compare?with={T2}", 404, "Okänt dokument"),
        (f"/api/documents/{T1}/compare?with=finns-inte", 404, "Okänt dokument"),
        (f"/api/documents/{T1}/compare", 422, "'with' saknas"),
        (f"/api/documents/{T1}/compare?with=" + "x" * 201, 422, "för långt"),
        (f"/api/documents/{NORRMALM}/whats-new", 404, "ingen annan version"),
        ("/api/documents/finns-inte/whats-new", 404, "Okänt dokument"),
        ("/api/documents/%2e%2e%2fetc%2fpasswd/whats-new", 404, ""),
    ],
)
def test_version_errors_are_swedish(client, url, status, expected):
    assert expected in swedish_error(client.get(url), status)


# "What is new" questions to /api/ask


@pytest.mark.parametrize(
    ("question", "asks"),
    [
        (WHATS_NEW, True),
        ("Vad har ändrats sedan förra tertialrapporten?", True),
        ("Vilka skillnader finns mellan versionerna av rapporten?", True),
        ("Vad har tillkommit i T2?", True),
        (LIST_QUESTION, False),
        ("Vad står det i rapporten om trygghet?", False),
        ("Vilka nya företag har etablerat sig i Kista?", False),
    ],
)
def test_version_questions_are_recognised(engine, question, asks):
    assert (analyse(question, engine.gazetteer).asked is Asked.change) is asks


@pytest.mark.parametrize("request_body", [{"doc": T1}, {"doc": T2}, {"district": "Rinkeby-Kista"}, {}])
def test_whats_new_question_is_answered_from_the_versions(client, engine, request_body):
    question = WHATS_NEW if request_body else "Vad är nytt i den senaste tertialrapporten för Rinkeby-Kista?"
    body = client.post("/api/ask", json={"question": question, **request_body}).json()
    assert body["supported"] is True and body["answer"].startswith("Nytt i ”Uppföljningsrapport näringsliv tertialrapport 2")
    added = whats_new(engine, T1).added
    assert [c["quote"] for c in body["citations"]] == [ref.text for ref in added]
    for citation in body["citations"]:
        assert citation["doc_id"] == T2
        assert quote_is_verbatim(engine, T2, citation["start"], citation["end"], citation["quote"])
    assert body["comparison"] == {"earlier": T1, "later": T2}


def test_whats_new_question_about_a_single_version_says_so(client):
    body = client.post("/api/ask", json={"question": WHATS_NEW, "doc": NORRMALM}).json()
    assert body["supported"] is False and body["citations"] == []
    assert "ingen annan version" in body["answer"]


def test_other_questions_go_to_the_answerer(client, engine):
    question = "Hur arbetar förvaltningen med företagare?"
    body = client.post("/api/ask", json={"question": question, "doc": T1}).json()
    assert body == client.post("/api/ask", json={"question": question, "doc": T1}).json()
    assert not body["answer"].startswith("Nytt i")
    assert {c["doc_id"] for c in body["citations"] + body["related"]} == {T1}


def test_a_version_question_without_a_report_goes_to_the_answerer(client):
    # No document filter, no document id and no district with several versions: nothing to compare.
    body = client.post("/api/ask", json={"question": "Vad är nytt i rapporten om Norrmalm?"}).json()
    assert not body["answer"].startswith("Nytt i") and "ingen annan version" not in body["answer"]


@pytest.mark.parametrize(
    ("request_body", "expected"),
    [({"doc": "finns-inte"}, "Okänt dokument"), ({"district": "Atlantis"}, "Okänd stadsdel")],
)
def test_a_version_question_with_unknown_filters_is_404(client, request_body, expected):
    response = client.post("/api/ask", json={"question": WHATS_NEW, **request_body})
    assert expected in swedish_error(response, 404)


# More like this


def test_similar_passages_with_an_encoded_chunk_id(client, engine):
    chunk = next(c for c in engine.index.chunks if c.doc_id == "socialforvaltningen-lokala-utvecklingsplaner-2017" and c.districts)
    assert "#" in chunk.chunk_id
    body = client.get(f"/api/passages/{encoded(chunk.chunk_id)}/similar", params={"k": 4}).json()
    assert body == similar_response(chunk.chunk_id, similar_passages(engine, chunk.chunk_id, 4)).model_dump(mode="json")
    assert body["chunk_id"] == chunk.chunk_id and len(body["results"]) == 4
    for result in body["results"]:
        # A city-wide document's passages about other districts may come from the same document.
        assert result["chunk_id"] != chunk.chunk_id
        assert not set(result["districts"]) & set(chunk.districts)
        assert quote_is_verbatim(engine, result["doc_id"], result["start"], result["end"], result["text"])


def test_similar_can_include_the_same_districts(client, engine):
    chunk = next(c for c in engine.index.chunks if c.doc_id == T1 and c.districts)
    same = client.get(f"/api/passages/{encoded(chunk.chunk_id)}/similar", params={"other_districts": "false"}).json()
    other = client.get(f"/api/passages/{encoded(chunk.chunk_id)}/similar").json()
    assert any(set(r["districts"]) & set(chunk.districts) for r in same["results"])
    assert not any(set(r["districts"]) & set(chunk.districts) for r in other["results"])


def test_an_unencoded_hash_never_reaches_the_route(client, engine):
    # Unencoded, "#..." is the fragment: the client sends only the document id, which is no chunk.
    chunk_id = engine.index.chunks[0].chunk_id
    swedish_error(client.get(f"/api/passages/{chunk_id}/similar"), 404)


@pytest.mark.parametrize(
    ("path", "params", "status", "expected"),
    [
        ("finns-inte%23123", {}, 404, "Okänt textstycke"),
        (None, {"k": 0}, 422, "mellan 1 och 100"),
        (None, {"k": 101}, 422, "mellan 1 och 100"),
        (None, {"k": "fem"}, 422, "heltal"),
        ("x" * 301, {}, 422, "för långt"),
    ],
)
def test_bad_similar_input_is_swedish(client, engine, path, params, status, expected):
    path = path or encoded(engine.index.chunks[0].chunk_id)
    assert expected in swedish_error(client.get(f"/api/passages/{path}/similar", params=params), status)


# Downloads


def parse_csv(response) -> list[dict[str, str]]:
    """The rows of a CSV download (UTF-8 with a byte order mark, RFC 4180)."""
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text[1:], newline=""), delimiter=";"))


def attachment_name(response) -> str:
    match = re.fullmatch(r'attachment; filename="([A-Za-z0-9.-]+)"', response.headers["content-disposition"])
    assert match, response.headers["content-disposition"]
    return match.group(1)


def test_answer_as_csv_quotes_the_documents(client, engine):
    answer = client.post("/api/ask", json={"question": LIST_QUESTION}).json()
    response = client.post("/api/ask/export", params={"format": "csv"}, json={"question": LIST_QUESTION})
    assert attachment_name(response) == "stadshus-svar-vilka-stadsdelar-arbetar-med-medborgarvardar.csv"
    rows = parse_csv(response)
    assert [int(row["Källa"]) for row in rows] == [c["id"] for c in answer["citations"]]
    for row in rows:
        assert row["Fråga"] == LIST_QUESTION and row["Svar"] == answer["answer"] and row["Besvarad"] == "Ja"
        assert quote_is_verbatim(engine, row["Dokument-id"], int(row["Start"]), int(row["Slut"]), row["Citat"])
        link = urlsplit(row["Länk"])
        # Absolute, from the address the request came to (the test client's).
        assert f"{link.scheme}://{link.netloc}" == "http://testserver"
        assert parse_qs(link.query) == {"doc": [row["Dokument-id"]], "start": [row["Start"]], "end": [row["Slut"]]}
    lines = {d["name"]: d for d in answer["districts"]}
    for row in rows:
        for name in filter(None, row["Stadsdel"].split("; ")):
            assert int(row["Källa"]) in lines[name]["citations"]


def test_answer_as_markdown(client):
    response = client.post("/api/ask/export", params={"format": "md"}, json={"question": WHATS_NEW, "doc": T2})
    assert response.headers["content-type"] == "text/markdown; charset=utf-8"
    assert attachment_name(response).endswith(".md")
    answer = client.post("/api/ask", json={"question": WHATS_NEW, "doc": T2}).json()
    text = response.text
    assert text.startswith(f"# {WHATS_NEW}\n")
    for citation in answer["citations"]:
        assert f"http://testserver/?doc={T2}&start={citation['start']}&end={citation['end']}" in text
    assert f"http://testserver/?mode=compare&a={T1}&b={T2}" in text


def test_search_as_csv_is_the_search(client, engine):
    params = {"q": "trygghet", "k": 5, "district": "Spånga-Tensta"}
    results = client.get("/api/search", params=params).json()["results"]
    response = client.get("/api/search/export", params={**params, "format": "csv"})
    assert attachment_name(response) == "stadshus-sok-trygghet.csv"
    rows = parse_csv(response)
    assert [row["Textstycke-id"] for row in rows] == [r["chunk_id"] for r in results]
    for row, result in zip(rows, results):
        assert row["Citat"] == result["text"]
        assert quote_is_verbatim(engine, row["Dokument-id"], int(row["Start"]), int(row["Slut"]), row["Citat"])


def test_coverage_as_csv_and_markdown(client, engine):
    table = client.get("/api/coverage", params={"q": TOPIC}).json()
    rows = parse_csv(client.get("/api/coverage/export", params={"q": TOPIC, "format": "csv"}))
    assert {row["Stadsdel/organisation"] for row in rows if row["Status"] == "Belägg finns"} == COVERED
    assert [row["Stadsdel/organisation"] for row in rows if not row["Citat"]] == [
        row["name"] for row in table["rows"] if row["status"] != "evidence"
    ]
    for row in rows:
        if row["Citat"]:
            assert quote_is_verbatim(engine, row["Dokument-id"], int(row["Start"]), int(row["Slut"]), row["Citat"])
    markdown = client.get("/api/coverage/export", params={"q": TOPIC})
    assert attachment_name(markdown) == "stadshus-oversikt-medborgarvardar.md"
    assert markdown.text.startswith(f"# Täckning: {TOPIC}\n")
    assert markdown.text.count("| Inga belägg hittades |") == len(table["rows"]) - len(COVERED)


@pytest.mark.parametrize(
    ("method", "url", "kwargs", "status", "expected"),
    [
        ("GET", "/api/coverage/export", {"params": {"q": TOPIC, "format": "xlsx"}}, 422, "'md' eller 'csv'"),
        ("GET", "/api/search/export", {"params": {"q": "", "format": "csv"}}, 422, "tom"),
        ("GET", "/api/search/export", {"params": {"q": "trygghet", "k": 0}}, 422, "mellan 1 och 100"),
        ("POST", "/api/ask/export", {"json": {"question": ""}}, 422, "tomt"),
        ("POST", "/api/ask/export", {"content": "{inte json", "headers": {"Content-Type": "application/json"}}, 422, "JSON"),
        ("GET", "/api/ask/export", {}, 405, "Metoden"),
    ],
)
def test_bad_export_input_is_swedish(client, method, url, kwargs, status, expected):
    assert expected in swedish_error(client.request(method, url, **kwargs), status)


def test_file_names_are_ascii_even_for_hostile_queries(client):
    response = client.get("/api/search/export", params={"q": '"; filename=../../x <script>', "format": "md"})
    assert response.status_code == 200
    assert attachment_name(response) == "stadshus-sok-filename-x-script.md"


# The schema and the page's scripts


def test_openapi_documents_the_research_routes(client):
    paths = client.get("/openapi.json").json()["paths"]
    json_routes = {
        "/api/coverage": "CoverageResponse",
        "/api/documents/{doc_id}/compare": "ComparisonResponse",
        "/api/documents/{doc_id}/whats-new": "WhatsNewResponse",
        "/api/passages/{chunk_id}/similar": "SimilarResponse",
    }
    for path, model in json_routes.items():
        ok = paths[path]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
        assert ok["$ref"].endswith(model)
    for path, method in (("/api/ask/export", "post"), ("/api/search/export", "get"), ("/api/coverage/export", "get")):
        content = paths[path][method]["responses"]["200"]["content"]
        assert {"text/markdown; charset=utf-8", "text/csv; charset=utf-8"} <= set(content)
    assert {"/api/reviews", "/api/reviews/summary"} <= set(paths)


def test_scripts_never_insert_data_as_html():
    scripts = sorted(WEB.glob("*.js"))
    assert {"app.js", "dom.js", "coverage.js", "document.js", "review.js", "granskning.js"} <= {s.name for s in scripts}
    for script in scripts:
        source = script.read_text(encoding="utf-8")
        for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"):
            assert sink not in source, (script.name, sink)
        # A style attribute would need 'unsafe-inline' under the page's policy.
        assert ".style." not in source and '"style"' not in source, script.name


@pytest.mark.parametrize(
    ("question", "development"),
    [
        ("Hur har arbetet med medborgarvärdar utvecklats mellan 2017 och 2022?", True),
        ("Hur har trygghetsvandringarna förändrats över tid?", True),
        ("Hur många företag besöktes?", False),
        ("Vilka stadsdelar arbetar med medborgarvärdar?", False),
    ],
)
def test_development_questions_are_recognised(engine, question, development):
    assert (analyse(question, engine.gazetteer).asked is Asked.change) is development


@pytest.mark.parametrize(
    "question",
    ["Hur har arbetet med medborgarvärdar utvecklats mellan 2017 och 2022?", "Hur har trygghetsvandringarna förändrats över tid?"],
)
def test_development_questions_are_answered_oldest_first(client, engine, question):
    body = client.post("/api/ask", json={"question": question}).json()
    assert body["supported"] is True and body["answer"].startswith("Så här skriver dokumenten om det, äldst först:")
    starts = [period_start(engine.index.documents[c["doc_id"]]) for c in body["citations"]]
    assert starts == sorted(starts)
    assert len({year for year, _ in starts}) >= 2
    assert [c["id"] for c in body["citations"]] == list(range(1, len(body["citations"]) + 1))
    for citation in body["citations"]:
        assert quote_is_verbatim(engine, citation["doc_id"], citation["start"], citation["end"], citation["quote"])
        assert f"{citation['quote']} [{citation['id']}]" in body["answer"]
