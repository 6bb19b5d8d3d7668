"""C99 export of a calibrated EMG chain: header, source, golden-vector checker, budget."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import numpy as np

from ..core.stages import BandPass, HighPass, Notch, SOSFilter, Window
from ..emg.pipeline import EMGPipeline
from ..emg.stages import SignalCheck
from ..errors import ParameterError
from .c_text import c_identifier, comment_list, comment_text

__all__ = ["export_emg_c", "C_FEATURES", "decoder_constants"]

#: Features the C exporter implements, with their code.
C_FEATURES = {"MAV": 0, "RMS": 1, "WL": 2, "ZC": 3, "SSC": 4, "WAMP": 5, "VAR": 6, "LOGVAR": 7, "IAV": 8, "DASDV": 9,
              "MFL": 10, "LD": 11, "ACT": 12, "MOB": 13}
C_DECODERS = ("lda", "mlp")


def _arr(name: str, values, ctype: str = "sk_real") -> str:
    a = np.asarray(values, dtype=np.float64)
    if ctype == "int":
        body = ", ".join(str(int(v)) for v in a.ravel())
    else:
        body = ", ".join(repr(float(v)) for v in a.ravel())
    dims = "".join(f"[{d}]" for d in a.shape) if a.ndim else "[1]"
    return f"static const {ctype} {name}{dims} = {{{body}}};"


def _nested(name: str, a: np.ndarray) -> str:
    rows = ", ".join("{" + ", ".join(repr(float(v)) for v in row) + "}" for row in a)
    return f"static const sk_real {name}[{a.shape[0]}][{a.shape[1]}] = {{{rows}}};"


def _sos(pipe: EMGPipeline) -> np.ndarray:
    chain = pipe.front_end(pipe.info_)
    chain.open(pipe.info_)
    sections = []
    for stage in chain.stages:
        if isinstance(stage, (BandPass, HighPass, Notch, SOSFilter)):
            sections.append(stage.sos_)
        elif not isinstance(stage, (SignalCheck, Window)):
            raise ParameterError(f"stage {type(stage).__name__} cannot be exported to C")
    sos = np.vstack(sections) if sections else np.zeros((0, 6))
    return sos / sos[:, 3:4] if len(sos) else sos


def export_emg_c(pipe: EMGPipeline, folder: str | Path, *, name: str = "sensekit_emg", source: str = "") -> dict:
    """Write ``<name>.h``, ``<name>.c`` and ``<name>_check.c`` (the golden-vector checker).

    Raises
    ------
    ParameterError
        A stage, feature or decoder that the C exporter does not implement, named.
    """
    if pipe.learned_ is None:
        raise ParameterError("the EMG pipeline is not fitted")
    lp = pipe.learned_
    feats = list(lp["features"])
    unsupported = [f for f in feats if f not in C_FEATURES]
    if unsupported:
        raise ParameterError(f"feature(s) {', '.join(unsupported)} cannot be exported to C",
                             f"use features from {', '.join(C_FEATURES)}")
    if pipe.adapt_rate is not None:
        raise ParameterError("online adaptation (adapt_rate) cannot be exported to C",
                             "export the calibration without adaptation")
    dec = lp["decoder"]
    if dec["kind"] not in C_DECODERS:
        raise ParameterError(f"decoder {dec['kind']!r} cannot be exported to C", "calibrate with --decoder lda or mlp")
    info = pipe.info_
    n_ch = info.shape[0]
    win = int(round(pipe.window_ms / 1000 * info.rate))
    hop = int(round(pipe.increment_ms / 1000 * info.rate))
    sos = _sos(pipe)
    fp = lp.get("feature_params", {})
    classes = np.asarray(dec["classes"], dtype=int)
    levels = np.asarray(lp["class_levels"], dtype=np.float64)
    zc, ssc = float(fp.get("zc_threshold", 0.0)), float(fp.get("ssc_threshold", 0.0))
    wamp, reject = float(fp.get("wamp_threshold", 2e-3)), float(pipe.reject_below or 0.0)
    tables = [
        f"#define SK_N_FEATURES {len(feats)}",
        "enum { " + ", ".join(f"SK_F_{k} = {v}" for k, v in C_FEATURES.items()) + " };",
        f"static const int SK_FEATURES[{len(feats)}] = {{{', '.join(f'SK_F_{f}' for f in feats)}}};",
        f"#define SK_MAV_FEATURE {feats.index('MAV') if 'MAV' in feats else -1}",
        f"#define SK_ZC_THRESHOLD {zc!r}",
        f"#define SK_SSC_THRESHOLD {ssc!r}",
        f"#define SK_WAMP_THRESHOLD {wamp!r}",
        f"#define SK_LIBEMG_SSC {int(bool(fp.get('libemg_ssc', False)))}",
        f"#define SK_REJECT_BELOW {reject!r}",
        f"#define SK_REST_LEVEL ((sk_real){float(lp['rest_level'])!r})",
        f"#define SK_N_LEVELS {len(levels)}",
        _nested("SK_SOS", sos) if len(sos) else "static const sk_real SK_SOS[1][6] = {{0}};",
        _arr("SK_MEAN", lp["mean"]), _arr("SK_SCALE", lp["scale"]), _arr("SK_LEVELS", levels),
        _arr("SK_CLASSES", classes, "int"),
    ]
    decode_tables, decode = _decode_lines(dec)
    tables += decode_tables
    name = c_identifier(name)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    guard = name.upper() + "_H"
    subs = {"@N_CH@": str(n_ch), "@RATE@": repr(float(info.rate)), "@WIN@": str(win), "@HOP@": str(hop),
            "@N_SOS@": str(len(sos)), "@N_CLASSES@": str(len(classes)), "@N_COLUMNS@": str(len(lp["mean"])),
            "@VOTE@": str(max(1, int(pipe.vote))), "@GUARD@": guard, "@UNIT@": comment_text(info.unit or "-", 40),
            "@CLASSES@": comment_list(list(lp.get("classes", []))), "@HEADER@": f"{name}.h",
            "@SOURCE@": comment_text(source or "an EMGPipeline"), "@TABLES@": "\n".join(tables), "@DECODE@": decode}
    here = resources.files(__package__)
    header, body = here.joinpath("c_header.h").read_text(), here.joinpath("c_template.c").read_text()
    for k, v in subs.items():
        header, body = header.replace(k, v), body.replace(k, v)
    (folder / f"{name}.h").write_text(header)
    (folder / f"{name}.c").write_text(body)
    (folder / f"{name}_check.c").write_text(here.joinpath("c_check.c").read_text().replace("@HEADER@", f"{name}.h"))
    consts = sos.size + len(levels) + len(classes) + decoder_constants(lp)
    per_window = n_ch * win * (2 * len(feats)) + len(lp["mean"]) * (2 + len(classes))
    return {"files": [f"{name}.h", f"{name}.c", f"{name}_check.c"], "window": win, "hop": hop, "sections": len(sos),
            "constant_values": int(consts), "ops_per_sample_estimate": round(5 * len(sos) * n_ch + per_window / hop, 1),
            "latency_s": (win - 1) / info.rate}


def _decode_lines(dec: dict, *, logits: bool = False) -> tuple[list[str], str]:
    """C tables and the body of ``sk_decode(x, p)`` for an LDA or MLP decoder: its class
    probabilities, or with ``logits`` its real-valued class scores before the softmax (those of
    :func:`sensekit.learn.openset.class_logits`; a binary MLP's are 0 and its one output)."""
    tables: list[str] = []
    if dec["kind"] == "lda":
        coef = np.asarray(dec["coef"], dtype=np.float64)  # (classes, columns)
        tables += [_nested("SK_COEF", coef), _arr("SK_INTERCEPT", dec["intercept"])]
        decode = ("    int k, j;\n    for (k = 0; k < SK_N_CLASSES; ++k) {\n        sk_real z = SK_INTERCEPT[k];\n"
                  "        for (j = 0; j < SK_N_COLUMNS; ++j) z += SK_COEF[k][j] * x[j];\n        p[k] = z;\n    }\n"
                  + ("" if logits else "    sk_softmax(p, SK_N_CLASSES);"))
    else:
        ws = [np.asarray(w, dtype=np.float64) for w in dec["weights"]]
        bs = [np.asarray(b, dtype=np.float64) for b in dec["biases"]]
        width = max(w.shape[1] for w in ws)
        lines = [f"    sk_real a[{width}], b[{width}];", "    int i, j;", "    const sk_real *in = x;", "    (void)b;"]
        for li, (w, bias) in enumerate(zip(ws, bs, strict=True)):
            tables += [_nested(f"SK_W{li}", w.T.copy()), _arr(f"SK_B{li}", bias)]
            dst = "p" if li == len(ws) - 1 else ("a" if li % 2 == 0 else "b")
            lines.append(f"    for (j = 0; j < {w.shape[1]}; ++j) {{ sk_real z = SK_B{li}[j];"
                         f" for (i = 0; i < {w.shape[0]}; ++i) z += SK_W{li}[j][i] * in[i];"
                         f" {dst}[j] = {'z' if dst == 'p' else 'z > 0 ? z : 0'}; }}")
            lines.append(f"    in = {dst};")
        if ws[-1].shape[1] == 1:
            lines.append("    p[1] = p[0]; p[0] = 0;" if logits else
                         "    p[1] = (sk_real)(1.0 / (1.0 + exp(-p[0]))); p[0] = 1 - p[1];")
        elif not logits:
            lines.append("    sk_softmax(p, SK_N_CLASSES);")
        decode = "\n".join(lines)
    return tables, decode


def decoder_constants(learned: dict) -> int:
    """Numbers in the exported tables of a standardisation + LDA/MLP decoder."""
    dec = learned["decoder"]
    n = 2 * len(learned["mean"])
    if dec["kind"] == "lda":
        return n + np.asarray(dec["coef"]).size + len(dec["intercept"])
    return n + sum(np.asarray(w).size for w in dec["weights"]) + sum(len(b) for b in dec["biases"])
