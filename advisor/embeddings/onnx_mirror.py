"""A sentence-transformers model exported once to ONNX, then run with onnxruntime: same vectors, no torch at start-up."""
from __future__ import annotations

import logging
import threading
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ModelUnavailable
from ..files import write_atomically
from .base import OneModel, role_prefix

log = logging.getLogger(__name__)

ONNX_FILE = "model.onnx"
QUERY_INT8_FILE = "model.query-int8.onnx"
TOKENIZER_FILE = "tokenizer.json"
_PROBE = "Can I share unpublished data with a colleague in Moscow?"


def export_onnx(model, model_id: str, target: Path) -> None:
    """Write the transformer of a loaded Transformer → mean Pooling (→ Normalize) model as ONNX, plus its tokenizer.

    model.onnx is written last, atomically, and only once it reproduces the model's own embedding:
    its presence means the export is whole.
    """
    import torch

    modules = [type(m).__name__ for m in model]
    if modules[:2] != ["Transformer", "Pooling"] or modules[2:] not in ([], ["Normalize"]) \
            or model[1].pooling_mode != "mean" or any(model.prompts.values()):
        log.info("Not exporting %s to ONNX: only Transformer → mean Pooling models are mirrored (%s)", model_id, modules)
        return
    transformer = model[0]
    tokenizer = _configured_tokenizer(transformer.tokenizer, model.max_seq_length)
    names = [n for n in ("input_ids", "attention_mask", "token_type_ids") if n in transformer.tokenizer.model_input_names]

    class Encoder(torch.nn.Module):
        def __init__(self, auto_model) -> None:
            super().__init__()
            self.auto_model = auto_model

        def forward(self, *inputs):
            return self.auto_model(**dict(zip(names, inputs)), return_dict=False)[0]

    target.mkdir(parents=True, exist_ok=True)
    write_atomically(target / TOKENIZER_FILE, lambda tmp: tokenizer.save(tmp))
    sample = tokenizer.encode_batch([_PROBE, "a"])
    example = tuple(torch.tensor([getattr(e, _ENCODING_FIELDS[n]) for e in sample]) for n in names)
    axes = {n: {0: "batch", 1: "sequence"} for n in [*names, "token_embeddings"]}

    def write(tmp: str) -> None:
        with torch.inference_mode(), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # tracer warnings about shape-dependent branches: the axes stay dynamic
            torch.onnx.export(Encoder(transformer.auto_model).eval(), example, tmp, input_names=names,
                              output_names=["token_embeddings"], dynamic_axes=axes, opset_version=17, dynamo=False)
        expected = model.encode([role_prefix(model_id, False) + _PROBE], normalize_embeddings=True, show_progress_bar=False)[0]
        got = OnnxQueryEmbedder(model_id, target, onnx_file=Path(tmp)).embed([_PROBE])[0]
        if float(np.dot(expected, got)) < 0.9999:
            raise ValueError(f"the ONNX export does not reproduce the model (cosine {np.dot(expected, got):.6f})")

    write_atomically(target / ONNX_FILE, write)
    log.info("Exported %s to %s for fast start-up", model_id, target / ONNX_FILE)


_ENCODING_FIELDS = {"input_ids": "ids", "attention_mask": "attention_mask", "token_type_ids": "type_ids"}


def quantize_for_queries(directory: Path) -> Path:
    """An int8 copy of the export for questions, made once beside it: weights of every matrix product but the
    feed-forward output ones, per channel; activations quantised as they come.

    The feed-forward outputs stay in float because their inputs (after GELU) have the outliers int8 rounds
    worst; kept, the questions of eval/ get vectors within cosine 0.993 of the full model's (median 0.996).
    """
    target = Path(directory) / QUERY_INT8_FILE
    if target.exists():
        return target
    try:
        import onnx
        from onnxruntime.quantization import QuantType, quantize_dynamic
    except ImportError as exc:
        raise ModelUnavailable("Quantising the question encoder needs onnx and onnxruntime's quantization tools: "
                               "pip install onnx onnxruntime, or unset ADVISOR_EMBEDDING_QUERY_INT8") from exc
    source = Path(directory) / ONNX_FILE
    products = [n.name for n in onnx.load(str(source), load_external_data=False).graph.node if n.op_type == "MatMul"]
    keep_float = [n for n in products if "/output/dense/" in n and "/attention/" not in n]
    write_atomically(target, lambda tmp: quantize_dynamic(
        str(source), tmp, weight_type=QuantType.QInt8, per_channel=True, op_types_to_quantize=["MatMul"],
        nodes_to_exclude=keep_float, extra_options={"MatMulConstBOnly": True}))
    log.info("Quantised the question encoder of %s to %s", directory, target)
    return target


