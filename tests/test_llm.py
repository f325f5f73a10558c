"""Optional LLM generation against a fake OpenAI-compatible server on loopback, over the real corpus.

Every test here may open connections to 127.0.0.1 only (pytest-socket): nothing leaves the machine.
"""

from __future__ import annotations

import re
import socket
from dataclasses import replace
from urllib.parse import urlparse

import pytest
from pytest_socket import SocketConnectBlockedError

import service.llm
from service.ask import Answerer
from service.compose import ABSTAIN
from service.llm import LLMGenerator, cited_sources, passage_citation, select_sources, split_sentences
from service.search import SearchMode

from .fake_openai import Fail, FakeOpenAI, Hang

pytestmark = pytest.mark.allow_hosts(["127.0.0.1"])

FACT = "Hur många narkotikabrott rapporterades vid Observatorielunden under 2021?"
LIST = "Vilka stadsdelar arbetar med feriejobb?"
SOURCE_HEADER = re.compile(r"^\[(\d+)\] ", re.M)


@pytest.fixture(scope="module")
def fake_llm():
    """The fake chat server, one per module; each test scripts its own replies."""
    server = FakeOpenAI().start()
    yield server
    server.stop()


@pytest.fixture
def llm_settings(engine, fake_llm):
    """The session settings pointed at the fake server, with an empty script."""
    fake_llm.script()
    return engine.settings.model_copy(update={"llm_base_url": fake_llm.base_url, "llm_model": "fake-model"})


def with_llm(engine, settings) -> Answerer:
    return Answerer(engine.searcher, settings, LLMGenerator(settings))


def extractive(engine, question: str):
    return Answerer(engine.searcher, engine.settings).ask(question)


def prompt_of(fake_llm: FakeOpenAI) -> str:
    """The user message of the one request the server received."""
    assert len(fake_llm.requests) == 1
    return fake_llm.requests[0]["messages"][-1]["content"]


def assert_verbatim(engine, answer) -> None:
    for citation in answer.citations:
        assert engine.index.documents[citation.doc_id].text[citation.start : citation.end] == citation.quote
    markers = {int(n) for n in re.findall(r"\[(\d+)\]", answer.text)}
    assert markers == {citation.id for citation in answer.citations}
    assert [citation.id for citation in answer.citations] == list(range(1, len(answer.citations) + 1))


def assert_fell_back(answer, draft, note: str) -> None:
    """The extractive answer, with a note matching the regular expression ``note``."""
    assert answer.generator == "extractive"
    assert (answer.text, answer.citations) == (draft.text, draft.citations)
    assert any(re.match(note, n) for n in answer.notes), answer.notes


# The check, on its own


def test_markers_after_a_full_stop_belong_to_the_sentence_before():
    assert split_sentences("Det finns 48 aktörer. [1] Saima ger 1700 bostäder. [2][3]") == [
        "Det finns 48 aktörer. [1]",
        "Saima ger 1700 bostäder. [2][3]",
    ]


def test_abbreviations_and_list_numbers_end_no_sentence():
    text = "Arbetet sker bl.a. i Kista och t.ex. Husby [1].\n1. Farsta [2]"
    assert split_sentences(text) == ["Arbetet sker bl.a. i Kista och t.ex. Husby [1].", "1. Farsta [2]"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("A gäller [2]. B gäller [1, 2].", [2, 1]),
        ("Tre områden nämns:\n- Farsta [1]\n- Kista [3]", [1, 3]),
        ("A gäller [1]. B gäller.", None),
        ("A gäller [1]. B gäller [4].", None),
        ("Tre områden nämns:", None),
        ("", None),
    ],
)
def test_cited_sources(text, expected):
    assert cited_sources(text, {1, 2, 3}) == expected


def test_sources_keep_the_draft_numbers_and_add_other_passages(engine):
    draft = extractive(engine, FACT)
    evidence = engine.searcher.search(draft.question, engine.settings.answer_passages, SearchMode.hybrid)
    sources = select_sources(draft, evidence)
    assert sources[: len(draft.citations)] == list(draft.citations)
    assert [s.id for s in sources] == list(range(1, len(sources) + 1))
    assert len(draft.citations) < len(sources) <= service.llm.MAX_SOURCES
    extra = sources[len(draft.citations) :]
    assert not {s.chunk_id for s in extra} & {c.chunk_id for c in draft.citations}
    assert len({s.chunk_id for s in extra}) == len(extra)


