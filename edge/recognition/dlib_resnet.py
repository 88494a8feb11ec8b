"""Read dlib's face recognition resnet (``dlib_face_recognition_resnet_model_v1.dat``) into numpy.

The gate already ships this model file (package ``face_recognition_models``); reading its
weights lets the same network run on a faster runtime (:mod:`edge.recognition.fast_encoder`)
without downloading or committing any other weights.

The file is dlib's ``serialize()`` of ``anet_type`` from dlib's ``dnn_face_recognition_ex.cpp``.
Layers nest, and each one writes its sub-network before itself, so after the loss layer's header
the layers follow in forward order, input first. Each layer writes its own details (a name such
as ``con_4`` and its parameters), then three bools and three tensors of training state, all
empty in a saved model; the layer right above the input adds its sample expansion factor.
Encodings used here (dlib/serialize.h, dlib/dnn/tensor.h):

* integer: one byte with the byte count in its low nibble and bit 7 for a negative value,
  then that many little-endian bytes;
* float / double: two integers, mantissa and exponent (value = mantissa * 2**exponent);
* string: an integer length, then the bytes;
* tensor: version 2, then num_samples, k, nr, nc, then little-endian float32 values;
* alias_tensor: version 1, then num_samples, k, nr, nc (a shaped view into ``params``).

Only the layer kinds this network uses are understood; anything else is a clear error, never a
silently different network.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path

import numpy as np


class ModelFormatError(ValueError):
    """The file is not a dlib network this reader understands."""


@dataclass(frozen=True)
class Layer:
    """One layer in forward order: its kind, integer settings and weight arrays."""

    kind: str
    """input, con, affine, relu, max_pool, avg_pool, add_prev or fc."""
    ints: dict[str, int] = field(default_factory=dict)
    arrays: dict[str, np.ndarray] = field(default_factory=dict)
    floats: dict[str, float] = field(default_factory=dict)


class _Reader:
    """A cursor over the file's bytes with dlib's primitive decoders."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def integer(self) -> int:
        if self.pos >= len(self.data):
            raise ModelFormatError("unexpected end of file")
        head = self.data[self.pos]
        size = head & 0x0F
        if size > 8:
            raise ModelFormatError(f"bad integer header 0x{head:02x} at byte {self.pos}")
        value = int.from_bytes(self.data[self.pos + 1 : self.pos + 1 + size], "little")
        self.pos += 1 + size
        return -value if head & 0x80 else value

    def real(self) -> float:
        mantissa = self.integer()
        exponent = self.integer()
        return float(mantissa * 2.0**exponent)

    def string(self) -> str:
        length = self.integer()
        if not 0 < length < 64:
            raise ModelFormatError(f"bad string length {length} at byte {self.pos}")
        raw = self.data[self.pos : self.pos + length]
        self.pos += length
        return raw.decode("ascii", errors="replace")

    def tensor(self) -> np.ndarray:
        version = self.integer()
        if version != 2:
            raise ModelFormatError(f"tensor version {version} at byte {self.pos} (want 2)")
        shape = tuple(self.integer() for _ in range(4))
        count = int(np.prod(shape))
        end = self.pos + 4 * count
        if end > len(self.data):
            raise ModelFormatError("tensor runs past the end of the file")
        values = np.frombuffer(self.data, dtype="<f4", count=count, offset=self.pos)
        self.pos = end
        return values.astype(np.float32).reshape(shape)

    def alias(self) -> tuple[int, int, int, int]:
        version = self.integer()
        if version != 1:
            raise ModelFormatError(f"alias_tensor version {version} at byte {self.pos}")
        n, k, nr, nc = (self.integer() for _ in range(4))
        return n, k, nr, nc

    def training_state(self) -> None:
        """Skip what add_layer writes after a layer's details: 3 bools and empty tensors."""
        for _ in range(3):
            if self.data[self.pos : self.pos + 1] not in (b"0", b"1"):
                raise ModelFormatError(f"expected a bool at byte {self.pos}")
            self.pos += 1
        while self.data[self.pos : self.pos + 2] == b"\x01\x02":
            if self.tensor().size:
                raise ModelFormatError("unexpected non-empty training tensor")