def _configured_tokenizer(hf_tokenizer, max_length: int):
    """A standalone copy of the model's fast tokenizer that truncates and pads as sentence-transformers does."""
    from tokenizers import Tokenizer

    backend = getattr(hf_tokenizer, "backend_tokenizer", None)
    if backend is None:
        raise ValueError("the model has no fast (tokenizers) tokenizer")
    tokenizer = Tokenizer.from_str(backend.to_str())
    tokenizer.enable_truncation(max_length=max_length)
    tokenizer.enable_padding(direction=hf_tokenizer.padding_side, pad_id=hf_tokenizer.pad_token_id,
                             pad_token=hf_tokenizer.pad_token)
    return tokenizer


class OnnxQueryEmbedder(OneModel):
    """The same vectors as the sentence-transformers model it was exported from, with onnxruntime and no torch."""

    def __init__(self, model: str, directory: Path, batch_size: int = 64, threads: int | None = 1,
                 onnx_file: Path | None = None, int8_queries: bool = False) -> None:
        """`int8_queries`: questions through an int8 copy of the model (`quantize_for_queries`); passages never."""
        self.model_id = model
        self.directory = Path(directory)
        self.onnx_file = onnx_file or self.directory / ONNX_FILE
        self.batch_size = batch_size
        self.threads = threads
        self.int8_queries = int8_queries
        self._loaded: Any = None
        self._lock = threading.Lock()

    def _load(self):
        with self._lock:
            if self._loaded is None:
                try:
                    import onnxruntime
                    from tokenizers import Tokenizer
                except ImportError as exc:
                    raise ModelUnavailable("onnxruntime and tokenizers are needed for the fast embedder: "
                                           "pip install onnxruntime tokenizers") from exc
                options = onnxruntime.SessionOptions()
                options.intra_op_num_threads = self.threads or 0  # 0: onnxruntime's default
                options.inter_op_num_threads = 1
                # Idle pool threads sleep rather than spin: an ingestion shares the cores with answering (and tests).
                options.add_session_config_entry("session.intra_op.allow_spinning", "0")
                try:
                    tokenizer = Tokenizer.from_file(str(self.directory / TOKENIZER_FILE))
                    session = onnxruntime.InferenceSession(str(self.onnx_file), options,
                                                           providers=["CPUExecutionProvider"])
                    questions = onnxruntime.InferenceSession(str(quantize_for_queries(self.directory)), options,
                                                             providers=["CPUExecutionProvider"]) \
                        if self.int8_queries else session
                except ModelUnavailable:
                    raise
                except Exception as exc:
                    raise ModelUnavailable(
                        f"Cannot load the ONNX export of {self.model_id!r} from {self.directory}: {exc}. "
                        "Delete that directory; the next start exports it again.") from exc
                self._loaded = tokenizer, {False: session, True: questions}, [i.name for i in session.get_inputs()]
        return self._loaded

    def token_vectors(self, text: str) -> tuple[np.ndarray, list[str]]:
        """The model's unit vector of each token of `text` (as written, no role prefix; special tokens left out)
        before pooling, and the tokens: for signals that match a question's tokens one by one (bench/ceiling_bench.py)."""
        tokenizer, sessions, names = self._load()
        encoding = tokenizer.encode(text)
        vectors = sessions[False].run(None, {n: np.array([getattr(encoding, _ENCODING_FIELDS[n])], dtype=np.int64)
                                             for n in names})[0][0]
        inner = [i for i, special in enumerate(encoding.special_tokens_mask) if not special]
        vectors = vectors[inner]
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True), [encoding.tokens[i] for i in inner]

    def embed(self, texts: Sequence[str], *, query: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        tokenizer, sessions, names = self._load()
        session = sessions[query]
        prefix = role_prefix(self.model_id, query)
        texts = [prefix + t for t in texts]
        # Batches of similar length: padding a short question to a long paragraph's length wastes most of the work.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        # int8 activations are scaled per run, over every text in it: a question goes alone, or its vector
        # would depend on the questions it happened to arrive with.
        size = 1 if session is not sessions[False] else self.batch_size
        rows = []
        for start in range(0, len(order), size):
            encodings = tokenizer.encode_batch([texts[i] for i in order[start:start + size]])
            inputs = {n: np.array([getattr(e, _ENCODING_FIELDS[n]) for e in encodings], dtype=np.int64) for n in names}
            tokens = session.run(None, inputs)[0]
            mask = inputs["attention_mask"][..., None].astype(np.float32)
            pooled = (tokens * mask).sum(axis=1) / np.clip(mask.sum(axis=1), 1e-9, None)
            rows.append(pooled / np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None))
        vectors = np.empty((len(texts), rows[0].shape[1]), dtype=np.float32)
        vectors[order] = np.concatenate(rows)
        return vectors
