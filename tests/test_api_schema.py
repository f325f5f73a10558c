"""The schema is the contract: schemathesis, with every check and every phase (examples, coverage, fuzzing,
stateful), runs against a real server over the real corpus for the time budget in schemathesis.toml and
finds nothing; the exceptions it is told about are the ones docs/api.md names. Also the contract's own
parts: the limits the schema takes from the settings, the security schemes, and Allow on a 405."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from service.api.main import create_app
from service.engine import load_engine
from tests.conftest import ROOT, make_settings
from tests.test_browser_research import serving

REVIEWER_KEY = "schemathesis-granskare-0123456789"
ADMIN_KEY = "schemathesis-admin-0123456789"
# Warnings that mean the run did not test what it should; the two it always gives are expected (the
# administration is fuzzed without its key, and a judged answer must carry the signature /api/ask gave it).
FAILING_WARNINGS = [
    "missing_test_data", "base_url_mismatch", "missing_deserializer", "unused_openapi_auth", "unsupported_regex",
    "method_not_allowed", "unmatched_filter", "unresolvable_reference",
]


@pytest.fixture(scope="module")
def contract_settings(engine, tmp_path_factory):
    """The session index with a reviewer's key, an administration key and a review database of its own."""
    database = tmp_path_factory.mktemp("schemathesis") / "reviews.db"
    return make_settings(
        engine.settings.index_dir, db_url=f"sqlite:///{database}", reviewer_keys={"schemathesis": REVIEWER_KEY},
        admin_key=ADMIN_KEY,
    )


@pytest.mark.slow
def test_schemathesis_finds_nothing(engine, contract_settings, tmp_path):
    schemathesis = Path(sys.executable).with_name("schemathesis")
    warnings = ",".join(FAILING_WARNINGS)
    with serving(create_app(settings=contract_settings, engine=engine)) as url:
        run = subprocess.run(
            [
                str(schemathesis), "--config-file", str(ROOT / "schemathesis.toml"), "--no-color", "run",
                f"{url}/openapi.json", "--report-dir", str(tmp_path / "report"), f"--warnings={warnings}",
            ],
            env={**os.environ, "STADSHUS_TEST_REVIEWER_KEY": REVIEWER_KEY},
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=900,
        )
    summary = run.stdout[run.stdout.find("SUMMARY") :]
    assert run.returncode == 0, run.stdout[-20_000:] + run.stderr[-5_000:]
    for phase in ("Examples", "Coverage", "Fuzzing", "Stateful"):
        assert f"✅ {phase}" in summary, summary


def test_the_schema_gives_the_limits_the_settings_set(e5, contract_settings):
    settings = contract_settings.model_copy(update={"max_k": 7, "max_query_chars": 300})
    engine = load_engine(settings, embedder=e5)
    schema = create_app(settings=settings, engine=engine).openapi()
    search = {p["name"]: p["schema"] for p in schema["paths"]["/api/search"]["get"]["parameters"]}
    assert (search["k"]["minimum"], search["k"]["maximum"], search["q"]["maxLength"]) == (1, 7, 300)
    similar = {p["name"]: p["schema"] for p in schema["paths"]["/api/passages/{chunk_id}/similar"]["get"]["parameters"]}
    assert similar["k"]["maximum"] == 7
    assert schema["components"]["schemas"]["AskQuery"]["properties"]["question"]["maxLength"] == 300
    with TestClient(create_app(settings=settings, engine=engine)) as client:
        assert client.get("/api/search", params={"q": "trygghet", "k": 7}).status_code == 200
        assert client.get("/api/search", params={"q": "trygghet", "k": 8}).status_code == 422
        assert client.get("/api/search", params={"q": "x" * 301}).status_code == 422


def test_keys_are_declared_security_schemes(contract_settings):
    schema = create_app(settings=contract_settings).openapi()
    schemes = schema["components"]["securitySchemes"]
    assert schemes["AdminKey"] == {"type": "apiKey", "in": "header", "name": "X-API-Key", "description": "STADSHUS_ADMIN_KEY"}
    assert schemes["ReviewerKey"]["name"] == "X-Reviewer-Key"
    secured = {
        f"{method.upper()} {path}": operation["security"]
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
        if "security" in operation
    }
    admin = [name for name in secured if name.split()[1].startswith("/api/admin/")]
    assert len(admin) == 4 and all(secured[name] == [{"AdminKey": []}] for name in admin)
    assert secured["POST /api/reviews"] == [{"ReviewerKey": []}]


@pytest.mark.parametrize(
    ("path", "allowed"),
    [
        ("/api/reviews", "GET, POST"),
        ("/api/admin/reindex", "GET, POST"),
        ("/api/admin/documents/x.txt", "DELETE, PUT"),
        ("/api/search", "GET"),
    ],
)
def test_a_405_allows_what_the_schema_gives(engine, contract_settings, path, allowed):
    with TestClient(create_app(settings=contract_settings, engine=engine)) as client:
        response = client.options(path)
        assert response.status_code == 405 and response.headers["allow"] == allowed


@pytest.mark.parametrize(
    "params",
    [{"q": "trygghet", "district": "Atlantis"}, {"q": "trygghet", "doc": "finns-inte"}],
)
def test_an_unknown_district_or_document_is_not_found(engine, contract_settings, params):
    with TestClient(create_app(settings=contract_settings, engine=engine)) as client:
        assert client.get("/api/search", params=params).status_code == 404
        body = {"question": "Vad gör medborgarvärdarna?", **{k: v for k, v in params.items() if k != "q"}}
        assert client.post("/api/ask", json=body).status_code == 404
