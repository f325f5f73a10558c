"""Exporting judged answers as candidate gold entries: snippet windows, the majority verdict, a round
trip over real answers whose every snippet must lie in its document (and meet the gold set's rules),
and the evaluation that scores the exported entries apart from the gold questions."""

from __future__ import annotations

import dataclasses
import importlib.util
from pathlib import Path

import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from eval.__main__ import run as run_python_m_eval
from eval.gold import Split, load_questions
from eval.gold import load_candidates as load_review_candidates
from eval.report import render
from eval.run import Evaluation, evaluate
from service.cli import app
from service.reviews.checks import index_stamp
from service.reviews.export import (
    CandidateFileError,
    GoldCandidate,
    consensus,
    export_candidates,
    load_candidates,
    snippet_window,
)
from service.reviews.schemas import ReviewIn
from service.reviews.store import ReviewStore
from service.schemas.ask import ask_response

from .conftest import CORPUS, ROOT

FACT_QUESTION = "Hur många ärenden inom ekonomiskt bistånd har Rinkeby-Kista granskat hittills?"
LIST_QUESTION = "Vilka stadsdelar har medborgarvärdar?"
ABSTAINED_QUESTION = "Hur många invånare har Malmö?"
EVIDENCE = {"doc_id": "d", "snippet": "en snippet"}


