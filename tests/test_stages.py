import logging

import numpy as np
import pytest
from scipy import signal

from sensekit.core import Chain, Frame, StreamInfo
from sensekit.core.stages import (
    BandPass,
    HighPass,
    IIRFilter,
    LowPass,
    Notch,
    Resample,
    SelectChannels,
    SOSFilter,
    Standardise,
    Window,
)
from sensekit.errors import CalibrationError, NotFittedError, ParameterError, StreamFormatError
from sensekit.testing import assert_block_invariant, feed, split_frames

STAGES = [
    lambda: BandPass(20, 450),
    lambda: HighPass(10, order=2),
    lambda: LowPass(300),
    lambda: IIRFilter("bandstop", (40, 60)),
    lambda: Notch(50, harmonics=3),
    lambda: SOSFilter(signal.butter(2, 100, fs=2000, output="sos"), rate_hz=2000),
    lambda: Window(length=200, hop=50),
    lambda: Window(length_s=0.01, hop_s=0.025),  # hop longer than the window: samples skipped
    lambda: SelectChannels(["ch3", 0]),
    lambda: Resample(500.0),
    lambda: Resample(3000.0),
    lambda: Resample(1470.0),  # 147/200
    lambda: Standardise().fit(np.arange(20.0).reshape(5, 4)),
    lambda: Chain(Notch(50), BandPass(20, 450), Window(length_s=0.1, hop_s=0.025)),
]


@pytest.mark.parametrize("make", STAGES, ids=lambda m: repr(m()))
def test_every_core_stage_is_block_invariant(make, emg_info, emg_data):
    whole = assert_block_invariant(make, emg_info, emg_data, max_examples=25)
    assert whole.n > 0


def test_bandpass_passes_band_and_stops_outside():
    rate = 2000.0
    info = StreamInfo("x", "emg", rate, (2,))
    t = np.arange(int(rate * 2)) / rate
    x = np.column_stack([np.sin(2 * np.pi * 100 * t), np.sin(2 * np.pi * 5 * t)])
    stage = BandPass(20, 450)
    stage.open(info)
    y = feed(stage, split_frames(info, x, [1000, 1001, 2500])).data[int(rate):]  # after the transient
    assert np.std(y[:, 0]) == pytest.approx(np.std(x[:, 0]), rel=0.02)  # 100 Hz passes
    assert np.std(y[:, 1]) < 0.02 * np.std(x[:, 1])  # 5 Hz stopped (< -34 dB)


def test_notch_removes_mains_and_harmonics_only():
    rate = 1000.0
    info = StreamInfo("x", "emg", rate, (1,))
    t = np.arange(int(rate * 4)) / rate
    mains = np.sin(2 * np.pi * 50 * t) + 0.5 * np.sin(2 * np.pi * 150 * t)
    wanted = np.sin(2 * np.pi * 75 * t)
    stage = Notch(50, quality=30, harmonics=5)
    stage.open(info)
    y = feed(stage, split_frames(info, (mains + wanted)[:, None], [777])).data[int(2 * rate):, 0]
    tt = t[int(2 * rate):]

    def amplitude(f):  # amplitude of the f-Hz component over whole periods
        return 2 * abs(np.mean(y * np.exp(-2j * np.pi * f * tt)))

    assert amplitude(50) < 0.01 and amplitude(150) < 0.005  # mains and 3rd harmonic < -40 dB
    assert amplitude(75) == pytest.approx(1.0, abs=0.02)  # the signal between them passes


def test_window_content_and_timestamps():
    info = StreamInfo("x", "emg", 100.0, (2,))
    x = np.arange(40.0).reshape(20, 2)
    stage = Window(length=5, hop=3)
    out_info = stage.open(info)
    assert out_info.shape == (5, 2) and out_info.rate == pytest.approx(100 / 3)
    assert out_info.meta["channels"] == ("ch0", "ch1")
    out = feed(stage, split_frames(info, x, [4, 9], t0=10.0))
    assert out.n == 6  # windows start at 0, 3, ..., 15
    np.testing.assert_array_equal(out.data[1], x[3:8])
    np.testing.assert_allclose(out.times, 10.0 + (np.arange(6) * 3 + 4) / 100)
    assert stage.latency_s == pytest.approx(0.04)


def test_resample_matches_scipy_away_from_edges():
    rate = 1000.0
    info = StreamInfo("x", "signal", rate, (1,))
    t = np.arange(4000) / rate
    x = np.sin(2 * np.pi * 13 * t)[:, None]
    stage = Resample(250.0)
    stage.open(info)
    y = feed(stage, split_frames(info, x, [333, 2000]))
    delay = stage.latency_s * 250  # output samples
    t_out = np.arange(y.n) / 250 - delay / 250
    ref = np.sin(2 * np.pi * 13 * t_out)
    np.testing.assert_allclose(y.data[100:-100, 0], ref[100:-100], atol=2e-3)


