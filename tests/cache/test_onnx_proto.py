"""lynkr.onnx_proto writes models onnxruntime loads and computes exactly as numpy would."""

from __future__ import annotations

import numpy as np
import onnxruntime as ort
from hypothesis import given, settings
from hypothesis import strategies as st

from lynkr.onnx_proto import Graph


def run(model: bytes, **feeds: np.ndarray) -> np.ndarray:
    return ort.InferenceSession(model, providers=["CPUExecutionProvider"]).run(None, feeds)[0]


def dense_softmax_model(weight: np.ndarray, bias: np.ndarray) -> bytes:
    g = Graph("dense")
    x = g.input("x", np.float32, ["rows", weight.shape[0]])
    y = g.node("Add", [g.node("MatMul", [x, g.constant("w", weight)]), g.constant("b", bias)])
    g.node("Softmax", [y], "y", axis=-1)  # a negative int attribute: ten-byte varint
    g.output("y", np.float32, ["rows", weight.shape[1]])
    return g.model(opset=20)


@settings(max_examples=25, deadline=None)
@given(rows=st.integers(1, 4), inner=st.integers(1, 6), outer=st.integers(1, 6),
       seed=st.integers(0, 2**32 - 1))
def test_a_dense_layer_with_softmax_matches_numpy(rows: int, inner: int, outer: int,
                                                  seed: int) -> None:
    rng = np.random.default_rng(seed)
    weight = rng.standard_normal((inner, outer)).astype(np.float32)
    bias = rng.standard_normal(outer).astype(np.float32)
    x = rng.standard_normal((rows, inner)).astype(np.float32)
    logits = x @ weight + bias
    expected = np.exp(logits - logits.max(axis=-1, keepdims=True))
    expected /= expected.sum(axis=-1, keepdims=True)
    np.testing.assert_allclose(run(dense_softmax_model(weight, bias), x=x), expected, rtol=1e-5,
                               atol=1e-6)


def test_float_ints_and_int64_constants_reach_the_runtime_intact() -> None:
    g = Graph("shapes")
    x = g.input("x", np.float32, [2, 3, 4])
    moved = g.node("Transpose", [x], perm=[2, 0, 1])
    flat = g.node("Reshape", [moved, g.constant("shape", np.array([4, -1], np.int64))])
    norm = g.node("LayerNormalization", [flat, g.constant("scale", np.ones(6, np.float32)),
                                         g.constant("shift", np.zeros(6, np.float32))],
                  axis=-1, epsilon=0.5)
    g.node("Identity", [norm], "y")
    g.output("y", np.float32, [4, 6])
    x_value = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    rows = x_value.transpose(2, 0, 1).reshape(4, -1)
    centred = rows - rows.mean(axis=-1, keepdims=True)
    expected = centred / np.sqrt((centred ** 2).mean(axis=-1, keepdims=True) + 0.5)
    np.testing.assert_allclose(run(g.model(opset=20), x=x_value), expected, rtol=1e-5)
