"""The MCP server through the SDK's own client: in process (the SDK's testing guide), over streamable HTTP
and over stdio. The tools are listed, the flagship question gets the six districts with verbatim
citations, every result carries its links, and a bad argument is a tool error, not a crash."""

from __future__ import annotations

import json
import os
import socket
import sys
import threading
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import uvicorn
from mcp import Client, StdioServerParameters

from service.mcp_server import MAX_SPAN_CHARS, create_mcp_server
from tests.conftest import GAZETTEER
from tests.test_browser_research import COVERED, T1, T2

pytestmark = pytest.mark.anyio
FLAGSHIP = "vilka stadsdelar arbetar med medborgarvärdar?"
TOOLS = {"search", "ask", "coverage", "compare", "read_document", "list_documents"}
BASE = "http://127.0.0.1:8000"
LONG = "socialforvaltningen-lokala-utvecklingsplaner-2017"  # longer than one span


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="module")
def server(engine):
    return create_mcp_server(engine)


def assert_cited(engine, citation: dict) -> None:
    """``citation`` quotes its document verbatim and links to the quote and the original file."""
    document = engine.index.documents[citation["doc_id"]]
    assert document.text[citation["start"] : citation["end"]] == citation["quote"]
    assert citation["title"] == document.title and citation["year"] == document.year
    link = urlsplit(citation["link"])
    assert f"{link.scheme}://{link.netloc}" == BASE
    assert parse_qs(link.query) == {"doc": [citation["doc_id"]], "start": [str(citation["start"])], "end": [str(citation["end"])]}
    assert citation["original"] == f"{BASE}/api/documents/{citation['doc_id']}/original"


async def call(client: Client, tool: str, **arguments) -> dict:
    result = await client.call_tool(tool, arguments)
    assert not result.is_error, result.content
    # The structured result and the text block say the same.
    assert json.loads(result.content[0].text) == result.structured_content
    return result.structured_content


async def test_the_tools_are_listed_with_their_arguments(server):
    async with Client(server) as client:
        tools = {tool.name: tool for tool in (await client.list_tools()).tools}
    assert set(tools) == TOOLS
    assert tools["ask"].input_schema["required"] == ["question"]
    assert set(tools["search"].input_schema["properties"]) == {"query", "k", "district", "doc", "year"}
    assert all(tool.description and tool.output_schema for tool in tools.values())


async def test_ask_gives_the_six_districts_with_verbatim_citations(server, engine):
    async with Client(server) as client:
        answer = await call(client, "ask", question=FLAGSHIP)
    assert answer["supported"] is True
    assert sorted(line["name"] for line in answer["districts"]) == sorted(COVERED)
    numbers = {citation["id"] for citation in answer["citations"]}
    for line in answer["districts"]:
        assert line["citations"] and set(line["citations"]) <= numbers
    for citation in answer["citations"]:
        assert_cited(engine, citation)


async def test_search_coverage_and_read_carry_citations(server, engine):
    async with Client(server) as client:
        search = await call(client, "search", query="trygghetsvandringar", k=5, district="Spånga-Tensta")
        table = await call(client, "coverage", topic="medborgarvärdar")
        first = search["results"][0]["citation"]
        span = await call(client, "read_document", doc_id=first["doc_id"], start=first["start"], end=first["end"])
    assert 0 < len(search["results"]) <= 5
    for hit in search["results"]:
        assert "Spånga-Tensta" in hit["districts"]
        assert_cited(engine, hit["citation"])
    assert [row["name"] for row in table["rows"] if row["status"] == "evidence" and row["kind"] == "district"] == COVERED
    for row in table["rows"]:
        for citation in row["citations"]:
            assert_cited(engine, citation)
    assert span["citation"]["quote"] == first["quote"] and span["citation"]["section"] == first["section"]
    assert first["section"] in span["sections"]
    assert_cited(engine, span["citation"])


async def test_nonsense_finds_nothing(server):
    async with Client(server) as client:
        found = await call(client, "search", query="qwxz blörp")
    assert (found["total"], found["results"]) == (0, [])


