"""The front door (``service.ask.Answerer.ask``) on the real corpus: each answer form, the constraints it
honours, and the same answer through the API and the CLI."""

from __future__ import annotations

import json
import re

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from service.analysis import Asked
from service.api.main import create_app
from service.checks import problems
from service.cli import app
from service.compose import ABSTAIN, ENGLISH_NOTE

FLAGSHIP = "Vilka stadsdelar arbetar med medborgarvärdar?"
SIX = {"Skärholmen", "Spånga-Tensta", "Enskede-Årsta-Vantör", "Hässelby-Vällingby", "Skarpnäck", "Rinkeby-Kista"}


@pytest.fixture(scope="module")
def ask(engine):
    return engine.answerer.ask


def served(answer, engine) -> None:
    """Every answer the front door gives passes the checks: quotes verbatim, markers and lines cited."""
    assert problems(answer, engine.index) == []


def test_a_list_of_districts_names_each_with_its_quote(ask, engine):
    answer = ask(FLAGSHIP)
    served(answer, engine)
    assert answer.asked == Asked.district_list.value and answer.supported
    assert {line.name for line in answer.districts} == SIX
    for line in answer.districts:
        assert line.citations and f"- {line.name} ({line.involvement}):" in answer.text


def test_a_list_within_a_region_keeps_to_it(ask, engine):
    answer = ask("Vilka stadsdelar i söderort arbetar med medborgarvärdar?")
    served(answer, engine)
    south = set(engine.gazetteer.in_region("ytterstad söder"))
    assert answer.districts and {line.name for line in answer.districts} <= south


def test_a_list_of_actors_cites_each(ask, engine):
    answer = ask("Med vilka samverkar Rinkeby-Kista mot välfärdsfusk?")
    served(answer, engine)
    assert answer.asked == Asked.actor_list.value and answer.supported
    names = {line.name.lower() for line in answer.actors}
    # "Detta sker i samverkan med stadsledningskontoret, socialförvaltningen och äldreförvaltningen. [...]
    # Samverkan sker även med Försäkringskassan"; Skatteverket is only planned ("planerar ... att utöka").
    assert {"stadsledningskontoret", "socialförvaltningen", "äldreförvaltningen", "försäkringskassan"} <= names
    # Districts and places are not actors.
    assert not names & {d.lower() for d in engine.gazetteer.names}


def test_an_actor_list_reads_a_list_announced_under_subheadings_and_keeps_to_the_kind_asked(ask, engine):
    # "... samverka med följande nämnder och bolag": the companies stand under the subheading "Bolagsstyrelser".
    answer = ask("Med vilka bolag tänker Rinkeby-Kista samverka i sitt lokala utvecklingsarbete?")
    served(answer, engine)
    names = {line.name.lower() for line in answer.actors}
    assert {"familjebostäder", "svenska bostäder", "stockholmshem", "sisab"} <= names
    assert not any(name.endswith("nämnden") for name in names)


def test_an_actor_list_does_not_count_the_place_the_question_names_as_the_answer(ask, engine):
    # The first sentence names "Stockholms Centralstation", which the question asks about; who took part
    # is said two sentences later.
    answer = ask("Vilka var med och tog fram samverkansöverenskommelsen för Centralstationen?")
    served(answer, engine)
    names = {line.name.lower() for line in answer.actors}
    assert {"jernhusen", "socialförvaltningen"} <= names
    assert "stockholms centralstation" not in names


def test_an_actor_list_in_a_place_admits_a_place_named_after_it(ask, engine):
    # "... i samverkan med näringslivet (Bintel och Norrsidan) och Kista Science City": in Kista.
    answer = ask("Vem samarbetar man med kring de smarta papperskorgarna i Kista?")
    served(answer, engine)
    assert answer.supported
    assert {"bintel", "norrsidan"} <= {line.name.lower() for line in answer.actors}


def test_a_year_the_documents_do_not_cover_is_said_plainly(ask, engine):
    answer = ask("Hur många narkotikabrott rapporterades vid Observatorielunden under 2019?")
    served(answer, engine)
    assert not answer.supported and answer.gaps == ("2019",)
    assert answer.text.startswith("För 2019 finns ingen uppgift i dokumenten.")
    # What the documents do say is quoted, as what they say, not as the answer.
    assert "2021" in answer.citations[0].quote


