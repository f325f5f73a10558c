"""Question analysis on a table of questions: what is asked and which constraints are read."""

from __future__ import annotations

import pytest

from service.analysis import Asked, Measure, analyse, language_of, split_parts


@pytest.mark.parametrize(
    ("question", "asked"),
    [
        ("Hur många narkotikabrott rapporterades vid Observatorielunden under 2021?", Asked.number),
        ("Hur mycket pengar fick projektet?", Asked.number),
        ("När startade medborgarvärdarna i Skarpnäck?", Asked.date),
        ("Var i Farsta finns trygghetsproblem?", Asked.place),
        ("Vem ansvarar för feriejobben?", Asked.actor),
        ("Vad innebär medborgarbudget?", Asked.definition),
        ("Hur arbetar stadsdelen med unga som begått brott?", Asked.explanation),
        ("Varför har man infört medborgarvärdar?", Asked.explanation),
        ("Finns det någon fältgrupp i Rinkeby?", Asked.yes_no),
        ("Vilka stadsdelar arbetar med medborgarvärdar?", Asked.district_list),
        ("I vilka stadsdelsområden finns trygghetsvandringar?", Asked.district_list),
        ("Which districts work with summer jobs for young people?", Asked.district_list),
        # A district named: the areas asked for are places inside it, not a list of districts.
        ("Vilka områden är prioriterade i Farstas program?", Asked.place),
        ("Vilka organisationer var med på trygghetsvandringen?", Asked.actor_list),
        ("Vilka församlingar har Norrmalm träffat?", Asked.actor_list),
        ("Med vilka samverkar stadsdelsförvaltningen i brottsförebyggande arbete?", Asked.actor_list),
        ("Who does the district work with on safety?", Asked.actor_list),
        ("Har något ändrats mellan T1 och T2?", Asked.change),
        ("Vad är nytt i den senare versionen av rapporten?", Asked.change),
        ("Hur har arbetet med medborgarvärdar utvecklats mellan 2017 och 2022?", Asked.change),
        ("Vad skrev man om trygghet i LUP:en 2017 och i den från 2022?", Asked.change),
        ("How has the work with citizen hosts changed over time?", Asked.change),
        ("Hur har de prioriterade temana formulerats om sedan tertialrapport 1?", Asked.change),
        ("Har bilcruisingen blivit lugnare jämfört med tidigare år?", Asked.change),
        ("Vad har hänt med Jobbskjutsen sedan T1?", Asked.change),
        ("Has safety at Sergels torg improved since last year?", Asked.change),
        ("Vilka nya företag har etablerat sig i Kista?", Asked.actor_list),
    ],
)
def test_what_is_asked(engine, question, asked):
    assert analyse(question, engine.gazetteer).asked is asked


def test_constraints_are_read(engine):
    analysis = analyse("Hur många företag besöktes i Rinkeby-Kista under 2022, enligt T2?", engine.gazetteer)
    assert analysis.districts == ("Rinkeby-Kista",)
    assert analysis.years == (2022,)
    assert analysis.tertials == (2,)
    assert analysis.language == "sv"
    assert "rinkeby" in analysis.constraint_words and "2022" in analysis.constraint_words


def test_a_year_range_is_one_period(engine):
    analysis = analyse("Hur utvecklades arbetet 2017-2022?", engine.gazetteer)
    assert analysis.year_range == (2017, 2022)


def test_a_region_constrains_to_its_districts(engine):
    analysis = analyse("Vilka stadsdelar i söderort arbetar med medborgarvärdar?", engine.gazetteer)
    assert analysis.asked is Asked.district_list
    assert analysis.districts and set(analysis.districts) <= set(engine.gazetteer.in_region("ytterstad söder"))
    assert "Rinkeby-Kista" not in analysis.districts


def test_a_place_names_its_district_but_not_as_a_constraint_word(engine):
    analysis = analyse("Hur många brott rapporterades i Hökarängen?", engine.gazetteer)
    assert analysis.places == ("Hökarängen",) and analysis.districts == ("Farsta",)
    # A place is the topic's own word ("trygghet i Hökarängen"), not only a constraint.
    assert "hökarängen" not in analysis.constraint_words


def test_either_or_is_read(engine):
    assert analyse("Arbetar Skarpnäck med feriejobb eller läxhjälp?", engine.gazetteer).any_of
    assert not analyse("Vet ni om Skarpnäck har feriejobb eller inte?", engine.gazetteer).any_of


def test_document_words_are_not_topic(engine):
    analysis = analyse("Vad står det om trygghet i det lokala utvecklingsprogrammet?", engine.gazetteer)
    assert any("utvecklingsprogram" in word.lower() for word in analysis.document_words)


@pytest.mark.parametrize(
    ("question", "parts"),
    [
        ("Hur många ungdomar fick feriejobb och hur många gick vidare till jobb?", 2),
        ("Vad är medborgarbudget? När infördes den?", 2),
        ("Vilka stadsdelar har medborgarvärdar och vad gör de?", 2),
        ("Hur arbetar man med trygghet och säkerhet i Farsta?", 1),
    ],
)
def test_several_questions_in_one_are_split(engine, question, parts):
    assert len(split_parts(question)) == parts
    analysis = analyse(question, engine.gazetteer)
    assert analysis.is_multi_part is (parts > 1)


def test_each_part_is_analysed_on_its_own(engine):
    analysis = analyse("Vilka stadsdelar har medborgarvärdar och när började de?", engine.gazetteer)
    assert [p.asked for p in analysis.parts] == [Asked.district_list, Asked.date]


@pytest.mark.parametrize(
    ("question", "language"),
    [
        ("Which districts work with citizen hosts?", "en"),
        ("How many drug offences were reported in 2021?", "en"),
        ("Vilka stadsdelar arbetar med medborgarvärdar?", "sv"),
        ("Hur många?", "sv"),
    ],
)
def test_language(question, language):
    assert language_of(question) == language


def test_an_amount_is_told_apart_from_a_count(engine):
    amount = analyse("Hur mycket pengar fick föreningarna?", engine.gazetteer).parts[0]
    count = analyse("Hur många föreningar fick pengar?", engine.gazetteer).parts[0]
    assert amount.wants is Measure.amount and count.wants is None
    funds = analyse("Hur mycket trygghetsmedel har Rinkeby-Kista fått?", engine.gazetteer).parts[0]
    assert funds.wants is Measure.amount


@pytest.mark.parametrize(
    ("question", "measure"),
    [
        ("Hur ofta träffas nätverket?", Measure.rate),
        ("Hur många träffas i nätverket?", None),
        ("Hur stor andel av eleverna klarar gymnasiet?", Measure.share),
        ("Vad visade enkäten på näringslivsdialogen?", Measure.result),
        ("Vad gjorde förvaltningen på näringslivsdialogen?", None),
        ("Vem är stadsdelsdirektör i Rinkeby-Kista?", Measure.person),
        ("Vem är med i nätverket?", None),
    ],
)
def test_what_the_answer_must_hold(engine, question, measure):
    assert analyse(question, engine.gazetteer).parts[0].wants is measure


@pytest.mark.parametrize(
    "question",
    ["Vilka stadsdelar i söderort vill samverka med trafikkontoret?", "Vilka stadsdelsnämnder vill samverka med Stockholm Business Region?"],
)
def test_the_noun_after_which_says_what_is_listed(engine, question):
    assert analyse(question, engine.gazetteer).asked is Asked.district_list
