"""Schemas of the decoders' stored parameters (see :mod:`sensekit.learn.decoders`).

Every array's shape is checked against the others (an LDA's ``coef`` against its classes
and intercepts, an SVM's support vectors against ``n_support``, an MLP's layers against each
other), and a random forest's trees must be acyclic with in-range indices: each child comes
after its parent, so no crafted tree can make prediction loop.
"""

from __future__ import annotations

from typing import Annotated, Literal

import numpy as np
from pydantic import Field, model_validator

from ..core.schema import Matrix, Positive, Probability, Strict, Vector, shape_of

__all__ = ["Decoder", "DecoderOptions", "LDAParams", "SVMParams", "MLPParams", "RFParams", "TreeParams", "decoder_inputs",
           "check_width"]

Classes = Annotated[list[Annotated[int, Field(ge=0, le=100_000)]], Field(min_length=2, max_length=1000)]


class _Decoder(Strict):
    classes: Classes

    def _unique_classes(self) -> None:
        if len(set(self.classes)) != len(self.classes):
            raise ValueError(f"classes repeat: {self.classes[:10]}")


class LDAParams(_Decoder):
    kind: Literal["lda"]
    coef: Matrix
    intercept: Vector
    precision: Matrix | None = None
    log_priors: Vector | None = None

    @model_validator(mode="after")
    def _shapes(self) -> LDAParams:
        self._unique_classes()
        k, f = shape_of(self.coef, "coef")
        if k != len(self.classes) or len(self.intercept) != k or f == 0:
            raise ValueError(f"coef is {k} x {f}, intercept {len(self.intercept)}, for {len(self.classes)} classes")
        if (self.precision is None) != (self.log_priors is None):
            raise ValueError("precision and log_priors come together")
        if self.precision is not None and (shape_of(self.precision, "precision") != (f, f)
                                           or len(self.log_priors) != k):
            raise ValueError(f"precision must be {f} x {f} and log_priors {k} long")
        return self


class SVMParams(_Decoder):
    kind: Literal["svm"]
    support_vectors: Matrix
    dual_coef: Matrix
    intercept: Vector
    n_support: Annotated[list[Annotated[int, Field(ge=0)]], Field(max_length=1000)]
    gamma: Positive

    @model_validator(mode="after")
    def _shapes(self) -> SVMParams:
        self._unique_classes()
        k = len(self.classes)
        s, f = shape_of(self.support_vectors, "support_vectors")
        rows, cols = shape_of(self.dual_coef, "dual_coef")
        if len(self.n_support) != k or sum(self.n_support) != s:
            raise ValueError(f"n_support {self.n_support[:10]} does not add up to {s} support vectors of {k} classes")
        if (rows, cols) != (k - 1, s) or len(self.intercept) != k * (k - 1) // 2 or f == 0:
            raise ValueError(f"dual_coef is {rows} x {cols}, intercept {len(self.intercept)}; {k} classes and {s} "
                             f"support vectors need {k - 1} x {s} and {k * (k - 1) // 2}")
        return self


class MLPParams(_Decoder):
    kind: Literal["mlp"]
    weights: Annotated[list[Matrix], Field(min_length=1, max_length=16)]
    biases: Annotated[list[Vector], Field(min_length=1, max_length=16)]
    activation: Literal["relu"]

    @model_validator(mode="after")
    def _shapes(self) -> MLPParams:
        self._unique_classes()
        if len(self.weights) != len(self.biases):
            raise ValueError(f"{len(self.weights)} weight matrices and {len(self.biases)} bias vectors")
        width = None
        for i, (w, b) in enumerate(zip(self.weights, self.biases, strict=True)):
            n_in, n_out = shape_of(w, f"weights[{i}]")
            if n_in == 0 or (width is not None and n_in != width) or len(b) != n_out:
                raise ValueError(f"layer {i}: weights {n_in} x {n_out} and {len(b)} biases do not follow the layer "
                                 f"before ({width} outputs)")
            width = n_out
        k = len(self.classes)
        if width != k and not (k == 2 and width == 1):
            raise ValueError(f"the last layer has {width} outputs for {k} classes")
        return self


class TreeParams(Strict):
    left: Annotated[list[int], Field(min_length=1, max_length=1_000_000)]
    right: list[int]
    feature: list[int]
    threshold: Vector
    value: Matrix

    @model_validator(mode="after")
    def _acyclic(self) -> TreeParams:
        n = len(self.left)
        if not (len(self.right) == len(self.feature) == len(self.threshold) == len(self.value) == n):
            raise ValueError(f"a tree's arrays differ in length ({n}, {len(self.right)}, {len(self.feature)}, "
                             f"{len(self.threshold)}, {len(self.value)})")
        shape_of(self.value, "value")
        left, right, feature = (np.asarray(v, dtype=np.int64) for v in (self.left, self.right, self.feature))
        node = np.arange(n)
        leaf = (left == -1) & (right == -1)
        ok = leaf | ((left > node) & (left < n) & (right > node) & (right < n) & (feature >= 0))
        if not ok.all():
            i = int(np.argmin(ok))
            raise ValueError(f"node {i}: children {left[i]}, {right[i]} and feature {feature[i]} (children must come "
                             f"after their parent, within the {n} nodes; -1 -1 for a leaf)")
        return self


class RFParams(_Decoder):
    kind: Literal["rf"]
    trees: Annotated[list[TreeParams], Field(min_length=1, max_length=2000)]

    @model_validator(mode="after")
    def _shapes(self) -> RFParams:
        self._unique_classes()
        k = len(self.classes)
        for t, tree in enumerate(self.trees):
            if len(tree.value[0]) != k:
                raise ValueError(f"tree {t}: leaf values of {len(tree.value[0])} classes, not {k}")
        return self


class DecoderOptions(Strict):
    """Options of :func:`~sensekit.learn.decoders.fit_decoder` (used when fitting only)."""

    C: Positive | None = None
    gamma: Positive | Literal["scale", "auto"] | None = None
    hidden: Annotated[list[Annotated[int, Field(ge=1, le=4096)]], Field(max_length=16)] | None = None
    alpha: Annotated[float, Field(ge=0, allow_inf_nan=False)] | None = None
    max_iter: Annotated[int, Field(ge=1, le=100_000)] | None = None
    n_trees: Annotated[int, Field(ge=1, le=2000)] | None = None
    max_depth: Annotated[int, Field(ge=1, le=1000)] | None = None
    shrinkage: Probability | Literal["auto"] | None = None
    seed: int | None = None


Decoder = Annotated[LDAParams | SVMParams | MLPParams | RFParams, Field(discriminator="kind")]


def decoder_inputs(decoder: LDAParams | SVMParams | MLPParams | RFParams) -> tuple[int, int]:
    """``(smallest, largest)`` feature-vector length the decoder accepts (a forest only needs
    every feature index it uses)."""
    if isinstance(decoder, LDAParams):
        n = len(decoder.coef[0])
    elif isinstance(decoder, SVMParams):
        n = len(decoder.support_vectors[0])
    elif isinstance(decoder, MLPParams):
        n = len(decoder.weights[0])
    else:
        used = max((max(t.feature) for t in decoder.trees), default=-1)
        return used + 1, 10**9
    return n, n


def check_width(decoder, width: int, what: str = "the standardisation") -> None:
    """ValueError when ``decoder`` cannot take feature vectors of ``width``."""
    low, high = decoder_inputs(decoder)
    if not low <= width <= high:
        raise ValueError(f"{what} has {width} columns, the decoder takes {low if low == high else f'{low}+'}")
