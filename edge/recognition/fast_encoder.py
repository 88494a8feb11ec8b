"""dlib's face resnet on ONNX Runtime: the same weights and encodings, several times faster.

The dlib-bin wheel is built without BLAS, so its resnet takes ~90 ms per face on one core, most
of the gate's time for a new face. This module reads the weights from the model file the gate
already has (:mod:`edge.recognition.dlib_resnet`), builds the same network as an ONNX graph in
memory at first use (~0.1 s; nothing downloaded, nothing written to disk) and runs it with
ONNX Runtime on one thread. tests/edge/test_fast_encoder.py checks the encodings against dlib's
own to 1e-4 on real photos.

What the graph reproduces, from dlib's definitions of the layers:

* input: ``(pixel - channel mean) / 256`` on a 150x150 RGB face chip (done in numpy);
* ``con``: cross-correlation with bias, dlib's padding; the ``affine`` after each convolution
  (a frozen batch norm: ``gamma * x + beta`` per channel) is folded into its weights;
* ``add_prev``: a residual sum. When the two inputs differ in size (the down-sampling blocks
  add a 2x2-average-pooled input to a strided convolution with more channels), dlib sizes the
  output to the larger of each dimension and treats missing values as zero, so the smaller one
  is zero-padded at the end of each axis first;
* ``avg_pool`` with a 0x0 window averages everything; the final ``fc`` has no bias.

Without onnxruntime, with ``SITEGATE_FACE_ENCODER=dlib``, or with a model file this reader does
not understand (logged), :func:`encoder` returns None and the caller uses dlib's own encoder.
"""

from __future__ import annotations

import logging
import os
import threading
from typing import Any

import numpy as np

from edge.recognition import models
from edge.recognition.dlib_resnet import Layer, ModelFormatError, read_layers

log = logging.getLogger(__name__)

ENCODER_ENV = "SITEGATE_FACE_ENCODER"
CHIP_SIZE = 150
CHIP_PADDING = 0.25
"""dlib's ``compute_face_descriptor`` aligns faces into 150x150 chips with 25 % padding."""

_lock = threading.Lock()
_cache: dict[str, Any] = {}


def _conv_out(size: int, window: int, stride: int, pad: int) -> int:
    return 1 + (size + 2 * pad - window) // stride


