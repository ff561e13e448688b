"""The server's embedder: both models side by side, concurrent questions gathered into one forward pass each;
a question gets the vector it gets alone, whatever it was batched with. And the optional int8 question encoder."""
from __future__ import annotations

import os
import shutil
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from advisor.embeddings import BatchingEmbedder, FusedEmbedder, OnnxQueryEmbedder, batching_for, export_dir, make_embedder
from advisor.embeddings.onnx_mirror import ONNX_FILE, QUERY_INT8_FILE, TOKENIZER_FILE
from advisor.evaluate import read_cases
from advisor.settings import BUNDLED_MODEL, Settings
from bot.serve import Runtime

from .conftest import make_settings
from .fakes import HashEmbedder
from .sample_texts import LONG, TEXTS

# The texts in a batch differ in length up to a paragraph's (what padding would shift); past the models' window a
# text is cut, which tests/test_embeddings.py checks, so the batches here need no text that long.
BATCH = [t for t in TEXTS if t != LONG] + [LONG[:700]]

EVAL = Path(__file__).resolve().parent.parent / "eval"


@pytest.fixture(scope="module")
def answering(embedder, model_cache):
    """The embedder `advisor serve` answers with: one thread per model (after `embedder` left an ONNX export)."""
    model = make_embedder(Settings(_env_file=None).embedding_model, model_cache, threads=1)
    model.embed(["warm-up"], query=True)
    return model


def alone(model, texts, query):
    return np.concatenate([model.embed([t], query=query) for t in texts])


def assert_same_vectors(got, expected):
    assert got.shape == expected.shape and got.dtype == np.float32
    np.testing.assert_allclose(got, expected, atol=2e-5)


def test_the_answering_embedder_runs_its_models_side_by_side_where_there_are_cores_for_both(answering, model_cache):
    assert isinstance(answering, FusedEmbedder)
    assert (answering._helpers is not None) == ((os.cpu_count() or 1) >= 2)
    all_cores = make_embedder(Settings(_env_file=None).embedding_model, model_cache, threads=None)
    assert isinstance(all_cores, FusedEmbedder) and all_cores._helpers is None  # ingestion: the models take turns


@pytest.mark.parametrize("query", [True, False])
def test_a_batch_gives_each_text_its_vector_alone(answering, query):
    assert_same_vectors(answering.embed(BATCH, query=query), alone(answering, BATCH, query))


def test_side_by_side_gives_the_vectors_of_one_model_after_the_other(answering):
    in_turn = FusedEmbedder(answering.parts)
    assert_same_vectors(answering.embed(BATCH, query=True), in_turn.embed(BATCH, query=True))
    assert answering.dims == in_turn.dims == (384, 384)


def test_concurrent_callers_each_get_their_own_rows_in_their_own_role(answering):
    batching = BatchingEmbedder(answering)
    requests = [([t], i % 3 != 0) for i, t in enumerate(BATCH)] + [(BATCH[:3], True), (BATCH[3:7], False)]
    start = threading.Barrier(len(requests))

    def ask(request):
        texts, query = request
        start.wait()
        return batching.embed(texts, query=query)

    with ThreadPoolExecutor(len(requests)) as pool:
        results = list(pool.map(ask, requests))
    for (texts, query), got in zip(requests, results):
        assert_same_vectors(got, alone(answering, texts, query))


def test_a_question_asked_again_is_not_embedded_again_and_passages_always_are():
    model = HashEmbedder()
    batching = BatchingEmbedder(model, remember=2)
    first = batching.embed(["export of firmware", "a PhD student"], query=True)
    again = batching.embed(["a PhD student", "export of firmware", "a PhD student"], query=True)
    assert model.texts == 2  # nothing new went to the model
    assert_same_vectors(again, first[[1, 0, 1]])
    batching.embed(["export of firmware"], query=False)
    batching.embed(["export of firmware"], query=False)
    assert model.texts == 4  # passages are not remembered
    batching.embed(["a PhD student", "export of firmware"], query=True)  # the PhD student is now the least recent
    batching.embed(["a visiting scholar"], query=True)  # a third question pushes it out, not the first one asked
    assert model.texts == 5
    batching.embed(["export of firmware"], query=True)
    assert model.texts == 5
    batching.embed(["a PhD student"], query=True)
    assert model.texts == 6
    assert_same_vectors(batching.embed(["a PhD student"], query=True), model.embed(["a PhD student"], query=True))


def test_the_engines_of_a_process_share_one_batcher_per_model_and_its_memory_follows_the_setting(tmp_path):
    model, other = HashEmbedder(), HashEmbedder(dim=32)
    engines = [Runtime(make_settings(tmp_path / name), embedder=model) for name in ("a", "b")]
    forgetful = Runtime(make_settings(tmp_path / "c", remembered_questions=0), embedder=model)
    try:
        assert engines[0].embedder is engines[1].embedder is batching_for(model, engines[0].settings.remembered_questions)
        assert batching_for(engines[0].embedder, 0) is engines[0].embedder  # a batcher is not batched again
        engines[0].embedder.embed(["Can I host a visiting researcher?"], query=True)
        engines[1].embedder.embed(["Can I host a visiting researcher?"], query=True)
        assert model.texts == 1
        forgetful.embedder.embed(["Can I host a visiting researcher?"], query=True)
        forgetful.embedder.embed(["Can I host a visiting researcher?"], query=True)
        assert model.texts == 3
        assert batching_for(other, 2).embed(["a question"], query=True).shape == (1, 32)
    finally:
        for engine in [*engines, forgetful]:
            engine.journal.close()
            engine.review.close()


@pytest.mark.long
def test_the_int8_question_encoder_stays_close_to_the_full_model_and_leaves_passages_alone(embedder, model_cache, tmp_path):
    source = export_dir(model_cache, BUNDLED_MODEL)
    for name in (ONNX_FILE, TOKENIZER_FILE):
        shutil.copy(source / name, tmp_path / name)
    full = OnnxQueryEmbedder(BUNDLED_MODEL, tmp_path)
    int8 = OnnxQueryEmbedder(BUNDLED_MODEL, tmp_path, int8_queries=True)
    # The question sets, not the threads: a thread's one-word follow-up ("Source?") lands at cosine 0.984 of the
    # full model through the int8 encoder (an option that is off by default; docs/throughput.md).
    sets = [path for path in sorted(EVAL.glob("*.jsonl")) if not path.name.startswith("threads.")]
    questions = [c.question for path in sets for c in read_cases(path)] + TEXTS
    together = int8.embed(questions, query=True)
    cosines = (full.embed(questions, query=True) * together).sum(axis=1)
    assert cosines.min() >= 0.99, questions[int(cosines.argmin())]
    assert cosines.max() < 0.99999  # the questions did go through the quantised copy
    assert_same_vectors(together[:12], alone(int8, questions[:12], True))  # its batch mates do not move a vector
    assert_same_vectors(int8.embed(TEXTS), full.embed(TEXTS))
    assert sorted(p.name for p in tmp_path.iterdir()) == [ONNX_FILE, QUERY_INT8_FILE, TOKENIZER_FILE]
