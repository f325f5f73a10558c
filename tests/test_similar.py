"""More like this: similar passages from other documents and districts."""

from __future__ import annotations

import pytest

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