def _con(r: _Reader) -> Layer:
    params = r.tensor().reshape(-1)
    filters, rows, cols, stride_y, stride_x, pad_y, pad_x = (r.integer() for _ in range(7))
    n, k, nr, nc = r.alias()
    _bn, bk, _br, _bc = r.alias()
    for _ in range(4):  # learning-rate and weight-decay multipliers
        r.real()
    if (n, nr, nc) != (filters, rows, cols) or bk != filters:
        raise ModelFormatError(f"con_4 shapes disagree: {filters}x{rows}x{cols} vs {n}x{nr}x{nc}")
    size = n * k * nr * nc
    if params.size != size + filters:
        raise ModelFormatError(f"con_4 has {params.size} parameters, expected {size + filters}")
    return Layer(
        "con",
        {"stride_y": stride_y, "stride_x": stride_x, "pad_y": pad_y, "pad_x": pad_x},
        {"weight": params[:size].reshape(n, k, nr, nc), "bias": params[size:].copy()},
    )


def _affine(r: _Reader) -> Layer:
    params = r.tensor().reshape(-1)
    _gn, gk, _gr, _gc = r.alias()
    r.alias()
    mode = r.integer()
    if mode != 0 or params.size != 2 * gk:
        raise ModelFormatError(f"affine_ in mode {mode} with {params.size} parameters")
    return Layer("affine", {}, {"gamma": params[:gk].copy(), "beta": params[gk:].copy()})


def _pool(r: _Reader, kind: str) -> Layer:
    rows, cols, stride_y, stride_x, pad_y, pad_x = (r.integer() for _ in range(6))
    return Layer(
        kind,
        {
            "rows": rows,
            "cols": cols,
            "stride_y": stride_y,
            "stride_x": stride_x,
            "pad_y": pad_y,
            "pad_x": pad_x,
        },
    )


def _fc(r: _Reader) -> Layer:
    outputs = r.integer()
    inputs = r.integer()
    params = r.tensor().reshape(-1)
    if params.size != inputs * outputs:
        raise ModelFormatError(f"fc_2 with bias or odd size ({params.size} parameters)")
    return Layer("fc", {}, {"weight": params.reshape(inputs, outputs).copy()})


def read_layers(path: str | PathLike[str]) -> list[Layer]:
    """All layers of the network in forward order, input first, the 128-d fc last."""
    data = Path(path).read_bytes()
    start = data.find(b"\x01\x15input_rgb_image_sized")
    if not data.startswith(b"\x01\x01\x01\x0dloss_metric_") or start < 0:
        raise ModelFormatError(f"{path}: not dlib's metric-learning face resnet")
    r = _Reader(data)
    r.pos = start + 2 + len("input_rgb_image_sized")
    mean = [r.real() for _ in range(3)]
    rows, cols = r.integer(), r.integer()
    layers = [
        Layer(
            "input",
            {"rows": rows, "cols": cols},
            floats={"avg_red": mean[0], "avg_green": mean[1], "avg_blue": mean[2]},
        )
    ]
    while True:
        name = r.string()
        if name == "con_4":
            layers.append(_con(r))
        elif name == "affine_":
            layers.append(_affine(r))
        elif name == "relu_":
            layers.append(Layer("relu"))
        elif name == "add_prev_":
            layers.append(Layer("add_prev"))
        elif name in ("max_pool_2", "avg_pool_2"):
            layers.append(_pool(r, name[:-2]))
        elif name == "fc_2":
            layers.append(_fc(r))
            return layers
        else:
            raise ModelFormatError(f"{path}: layer {name!r} is not supported")
        r.training_state()
        if len(layers) == 2:
            r.integer()  # the layer on top of the input also writes its sample expansion factor
