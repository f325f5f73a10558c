"""The evaluation's regression guard, and its entry point's handling of bad input.

On the dev split (hybrid retrieval and extractive answers over the session index; no ablations, no
LangChain baseline), Recall@5 and the list questions' district F1 may not fall more than 0.05 below
the figures recorded in ``eval/figures.json`` by ``python -m eval --record``.
"""

from __future__ import annotations

import json

import pytest

from eval.gold import Split, load_questions
from eval.run import FIGURES, Evaluation, evaluate, main
from tests.conftest import make_settings

TOLERANCE = 0.05


@pytest.fixture(scope="module")
def figures() -> dict:
    return json.loads(FIGURES.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def dev_run(engine) -> Evaluation:
    return evaluate(engine, load_questions(Split.dev), Split.dev, ["hybrid"])


def test_the_figures_were_recorded_on_the_dev_split(figures):
    assert figures["split"] == "dev"


def test_recall_at_5_holds(dev_run, figures):
    measured = dev_run.system("hybrid").overall.recall_at(5)
    assert measured >= figures["recall_at_5"] - TOLERANCE, f"Recall@5 {measured:.3f}, recorded {figures['recall_at_5']:.3f}"


def test_list_district_f1_holds(dev_run, figures):
    measured = dev_run.answers.scores.districts.f1
    assert measured >= figures["district_f1"] - TOLERANCE, f"district F1 {measured:.3f}, recorded {figures['district_f1']:.3f}"


def test_the_dev_run_judged_every_question(dev_run):
    dev = load_questions(Split.dev)
    assert [q.id for q in dev_run.system("hybrid").questions] == [q.id for q in dev]
    assert len(dev_run.answers.records) == len(dev)
    assert dev_run.header.split == "dev"


def test_unknown_systems_and_splits_exit_2_with_a_swedish_message(capsys):
    assert main("dev", ["nope"], write_report=False) == 2
    assert "Okänt system" in capsys.readouterr().err
    assert main("later", None, write_report=False) == 2
    assert "Okänd del" in capsys.readouterr().err
    assert main("test", ["hybrid"], write_report=False, record=True) == 2
    assert "--split dev" in capsys.readouterr().err


def test_a_missing_index_exits_1_without_a_traceback(tmp_path, capsys):
    assert main("dev", ["hybrid"], write_report=False, settings=make_settings(tmp_path / "no-index")) == 1
    err = capsys.readouterr().err
    assert err.startswith("Fel:") and "stadshus index" in err and "Traceback" not in err