def test_the_year_asked_for_is_answered(ask, engine):
    answer = ask("Hur många narkotikabrott rapporterades vid Observatorielunden under 2021?")
    served(answer, engine)
    assert answer.supported and "400" in answer.text


@pytest.mark.parametrize(
    ("question", "gap"),
    [
        ("Hur mycket trygghetsmedel har Rinkeby-Kista fått?", "belopp"),
        ("När öppnar familjecentralen i Farsta?", "tidpunkt"),
    ],
)
def test_what_is_asked_and_missing_from_the_topics_sentences_is_said_plainly(ask, engine, question, gap):
    answer = ask(question)
    served(answer, engine)
    assert not answer.supported and answer.gaps == (gap,) and answer.citations


def test_how_often_is_answered_by_a_rate(ask, engine):
    answer = ask("Hur ofta har socialtjänst, Fält och fritid och polisen samverkansmöten på Norrmalm?")
    served(answer, engine)
    assert answer.supported and "en gång/månad" in answer.text


def test_each_part_of_a_question_of_several_gets_its_own_evidence(ask, engine):
    answer = ask("Vem riktar sig Jobbskjutsen till och hur många har fått jobb?")
    served(answer, engine)
    first, second = answer.text.split("\n")
    assert first.startswith("Vem riktar sig Jobbskjutsen till?") and second.startswith("Hur många har fått jobb?")
    quoted = [set(re.findall(r"\[(\d+)\]", line)) for line in (first, second)]
    # The second part quotes its own sentences, not the first part's again.
    assert quoted[0] and quoted[1] and not quoted[0] & quoted[1]


def test_what_is_new_on_a_topic_in_a_named_version(ask, engine):
    answer = ask("Vad är nytt om Jobbskjutsen i tertialrapport 2?")
    served(answer, engine)
    assert answer.asked == Asked.change.value and answer.supported
    assert answer.text.startswith("Nytt i Uppföljningsrapport näringsliv tertialrapport 2")
    assert {c.doc_id for c in answer.citations} == {"rinkeby-kista-naringsliv-2022-t2"}
    assert "18 deltagare" in answer.text


def test_a_version_question_without_a_report_asks_which(ask, engine):
    answer = ask("Vad är nytt i den senare versionen av rapporten?")
    served(answer, engine)
    assert not answer.supported and answer.gaps == ("rapport",)
    assert "Frågan säger inte vilken rapport" in answer.text and "tertialrapport 2" in answer.text


def test_a_development_over_the_years_is_told_oldest_first(ask, engine):
    answer = ask("Hur har arbetet med medborgarvärdar utvecklats mellan 2017 och 2022?")
    served(answer, engine)
    assert answer.text.startswith("Så här skriver dokumenten om det, äldst först:")
    assert len({c.doc_id for c in answer.citations}) >= 2


def test_an_english_question_is_answered_from_the_swedish_text(ask, engine):
    answer = ask("How many drug offences were reported at Observatorielunden in 2021?")
    served(answer, engine)
    assert answer.supported and "400" in answer.text and ENGLISH_NOTE in answer.notes


def test_nothing_on_the_topic_abstains(ask, engine):
    answer = ask("Hur många elefanter finns på Skansen?")
    served(answer, engine)
    assert not answer.supported and answer.text == ABSTAIN and not answer.citations


def test_a_heading_or_report_form_line_is_never_quoted(ask, engine):
    for question in (FLAGSHIP, "Beskriv samverkan med det lokala näringslivet", "Hur arbetar Rinkeby-Kista med Växla upp Stockholm?"):
        answer = ask(question)
        for citation in answer.citations:
            assert not citation.quote.startswith("Beskriv "), citation.quote


def test_the_api_and_the_cli_answer_as_the_front_door(ask, engine, cli_env):
    # The CLI used to skip the comparison of versions that lived in the ask route.
    question = "Vad är nytt om Jobbskjutsen i tertialrapport 2?"
    expected = ask(question)
    body = TestClient(create_app(engine=engine)).post("/api/ask", json={"question": question}).json()
    assert body["answer"] == expected.text and body["asked"] == "change"
    result = CliRunner().invoke(app, ["ask", question, "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["answer"] == expected.text
