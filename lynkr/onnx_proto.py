"""Write ONNX models (protobuf wire format) without the ``onnx`` package.

onnxruntime ships with chromadb, but the ``onnx`` package that builds models does not, and
importing it costs ~0.4 s. The slice of the ONNX schema a feed-forward graph needs is small
and frozen (ONNX never renumbers fields), so :class:`Graph` encodes it directly: nodes with
int/float/ints attributes, float32/int64 initializers as raw little-endian bytes, and inputs /
outputs with symbolic or fixed dimensions. Field numbers are those of ``onnx/onnx.proto3``.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence

import numpy as np

_VARINT, _FIXED32, _BYTES = 0, 5, 2
_ELEM_TYPES = {np.dtype(np.float32): 1, np.dtype(np.int64): 7}
_ATTR_FLOAT, _ATTR_INT, _ATTR_INTS = 1, 2, 7
IR_VERSION = 9  # onnxruntime >= 1.15 reads it; opset 20 needs IR 9


def _varint(value: int) -> bytes:
    value &= (1 << 64) - 1  # negative int64s are ten-byte two's complement varints
    out = bytearray()
    while True:
        low = value & 0x7F
        value >>= 7
        if value:
            out.append(low | 0x80)
        else:
            out.append(low)
            return bytes(out)


def _key(field: int, wire: int) -> bytes:
    return _varint(field << 3 | wire)


def _int(field: int, value: int) -> bytes:
    return _key(field, _VARINT) + _varint(value)


def _float(field: int, value: float) -> bytes:
    return _key(field, _FIXED32) + struct.pack("<f", value)


def _bytes(field: int, value: bytes | str) -> bytes:
    data = value.encode() if isinstance(value, str) else value
    return _key(field, _BYTES) + _varint(len(data)) + data


def tensor(name: str, array: np.ndarray) -> bytes:
    """TensorProto: dims=1, data_type=2, name=8, raw_data=9."""
    array = np.ascontiguousarray(array)
    dtype = array.dtype.newbyteorder("<")
    return (b"".join(_int(1, d) for d in array.shape) + _int(2, _ELEM_TYPES[array.dtype])
            + _bytes(8, name) + _bytes(9, array.astype(dtype, copy=False).tobytes()))


def value_info(name: str, dtype: type, dims: Sequence[int | str]) -> bytes:
    """ValueInfoProto(name=1, type=2) -> TypeProto(tensor_type=1) -> (elem_type=1, shape=2);
    a dimension is dim_value=1 or, when symbolic, dim_param=2."""
    shape = b"".join(_bytes(1, _bytes(2, d) if isinstance(d, str) else _int(1, d))
                     for d in dims)
    tensor_type = _int(1, _ELEM_TYPES[np.dtype(dtype)]) + _bytes(2, shape)
    return _bytes(1, name) + _bytes(2, _bytes(1, tensor_type))


def attribute(name: str, value: int | float | Sequence[int]) -> bytes:
    """AttributeProto: name=1, f=2, i=3, ints=8, type=20."""
    if isinstance(value, int):  # bools too: ONNX has no boolean attribute
        return _bytes(1, name) + _int(3, int(value)) + _int(20, _ATTR_INT)
    if isinstance(value, float):
        return _bytes(1, name) + _float(2, value) + _int(20, _ATTR_FLOAT)
    return _bytes(1, name) + b"".join(_int(8, v) for v in value) + _int(20, _ATTR_INTS)


class Graph:
    """An ONNX graph built node by node; ``model()`` returns the serialised ModelProto."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._nodes: list[bytes] = []
        self._initializers: list[bytes] = []
        self._inputs: list[bytes] = []
        self._outputs: list[bytes] = []
        self._names = 0

    def input(self, name: str, dtype: type, dims: Sequence[int | str]) -> str:
        self._inputs.append(value_info(name, dtype, dims))
        return name

    def output(self, name: str, dtype: type, dims: Sequence[int | str]) -> None:
        self._outputs.append(value_info(name, dtype, dims))

    def constant(self, name: str, array: np.ndarray) -> str:
        self._initializers.append(tensor(name, array))
        return name

    def node(self, op: str, inputs: Sequence[str], output: str | None = None,
             **attributes: int | float | Sequence[int]) -> str:
        """NodeProto: input=1, output=2, name=3, op_type=4, attribute=5. Returns the output."""
        self._names += 1
        output = output or f"{op.lower()}_{self._names}"
        self._nodes.append(b"".join(_bytes(1, i) for i in inputs) + _bytes(2, output)
                           + _bytes(3, f"n{self._names}") + _bytes(4, op)
                           + b"".join(_bytes(5, attribute(k, v))
                                      for k, v in attributes.items()))
        return output

    def model(self, opset: int, producer: str = "lynkr") -> bytes:
        """ModelProto: ir_version=1, producer_name=2, graph=7, opset_import=8 (domain=1,
        version=2); GraphProto: node=1, name=2, initializer=5, input=11, output=12."""
        graph = (b"".join(_bytes(1, n) for n in self._nodes) + _bytes(2, self.name)
                 + b"".join(_bytes(5, t) for t in self._initializers)
                 + b"".join(_bytes(11, i) for i in self._inputs)
                 + b"".join(_bytes(12, o) for o in self._outputs))
        return (_int(1, IR_VERSION) + _bytes(2, producer) + _bytes(7, graph)
                + _bytes(8, _bytes(1, "") + _int(2, opset)))