def gold_validator():
    """eval/gold/validate.py, loaded from its file (it is a script beside the gold set, not a module)."""
    spec = importlib.util.spec_from_file_location("gold_validate", ROOT / "eval" / "gold" / "validate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class TestSnippetWindow:
    def test_too_short_quote_has_none(self):
        assert snippet_window("Satsning på romsk inkludering") is None

    def test_a_short_sentence_is_its_own_snippet(self):
        sentence = "I stadsdelsområdet finns 48 olika aktörer."
        assert snippet_window(sentence) == sentence

    def test_a_long_sentence_gives_its_first_twenty_words(self):
        quote = " ".join(f"ord{i}" for i in range(30))
        assert snippet_window(quote) == " ".join(f"ord{i}" for i in range(20))

    def test_never_across_a_line_break_or_a_double_space(self):
        quote = "en två tre fyra\nfem sex sju åtta nio tio elva tolv  tretton fjorton"
        assert snippet_window(quote) == "fem sex sju åtta nio tio elva tolv"

    def test_the_longest_accepted_run_wins(self):
        quote = "a b c d e f g h i j"
        assert snippet_window(quote, accept=lambda s: not s.startswith("a ")) == "b c d e f g h i j"
        assert snippet_window(quote, accept=lambda s: "j" not in s) == "a b c d e f g h i"
        assert snippet_window(quote, accept=lambda s: False) is None


def test_consensus_is_the_majority_and_a_tie_is_cautious():
    assert consensus(["correct", "correct", "wrong"]) == "correct"
    assert consensus(["correct", "wrong"]) == "wrong"
    assert consensus(["partly_correct", "should_have_abstained"]) == "should_have_abstained"
    assert consensus(["partly_correct", "correct"]) == "partly_correct"


def test_candidates_must_be_consistent():
    with pytest.raises(ValidationError, match="unanswerable ones none"):
        GoldCandidate(id="r1", type="unanswerable", question="?", answerable=False, evidence=[EVIDENCE])
    with pytest.raises(ValidationError, match="one evidence item per district"):
        GoldCandidate(
            id="r1", type="list", question="?", answerable=True, evidence=[EVIDENCE], districts=["A", "B"]
        )
    with pytest.raises(ValidationError):
        GoldCandidate(id="q001", type="fact", question="?", answerable=True, evidence=[EVIDENCE])


def test_loading_a_broken_file_names_the_line(tmp_path: Path):
    good = GoldCandidate(id="r1", type="unanswerable", question="Vad?", answerable=False, evidence=[])
    path = tmp_path / "candidates.jsonl"
    path.write_text(good.model_dump_json(exclude_none=True) + "\n{inte json\n", encoding="utf-8")
    with pytest.raises(CandidateFileError, match="rad 2"):
        load_candidates(path)


@pytest.fixture(scope="module")
def asked(engine) -> dict[str, dict]:
    """Real answers over the corpus, as /api/ask returns them."""
    answers = {
        "fact": engine.answerer.ask(FACT_QUESTION),
        "list": engine.answerer.ask(LIST_QUESTION),
        "abstained": engine.answerer.ask(ABSTAINED_QUESTION),
    }
    assert answers["fact"].citations and answers["list"].districts and not answers["abstained"].supported
    return {kind: ask_response(answer).model_dump(mode="json") for kind, answer in answers.items()}


def judge(store: ReviewStore, engine, reviewer: str, answer: dict, verdict: str, refuted: frozenset[int] = frozenset()):
    """Store ``reviewer``'s verdict; every citation supports except those in ``refuted``."""
    citations = [
        {"citation_id": c["id"], "verdict": "does_not_support" if c["id"] in refuted else "supports"}
        for c in answer["citations"]
    ]
    # The store keeps what it is given; the signature is the review API's to check.
    signed = answer | {"signature": "0" * 64}
    request = ReviewIn.model_validate({"answer": signed, "verdict": verdict, "citations": citations})
    return store.save(request, reviewer, index_stamp(engine)).review.answer_id


@pytest.fixture
def judged(tmp_path: Path, engine, asked) -> tuple[ReviewStore, dict[str, int]]:
    """A store holding judgments of each kind the export treats differently."""
    store = ReviewStore.open(f"sqlite:///{tmp_path}/reviews.db")

    def asked_again(question: str) -> dict:
        """The fact answer under another question: another answer to judge."""
        return asked["fact"] | {"question": question}

    # Every citation of the first district line is judged not to support it: that district must go.
    refuted = frozenset(asked["list"]["districts"][0]["citations"])
    ids = {
        "fact": judge(store, engine, "anna", asked["fact"], "correct"),
        "list": judge(store, engine, "anna", asked["list"], "partly_correct", refuted),
        "abstained": judge(store, engine, "anna", asked["abstained"], "correct"),
        "should_abstain": judge(
            store, engine, "anna", asked_again("Hur många ärenden granskade Malmö?"), "should_have_abstained"
        ),
        "wrong": judge(store, engine, "anna", asked_again("Hur många ärenden finns det?"), "wrong"),
        "tie": judge(store, engine, "anna", asked_again("Hur många ärenden har granskats?"), "correct"),
    }
    judge(store, engine, "bo", asked["fact"], "correct")
    judge(store, engine, "bo", asked_again("Hur många ärenden har granskats?"), "wrong")
    yield store, ids
    store.close()


class TestExport:
    def test_round_trip_every_snippet_is_in_its_document(self, tmp_path: Path, engine, asked, judged):
        store, ids = judged
        path = tmp_path / "out" / "candidates.jsonl"
        report = export_candidates(store, engine, path)
        candidates = {c.id: c for c in load_candidates(path)}
        assert report.written == len(candidates) == 4
        assert set(candidates) == {f"r{ids[kind]}" for kind in ("fact", "list", "abstained", "should_abstain")}
        assert {answer_id for answer_id, _ in report.skipped} == {ids["wrong"], ids["tie"]}
        assert all(c.split == "review" for c in candidates.values())
        for entry in candidates.values():
            for evidence in entry.evidence:
                assert evidence.snippet in engine.index.documents[evidence.doc_id].text
                assert 6 <= len(evidence.snippet.split()) <= 20
        text = path.read_text(encoding="utf-8")
        assert "\\u" not in text and "ä" in text

    def test_kinds_of_entries(self, tmp_path: Path, engine, asked, judged):
        store, ids = judged
        path = tmp_path / "candidates.jsonl"
        export_candidates(store, engine.index, path)
        candidates = {c.id: c for c in load_candidates(path)}

        fact = candidates[f"r{ids['fact']}"]
        assert (fact.type, fact.answerable, fact.question) == ("fact", True, FACT_QUESTION)
        assert fact.districts is None and fact.evidence
        assert "anna: correct, bo: correct" in fact.notes

        for kind in ("abstained", "should_abstain"):
            entry = candidates[f"r{ids[kind]}"]
            assert (entry.type, entry.answerable, entry.evidence) == ("unanswerable", False, [])

        listed = candidates[f"r{ids['list']}"]
        assert listed.type == "list" and listed.answerable
        lines = {line["name"]: line["citations"] for line in asked["list"]["districts"]}
        quotes = {c["id"]: c["quote"] for c in asked["list"]["citations"]}
        refuted = set(asked["list"]["districts"][0]["citations"])
        assert listed.districts and asked["list"]["districts"][0]["name"] not in listed.districts
        assert listed.districts == [name for name in lines if name in listed.districts]  # the answer's order
        for district, evidence in zip(listed.districts, listed.evidence, strict=True):
            supporting = [n for n in lines[district] if n not in refuted]
            assert any(evidence.snippet in quotes[n] for n in supporting), (district, evidence)

    def test_with_the_corpus_snippets_pass_the_gold_validator(self, tmp_path: Path, engine, judged):
        store, _ = judged
        path = tmp_path / "candidates.jsonl"
        export_candidates(store, engine, path, corpus_dir=CORPUS)
        validate = gold_validator()
        documents = validate.load_docs()
        snippets = [(e.doc_id, e.snippet) for c in load_candidates(path) for e in c.evidence]
        assert snippets
        problems = [validate.check_snippet(doc_id, snippet, documents, "export") for doc_id, snippet in snippets]
        assert [p for found in problems for p in found] == []

    def test_evidence_missing_from_the_given_index_is_dropped(self, tmp_path: Path, engine, asked, judged):
        store, ids = judged
        cited = {c["doc_id"] for c in asked["fact"]["citations"]}
        other = dataclasses.replace(
            engine.index, documents={d: doc for d, doc in engine.index.documents.items() if d not in cited}
        )
        report = export_candidates(store, other, tmp_path / "candidates.jsonl")
        assert (ids["fact"], "no supporting citation with a usable snippet") in report.skipped


class TestIntoTheEvaluation:
    """`stadshus eval --reviews PATH`: the exported entries load, are scored like the gold questions, and
    stay apart from them."""

    def test_exported_entries_are_scored_in_their_own_section(self, tmp_path: Path, engine, judged):
        store, ids = judged
        path = tmp_path / "candidates.jsonl"
        export_candidates(store, engine, path, corpus_dir=CORPUS)
        candidates = load_review_candidates(path)
        assert {c.id for c in candidates} == {f"r{ids[kind]}" for kind in ("fact", "list", "abstained", "should_abstain")}

        gold = load_questions(Split.dev)[:3]
        with_reviews = evaluate(engine, gold, Split.dev, ["hybrid"], reviews=(path, candidates))
        without = evaluate(engine, gold, Split.dev, ["hybrid"])
        reviews = with_reviews.reviews
        assert (reviews.path, reviews.candidates, reviews.answerable) == (str(path), 4, 2)
        assert [q.id for q in reviews.retrieval.questions] == [r.id for r in reviews.answers.records] == [c.id for c in candidates]
        # The judged fact answer, asked again, cites the evidence its reviewers accepted.
        fact = reviews.answers.record(f"r{ids['fact']}")
        assert fact.supported and fact.citations == fact.citations_correct > 0
        assert reviews.retrieval.question(f"r{ids['fact']}").ranks[0] is not None
        listed = reviews.answers.record(f"r{ids['list']}")
        assert listed.gold_districts and set(listed.gold_districts) <= set(listed.districts)
        assert reviews.answers.scores.by_type["unanswerable"].questions == 2
        # Apart: the gold figures, targets and failures are those of a run without the candidates.
        assert with_reviews.targets == without.targets
        assert [r.id for r in with_reviews.answers.records] == [q.id for q in gold]
        assert [f.id for f in with_reviews.failures] == [f.id for f in without.failures]
        assert without.reviews is None and "## Review candidates" not in render(without)

        report = render(with_reviews)
        section = report[report.index("## Review candidates (4)") :]
        assert str(path) in section and "### Retrieval (hybrid)" in section and "### Answers (extractive)" in section
        assert all(f"#### {failure.id} " in section for failure in reviews.failures)
        again = Evaluation.model_validate_json(with_reviews.model_dump_json())
        assert again.reviews == reviews


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "Kan inte läsa granskningskandidaterna"),
        ("{inte json\n", ":1 följer inte formatet för granskningskandidaterna"),
        (  # a gold question, not a candidate: another id and split
            '{"id": "q001", "split": "dev", "type": "fact", "question": "Vad?", "answerable": true, '
            '"evidence": [{"doc_id": "d", "snippet": "en snippet"}]}\n',
            ":1 följer inte formatet för granskningskandidaterna: id",
        ),
    ],
)
def test_eval_rejects_a_missing_or_broken_candidate_file(tmp_path: Path, cli_env, content, message):
    path = tmp_path / "candidates.jsonl"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    result = CliRunner().invoke(app, ["eval", "--reviews", str(path), "--system", "hybrid", "--no-report"])
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    assert result.stderr.startswith("Fel:") and message in result.stderr
    assert run_python_m_eval(["--reviews", str(path), "--systems", "hybrid", "--no-report"]) == 1
