"""Schema of an EMG calibration (kind ``emg``): the pipeline's settings and learned numbers."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from ..core.info import StreamInfo
from ..core.schema import Finite, Name, Positive, Probability, Strict, Text, Vector
from ..learn.schema import Decoder, DecoderOptions, check_width

__all__ = ["EMGParams"]

Milliseconds = Annotated[float, Field(gt=0, le=60_000, allow_inf_nan=False)]
Hertz = Annotated[float, Field(gt=0, le=1e6, allow_inf_nan=False)]
#: What a notch may be (Hz): a mains frequency, from railways' (16.7) to aircraft's (400). A notch
#: far below them had asked for a notch at every one of its harmonics (0.001 Hz on a 1 kHz band:
#: 500,000 filters, a hang). :class:`~.pipeline.EMGPipeline` checks the same bounds.
NOTCH_RANGE_HZ = (16.0, 400.0)


class FeatureParams(Strict):
    """Thresholds and options of the features (signal units)."""

    zc_threshold: Finite = 0.0
    ssc_threshold: Finite = 0.0
    wamp_threshold: Finite = 2e-3
    libemg_ssc: bool = False
    ar_order: Annotated[int, Field(ge=1, le=64)] = 4


class EMGConfig(Strict):
    window_ms: Milliseconds = 200.0
    increment_ms: Milliseconds = 50.0
    features: Annotated[str, Field(min_length=1, max_length=300)] = "HTD"
    feature_params: FeatureParams = FeatureParams()
    decoder: Literal["lda", "svm", "mlp", "rf"] = "lda"
    decoder_options: DecoderOptions = DecoderOptions()
    bandpass_hz: Annotated[list[Hertz], Field(min_length=2, max_length=2)] | None = None
    notch_hz: Annotated[float, Field(ge=NOTCH_RANGE_HZ[0], le=NOTCH_RANGE_HZ[1], allow_inf_nan=False)] | None = None
    reject_below: Probability | None = None
    vote: Annotated[int, Field(ge=1, le=1000)] = 1
    adapt_rate: Annotated[float, Field(gt=0, le=1, allow_inf_nan=False)] | None = None


class EMGLearned(Strict):
    features: Annotated[list[Name], Field(min_length=1, max_length=64)]
    feature_params: FeatureParams = FeatureParams()
    mean: Vector
    scale: Annotated[list[Positive], Field(max_length=2_000_000)]
    decoder: Decoder
    class_means: Annotated[list[Vector], Field(max_length=1000)] | None = None
    rest_level: Finite
    class_levels: Annotated[list[Finite], Field(min_length=1, max_length=1000)]
    classes: Annotated[list[Text], Field(max_length=1000)] = []


class EMGParams(Strict):
    """``params`` of an ``emg`` calibration."""

    config: EMGConfig
    learned: EMGLearned

    @model_validator(mode="after")
    def _consistent(self) -> EMGParams:
        lp = self.learned
        if len(lp.mean) != len(lp.scale):
            raise ValueError(f"learned.mean has {len(lp.mean)} columns, learned.scale {len(lp.scale)}")
        check_width(lp.decoder, len(lp.mean))
        if lp.class_means is not None and (len(lp.class_means) != len(lp.decoder.classes)
                                           or any(len(m) != len(lp.mean) for m in lp.class_means)):
            raise ValueError(f"learned.class_means must be one row of {len(lp.mean)} per decoder class "
                             f"({len(lp.decoder.classes)})")
        if max(lp.decoder.classes) >= len(lp.class_levels):
            raise ValueError(f"decoder classes {lp.decoder.classes[:10]} but {len(lp.class_levels)} class levels")
        if self.config.bandpass_hz is not None and not self.config.bandpass_hz[0] < self.config.bandpass_hz[1]:
            raise ValueError(f"config.bandpass_hz {self.config.bandpass_hz} is not (low, high)")
        if self.config.increment_ms > self.config.window_ms * 100:
            raise ValueError("config.increment_ms is more than 100 windows")
        from ..errors import ParameterError
        from .features import resolve_features

        try:
            names = list(resolve_features(self.config.features))
        except ParameterError as e:
            raise ValueError(f"config.features: {e.problem}") from None
        if names != list(lp.features):
            raise ValueError(f"learned.features {lp.features[:8]} do not match config.features {self.config.features!r}")
        return self

    def check_stream(self, stream: StreamInfo) -> None:
        """The columns must be features x channels of a 1-D stream; windows fit in memory."""
        if len(stream.shape) != 1:
            raise ValueError(f"stream.shape {list(stream.shape)}: EMG is one value per channel")
        if not stream.rate:
            raise ValueError("stream.rate is 0: EMG calibrations need a regular stream")
        window = self.config.window_ms / 1000 * stream.rate
        if window * stream.shape[0] > 50_000_000 or window < 2:
            raise ValueError(f"config.window_ms {self.config.window_ms} at {stream.rate:g} Hz is {window:.0f} samples")
