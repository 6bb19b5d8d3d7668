import numpy as np
import pytest

from sensekit.core import Frame, StreamInfo, concat_frames
from sensekit.errors import ParameterError, StreamFormatError


def test_streaminfo_defaults_and_validation():
    info = StreamInfo("emg", "emg", 200, (8,))
    assert info.channels == tuple(f"ch{i}" for i in range(8))
    assert info.rate == 200.0 and info.is_regular and info.sample_nbytes == 64
    with pytest.raises(ParameterError, match="rate must be finite and >= 0"):
        StreamInfo("emg", "emg", -1, (8,))
    assert StreamInfo("audio", "audio", 1e7, (1,)).rate == 1e7  # (the bound calibration files have)
    with pytest.raises(ParameterError, match=r"1e\+09 Hz is beyond any sensor"):  # an LSL outlet stating 1 GHz made
        StreamInfo("emg", "emg", 1e9, (8,))  # 'capture --duration 1' wait for a billion samples
    with pytest.raises(ParameterError, match="3 channel names for sample shape"):
        StreamInfo("emg", "emg", 200, (8,), channels=("a", "b", "c"))
    with pytest.raises(ParameterError, match="unknown dtype"):
        StreamInfo("emg", "emg", 200, (8,), dtype="float99")
    with pytest.raises(ParameterError, match="channel names repeat"):
        StreamInfo("x", "emg", 200, (2,), channels=("a", "a"))


def test_streaminfo_frozen_json_roundtrip():
    info = StreamInfo("mic", "audio", 16000, (4,), unit="FS", meta={"geometry": {"xyz": [[0, 0, 0], [1, 0, 0]]}})
    with pytest.raises(AttributeError):
        info.rate = 8000
    with pytest.raises(TypeError):
        info.meta["x"] = 1
    again = StreamInfo.from_json(info.to_json())
    assert again == info and hash(again) == hash(info)
    assert info.replace(rate=8000).rate == 8000
    assert info.differences(info.replace(rate=8000)) == ["rate: expected 16000.0, got 8000.0"]
    with pytest.raises(ParameterError, match="unknown StreamInfo fields"):
        StreamInfo.from_dict({**info.to_dict(), "srate": 1})


def test_frame_timestamps_derived_for_regular_streams():
    info = StreamInfo("s", "signal", 100, (2,))
    f = Frame(info, np.zeros((5, 2)), t0=1.0, seq=3)
    np.testing.assert_allclose(f.times, 1.0 + np.arange(5) / 100)
    assert f.t_end == pytest.approx(1.05) and f.duration == pytest.approx(0.05) and f.seq == 3
    assert f._times is None  # not stored per sample
    with pytest.raises(AttributeError, match="immutable"):
        f.seq = 4
    with pytest.raises(ValueError):
        f.data[0, 0] = 1.0  # read-only


def test_frame_rejects_bad_shapes_dtypes_and_timing():
    info = StreamInfo("s", "signal", 100, (2,))
    with pytest.raises(StreamFormatError, match=r"sample shape \(3,\), expected \(2,\)"):
        Frame(info, np.zeros((5, 3)), t0=0)
    with pytest.raises(StreamFormatError, match="dtype is float32, expected float64"):
        Frame(info, np.zeros((5, 2), dtype=np.float32), t0=0)
    with pytest.raises(ParameterError, match="needs t0"):
        Frame(info, np.zeros((5, 2)))
    irregular = info.replace(rate=0)
    with pytest.raises(ParameterError, match="needs per-sample times"):
        Frame(irregular, np.zeros((2, 2)), t0=0)
    with pytest.raises(ParameterError, match=r"times has shape \(3,\), expected \(2,\)"):
        Frame(irregular, np.zeros((2, 2)), times=np.arange(3.0))


def test_concat_frames_keeps_timing():
    info = StreamInfo("s", "signal", 0, (1,))
    a = Frame(info, np.ones((2, 1)), times=np.array([0.1, 0.3]), seq=0)
    b = Frame(info, np.zeros((1, 1)), times=np.array([0.7]), seq=1)
    c = concat_frames([a, b])
    np.testing.assert_array_equal(c.times, [0.1, 0.3, 0.7])
    assert c.n == 3 and c.t0 == 0.1
    assert concat_frames([], info=info).n == 0


def test_streaminfo_reduces_to_plain_values_and_copies():
    import copy

    info = StreamInfo("mic", "audio", 16000, (2,), meta={"geometry": {"xyz": [[0, 0, 0], [0.1, 0, 0]]}})
    rebuild, args = info.__reduce__()  # what pickle (Dask, process pools) uses
    assert rebuild(*args) == info and isinstance(args[0]["meta"], dict)
    assert copy.deepcopy(info) is info
