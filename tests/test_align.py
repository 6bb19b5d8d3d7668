"""The Align stage: several streams on one timeline, block-invariant (issue 21)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sensekit.core.align import Align, align_frames
from sensekit.core.frame import Frame
from sensekit.core.info import StreamInfo
from sensekit.errors import ParameterError

GAZE = StreamInfo("gaze", "gaze", 120.0, (2,), channels=("x", "y"))
EMG = StreamInfo("emg", "emg", 500.0, (3,))
HAND = StreamInfo("hand", "landmarks", 0.0, (4, 3))


def _streams(seed: int = 0):
    rng = np.random.default_rng(seed)
    gaze = Frame(GAZE, rng.standard_normal((240, 2)), t0=0.013)
    emg = Frame(EMG, np.cumsum(rng.standard_normal((1000, 3)), axis=0), t0=0.0)
    ht = np.cumsum(rng.uniform(0.02, 0.05, 60))  # a camera's irregular frames
    hand = Frame(HAND, rng.standard_normal((60, 4, 3)), times=ht)
    return [gaze, emg, hand]


def _cut(frame: Frame, sizes) -> list[Frame]:
    out, start, k = [], 0, 0
    while start < frame.n:
        n = sizes[k % len(sizes)]
        stop = min(start + n, frame.n)
        if frame.info.rate > 0:
            out.append(Frame(frame.info, frame.data[start:stop], t0=frame.t0 + start / frame.info.rate, seq=k))
        else:
            out.append(Frame(frame.info, frame.data[start:stop], times=frame.times[start:stop], seq=k))
        start, k = stop, k + 1
    return out


def test_values_are_the_held_or_interpolated_samples():
    gaze, emg, hand = _streams()
    for method in ("hold", "linear"):
        out = align_frames([gaze, emg, hand], method=method, max_age_s=1.0)
        assert out.n == gaze.n and out.info.rate == 120.0
        assert out.info.channels[:3] == ("gaze.x", "gaze.y", "emg.ch0")
        np.testing.assert_array_equal(out.data[:, :2], gaze.data)
        t = gaze.times
        emg_cols = slice(*out.info.meta["columns"]["emg"])
        if method == "hold":
            idx = np.searchsorted(emg.times, t, side="right") - 1
            np.testing.assert_allclose(out.data[:, emg_cols], emg.data[idx])
        else:
            for c in range(3):
                np.testing.assert_allclose(out.data[:, emg_cols][:, c], np.interp(t, emg.times, emg.data[:, c]))
        hand_cols = slice(*out.info.meta["columns"]["hand"])
        before = t < hand.times[0]
        assert np.isnan(out.data[before, hand_cols]).all()  # nothing to hold before the first camera frame
        idx = np.searchsorted(hand.times, t[~before], side="right") - 1
        if method == "hold":
            np.testing.assert_array_equal(out.data[~before, hand_cols], hand.data.reshape(60, -1)[idx])


def test_a_lost_stream_is_not_held_for_ever():
    gaze, emg, _ = _streams()
    short = Frame(EMG, emg.data[:250], t0=0.0)  # the band stops after 0.5 s
    out = align_frames([gaze, short], max_age_s=0.1)
    late = out.times > 0.5 + 0.1
    assert late.any() and np.isnan(out.data[late, 2:]).all() and not np.isnan(out.data[~late, 2:]).any()


@settings(max_examples=40, deadline=None)
@given(sizes=st.lists(st.lists(st.integers(1, 97), min_size=1, max_size=5), min_size=3, max_size=3),
       method=st.sampled_from(["hold", "linear"]), reference=st.integers(0, 2), seed=st.integers(0, 3))
def test_any_blocks_in_any_interleaving_give_the_whole_recording_result(sizes, method, reference, seed):
    streams = _streams(seed)
    whole = align_frames(streams, reference=reference, method=method, max_age_s=0.2)
    a = Align(reference, method, max_wait_s=math.inf, max_age_s=0.2)
    a.open([f.info for f in streams])
    # blocks arrive in the order of their last sample's time, as from live devices
    blocks = sorted(((b.times[-1], i, b) for i, f in enumerate(streams) for b in _cut(f, sizes[i])),
                    key=lambda x: (x[0], x[1]))
    parts = [a.push(i, b) for _, i, b in blocks] + [a.flush()]
    data = np.concatenate([p.data for p in parts if p is not None])
    times = np.concatenate([p.times for p in parts if p is not None])
    np.testing.assert_allclose(times, whole.times, rtol=0, atol=1e-12)  # a regular output's t0 per block
    np.testing.assert_array_equal(data, whole.data)


def test_a_silent_stream_holds_the_output_back_at_most_max_wait():
    gaze, emg, _ = _streams()
    a = Align(0, max_wait_s=0.05)
    a.open([GAZE, EMG])
    a.push(1, Frame(EMG, emg.data[:50], t0=0.0))  # 0.1 s of EMG, then silence
    got = [p for b in _cut(gaze, [12]) if (p := a.push(0, b)) is not None]
    t = np.concatenate([p.times for p in got])
    assert t[-1] >= gaze.times[-1] - 0.05 - 1 / 120  # emitted despite the silent band
    assert a.latency_s == 0.05


def test_bad_settings_are_refused():
    with pytest.raises(ParameterError, match="hold"):
        Align(method="nearest")
    with pytest.raises(ParameterError, match="at least two"):
        Align().open([GAZE])
    with pytest.raises(ParameterError, match="reference stream 3"):
        Align(reference=3).open([GAZE, EMG])


def test_offline_a_reference_read_after_the_other_streams_loses_nothing():
    """A recording's streams are read by separate threads: the reference may arrive after the
    whole of another stream (here 8 s of it); offline nothing of it may be dropped."""
    gaze, emg, _ = _streams()
    long_emg = Frame(EMG, np.cumsum(np.random.default_rng(1).standard_normal((4000, 3)), axis=0), t0=0.0)
    long_gaze = Frame(GAZE, np.random.default_rng(2).standard_normal((960, 2)), t0=0.0)
    whole = align_frames([long_gaze, long_emg])
    a = Align(0, max_wait_s=math.inf)
    a.open([GAZE, EMG])
    parts = [a.push(1, b) for b in _cut(long_emg, [100])] + [a.push(0, b) for b in _cut(long_gaze, [50])]
    parts.append(a.flush())
    np.testing.assert_array_equal(np.concatenate([p.data for p in parts if p is not None]), whole.data)
