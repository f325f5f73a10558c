"""The start page's example questions: each gets a supported answer that is right by the gold set (the
districts of a list question, the facts of a fact question), or a search, overview or comparison that
shows what the example promises."""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient

from eval.gold import Split, load_questions
from service.api.main import create_app

INDEX_HTML = Path(__file__).resolve().parents[1] / "service" / "web" / "index.html"
EXAMPLES = [
    {key: values[0] for key, values in parse_qs(urlsplit(unescape(href)).query).items()}
    for href in re.findall(r'<li><a href="(\?[^"]+)">', INDEX_HTML.read_text(encoding="utf-8"))
]
GOLD = {q.question: q for q in load_questions(Split.all)}


@pytest.fixture(scope="module")
def client(engine, app_settings):
    with TestClient(create_app(settings=app_settings, engine=engine)) as client:
        yield client


def test_the_page_has_examples_of_every_mode():
    assert {example["mode"] for example in EXAMPLES} == {"ask", "search", "coverage", "compare"}
    assert EXAMPLES[0]["q"] == "Vilka stadsdelar arbetar med medborgarvärdar?"


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda e: e.get("q") or e["mode"])
def test_each_example_is_answered_well(client, engine, example):
    mode = example["mode"]
    if mode == "ask" and example["q"] in GOLD:
        gold = GOLD[example["q"]]
        answer = client.post("/api/ask", json={"question": example["q"]}).json()
        assert answer["supported"] is True
        if gold.districts:
            assert sorted(d["name"] for d in answer["districts"]) == sorted(gold.districts)
        for fact in gold.answer_contains:
            assert fact in answer["answer"]
        cited = " ".join(c["quote"] for c in answer["citations"])
        assert any(item.snippet[:40] in cited for item in gold.evidence)
    elif mode == "ask":
        # The what-is-new example: the comparison of the report's two versions.
        answer = client.post("/api/ask", json={"question": example["q"], "doc": example["doc"]}).json()
        assert answer["supported"] is True and answer["comparison"]["later"] == example["doc"]
        assert answer["answer"].startswith("Nytt i") and answer["citations"]
    elif mode == "search":
        district = next(name for name in engine.gazetteer.names if name in example["q"])
        found = client.get("/api/search", params={"q": example["q"]}).json()
        assert found["total"] >= 10
        top = found["results"][:5]
        assert all(district in hit["districts"] for hit in top) and all(hit["highlights"] for hit in top)
    elif mode == "coverage":
        gold = GOLD[f"Vilka stadsdelar arbetar med {example['q']}?"]
        table = client.get("/api/coverage", params={"q": example["q"]}).json()
        covered = {row["name"] for row in table["rows"] if row["status"] == "evidence" and row["kind"] == "district"}
        assert covered == set(gold.districts)
    else:
        comparison = client.get(f"/api/documents/{example['a']}/compare", params={"with": example["b"]}).json()
        assert any(s["added"] for s in comparison["sections"]) and any(s["removed"] for s in comparison["sections"])
