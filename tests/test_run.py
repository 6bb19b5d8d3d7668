import numpy as np
import pytest

from sensekit.core import Chain, Frame, StreamInfo, run
from sensekit.core.recording import open_recording
from sensekit.core.sinks import HDF5Sink
from sensekit.core.stages import LowPass


class ListSink:
    def __init__(self):
        self.frames, self.closed, self.info = [], False, None

    def open(self, info):
        self.info = info

    def write(self, frame):
        self.frames.append(frame)

    def close(self):
        self.closed = True


INFO = StreamInfo("x", "signal", 10.0, (1,))


def blocks(seqs, t0s=None):
    for k, s in enumerate(seqs):
        yield Frame(INFO, np.full((2, 1), float(s)), t0=(t0s[k] if t0s else s * 0.2), seq=s)


def test_run_reports_drops_out_of_order_and_gaps(caplog):
    sink = ListSink()
    report = run(blocks([0, 1, 4, 3, 5, 6], t0s=[0, 0.2, 0.8, 0.6, 1.0, 5.0]), None, sink, info=INFO)
    assert report.dropped_blocks == 2 and report.out_of_order == 1 and report.gaps == 1
    assert [f.seq for f in sink.frames] == [0, 1, 4, 5, 6]  # the late block is skipped, not glued in
    assert sink.closed and report.stopped_by == "end"
    assert "2 block(s) dropped before block 4" in caplog.text


def test_sinks_are_closed_and_data_kept_when_the_source_fails(tmp_path):
    def failing():
        yield from blocks([0, 1])
        raise OSError("device unplugged")

    with pytest.raises(OSError, match="unplugged"):
        run(failing(), Chain(LowPass(2.0)), HDF5Sink(tmp_path / "x.h5"), info=INFO)
    with open_recording(tmp_path / "x.h5") as r:
        assert r.n_samples("x") == 4


def test_run_stops_on_limits_and_interrupt():
    def endless():
        s = 0
        while True:
            yield from blocks([s])
            s += 1

    assert run(endless(), None, info=INFO, max_blocks=3).blocks == 3
    r = run(endless(), None, info=INFO, max_duration_s=1.0)
    assert r.stream_s == pytest.approx(1.0) and r.stopped_by == "limit"

    def interrupted():
        yield from blocks([0])
        raise KeyboardInterrupt

    sink = ListSink()
    r = run(interrupted(), None, sink, info=INFO)
    assert r.stopped_by == "interrupt" and sink.closed and len(sink.frames) == 1
