"""Shared fixtures: the real bundled model and a real Chroma store built once per test session."""
from __future__ import annotations

import os
import shutil
import socket
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

from advisor.answer import Advisor  # noqa: E402
from advisor.embeddings import make_embedder  # noqa: E402
from advisor.settings import Settings  # noqa: E402
from bot.serve import Runtime  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
KNOWLEDGE = ROOT / "knowledge"


@pytest.fixture(autouse=True)
def _no_advisor_environment(monkeypatch):
    """Tests see only the settings they build: no ADVISOR_* variables or .env of the developer."""
    for key in list(os.environ):
        if key.startswith("ADVISOR_"):
            monkeypatch.delenv(key)
    monkeypatch.setitem(Settings.model_config, "env_file", None)


def make_settings(tmp: Path, **overrides) -> Settings:
    values = {"store_dir": tmp / "store", "knowledge_dir": KNOWLEDGE} | overrides
    return Settings(_env_file=None, **values)


@pytest.fixture(scope="session")
def model_cache(tmp_path_factory) -> Path:
    """The session's ONNX exports: child processes get it as ADVISOR_MODEL_CACHE_DIR, never the checkout's var/models."""
    return tmp_path_factory.mktemp("models")


@pytest.fixture(scope="session")
def embedder(model_cache):
    """The default models (multilingual e5 fused with all-MiniLM-L6-v2), loaded once for the whole run."""
    model = make_embedder(Settings(_env_file=None).embedding_model, model_cache, threads=0)
    model.embed(["warm-up"])
    return model


@pytest.fixture(scope="session")
def built_store(tmp_path_factory, embedder) -> Path:
    """knowledge/ ingested once into a store; tests that change a store copy it first."""
    from ingest.build import ingest

    tmp = tmp_path_factory.mktemp("kb")
    report = ingest(make_settings(tmp), None, embedder)
    assert report.published, report.summary()
    return tmp / "store"


@pytest.fixture
def store_copy(built_store, tmp_path) -> Path:
    target = tmp_path / "store"
    shutil.copytree(built_store, target)
    return target


@pytest.fixture(scope="session")
def advisor(built_store, embedder, tmp_path_factory) -> Advisor:
    settings = Settings(_env_file=None, store_dir=built_store, knowledge_dir=KNOWLEDGE)
    return Advisor(settings, embedder)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def make_services(store_copy, tmp_path, embedder):
    """The real Runtime over a copy of the built store, sharing the session's loaded model."""
    made = []

    def make(**overrides) -> Runtime:
        services = Runtime(make_settings(tmp_path, **({"store_dir": store_copy} | overrides)), embedder=embedder)
        services.load()
        made.append(services)
        return services

    yield make
    for services in made:
        services.journal.close()
        services.review.close()
