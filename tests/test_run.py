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


def test_two_remote_clocks_with_offset_and_drift_align_within_a_millisecond_after_ten_minutes():
    """Issue 21: two LSL outlets with known, different clock offsets and drift, offset
    measurements every 2 s with network jitter and spikes: after 10 minutes both map onto the
    local clock within 1 ms."""
    from sensekit.core.clock import ClockMap

    rng = np.random.default_rng(4)
    errors = []
    for offset, drift in ((3.2, 40e-6), (-1751.0, -25e-6)):
        local = np.arange(0.0, 600.0, 2.0)  # when the measurements were made (local clock)
        remote = (local - offset) / (1 + drift)  # the remote clock runs fast or slow
        true = local - remote  # what each measurement should say
        measured = true + rng.normal(0, 0.3e-3, len(local))
        spikes = rng.random(len(local)) < 0.05
        measured[spikes] += rng.uniform(5e-3, 30e-3, spikes.sum())  # a congested network now and then
        m = ClockMap()
        for r, o in zip(remote, measured, strict=True):
            m.add(r, o)
        sample_local = 599.0 + rng.random(50)  # samples at the end of the ten minutes
        sample_remote = (sample_local - offset) / (1 + drift)
        errors.append(np.abs(m(sample_remote) - sample_local).max())
        assert m.drift == pytest.approx(drift, rel=0.05)
    assert max(errors) < 1e-3


def test_latency_meter_times_each_stage_and_the_path_from_capture():
    """A source stamped on sensekit's clock (as a camera is): the capture-to-published latency
    includes every stage's time (a stage that sleeps 4 ms); per-stage times are each stage's;
    a source with its own timestamps gets the processing time and no capture latency."""
    import time

    from sensekit.core.latency import LatencyMeter
    from sensekit.core.sources.base import clock
    from sensekit.core.stage import Stage

    class Slow(Stage):
        def _open(self, info):
            return info

        def _process(self, frame):
            time.sleep(0.004)
            return frame

    info = StreamInfo("cam", "landmarks", 0.0, (2,))

    def live():
        for i in range(12):
            yield Frame(info, np.zeros((1, 2)), times=np.array([clock()]), seq=i)

    meter = LatencyMeter(Chain(Slow(), Slow()))
    run(live(), meter.chain, info=info, on_block=meter.on_block)
    s = meter.summary()
    assert s["blocks"] == 12 and list(s["stages"]) == ["Slow (1)", "Slow (2)"]
    assert all(v[0] >= 4.0 for v in s["stages"].values())
    assert s["capture_ms"][0] >= 8.0 and s["processing_ms"][0] >= 8.0
    recorded = LatencyMeter(Chain(Slow()))
    run([Frame(info, np.zeros((1, 2)), times=np.array([float(i)]), seq=i) for i in range(3)], recorded.chain,
        on_block=recorded.on_block)
    assert recorded.summary()["capture_ms"] is None and recorded.summary()["processing_ms"][0] >= 4.0