async def test_compare_cites_added_and_removed_sentences(server, engine):
    async with Client(server) as client:
        documents = await call(client, "list_documents")
        comparison = await call(client, "compare", earlier=T1, later=T2)
        whats_new = await call(client, "ask", question="Vad är nytt i den senare versionen av rapporten?", doc=T2)
    assert next(d for d in documents["documents"] if d["doc_id"] == T1)["versions"] == [T1, T2]
    assert comparison["sections"] and comparison["unchanged_sections"] > 0
    assert any(s["added"] for s in comparison["sections"]) and any(s["removed"] for s in comparison["sections"])
    for section in comparison["sections"]:
        for citation in section["added"]:
            assert citation["doc_id"] == T2
            assert_cited(engine, citation)
        for citation in section["removed"]:
            assert citation["doc_id"] == T1
            assert_cited(engine, citation)
    assert parse_qs(urlsplit(comparison["link"]).query) == {"mode": ["compare"], "a": [T1], "b": [T2]}
    assert whats_new["compare"] == comparison["link"]


@pytest.mark.parametrize(
    ("tool", "arguments", "message"),
    [
        ("ask", {"question": ""}, "Frågan är tom"),
        ("ask", {"question": "x" * 5000}, "för lång"),
        ("ask", {"question": "medborgarvärdar", "district": "Atlantis"}, "Okänd stadsdel"),
        ("search", {"query": "trygghet", "k": 0}, "Antalet träffar"),
        ("search", {"query": "trygghet", "k": "tio"}, "k"),
        ("search", {}, "query"),
        ("coverage", {"topic": "medborgarvärdar", "year_from": 2022, "year_to": 2017}, "senare än slutåret"),
        ("compare", {"earlier": T1, "later": "finns-inte"}, "Okänt dokument"),
        ("read_document", {"doc_id": T1, "start": 10, "end": 5}, "inom dokumentet"),
        ("read_document", {"doc_id": LONG, "start": 0, "end": MAX_SPAN_CHARS + 1}, "för långt"),
        ("read_document", {"doc_id": "../../etc/passwd"}, "Okänt dokument"),
        ("no_such_tool", {}, "no_such_tool"),
    ],
)
async def test_a_bad_argument_is_a_tool_error(server, tool, arguments, message):
    async with Client(server) as client:
        result = await client.call_tool(tool, arguments)
        assert result.is_error
        assert message in result.content[0].text
        # The server goes on serving.
        assert not (await client.call_tool("list_documents", {})).is_error


async def test_streamable_http_serves_the_same_tools(server, engine):
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    http = uvicorn.Server(uvicorn.Config(server.streamable_http_app(), log_level="warning"))
    thread = threading.Thread(target=http.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()

    try:
        async with Client(f"http://127.0.0.1:{sock.getsockname()[1]}/mcp") as client:
            assert {tool.name for tool in (await client.list_tools()).tools} == TOOLS
            found = await call(client, "search", query="medborgarvärdar", k=3)
    finally:
        http.should_exit = True
        thread.join()
        sock.close()
    assert len(found["results"]) == 3
    for hit in found["results"]:
        assert_cited(engine, hit["citation"])


async def test_stdio_runs_the_command(corpus_settings, engine):
    env = {
        **os.environ,
        "STADSHUS_INDEX_DIR": str(corpus_settings.index_dir),
        "STADSHUS_CORPUS_DIR": str(corpus_settings.corpus_dir),
        "STADSHUS_GAZETTEER": str(GAZETTEER),
    }
    command = Path(sys.executable).with_name("stadshus")
    async with Client(StdioServerParameters(command=str(command), args=["mcp"], env=env)) as client:
        assert {tool.name for tool in (await client.list_tools()).tools} == TOOLS
        span = await call(client, "read_document", doc_id=T1, start=0, end=40)
    assert span["citation"]["quote"] == engine.index.documents[T1].text[:40]