def build_model(layers: list[Layer]) -> Any:
    """The ONNX graph (``onnx.ModelProto``) of the network in ``layers``."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    nodes: list[Any] = []
    weights: list[Any] = []
    counter = [0]

    def fresh(prefix: str) -> str:
        counter[0] += 1
        return f"{prefix}{counter[0]}"

    def constant(array: np.ndarray, prefix: str) -> str:
        name = fresh(prefix)
        weights.append(numpy_helper.from_array(array, name))
        return name

    head = layers[0]
    if head.kind != "input":
        raise ValueError("the first layer must be the input")
    size = head.ints["rows"]
    stream, shape = "input", (3, size, size)  # channels, rows, cols
    block_input: tuple[str, tuple[int, int, int]] | None = None
    pooled: tuple[str, tuple[int, int, int]] | None = None
    i = 1
    while i < len(layers):
        layer = layers[i]
        if layer.kind == "con":
            if block_input is None:
                block_input = (stream, shape)
            weight, bias = layer.arrays["weight"], layer.arrays["bias"]
            if i + 1 < len(layers) and layers[i + 1].kind == "affine":
                gamma, beta = layers[i + 1].arrays["gamma"], layers[i + 1].arrays["beta"]
                weight = weight * gamma[:, None, None, None]
                bias = bias * gamma + beta
                i += 1
            s, p = layer.ints["stride_y"], layer.ints["pad_y"]
            out = fresh("conv")
            nodes.append(
                helper.make_node(
                    "Conv",
                    [stream, constant(weight.astype(np.float32), "w"), constant(bias, "b")],
                    [out],
                    strides=[s, s],
                    pads=[p, p, p, p],
                    kernel_shape=list(weight.shape[2:]),
                )
            )
            side = _conv_out(shape[1], weight.shape[2], s, p)
            stream, shape = out, (weight.shape[0], side, side)
        elif layer.kind == "affine":
            out = fresh("affine")
            gamma = layer.arrays["gamma"].reshape(-1, 1, 1)
            beta = layer.arrays["beta"].reshape(-1, 1, 1)
            mul = fresh("mul")
            nodes.append(helper.make_node("Mul", [stream, constant(gamma, "g")], [mul]))
            nodes.append(helper.make_node("Add", [mul, constant(beta, "be")], [out]))
            stream = out
        elif layer.kind == "relu":
            out = fresh("relu")
            nodes.append(helper.make_node("Relu", [stream], [out]))
            stream = out
        elif layer.kind in ("max_pool", "avg_pool"):
            rows, s, p = layer.ints["rows"], layer.ints["stride_y"], layer.ints["pad_y"]
            out = fresh("pool")
            if rows == 0:  # dlib's avg_pool_everything
                nodes.append(helper.make_node("GlobalAveragePool", [stream], [out]))
                stream, shape = out, (shape[0], 1, 1)
            else:
                op = "MaxPool" if layer.kind == "max_pool" else "AveragePool"
                source, source_shape = (
                    (stream, shape) if op == "MaxPool" or block_input is None else block_input
                )
                nodes.append(
                    helper.make_node(
                        op,
                        [source],
                        [out],
                        kernel_shape=[rows, layer.ints["cols"]],
                        strides=[s, layer.ints["stride_x"]],
                        pads=[p, p, p, p],
                    )
                )
                side = _conv_out(source_shape[1], rows, s, p)
                if op == "MaxPool":
                    stream, shape = out, (shape[0], side, side)
                    block_input = None
                else:  # the shortcut of a down-sampling block
                    pooled = (out, (source_shape[0], side, side))
        elif layer.kind == "add_prev":
            if block_input is None:
                raise ValueError("add_prev without a block input")
            other, other_shape = pooled or block_input
            target = tuple(max(a, b) for a, b in zip(shape, other_shape, strict=True))
            operands = []
            for name, have in ((stream, shape), (other, other_shape)):
                if have != target:
                    padded = fresh("pad")
                    ends = [0, *(t - h for t, h in zip(target, have, strict=True))]
                    pads = np.array([0, 0, 0, 0, *ends], dtype=np.int64)
                    nodes.append(helper.make_node("Pad", [name, constant(pads, "p")], [padded]))
                    name = padded
                operands.append(name)
            out = fresh("add")
            nodes.append(helper.make_node("Add", operands, [out]))
            stream, shape = out, target
            block_input = pooled = None
        elif layer.kind == "fc":
            flat = fresh("flat")
            nodes.append(helper.make_node("Flatten", [stream], [flat]))
            nodes.append(
                helper.make_node(
                    "MatMul", [flat, constant(layer.arrays["weight"], "fc")], ["encoding"]
                )
            )
            stream = "encoding"
        else:
            raise ValueError(f"layer kind {layer.kind!r} is not supported")
        i += 1
    graph = helper.make_graph(
        nodes,
        "dlib_face_recognition_resnet_model_v1",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["n", 3, size, size])],
        [helper.make_tensor_value_info("encoding", TensorProto.FLOAT, ["n", 128])],
        initializer=weights,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


class OnnxEncoder:
    """The face resnet as an ONNX Runtime session, fed with aligned face chips."""

    def __init__(self, layers: list[Layer], threads: int = 1) -> None:
        import onnxruntime

        head = layers[0].floats
        self.mean = np.array(
            [head["avg_red"], head["avg_green"], head["avg_blue"]], dtype=np.float32
        )
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
        model = build_model(layers).SerializeToString()
        self.session = onnxruntime.InferenceSession(
            model, options, providers=["CPUExecutionProvider"]
        )
        self._run_lock = threading.Lock()

    def encode_chips(self, chips: np.ndarray) -> np.ndarray:
        """N x 128 float64 encodings of N 150x150 RGB uint8 chips (dlib's 1-jitter output)."""
        batch = np.asarray(chips, dtype=np.float32).reshape(-1, CHIP_SIZE, CHIP_SIZE, 3)
        batch = ((batch - self.mean) / 256.0).transpose(0, 3, 1, 2)
        with self._run_lock:
            (out,) = self.session.run(["encoding"], {"input": np.ascontiguousarray(batch)})
        return out.astype(np.float64)


def encoder() -> OnnxEncoder | None:
    """The process's ONNX encoder, built on first use; None when dlib's must be used."""
    if os.environ.get(ENCODER_ENV, "onnx").lower() == "dlib":
        return None
    path = str(models.model_path(models.RESNET))
    key = f"onnx:{path}"
    if key not in _cache:
        with _lock:
            if key not in _cache:
                try:
                    import onnx  # noqa: F401
                    import onnxruntime  # noqa: F401
                except ImportError:
                    _cache[key] = None
                else:
                    try:
                        _cache[key] = OnnxEncoder(read_layers(path))
                    except (ModelFormatError, ValueError) as exc:
                        # dlib reads the file its own way; a gate keeps working, only slower
                        log.warning("face encoder on dlib, not ONNX Runtime: %s", exc)
                        _cache[key] = None
    return _cache[key]