def test_a_long_passage_is_cut_at_a_sentence_end_and_stays_verbatim(engine, monkeypatch):
    passage = max(engine.searcher.search(LIST, 30, SearchMode.hybrid), key=lambda p: len(p.chunk.text))
    monkeypatch.setattr(service.llm, "MAX_SOURCE_CHARS", len(passage.chunk.text) // 2)
    citation = passage_citation(7, passage)
    assert 0 < len(citation.quote) <= len(passage.chunk.text) // 2
    assert engine.index.documents[citation.doc_id].text[citation.start : citation.end] == citation.quote
    assert passage.chunk.text.startswith(citation.quote)
    assert citation.quote.rstrip()[-1] in ".!?:;" or passage.chunk.text[len(citation.quote)].isspace()


# Through the Answerer and the fake server


def test_a_well_cited_reply_is_the_answer(engine, fake_llm, llm_settings):
    draft = extractive(engine, FACT)
    fake_llm.script(
        "Uppföljningen tar upp tryggheten kring Observatorielunden [3]. "
        "Under 2021 rapporterades totalt 400 narkotikabrott där [1]."
    )
    answer = with_llm(engine, llm_settings).ask(FACT)
    assert answer.generator == "llm:fake-model"
    assert answer.supported and answer.notes == ()
    assert answer.text == (
        "Uppföljningen tar upp tryggheten kring Observatorielunden [1]. "
        "Under 2021 rapporterades totalt 400 narkotikabrott där [2]."
    )
    assert_verbatim(engine, answer)
    assert answer.citations[1] == replace(draft.citations[0], id=2)
    # Citation 1 is the source the model saw as [3].
    assert re.search(rf"^\[3\] [^\n]*\n{re.escape(answer.citations[0].quote)}", prompt_of(fake_llm), re.M)


def test_the_request_holds_the_question_and_the_sources(engine, fake_llm, llm_settings):
    draft = extractive(engine, FACT)
    fake_llm.script("Under 2021 rapporterades totalt 400 narkotikabrott vid Observatorielunden [1].")
    with_llm(engine, llm_settings).ask(FACT)
    request = fake_llm.requests[0]
    assert request["model"] == "fake-model"
    assert request["temperature"] == 0
    system, user = request["messages"]
    assert system["role"] == "system" and "svenska" in system["content"] and ABSTAIN in system["content"]
    assert user["role"] == "user" and draft.question in user["content"]
    for citation in draft.citations:
        assert f"[{citation.id}] {citation.title}" in user["content"]
        assert citation.quote in user["content"]
    numbers = [int(n) for n in SOURCE_HEADER.findall(user["content"])]
    assert numbers == list(range(1, len(numbers) + 1))
    assert len(draft.citations) < len(numbers) <= service.llm.MAX_SOURCES


def test_a_list_answer_keeps_its_district_lines_renumbered(engine, fake_llm, llm_settings):
    draft = extractive(engine, LIST)
    assert len(draft.districts) >= 2
    first, last = draft.districts[0], draft.districts[-1]
    fake_llm.script(f"{last.name} nämns [{last.citations[0]}].\n{first.name} nämns [{first.citations[0]}].")
    answer = with_llm(engine, llm_settings).ask(LIST)
    assert answer.generator == "llm:fake-model"
    assert_verbatim(engine, answer)
    # Numbered by first use in the reply; district lines whose citations the reply dropped are dropped.
    new_id = {old: new for new, old in enumerate(dict.fromkeys([last.citations[0], first.citations[0]]), start=1)}
    expected = [(d.name, tuple(new_id[i] for i in d.citations if i in new_id)) for d in draft.districts]
    assert [(d.name, d.citations) for d in answer.districts] == [line for line in expected if line[1]]
    assert answer.citations[0] == replace(next(c for c in draft.citations if c.id == last.citations[0]), id=1)


def test_a_reasoning_block_is_left_out(engine, fake_llm, llm_settings):
    fake_llm.script("<think>Källa 1 svarar.</think>\nDet rapporterades 400 narkotikabrott [1].")
    answer = with_llm(engine, llm_settings).ask(FACT)
    assert answer.generator == "llm:fake-model"
    assert answer.text == "Det rapporterades 400 narkotikabrott [1]."


@pytest.mark.parametrize(
    "reply",
    [
        "Det rapporterades 400 narkotikabrott [1]. Det är en ökning jämfört med året innan.",
        "Det rapporterades 400 narkotikabrott [1][42].",
    ],
    ids=["uncited-sentence", "unknown-source"],
)
def test_a_reply_failing_the_citation_check_falls_back(engine, fake_llm, llm_settings, reply):
    draft = extractive(engine, FACT)
    fake_llm.script(reply)
    answer = with_llm(engine, llm_settings).ask(FACT)
    assert_fell_back(answer, draft, "Språkmodellen gav inget svar med giltiga källhänvisningar")
    assert len(fake_llm.requests) == 1


def test_an_abstaining_reply_keeps_the_extractive_answer(engine, fake_llm, llm_settings):
    draft = extractive(engine, FACT)
    fake_llm.script(ABSTAIN)
    answer = with_llm(engine, llm_settings).ask(FACT)
    assert answer.supported and answer.generator == "extractive"
    assert (answer.text, answer.citations) == (draft.text, draft.citations)


def test_a_server_error_falls_back(engine, fake_llm, llm_settings):
    draft = extractive(engine, FACT)
    fake_llm.script(Fail(500))
    answer = with_llm(engine, llm_settings).ask(FACT)
    assert_fell_back(answer, draft, r"Språkmodellen svarade inte \(\w+\)")
    assert len(fake_llm.requests) == 1  # max_retries=0: no second attempt


def test_a_timeout_falls_back(engine, fake_llm, llm_settings):
    draft = extractive(engine, FACT)
    fake_llm.script(Hang())
    settings = llm_settings.model_copy(update={"llm_timeout": 0.5})
    answer = with_llm(engine, settings).ask(FACT)
    assert_fell_back(answer, draft, r"Språkmodellen svarade inte \(\w*TimeoutError\)")


def test_an_abstaining_question_never_reaches_the_model(engine, fake_llm, llm_settings):
    answer = with_llm(engine, llm_settings).ask("Vad kostar en glass på månen?")
    assert not answer.supported
    assert fake_llm.requests == []


def test_nothing_leaves_the_machine(fake_llm):
    assert urlparse(fake_llm.base_url).hostname == "127.0.0.1" == fake_llm.host
    # The guard is active in this module: a connection anywhere but loopback is refused before it is made.
    with pytest.raises(SocketConnectBlockedError), pytest.warns(UserWarning, match="192.0.2.1"):
        socket.create_connection(("192.0.2.1", 443), timeout=5)
