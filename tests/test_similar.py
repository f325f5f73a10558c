"""More like this: similar passages from other documents and districts."""

from __future__ import annotations

import pytest

from indexer.duplicates import shingles
from service.schemas.similar import SimilarResponse, similar_response
from service.search import QueryError
from service.similar import UnknownChunk, similar_passages
from service.versions import report_families

T1 = "rinkeby-kista-naringsliv-2022-t1"
T2 = "rinkeby-kista-naringsliv-2022-t2"


def chunk_with(engine, doc_id: str, text: str):
    return next(c for c in engine.index.chunks if c.doc_id == doc_id and text in c.text)


def test_similar_passages_come_from_other_reports_and_other_districts(engine):
    source = chunk_with(engine, T2, "medborgarvärdarna delade ut")
    results = similar_passages(engine, source.chunk_id, k=5)
    assert len(results) == 5
    assert [p.rank for p in results] == [1, 2, 3, 4, 5]
    assert [p.score for p in results] == sorted((p.score for p in results), reverse=True)
    families = report_families(engine.index.documents)
    for passage in results:
        assert families[passage.chunk.doc_id] != families[T2]
        assert not set(passage.chunk.districts) & set(source.districts)
        assert passage.title == engine.index.documents[passage.chunk.doc_id].title


def test_same_district_is_allowed_when_asked(engine):
    source = chunk_with(engine, T2, "medborgarvärdarna delade ut")
    results = similar_passages(engine, source.chunk_id, k=20, other_districts_only=False)
    assert any("Rinkeby-Kista" in p.chunk.districts for p in results)
    assert not {p.chunk.doc_id for p in results} & {T1, T2}


def test_near_duplicates_of_the_source_are_left_out(engine):
    # The form's introduction is the same in the Norrmalm report and both Rinkeby-Kista reports.
    source = chunk_with(engine, "norrmalm-naringsliv-2022", "För att nå resultat och sammanhållet")
    position = engine.index.chunk_position(source.chunk_id)
    duplicates = set(engine.index.duplicates[position])
    assert {engine.index.chunks[d].doc_id for d in duplicates} == {T1, T2}
    results = similar_passages(engine, source.chunk_id, k=10, other_districts_only=False)
    positions = {engine.index.chunk_position(p.chunk.chunk_id) for p in results}
    assert not positions & duplicates
    assert all(p.chunk.doc_id != source.doc_id for p in results)
    # Results are collapsed too: no result is a near-duplicate of another.
    for position in positions:
        assert not set(engine.index.duplicates.get(position, [])) & positions


def repeat_within_a_document(engine, first, second) -> bool:
    """Whether two passages of one document carry the same text: overlapping chunks, or near-duplicates by
    the index's containment rule."""
    a, b = first.chunk, second.chunk
    if a.doc_id != b.doc_id:
        return False
    if a.start < b.end and b.start < a.end:
        return True
    grams_a, grams_b = shingles(a.text), shingles(b.text)
    return len(grams_a & grams_b) >= engine.settings.duplicate_containment * min(len(grams_a), len(grams_b))


@pytest.mark.parametrize("other_districts_only", [True, False])
def test_text_repeated_within_a_document_shows_once(engine, other_districts_only):
    # Every passage of the corpus as the source. Before within-document repeats were collapsed, 276 of the
    # 412 (265 with other_districts_only=False) listed two overlapping or near-duplicate chunks of one document.
    repeats = []
    for source in engine.index.chunks:
        results = similar_passages(engine, source.chunk_id, k=10, other_districts_only=other_districts_only)
        assert [p.rank for p in results] == list(range(1, len(results) + 1))
        assert [p.score for p in results] == sorted((p.score for p in results), reverse=True)
        repeats += [
            (source.chunk_id, passage.chunk.chunk_id, other.chunk.chunk_id)
            for i, passage in enumerate(results)
            for other in results[i + 1 :]
            if repeat_within_a_document(engine, passage, other)
        ]
    assert repeats == []


def test_the_best_of_repeated_passages_is_kept_and_k_is_filled(engine):
    # Norrmalm's report answers two of the form's questions with the same sentence (two chunks, one text).
    answer = "Stadsdelsnämnden genomför tillsammans med Stockholm Business Region företagsdialoger"
    repeated = [c for c in engine.index.chunks if c.doc_id == "norrmalm-naringsliv-2022" and answer in c.text]
    assert len(repeated) == 2 and repeated[0].text == repeated[1].text
    source = chunk_with(engine, T1, "Förvaltningen deltar i SBR:s återkommande nätverksmöten")
    vector = engine.index.dense.vector

    def similarity(chunk) -> float:
        return float(vector(engine.index.chunk_position(source.chunk_id)) @ vector(engine.index.chunk_position(chunk.chunk_id)))

    for other_districts_only in (True, False):
        results = similar_passages(engine, source.chunk_id, k=10, other_districts_only=other_districts_only)
        assert len(results) == 10
        shown = [p for p in results if p.chunk.chunk_id in {c.chunk_id for c in repeated}]
        assert len(shown) == 1 and shown[0].rank == 1
        assert shown[0].score == pytest.approx(max(similarity(c) for c in repeated), abs=1e-5)


def test_unknown_chunk_is_a_key_error_with_a_swedish_message(engine):
    with pytest.raises(UnknownChunk, match="Okänt textstycke") as caught:
        similar_passages(engine, "finns-inte#0-0000000000")
    assert isinstance(caught.value, KeyError)
    assert str(caught.value).startswith("Okänt textstycke")


def test_k_out_of_range_is_a_query_error(engine):
    with pytest.raises(QueryError):
        similar_passages(engine, engine.index.chunks[0].chunk_id, k=0)


def test_json_form(engine):
    source = chunk_with(engine, T2, "medborgarvärdarna delade ut")
    payload = similar_response(source.chunk_id, similar_passages(engine, source.chunk_id, k=3))
    assert SimilarResponse.model_validate_json(payload.model_dump_json()) == payload
    for result in payload.results:
        assert engine.index.documents[result.doc_id].text[result.start : result.end] == result.text


def test_a_city_wide_document_offers_its_other_districts(engine):
    # Socialförvaltningen's plan has a section per district: more like Skärholmen's medborgarvärdar are
    # the other districts' sections of the same plan, not unrelated passages elsewhere.
    city_wide = "socialforvaltningen-lokala-utvecklingsplaner-2017"
    source = chunk_with(engine, city_wide, "Medborgarvärdarna rör sig ute i Vårberg")
    results = similar_passages(engine, source.chunk_id, k=5)
    own = [p for p in results if p.chunk.doc_id == city_wide]
    assert own, [p.chunk.doc_id for p in results]
    for passage in own:
        assert passage.chunk.districts and not set(passage.chunk.districts) & set(source.districts)
    assert any("medborgarvärd" in p.chunk.text.lower() for p in own)
