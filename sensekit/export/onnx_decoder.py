"""The EMG decoder (standardisation + LDA or MLP) as an ONNX model, checked with onnxruntime.

Input ``features`` (float32, shape (n, n_columns)): feature rows as
:func:`~sensekit.emg.features.compute_features` gives them (unstandardised). Outputs
``probabilities`` (n, n_classes) and ``label`` (n,), the class index.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import DeviceError, ParameterError

__all__ = ["export_decoder_onnx", "run_onnx"]


def _onnx():
    try:
        import onnx
        from onnx import TensorProto, helper, numpy_helper
    except ImportError:
        raise DeviceError("ONNX export needs the onnx package", "pip install 'sensekit[export]'") from None
    return onnx, TensorProto, helper, numpy_helper


def export_decoder_onnx(learned: dict, path: str | Path) -> Path:
    """Write the decoder of an EMG calibration (``learned`` params) as an ONNX model."""
    onnx, TensorProto, helper, numpy_helper = _onnx()
    dec = learned["decoder"]
    n_cols = len(learned["mean"])
    inits = [numpy_helper.from_array(np.asarray(learned["mean"], dtype=np.float32), "mean"),
             numpy_helper.from_array(np.asarray(learned["scale"], dtype=np.float32), "scale"),
             numpy_helper.from_array(np.asarray(dec["classes"], dtype=np.int64), "classes")]
    nodes = [helper.make_node("Sub", ["features", "mean"], ["centred"]),
             helper.make_node("Div", ["centred", "scale"], ["z0"])]
    if dec["kind"] == "lda":
        inits += [numpy_helper.from_array(np.asarray(dec["coef"], dtype=np.float32).T.copy(), "W"),
                  numpy_helper.from_array(np.asarray(dec["intercept"], dtype=np.float32), "B")]
        nodes += [helper.make_node("Gemm", ["z0", "W", "B"], ["logits"])]
    elif dec["kind"] == "mlp":
        prev = "z0"
        n_layers = len(dec["weights"])
        for i, (w, b) in enumerate(zip(dec["weights"], dec["biases"], strict=True)):
            inits += [numpy_helper.from_array(np.asarray(w, dtype=np.float32), f"W{i}"),
                      numpy_helper.from_array(np.asarray(b, dtype=np.float32), f"B{i}")]
            out = "logits" if i == n_layers - 1 else f"h{i}"
            nodes.append(helper.make_node("Gemm", [prev, f"W{i}", f"B{i}"], [out if i == n_layers - 1 else f"g{i}"]))
            if i < n_layers - 1:
                nodes.append(helper.make_node("Relu", [f"g{i}"], [out]))
            prev = out
        if np.asarray(dec["weights"][-1]).shape[1] == 1:
            raise ParameterError("binary MLP decoders are not exported to ONNX", "use lda or 3+ classes")
    else:
        raise ParameterError(f"decoder {dec['kind']!r} cannot be exported to ONNX", "calibrate with lda or mlp")
    nodes += [helper.make_node("Softmax", ["logits"], ["probabilities"], axis=1),
              helper.make_node("ArgMax", ["probabilities"], ["best"], axis=1, keepdims=0),
              helper.make_node("Gather", ["classes", "best"], ["label"], axis=0)]
    graph = helper.make_graph(
        nodes, "sensekit_emg_decoder",
        [helper.make_tensor_value_info("features", TensorProto.FLOAT, ["n", n_cols])],
        [helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, ["n", len(dec["classes"])]),
         helper.make_tensor_value_info("label", TensorProto.INT64, ["n"])],
        inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="sensekit")
    model.ir_version = 8
    onnx.checker.check_model(model)
    path = Path(path)
    onnx.save(model, path)
    return path


def run_onnx(path: str | Path, features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Run an exported decoder with onnxruntime: (probabilities, labels)."""
    try:
        import onnxruntime as ort
    except ImportError:
        raise DeviceError("checking ONNX models needs onnxruntime", "pip install 'sensekit[export]'") from None
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    probs, labels = sess.run(["probabilities", "label"], {"features": np.asarray(features, dtype=np.float32)})
    return probs, labels