def test_select_channels_by_name_and_index():
    info = StreamInfo("x", "emg", 10.0, (3,), channels=("a", "b", "c"))
    stage = SelectChannels(["c", 0])
    out = stage.open(info)
    assert out.channels == ("c", "a")
    y = stage.process(Frame(info, np.arange(6.0).reshape(2, 3), t0=0))
    np.testing.assert_array_equal(y.data, [[2, 0], [5, 3]])
    with pytest.raises(ParameterError, match="no channel 'z'.*channels are"):
        SelectChannels(["z"]).open(info)
    with pytest.raises(ParameterError, match="index 7 out of range"):
        SelectChannels([7]).open(info)


def test_open_refuses_streams_it_cannot_take():
    with pytest.raises(StreamFormatError, match=r"cut-off \(20, 450\) Hz must lie in \(0, 100\) Hz"):
        BandPass(20, 450).open(StreamInfo("myo", "emg", 200.0, (8,)))
    with pytest.raises(StreamFormatError, match="Window cannot take stream 'cam': rate expected > 0 Hz"):
        Window(length=4, hop=1).open(StreamInfo("cam", "image", 0.0, (4, 4)))
    with pytest.raises(StreamFormatError, match="designed for 2000 Hz but the stream runs at 1000 Hz"):
        SOSFilter(signal.butter(2, 100, fs=2000, output="sos"), rate_hz=2000).open(StreamInfo("x", "emg", 1000.0, (1,)))
    with pytest.raises(ParameterError, match="not a ratio up/down"):
        Resample(1000 * np.pi).open(StreamInfo("x", "emg", 1000.0, (1,)))


def test_bandpass_clip_high_adapts_to_low_rate(caplog):
    with caplog.at_level(logging.WARNING, logger="sensekit"):
        BandPass(20, 450, clip_high=True).open(StreamInfo("myo", "emg", 200.0, (8,)))
    assert "above Nyquist" in caplog.text


def test_nan_input_is_reported_with_channel_name(emg_info, emg_data):
    bad = emg_data.copy()
    bad[100, 2] = np.nan
    stage = BandPass(20, 450)
    stage.open(emg_info)
    with pytest.raises(StreamFormatError, match="channel 'ch2' holds 1 NaN"):
        stage.process(Frame(emg_info, bad, t0=0))
    stage = BandPass(20, 450, nan_policy="zero")
    stage.open(emg_info)
    assert np.isfinite(stage.process(Frame(emg_info, bad, t0=0)).data).all()


def test_process_checks_the_stream_and_state():
    info = StreamInfo("x", "emg", 100.0, (1,))
    with pytest.raises(ParameterError, match="before open"):
        LowPass(10).process(Frame(info, np.zeros((1, 1)), t0=0))
    stage = LowPass(10)
    stage.open(info)
    other = info.replace(rate=200.0)
    with pytest.raises(StreamFormatError, match="rate: expected 100.0, got 200.0"):
        stage.process(Frame(other, np.zeros((1, 1)), t0=0))


def test_chain_latency_and_reset_restore_start_state(emg_info, emg_data):
    chain = Chain(BandPass(20, 450), Window(length=100, hop=25))
    chain.open(emg_info)
    assert chain.latency_s == pytest.approx(99 / 2000)
    first = feed(chain, split_frames(emg_info, emg_data, [10]))
    chain.reset()
    again = feed(chain, split_frames(emg_info, emg_data, [500]))
    np.testing.assert_array_equal(first.data, again.data)


def test_standardize_fit_calibration_roundtrip(tmp_path, caplog):
    info = StreamInfo("x", "emg", 100.0, (3,))
    data = np.random.default_rng(0).normal(5, 2, (500, 3))
    data[:, 1] = 7.0  # a flat channel
    with pytest.raises(NotFittedError, match="Standardise is not fitted"):
        Standardise().open(info)
    with caplog.at_level(logging.WARNING, logger="sensekit"):
        stage = Standardise().fit(data, info)
    assert "flat" in caplog.text and "ch1" in caplog.text
    path = stage.save_calibration(tmp_path / "norm.json", info, device="test")
    loaded = Standardise.from_calibration(path, stream=info)
    np.testing.assert_array_equal(loaded.mean_, stage.mean_)
    loaded.open(info)
    y = loaded.process(Frame(info, data, t0=0)).data
    np.testing.assert_allclose(y[:, [0, 2]].std(axis=0), 1.0)
    with pytest.raises(CalibrationError, match="rate: expected 100.0, got 200.0"):
        Standardise.from_calibration(path, stream=info.replace(rate=200.0))
    with pytest.raises(CalibrationError, match="not valid JSON"):
        (tmp_path / "bad.json").write_text("{")
        Standardise.from_calibration(tmp_path / "bad.json")
    assert b"pickle" not in path.read_bytes()
