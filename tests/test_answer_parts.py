"""The pieces answers are made of, on small texts: actors named in a sentence, the districts a sentence
credits, sentence flags, the stored sentence table, and the checks every answer passes."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from indexer.sentences import FORM, FRAGMENT, SHARED, SentenceRows, SentenceTable, sentence_flags, text_key
from indexer.types import Answer, Citation, DistrictFinding, Document, Section
from service.actors import ActorKind, actor_key, actors_in, asked_kind, is_actor, of_kind
from service.attribution import credited, involvement, strongest
from service.analysis import analyse
from service.checks import problems
from service.evidence import type_fit


# Actors


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("Arbetet sker tillsammans med polisen, Svenska Bostäder och Fryshuset.", {"polisen", "svenska bostäder", "fryshuset"}),
        ("Socialnämnden, utbildningsnämnden och SISAB deltar i samverkan.", {"socialnämnden", "utbildningsnämnden", "sisab"}),
        ("Fastighetsägare i Järva har bidragit med finansiering.", {"fastighetsägare i järva"}),
    ],
)
def test_actors_are_found_by_the_shape_of_their_names(sentence, expected):
    assert expected <= {actor_key(m.name) for m in actors_in(sentence)}


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("Vilka bolag vill Rinkeby-Kista samverka med?", ActorKind.company),
        ("Med vilka företag samarbetar Norrmalm?", ActorKind.company),
        ("Which companies take part in the project?", ActorKind.company),
        ("Vilka andra myndigheter deltar?", ActorKind.public_body),
        ("Vilka församlingar har Norrmalm träffat?", ActorKind.congregation),
        # Two kinds, or none, ask for actors of any kind; a kind word elsewhere is not what is asked for.
        ("Vilka företag och organisationer är med i projektet?", None),
        ("Vilka andra aktörer än stadsdelsförvaltningen deltog?", None),
        ("Med vilka samverkar Rinkeby-Kista mot välfärdsfusk?", None),
    ],
)
def test_a_list_question_may_ask_for_one_kind_of_actor(question, kind):
    assert asked_kind(question) is kind


@pytest.mark.parametrize(
    ("name", "company"),
    [
        ("Familjebostäder", True),
        ("Stockholm Business Region", True),
        ("SISAB", True),
        ("Jernhusen", True),
        ("Utbildningsnämnden", False),
        ("Skatteverket", False),
        ("Region Stockholm", False),
        ("Förvaltningsledningens stab", False),
        ("organisation", False),
    ],
)
def test_an_actor_is_a_company_or_a_public_body_by_its_name(name, company):
    assert of_kind(name, ActorKind.company) is company
    assert of_kind(name, ActorKind.public_body) is (company is False and name != "organisation")


def test_the_writer_itself_and_places_are_not_actors():
    assert not is_actor("Förvaltningen")
    assert not is_actor("stadsdelsområdet")
    assert not is_actor("Vi", first_word=True)
    assert is_actor("Trafikkontoret")


@pytest.mark.parametrize(
    "phrase",
    ["Drottninggatan", "Sunnanbyplan", "Stockholms Centralstation", "Cityterminalen", "Observatorielunden",
     "Klara Kyrka initierats", "Sundbyberg förstärks", "Q56or"],
)
def test_streets_stations_clauses_and_codes_are_not_actors(phrase):
    assert not is_actor(phrase)


@pytest.mark.parametrize(
    ("sentence", "found", "not_found"),
    [
        ("Samverkan sker med Sveriges a-kassor, CSN och Försäkringskassan.", {"sveriges a-kassor", "csn", "försäkringskassan"}, set()),
        ("Polisen driver projektet ”Visa att du bryr dig!” med skolorna.", {"polisen"}, {"visa"}),
        ("Planen har tre delar: - Lokal samverkan - Stärka föräldrar - Trygghet.", set(), {"lokal", "stärka", "trygghet"}),
        ("Samverkan sker med Skatteverket samt Inspektionen för vård och omsorg.", {"skatteverket", "inspektionen för vård och omsorg"}, set()),
    ],
)
def test_a_word_capitalised_by_its_place_is_no_name(sentence, found, not_found):
    keys = {actor_key(m.name) for m in actors_in(sentence)}
    assert {actor_key(name) for name in found} <= keys
    assert not keys & not_found


def test_actor_keys_fold_case_genitive_and_ab():
    assert actor_key("Fryshusets") == actor_key("fryshuset") == "fryshuset"
    assert actor_key("Svenska Bostäder AB") == actor_key("svenska bostäder") == "svenska bostäder"


# Attribution


def test_a_place_inside_an_organisations_name_credits_no_district(engine):
    found = credited(engine.gazetteer, "Vi samverkar med Lokalpolisområde City och skolorna.", ("Skarpnäck",))
    assert [name for name, _ in found] == ["Skarpnäck"]


def test_another_district_is_credited_by_its_own_name(engine):
    found = dict(credited(engine.gazetteer, "Modellen har prövats, som man gjort i Skärholmen.", ("Farsta",)))
    assert found["Farsta"] and found["Skärholmen"] == "har"


def test_involvement_reads_the_tense():
    assert involvement("Stadsdelen har anställt medborgarvärdar.") == "har"
    assert involvement("Stadsdelen ska anställa medborgarvärdar.") == "kommer att"
    assert involvement("Stadsdelen planerar att anställa medborgarvärdar.") == "planerar"
    assert involvement("Medborgarvärdar nämns i rapporten.") == "nämner"
    assert strongest(["nämner", "planerar", "har"]) == "har"


# Sentences


@pytest.mark.parametrize(
    ("question", "sentence", "fits"),
    [
        ("Hur många invånare bor i Vårberg?", "Aktiviteter för kvinnor 20-45 år i Vårberg.", False),
        ("Hur många invånare bor i Vårberg?", "I Vårberg bor 12 000 invånare.", True),
        ("Hur länge har de fått bistånd?", "Individer som fått bistånd längre än 12 månader.", True),
        ("När öppnar familjecentralen?", "En idrottstävling per år.", False),
        ("När öppnar familjecentralen?", "Familjecentralen öppnar hösten 2023.", True),
        ("Hur ofta träffas de?", "Samverkansmöte en gång/månad.", True),
        ("Hur ofta träffas de?", "Samverkansmöte med polisen.", False),
        ("Hur stor andel klarar gymnasiet?", "Fyra grundskolor har besökts.", False),
        ("Hur stor andel klarar gymnasiet?", "Hälften av eleverna klarar gymnasiet.", True),
        ("Vad visade enkäten?", "En enkät delades ut till företagarna.", False),
        ("Vad visade enkäten?", "Enkäten visade att företagarna vill ha mer dialog.", True),
        ("Vem är stadsdelsdirektör?", "Stadsdelsdirektören leder förvaltningen tillsammans med Svenska Bostäder.", False),
        ("Vem är stadsdelsdirektör?", "Stadsdelsdirektör är Anna Svensson sedan 2020.", True),
    ],
)
def test_a_sentence_is_checked_for_what_the_question_asks(engine, question, sentence, fits):
    part = analyse(question, engine.gazetteer).parts[0]
    assert type_fit(part, sentence) == (True, fits)


def test_sentence_flags():
    assert sentence_flags("Beskriv nämndens arbete", shared=True) == FRAGMENT | SHARED | FORM
    assert sentence_flags("Stadsdelsnämnden har anställt fyra medborgarvärdar under året.", shared=False) == 0
    assert sentence_flags("Uppdatering T2", shared=False) == FRAGMENT


def document(doc_id: str, organisation: str, body: str) -> Document:
    return Document(doc_id, f"{doc_id}.txt", doc_id, "0" * 64, text=body, organisation=organisation,
                    sections=(Section(("Rubrik",), 0, len(body)),))


def test_sentence_rows_flag_text_shared_across_organisations():
    shared = "Beskriv nämndens arbete med trygghet."
    rows = SentenceRows.of([
        document("a", "Farsta", f"{shared} Farsta har trygghetsvandringar."),
        document("b", "Skarpnäck", f"{shared} Skarpnäck har medborgarvärdar."),
    ])
    assert rows.texts == [shared, "Farsta har trygghetsvandringar.", shared, "Skarpnäck har medborgarvärdar."]
    assert [bool(f & SHARED) for f in rows.flags] == [True, False, True, False]
    assert bool(rows.flags[0] & FORM)


def test_sentence_table_round_trip(tmp_path):
    rows = SentenceRows.of([document("a", "Farsta", "Första meningen här. Andra meningen där.")])
    keys = np.array([text_key(t) for t in rows.texts], dtype=np.int64)
    vectors = np.random.default_rng(0).random((len(keys), 4)).astype(np.float16)
    SentenceTable(rows.spans, rows.documents, rows.sections, rows.flags, keys, vectors).write(tmp_path)
    table = SentenceTable.open(tmp_path)
    assert len(table) == 2 and list(table.within(0, 0, 20)) == [0]
    np.testing.assert_array_equal(table.vectors_of([1]), vectors[[1]])
    assert set(table.reusable_vectors()) == set(keys.tolist())


def test_a_damaged_sentence_table_is_refused(tmp_path):
    rows = SentenceRows.of([document("a", "Farsta", "Första meningen här. Andra meningen där.")])
    keys = np.array([text_key(t) for t in rows.texts], dtype=np.int64)
    SentenceTable(rows.spans, rows.documents, rows.sections, rows.flags, keys, np.zeros((1, 4), np.float16)).write(tmp_path)
    with pytest.raises(ValueError):
        SentenceTable.open(tmp_path)


# Checks


def test_checks_find_a_quote_that_is_not_the_text(engine):
    doc_id, record = next(iter(engine.index.documents.infos.items()))
    text = engine.index.documents[doc_id].text
    start = text.index(".") + 2
    end = text.index(".", start) + 1
    citation = Citation(1, engine.index.chunks[0].chunk_id, doc_id, record.title, (), "", text[start:end], start, end, None)
    good = Answer("q", f"{citation.quote} [1]", True, citations=(citation,))
    assert problems(good, engine.index) == []
    assert problems(replace(good, citations=(replace(citation, quote=citation.quote + "x"),)), engine.index)
    assert problems(replace(good, text="Inget citat."), engine.index) == ["citation [1] is not used in the text"]
    assert problems(replace(good, text="[1] [2]"), engine.index) == ["[2] in the text names no citation"]
    line = DistrictFinding("Farsta", (3,), "har")
    assert problems(replace(good, districts=(line,)), engine.index) == ["the line for Farsta cites nothing it may"]
