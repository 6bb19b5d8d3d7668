"""Eye-movement event detection: detectors against simulated truth and Lund 2013, the
streaming stages (block invariance, flush), loaders and the events CLI."""

from __future__ import annotations

import logging
import re

import numpy as np
import pytest
from typer.testing import CliRunner

from sensekit.cli import app
from sensekit.core import Chain, Frame, StreamInfo
from sensekit.errors import DatasetError, ParameterError, RecordingError, StreamFormatError
from sensekit.eyetrack.datasets import (
    GazeRecording,
    load_eyelink_asc,
    load_gaze,
    load_irf,
    load_lund2013,
    load_pupil_labs_csv,
    load_tobii_csv,
    lund2013_files,
)
from sensekit.eyetrack.detectors import adaptive, adaptive_threshold, detect, gaze_velocity, idt, ivt
from sensekit.eyetrack.geometry import Screen
from sensekit.eyetrack.labels import BLINK, FIXATION, PSO, PURSUIT, SACCADE, event_f1, event_statistics, events_table
from sensekit.eyetrack.stages import EventDetector, GazeDegrees, GazeEvents, GazeVelocity
from sensekit.eyetrack.synth import gaze_signal
from sensekit.learn.metrics import cohen_kappa
from sensekit.testing import assert_block_invariant, feed

runner = CliRunner()
GAZE = StreamInfo("g", "gaze", 500.0, (2,), channels=("x", "y"), dtype="float64", meta={"gaze_units": "deg"})


@pytest.fixture(scope="module")
def sim():
    return gaze_signal(12.0, 500.0, rng=3)


def _kappa(truth, pred, code):
    return cohen_kappa(truth == code, pred == code)


def test_adaptive_detector_recovers_simulated_events(sim):
    x, y, truth = sim
    pred = adaptive(x, y, 500.0)
    assert _kappa(truth, pred, FIXATION) > 0.9
    assert _kappa(truth, pred, SACCADE) > 0.8
    assert _kappa(truth, pred, PURSUIT) > 0.9
    assert _kappa(truth, pred, BLINK) > 0.7
    # lost samples are never fixation, saccade or pursuit
    assert (pred[np.isnan(x)] == BLINK).all()


def test_slow_pursuit_is_found_by_where_the_gaze_goes():
    """A 1.5 deg/s pursuit never reaches the velocity thresholds; the spread rule finds
    it, while a drifting fixation of the same length stays fixation."""
    rate, rng = 500.0, np.random.default_rng(7)
    fix = np.cumsum(rng.normal(0, 0.004, (750, 2)), axis=0)  # 1.5 s of drift
    t = np.arange(750) / rate
    slow = np.stack([1.5 * t, 0.3 * np.sin(2 * np.pi * t / 1.5)], axis=1) + fix[-1]  # 1.5 deg/s, bending
    xy = np.concatenate([fix, slow, slow[-1] + fix - fix[0]]) + rng.normal(0, 0.02, (2250, 2))
    truth = np.repeat([FIXATION, PURSUIT, FIXATION], 750)
    found = adaptive(xy[:, 0], xy[:, 1], rate)
    assert (found[truth == PURSUIT] == PURSUIT).mean() > 0.8
    assert (found[truth == FIXATION] == FIXATION).mean() > 0.9
    without = adaptive(xy[:, 0], xy[:, 1], rate, spread_threshold=None)
    assert (without[truth == PURSUIT] == PURSUIT).mean() < 0.3


def test_a_noisy_trackers_still_eye_is_not_pursuit():
    """A remote tracker's noise (0.4 deg per sample at 300 Hz, white: an infant on a Tobii TX300)
    moves the window-averaged velocity and the gaze's spread past the pursuit thresholds: on gaze
    with no pursuit at all, 20 % of the samples were called pursuit (Hooge et al.'s infants: 16 %).
    The thresholds stay PURSUIT_NOISE_SD standard deviations above what the measured noise gives at
    each sample (a window clipped at a saccade averages fewer samples), and the spread above the
    noise's own; a quiet tracker's are unchanged (pursuit_noise_sd=0: the rule off), and pursuits
    are found better, no longer merged with false ones."""
    from sensekit.eyetrack.detectors import tracker_noise
    from sensekit.eyetrack.labels import agreement
    from sensekit.eyetrack.synth import gaze_signal

    shares, found = [], []
    for seed in range(3):
        x, y, truth = gaze_signal(duration_s=60.0, rate=300.0, rng=seed, pursuit=False, noise_deg=0.4)
        assert tracker_noise(x, y, truth == FIXATION) == pytest.approx(0.4, rel=0.05)
        shares.append(np.mean(adaptive(x, y, 300.0) == PURSUIT))
        x, y, truth = gaze_signal(duration_s=60.0, rate=300.0, rng=seed, pursuit=True, noise_deg=0.4)
        found.append(agreement(truth, adaptive(x, y, 300.0), 300.0)["pursuit"]["f1_overlap"])
    assert np.mean(shares) < 0.02 and np.mean(found) > 0.9  # (before: 0.197, and pursuit F1 0.40)
    quiet_x, quiet_y, _ = gaze_signal(duration_s=20.0, rate=500.0, rng=1, noise_deg=0.03)
    quiet = adaptive(quiet_x, quiet_y, 500.0)
    np.testing.assert_array_equal(quiet, adaptive(quiet_x, quiet_y, 500.0, pursuit_noise_sd=0))  # (the rule off)
    assert (quiet == PURSUIT).any()


def test_a_saccade_the_velocity_missed_is_not_a_pursuit():
    """A noisy tracker misses small saccades (its saccade threshold is high), and a missed step
    averaged over the pursuit window moves as fast as a slow pursuit: such runs are explained by
    the model of the gaze position that fits best (still, line, turning line or step; BIC). A
    step in noise becomes a saccade between two fixations; a pursuit, straight or turning, stays
    pursuit; a still run is a fixation."""
    from sensekit.eyetrack.detectors import missed_saccades

    rate, rng = 300.0, np.random.default_rng(3)
    n = 90
    noise = rng.normal(0, 0.3, (4, n, 2))
    t = np.arange(n) / rate
    step = np.where(np.arange(n) < 40, 0.0, 1.0)[:, None] * [0.8, 0.6] + noise[0]  # 1 deg, at sample 40
    ramp = np.column_stack([8.0 * t, 3.0 * t]) + noise[1]  # 8.5 deg/s
    turn = np.column_stack([8.0 * np.minimum(t, 0.15), 8.0 * np.maximum(t - 0.15, 0)]) + noise[2]
    still = noise[3]
    everything = np.ones(n, bool)
    left, found = missed_saccades(everything, step[:, 0], step[:, 1], rate, 4.0, 18)
    assert not left.any() and 36 <= np.flatnonzero(found).mean() <= 44 and found.sum() == 7  # (23 ms of 1 deg)
    for pursuit in (ramp, turn):
        left, found = missed_saccades(everything, pursuit[:, 0], pursuit[:, 1], rate, 4.0, 18)
        assert left.all() and not found.any()
    left, found = missed_saccades(everything, still[:, 0], still[:, 1], rate, 4.0, 18)
    assert not left.any() and not found.any()


def test_a_noisy_trackers_missed_saccades_are_found_again(shared_data):
    """IRF lookAtPoint as a 300 Hz remote tracker with 0.3 deg of noise (the bench's noisy-tracker
    protocol, one subject): its small saccades are missed by the velocity and had made 16 % of a
    fixation task's samples pursuit; found again, the fixation F1 rises above nh2010's."""
    from sensekit.eyetrack.bench import _noisy_tracker_scores

    rec = load_irf(shared_data / "irf-lookatpoint" / "lookAtPoint_EL_S1.npy")
    scores = _noisy_tracker_scores(rec.x, rec.y, rec.labels["RZ"], rec.rate, 0.3, seed=1)
    assert scores["tracker300_noise0.3_adaptive_pursuit_fraction"] < 0.06  # (0.16 without the step test)
    assert scores["tracker300_noise0.3_adaptive_f1_overlap_fixation"] > scores[
        "tracker300_noise0.3_nh2010_f1_overlap_fixation"] + 0.03
    assert scores["tracker300_noise0.3_static_f1_overlap_saccade"] > scores[
        "tracker300_noise0.3_nh2010_f1_overlap_saccade"] + 0.03


def test_classic_detectors_find_saccades(sim):
    x, y, truth = sim
    assert _kappa(truth, ivt(x, y, 500.0), SACCADE) > 0.85
    assert _kappa(truth, detect(x, y, 500.0, "nh2010"), SACCADE) > 0.85
    lab = idt(x, y, 500.0, dispersion=1.0, min_duration_s=0.1)
    fix = truth == FIXATION
    # I-DT spends a saccade's slow ends on the neighbouring fixations
    assert (lab[fix] == FIXATION).mean() > 0.95 and (lab[truth == SACCADE] == SACCADE).mean() > 0.6


def test_adaptive_threshold_tracks_the_noise():
    rng = np.random.default_rng(0)
    for sd in (2.0, 8.0):
        speed = np.abs(rng.normal(0, sd, 20000))
        speed[::500] = 400.0  # saccade peaks
        peak, onset, m, s = adaptive_threshold(speed)
        assert onset < peak < 12 * sd and peak > 3 * sd
        peak_r, *_ = adaptive_threshold(speed, robust=True)
        assert abs(peak_r - peak) / peak < 0.5


def test_velocity_is_exact_on_a_ramp_and_nan_near_loss():
    t = np.arange(200) / 500.0
    x, y = 10 * t, -4 * t
    vx, vy, speed = gaze_velocity(x, y, 500.0)
    assert np.allclose(vx[10:-10], 10) and np.allclose(vy[10:-10], -4) and np.allclose(speed[10:-10], np.hypot(10, 4))
    x = x.copy()
    x[100] = np.nan
    _, _, speed = gaze_velocity(x, y, 500.0)
    assert np.isnan(speed[95:106]).all() and np.isfinite(speed[:94]).all()


def test_detectors_survive_all_nan_short_and_bad_input():
    nan = np.full(50, np.nan)
    assert (adaptive(nan, nan, 500.0) == BLINK).all()
    assert adaptive(np.zeros(3), np.zeros(3), 500.0).shape == (3,)
    with pytest.raises(ParameterError, match="unknown event detector"):
        detect(np.zeros(10), np.zeros(10), 500.0, "magic")
    with pytest.raises(ParameterError, match="1-D arrays of one length"):
        adaptive(np.zeros(10), np.zeros(9), 500.0)


def test_gaze_velocity_stage_equals_whole_recording_filter(sim):
    x, y, _ = sim
    data = np.stack([x, y], axis=1)[:3000]
    out = assert_block_invariant(GazeVelocity(), GAZE, data, max_examples=15)
    vx, vy, speed = gaze_velocity(data[:, 0], data[:, 1], 500.0)
    assert out.n == len(data)
    np.testing.assert_array_equal(out.data[:, 4], speed)
    np.testing.assert_array_equal(out.data[:, :2], data)


def test_event_detector_is_block_invariant_and_flushes_everything(sim):
    x, y, truth = sim
    data = np.stack([x, y], axis=1)[:4000]
    out = assert_block_invariant(lambda: EventDetector(chunk_s=1.0, context_s=0.3), GAZE, data, max_examples=15)
    assert out.n == len(data) and out.t0 == 0.0
    whole = adaptive(data[:, 0], data[:, 1], 500.0)
    assert (out.data[:, 3] == whole).mean() > 0.97  # chunked thresholds differ a little from whole-file ones
    stage = EventDetector(chunk_s=100.0)  # one chunk: exactly the whole-recording detector
    stage.open(GAZE)
    np.testing.assert_array_equal(feed(stage, [Frame(GAZE, data, t0=0.0)]).data[:, 3], whole)


def test_event_detector_latency_and_errors():
    stage = EventDetector(chunk_s=0.5, context_s=0.1)
    stage.open(GAZE)
    assert stage.latency_s == pytest.approx(0.6)
    assert stage.process(Frame(GAZE, np.zeros((200, 2)), t0=0.0)) is None  # still waiting for context
    with pytest.raises(ParameterError, match="unknown event detector"):
        EventDetector("magic").open(GAZE)
    with pytest.raises(ParameterError, match="ivt has no parameter 'bogus'.*threshold, window_s"):
        EventDetector("ivt", bogus=3).open(GAZE)
    px = GAZE.replace(meta={"gaze_units": "px"})
    with pytest.raises(StreamFormatError, match="GazeDegrees"):
        EventDetector().open(px)
    with pytest.raises(ParameterError, match="chunk_s"):  # (it overflowed the sample count)
        EventDetector(chunk_s=1e308).open(GAZE)
    r = runner.invoke(app, ["run", "eyetrack", "synth:gaze?duration=1", "--jsonl", "--chunk", "1e308"])
    assert r.exit_code == 2 and "--chunk" in r.stderr, r.output


def test_low_rate_works_with_a_warning(caplog):
    x, y, truth = gaze_signal(20.0, 30.0, rng=1)
    info = GAZE.replace(rate=30.0)
    stage = EventDetector("adaptive")
    with caplog.at_level(logging.WARNING, logger="sensekit"):
        stage.open(info)
    assert "needs >= 200 Hz" in caplog.text
    out = feed(stage, [Frame(info, np.stack([x, y], axis=1), t0=0.0)])
    assert out.n == len(x) and set(np.unique(out.data[:, 3])) <= {0, 1, 2, 3, 4, 5}


def test_gaze_events_stage_matches_the_events_table(sim):
    x, y, _ = sim
    data = np.stack([x, y], axis=1)[:4000]
    det = EventDetector(chunk_s=100.0)
    det.open(GAZE)
    labelled = feed(det, [Frame(GAZE, data, t0=2.0)])
    ev = assert_block_invariant(GazeEvents(), det.output_info, labelled.data, t0=2.0, max_examples=10)
    t = 2.0 + np.arange(len(data)) / 500.0
    ref = events_table(labelled.data[:, 3].astype(int), t, labelled.data[:, 0], labelled.data[:, 1],
                       labelled.data[:, 2], rate=500.0)
    np.testing.assert_array_equal(ev.data[:, 0], ref["type"])
    np.testing.assert_allclose(ev.data[:, 1], ref["onset_s"])
    np.testing.assert_allclose(ev.data[:, 3].sum(), len(data) / 500.0)
    sac = ev.data[ev.data[:, 0] == SACCADE]
    assert (sac[:, 4] > 1.0).all() and (sac[:, 5] > 50).all()  # amplitudes (deg) and peak velocities (deg/s)


def test_chain_flush_reaches_run_sinks(sim):
    from sensekit.core import run

    x, y, _ = sim
    data = np.stack([x, y], axis=1)[:2000]
    frames = [Frame(GAZE, data[i : i + 100], t0=i / 500.0, seq=k) for k, i in enumerate(range(0, 2000, 100))]

    class Keep:
        def open(self, info):
            self.rows = []

        def write(self, frame):
            self.rows.append(frame.data)

        def close(self):
            pass

    sink = Keep()
    report = run(frames, Chain(EventDetector(chunk_s=1.0)), sink)
    assert sum(len(r) for r in sink.rows) == 2000 == report.samples_out


def test_gaze_degrees_converts_with_the_screen():
    screen = Screen(380.0, 300.0, 1024, 768, 670.0)
    info = GAZE.replace(meta={"gaze_units": "px", "screen": screen.to_dict()})
    st = GazeDegrees()
    out = st.open(info)
    assert out.meta["gaze_units"] == "deg"
    f = st.process(Frame(info, np.array([[512.0, 384.0], [1024.0, 384.0]]), t0=0.0))
    assert f.data[0] == pytest.approx([0, 0]) and f.data[1, 0] == pytest.approx(np.degrees(np.arctan2(190, 670)))
    with pytest.raises(StreamFormatError, match="no 'screen' geometry"):
        GazeDegrees().open(GAZE.replace(meta={"gaze_units": "px"}))


def test_screen_geometry_round_trip_and_parse_errors():
    s = Screen.parse("531x299mm@1920x1080", 650)
    x, y = s.to_degrees([0, 960, 1919], [0, 540, 1079])
    xb, yb = s.to_pixels(x, y)
    np.testing.assert_allclose(xb, [0, 960, 1919])
    np.testing.assert_allclose(yb, [0, 540, 1079])
    with pytest.raises(ParameterError, match="WIDTHxHEIGHTmm"):
        Screen.parse("24 inch", 650)
    with pytest.raises(ParameterError, match="distance_mm"):
        Screen(531, 299, 1920, 1080, 0)


def test_a_screen_no_display_has_is_refused_and_odd_pixels_are_said(tmp_path, caplog):
    """Numbers past any display's (a distance of 1e308 mm had read every gaze as 0 deg: one
    fixation; a resolution of 1e11 px) are one line; pixels far from square (a resolution's
    digit dropped) are a warning."""
    with caplog.at_level(logging.WARNING, logger="sensekit"):
        Screen.parse("531x299mm@1920x108", 650)
    assert "has pixels 10.0 times as tall as they are wide" in caplog.text
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="sensekit"):
        Screen.parse("531x299mm@1920x1080", 650)
        assert not caplog.text
        Screen.parse("531x299mm@1920x1080", 65)
    assert "a 531 mm wide screen seen from 65 mm spans 152 degrees: is the distance in mm (65 cm is 650 mm)?" in caplog.text
    t = np.arange(500) / 250
    _table(tmp_path / "g.csv", t, 960 + 300 * np.sin(t * 5), 540 + 0 * t)
    for screen, distance, said in (("531x299mm@1920x1080", "1e308", "screen distance_mm 1e+308 is not a viewing "
                                                                    "distance in mm (10 to 100000)"),
                                   ("531x299mm@99999999999x1080", "650", "screen width_px 1e+11 is not a display's "
                                                                         "width in pixels")):
        r = runner.invoke(app, ["eyetrack", "events", str(tmp_path / "g.csv"), "--screen", screen, "--distance",
                                distance])
        assert r.exit_code == 2 and said in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.output


def test_event_f1_counts_matching_onsets_and_offsets():
    truth = np.array([1] * 50 + [2] * 20 + [1] * 50 + [2] * 20 + [1] * 10)
    pred = truth.copy()
    assert event_f1(truth, pred, SACCADE, 1000.0)["f1"] == 1.0
    pred = np.array([1] * 55 + [2] * 15 + [1] * 50 + [2] * 20 + [1] * 10)  # first onset 5 ms late
    assert event_f1(truth, pred, SACCADE, 1000.0, tolerance_s=0.002)["f1"] == 0.5
    assert event_f1(truth, pred, SACCADE, 1000.0, tolerance_s=0.01)["f1"] == 1.0


def test_event_statistics_count_events_per_minute_and_their_durations():
    truth = np.array([1] * 50 + [2] * 20 + [1] * 50 + [2] * 30 + [1] * 50)  # 200 ms at 1 kHz
    assert event_statistics(truth, SACCADE, 1000.0) == {"per_minute": 600.0, "mean_duration_ms": 25.0}
    assert event_statistics(truth, FIXATION, 1000.0)["mean_duration_ms"] == 50.0
    empty = event_statistics(truth, PSO, 1000.0)
    assert empty["per_minute"] == 0.0 and np.isnan(empty["mean_duration_ms"])


# -- loaders ---------------------------------------------------------------------------
def test_eyelink_asc_pupil_labs_and_tobii_loaders(tmp_path):
    screen = Screen(531.0, 299.0, 1920, 1080, 650.0)
    asc = tmp_path / "rec.asc"
    lines = ["** CONVERTED FROM rec.edf", "MSG\t100 DISPLAY_COORDS 0 0 1919 1079",
             "START\t1000 \tLEFT\tSAMPLES\tEVENTS", "SAMPLES\tGAZE\tLEFT\tRATE\t1000.00\tTRACKING"]
    for i in range(100):
        lines.append(f"{1000 + i}\t{960 + i:.1f}\t540.0\t1200.0\t..." if i != 50 else f"{1000 + i}\t.\t.\t0.0\t...")
    asc.write_text("\n".join(lines) + "\n")
    rec = load_eyelink_asc(asc, screen=screen)
    assert rec.rate == 1000.0 and len(rec) == 100 and np.isnan(rec.x[50]) and rec.x[0] == pytest.approx(0.0)
    with pytest.raises(Exception, match="screen geometry"):
        load_eyelink_asc(asc)
    pl = tmp_path / "gaze_positions.csv"
    pl.write_text("gaze_timestamp,world_index,confidence,norm_pos_x,norm_pos_y\n" + "".join(
        f"{10 + i / 200:.4f},{i},{0.9 if i != 3 else 0.1},0.5,0.5\n" for i in range(20)))
    rec = load_pupil_labs_csv(pl, screen=screen)
    assert rec.rate == 200.0 and np.isnan(rec.x[3]) and rec.x[0] == pytest.approx(0.0)
    with pytest.raises(DatasetError, match="no 3D gaze"):  # (2D mapping: the scene camera is no screen)
        load_pupil_labs_csv(pl)
    # 3D gaze mapping: gaze_point_3d (mm, the scene camera's frame) read in degrees with no screen
    pl.write_text("gaze_timestamp,world_index,confidence,norm_pos_x,norm_pos_y,gaze_point_3d_x,gaze_point_3d_y,"
                  "gaze_point_3d_z\n" + "".join(f"{10 + i / 200:.4f},{i},{0.9 if i != 3 else 0.1},0.5,0.5,"
                                                  f"{500 * np.tan(np.radians(i)):.6f},0,500\n" for i in range(20)))
    rec = load_pupil_labs_csv(pl)
    assert rec.screen is None and np.isnan(rec.x[3]) and rec.x[10] == pytest.approx(10.0, abs=1e-4)
    tb = tmp_path / "tobii.tsv"
    tb.write_text("Recording timestamp\tGaze point X\tGaze point Y\n" + "".join(
        f"{i * 8333}\t{960 if i != 2 else ''}\t540\n" for i in range(30)))
    rec = load_tobii_csv(tb, screen=screen)
    assert rec.rate == 120.0 and np.isnan(rec.x[2]) and load_gaze(tb, screen=screen).name == "tobii"
    # a newer Pro Lab export: units in the column names, a mouse's rows among the eye tracker's, and
    # Tobii's own I-VT classification, which becomes labels to compare with
    newer = tmp_path / "prolab.tsv"
    movement = ["Fixation"] * 10 + ["Saccade"] * 4 + ["Fixation"] * 10 + ["EyesNotFound"] * 3 + ["Unclassified"] * 3
    lines = ["Recording timestamp [ms]\tSensor\tGaze point X [DACS px]\tGaze point Y [DACS px]\tEye movement type"]
    for i, kind in enumerate(movement):
        lines.append(f"{i * 1000 / 120:.3f}\tEye Tracker\t{960 + (40 * i if 10 <= i < 14 else 0)}\t540\t{kind}")
        if i == 5:
            lines.append(f"{i * 1000 / 120 + 1:.3f}\tMouse\t\t\t")
    newer.write_text("\n".join(lines) + "\n")
    rec = load_gaze(newer, screen=screen)
    assert rec.rate == 120.0 and len(rec) == 30  # (the mouse's row left out)
    assert rec.labels["Tobii I-VT"].tolist() == [1] * 10 + [2] * 4 + [1] * 10 + [5] * 3 + [0] * 3
    r = runner.invoke(app, ["eyetrack", "events", str(newer), "--screen", "531x299mm@1920x1080", "--distance", "650"],
                      terminal_width=200)
    assert r.exit_code == 0 and "│ Tobii I-VT │ saccade" in r.stdout, r.output
    # a project's export: several recordings one after the other, each on its own clock (the clock going
    # back had dropped all but the first with a warning): one is chosen by name, or the file is refused
    project = tmp_path / "project.tsv"
    head = "Recording timestamp [μs]\tRecording name\tGaze point X [DACS px]\tGaze point Y [DACS px]\n"
    project.write_text(head + "".join(f"{i * 8333}\t{name}\t{x}\t540\n" for name, x in (("Rec A", 900), ("Rec B", 1100))
                                      for i in range(30)), encoding="utf-8")
    with pytest.raises(RecordingError, match=r"holds 2 recordings \('Rec A', 'Rec B'\).*--recording"):
        load_gaze(project, screen=screen)
    rec = load_gaze(project, screen=screen, recording="Rec B")
    assert len(rec) == 30 and rec.x[0] > 0
    with pytest.raises(RecordingError, match="no recording 'Rec C'"):
        load_gaze(project, screen=screen, recording="Rec C")
    base = ["eyetrack", "events", "--screen", "531x299mm@1920x1080", "--distance", "650"]
    r = runner.invoke(app, [*base, str(project), "--recording", "Rec A"])
    assert r.exit_code == 0 and "project: 30 samples" in r.output, r.output
    r = runner.invoke(app, [*base, str(tb), "--recording", "Rec A"])  # (an older export: one recording)
    assert r.exit_code == 2 and "no 'Recording name' column" in r.output and "Traceback" not in r.output
    r = runner.invoke(app, [*base, str(tmp_path / "gaze_positions.csv"), "--recording", "Rec A"])
    assert r.exit_code == 2 and "--recording does not apply" in r.output, r.output
    # an SMI BeGaze export: '##' metadata lines before the header, messages (MSG) among the samples (SMP)
    smi = tmp_path / "smi_samples.txt"
    lines = ["## [BeGaze]", "## Sample Rate: 250", "", "Time\tType\tTrial\tL POR X [px]\tL POR Y [px]"]
    for k in range(400):
        lines.append(f"{k * 4000}\tSMP\t1\t{960 + 100 * (k >= 200)}\t540")
        if k % 100 == 0:
            lines.append(f"{k * 4000 + 1}\tMSG\t1\t# Message: image{k}.jpg")
    smi.write_text("\n".join(lines) + "\n")
    rec = load_gaze(smi, screen=screen, columns=("Time", "L POR X [px]", "L POR Y [px]"), time_unit="us")
    assert rec.rate == 250.0 and len(rec) == 400 and rec.x[250] > rec.x[150]
    # an app that stamps gaze with the wall clock: ISO 8601 date-times, read as seconds
    dated = tmp_path / "app_gaze.csv"
    dated.write_text("timestamp,x,y\n" + "".join(f"2024-05-01T12:00:{k * 0.004:06.3f}Z,{k % 7},0\n" for k in range(500)))
    rec = load_gaze(dated, units="deg")
    assert rec.rate == 250.0 and len(rec) == 500 and rec.x[3] == 3.0
    dated.write_text(dated.read_text().replace("2024-05-01T12:00:01.000Z", "soon"))
    with pytest.raises(RecordingError, match="row 252, column 'timestamp' holds 'soon', not a date-time"):
        load_gaze(dated, units="deg")
    bad = tmp_path / "other.csv"
    bad.write_text("a,b\n1,2\n")
    with pytest.raises(RecordingError, match="not a Pupil Labs, Tobii or time,x,y gaze table"):
        load_gaze(bad)


def test_regular_fills_timestamp_jumps_with_loss(caplog):
    from sensekit.eyetrack.datasets import GazeRecording

    t = np.r_[np.arange(100), np.arange(150, 200)] / 100.0
    rec = GazeRecording(t, np.ones(150), np.ones(150), 100.0)
    with caplog.at_level(logging.WARNING, logger="sensekit"):
        reg = rec.regular()
    assert len(reg) == 200 and np.isnan(reg.x[100:150]).all() and "jump" in caplog.text


def test_lund2013_loader_and_kappas(shared_data):
    pairs = lund2013_files(shared_data / "lund2013", "img")
    assert len(pairs) == 14
    rec = load_lund2013(*pairs[0])
    assert rec.rate == 500.0 and rec.screen.width_px == 1024
    assert len(rec.labels["RA"]) == len(rec.labels["MN"]) == len(rec)
    assert np.isnan(rec.x).any()  # (0, 0) became NaN
    recs = [load_lund2013(*p) for p in pairs]
    ra = np.concatenate([r.labels["RA"] for r in recs])
    pred = np.concatenate([adaptive(r.x, r.y, r.rate) for r in recs])
    # REMoDNaV on the same data: fixation .547, saccade .761, PSO .591 (SOURCE.md)
    assert _kappa(ra, pred, FIXATION) > 0.55
    assert _kappa(ra, pred, SACCADE) > 0.78
    assert _kappa(ra, pred, PSO) > 0.6


def test_irf_loader(shared_data):
    rec = load_irf(shared_data / "irf-lookatpoint" / "lookAtPoint_EL_S1.npy")
    assert rec.rate == 1000.0 and rec.screen.width_px == 1920
    assert np.isnan(rec.x).sum() == 1862  # status False
    pred = adaptive(rec.x, rec.y, rec.rate)
    assert event_f1(rec.labels["RZ"], pred, SACCADE, 1000.0)["f1"] > 0.7


def test_cli_events_scores_a_tables_reference_labels_as_the_bench_does(shared_data, tmp_path):
    """A plain table with a coder's labels (--reference, codes or names): 'eyetrack events' prints
    the bench's measures against them (sample kappa, event F1 by overlap and within 20 ms, events
    a minute: the functions of the bench task eyetrack.irf) for the labels EyePipeline gives, and
    writes them as JSON with --scores (the online detector's too); a label that is no class is
    one line."""
    import json

    from sensekit.eyetrack.bench import _kappas, _overlap_f1s
    from sensekit.eyetrack.pipeline import EyePipeline

    rec = load_irf(shared_data / "irf-lookatpoint" / "lookAtPoint_EL_S1.npy")
    n = 20_000  # the first 20 s
    names = {0: "undefined", 1: "fixation", 2: "saccade", 3: "pso", 4: "pursuit", 5: "blink"}
    truth = rec.labels["RZ"][:n]
    table = tmp_path / "gaze.csv"
    table.write_text("time_ms,x,y,coder,coder_names\n" + "".join(
        f"{t * 1000:.3f},{x:.9f},{y:.9f},{c},{names[int(c)]}\n"
        for t, x, y, c in zip(rec.t[:n], rec.x[:n], rec.y[:n], truth, strict=True)).replace("nan", ""))
    r = runner.invoke(app, ["eyetrack", "events", str(table), "--units", "deg", "--reference", "coder,coder_names",
                            "--scores", str(tmp_path / "scores.json")], terminal_width=200)
    assert r.exit_code == 0, r.output
    assert "Against the file's labels" in r.stdout and "│ coder_names │ fixation │" in r.stdout
    loaded = load_gaze(table, units="deg")
    pred = EyePipeline().label(loaded.to_frame())
    want = {**_kappas(truth, pred), **_overlap_f1s(truth, pred, rec.rate)}
    got = json.loads((tmp_path / "scores.json").read_text())["coders"]
    for coder in ("coder", "coder_names"):
        for name, code in (("fixation", 1), ("saccade", 2), ("pso", 3)):
            m = got[coder][name]
            assert m["kappa"] == pytest.approx(want[f"kappa_{name}"], abs=1e-12)
            assert m["f1_overlap"] == pytest.approx(want[f"f1_overlap_{name}"], abs=1e-12)
            assert m["f1_20ms"] == pytest.approx(event_f1(truth, pred, code, rec.rate, tolerance_s=0.02)["f1"],
                                                 abs=1e-12)
            assert m["events_per_min"] == pytest.approx(want[f"events_per_min_{name}"], abs=1e-9)
            assert m["events_per_min_ref"] == pytest.approx(want[f"events_per_min_{name}_ref"], abs=1e-9)
    assert want["f1_overlap_saccade"] > 0.85  # (a detector that agrees: the comparison is not vacuous)
    r = runner.invoke(app, ["eyetrack", "events", str(table), "--units", "deg", "--reference", "coder", "--online",
                            "--scores", str(tmp_path / "online.json")])
    assert r.exit_code == 0, r.output
    online = json.loads((tmp_path / "online.json").read_text())["coders"]["coder"]
    assert online["hit_rate_ge2deg"] > 0.95 and online["delay_median_ms"] < 10
    table.write_text(table.read_text().replace(",1,fixation\n", ",7,fixation\n", 1))
    r = runner.invoke(app, ["eyetrack", "events", str(table), "--units", "deg", "--reference", "coder"])
    assert r.exit_code == 2 and "label column 'coder' holds '7'" in r.stderr and "Traceback" not in r.output
    r = runner.invoke(app, ["eyetrack", "events", str(shared_data / "irf-lookatpoint" / "lookAtPoint_EL_S1.npy"),
                            "--reference", "coder"])
    assert r.exit_code == 2 and "--reference does not apply" in r.stderr
    r = runner.invoke(app, ["eyetrack", "events", str(table), "--units", "deg", "--scores", str(tmp_path / "x.json")])
    assert r.exit_code == 2 and "has no hand labels to score against" in r.stderr


def test_cli_events_on_a_lund_file_with_kappas(shared_data, tmp_path):
    path = lund2013_files(shared_data / "lund2013", "dots")[0][0]
    r = runner.invoke(app, ["eyetrack", "events", str(path), "-o", str(tmp_path / "ev.csv"),
                            "--labels", str(tmp_path / "lab.csv"), "--plot", str(tmp_path / "ev.png")])
    assert r.exit_code == 0, r.output
    assert "Against the file's labels" in r.output and "RA" in r.output
    rows = (tmp_path / "ev.csv").read_text().splitlines()
    assert rows[0].startswith("type,onset_s") and any(row.startswith("saccade") for row in rows)
    assert (tmp_path / "ev.png").stat().st_size > 10_000
    # detector parameters: no pursuit at all with an unreachable threshold and the spread rule off
    r = runner.invoke(app, ["eyetrack", "events", str(path), "--labels", str(tmp_path / "lab2.csv"),
                            "--set", "pursuit_threshold=1000", "--set", "pursuit_low=none",
                            "--set", "spread_threshold=none"])
    assert r.exit_code == 0, r.output
    assert ",pursuit" in (tmp_path / "lab.csv").read_text()
    assert ",pursuit" not in (tmp_path / "lab2.csv").read_text()
    for bad, message in (("pursuit_threshold", "KEY=VALUE"), ("no_such=1", "no_such"),
                         ("window_s=-1", "window_s must be > 0"), ("window_s=0", "window_s must be > 0"),
                         ("peak_sd=abc", "peak_sd must be a number"), ("peak_sd=nan", "finite"),
                         ("peak_sd=inf", "finite"), ("min_saccade_s=none", "cannot be none"),
                         ("robust=maybe", "is a switch"), ("threshold_floor=high", "or 'auto'"),
                         ("window_s=1e6", "window_s is a time in seconds, at most 60"),  # (it had crashed the process)
                         ("max_gap_s=61", "at most 60")):
        r = runner.invoke(app, ["eyetrack", "events", str(path), "--set", bad])
        assert r.exit_code == 2 and message in r.stderr and "Traceback" not in r.output, (bad, r.output)
        assert len(r.stderr.strip().splitlines()) == 1


def test_cli_events_equal_the_pipeline_and_the_bench_path(shared_data, tmp_path):
    """Issue 15: the labels 'sensekit eyetrack events' writes are the EyePipeline's, which the
    bench scores (fed block by block), and equal the detector on the whole recording."""
    from sensekit.eyetrack.detectors import DETECTORS
    from sensekit.eyetrack.labels import LABEL_NAMES
    from sensekit.eyetrack.pipeline import EyePipeline

    codes = {name: code for code, name in LABEL_NAMES.items()}
    for stimulus in ("video", "dots"):
        path = lund2013_files(shared_data / "lund2013", stimulus)[1][0]
        rec = load_lund2013(path)
        out = tmp_path / f"{stimulus}.csv"
        r = runner.invoke(app, ["eyetrack", "events", str(path), "--labels", str(out)])
        assert r.exit_code == 0, r.output
        cli = np.array([codes[line.rsplit(",", 1)[1]] for line in out.read_text().splitlines()[1:]])
        piped = EyePipeline().label(rec.to_frame())
        np.testing.assert_array_equal(cli, piped)
        np.testing.assert_array_equal(piped, DETECTORS["adaptive"](rec.x, rec.y, rec.rate))
        # and the same in blocks of any size
        np.testing.assert_array_equal(EyePipeline().label(rec.to_frame(), block_s=0.037), piped)


def test_cli_online_events_are_the_bench_path(shared_data, tmp_path):
    """Issue 17: 'eyetrack events --online' on a file is the online detector the bench scores: its
    events equal EyePipeline(online=True)'s, its scores against the file's coder are the bench's
    (online_scores), --set reaches the detector, and the offline detector's options are refused."""
    from sensekit.eyetrack.bench import online_scores
    from sensekit.eyetrack.datasets import load_irf
    from sensekit.eyetrack.online import ONLINE_EVENT_NAMES, ONSET
    from sensekit.eyetrack.pipeline import EyePipeline

    path = shared_data / "irf-lookatpoint" / "lookAtPoint_EL_S1.npy"
    rec = load_irf(path)
    out = tmp_path / "online.csv"
    r = runner.invoke(app, ["eyetrack", "events", str(path), "--online", "--set", "confirm=3", "-o", str(out),
                            "--plot", str(tmp_path / "online.png")], terminal_width=200)
    assert r.exit_code == 0, r.output
    assert (tmp_path / "online.png").stat().st_size > 20_000
    codes = {name: code for code, name in ONLINE_EVENT_NAMES.items()}
    lines = out.read_text().splitlines()
    assert lines[0] == "event,t_event,delay,x,y,landing_x,landing_y"
    cli = np.array([[codes[row.split(",")[0]], *map(float, row.split(",")[1:])] for row in lines[1:]])
    piped = EyePipeline(online=True, params={"confirm": 3}).labelled(rec.to_frame(), block_s=0.05).data
    assert cli.shape == piped.shape and (cli[:, 0] == ONSET).sum() > 100
    np.testing.assert_allclose(cli, piped, rtol=1e-9, atol=1e-9)
    m = online_scores(rec.x, rec.y, rec.rate, rec.labels["RZ"], confirm=3)
    row = next(line for line in r.output.splitlines() if line.strip("│ ").startswith("RZ"))
    assert f"{m['delay_median_ms']:.1f} / {m['delay_p95_ms']:.1f}" in row
    assert f"{m['false_onsets_per_fixation_min']:.2f}" in row
    r = runner.invoke(app, ["eyetrack", "events", str(path), "--online", "--detector", "nh2010", "--labels",
                            str(tmp_path / "labels.csv")])
    assert r.exit_code == 2 and "--detector, --labels do not apply with --online" in r.stderr
    assert not (tmp_path / "labels.csv").exists()


def test_onsets_are_matched_to_the_reference_saccades_and_false_ones_counted_in_fixations(shared_data):
    """Issue 17: the bench's onset matching (a reference saccade takes the first free onset from
    20 ms before it to its end; an unmatched onset inside a fixation is false), checked by hand,
    and Lund's second coder scored by it as a detector: two experts disagree on fewer onsets than
    the online detector makes, and agree on nearly every saccade >= 2 deg."""
    from sensekit.eyetrack.bench import _second_coder_scores, match_onsets

    rate = 100.0
    ref = np.full(100, FIXATION)
    ref[20:25] = SACCADE  # 0.2-0.25 s
    ref[60:70] = SACCADE  # 0.6-0.7 s
    ref[80:90] = PURSUIT
    x = np.zeros(100)
    x[25:] = 3.0
    x[70:] = 4.5
    onsets = np.array([0.19, 0.21, 0.40, 0.65, 0.85])  # a hit, a second onset in it, a false, a hit, one in a pursuit
    start, stop, amp, hit, matched, false_idx = match_onsets(onsets, x, np.zeros(100), rate, ref)
    np.testing.assert_array_equal(start, [20, 60])
    np.testing.assert_allclose(amp, [3.0, 1.5])
    np.testing.assert_array_equal(hit, [True, True])
    np.testing.assert_array_equal(matched, [0, 3])
    np.testing.assert_array_equal(false_idx, [40])  # (neither the second in a saccade nor the pursuit's)
    second = _second_coder_scores(quick=False)
    assert 1.0 < second["second_coder_false_onsets_per_fixation_min"] < 3.0
    assert second["second_coder_hit_rate_ge2deg"] > 0.97


def test_events_read_the_gaze_stream_of_a_recording(tmp_path):
    """A gaze stream captured into a sensekit recording beside another device, or recorded by
    LabRecorder (XDF), is a gaze file for 'eyetrack events': FILE#STREAM names it (the only gaze
    stream by default), its labels are EyePipeline's on the stream as 'run eyetrack' replays it,
    a gap is data loss, a stream in pixels takes the screen geometry, and a plain table's options
    or a stream of another shape are one line."""
    import json

    from xdf_writer import write_xdf

    from sensekit.core.recording import RecordingWriter, open_recording
    from sensekit.eyetrack.datasets import load_gaze
    from sensekit.eyetrack.labels import LABEL_NAMES
    from sensekit.eyetrack.online import ONLINE_EVENT_NAMES
    from sensekit.eyetrack.pipeline import EyePipeline

    session = tmp_path / "session.h5"
    r = runner.invoke(app, ["capture", "synth:selection?stream=gaze&seed=3&trials=4",
                            "synth:selection?stream=hand&seed=3&trials=4", "-o", str(session)])
    assert r.exit_code == 0, r.output
    out = tmp_path / "labels.csv"
    r = runner.invoke(app, ["eyetrack", "events", f"{session}#selection-gaze", "--labels", str(out)])
    assert r.exit_code == 0, r.output
    assert "selection-gaze" in r.output and "90 Hz" in r.output
    codes = {name: code for code, name in LABEL_NAMES.items()}
    cli = np.array([codes[line.rsplit(",", 1)[1]] for line in out.read_text().splitlines()[1:]])
    with open_recording(session) as rec:
        frame = rec.read("selection-gaze")
    np.testing.assert_array_equal(cli, EyePipeline().label(frame))
    assert (cli == SACCADE).sum() > 20
    assert np.array_equal(load_gaze(session).x, frame.data[:, 0], equal_nan=True)  # the only gaze stream

    rate, n = 250.0, 1000
    t = np.arange(n) / rate
    t[600:] += 3.0  # 750 samples lost (LabRecorder kept recording through a dropout)
    x_px = 960 + 40 * np.sin(t)
    streams = [{"name": "Tobii", "type": "Gaze", "rate": rate, "data": np.column_stack([x_px, np.full(n, 540.0)]),
                "times": t, "labels": ["gaze_x", "gaze_y"], "units": ["pixels", "pixels"]},
               {"name": "Markers", "type": "Markers", "rate": 0.0, "data": np.zeros((3, 1)), "times": t[:3],
                "labels": ["m"]}]
    write_xdf(tmp_path / "lab.xdf", streams)
    r = runner.invoke(app, ["eyetrack", "events", str(tmp_path / "lab.xdf")])
    assert r.exit_code == 2 and "lab.xdf#Tobii: the gaze stream is in pixels but its meta has no 'screen'" in r.stderr
    screen = Screen.parse("531x299mm@1920x1080", 650)
    rec = load_gaze(tmp_path / "lab.xdf", screen=screen).regular()
    assert len(rec) == n + 750 and np.isnan(rec.x[600:1350]).all() and np.isfinite(rec.x[1350:]).all()
    np.testing.assert_allclose(rec.x[:600], screen.to_degrees(x_px[:600], np.full(600, 540.0))[0])
    r = runner.invoke(app, ["eyetrack", "events", f"{tmp_path / 'lab.xdf'}#Tobii", "--screen", "531x299mm@1920x1080",
                            "--distance", "650", "--online"])
    assert r.exit_code == 0, r.output
    for args, message in ((["--units", "px"], "--units px does not apply: gaze stream 'selection-gaze' says it is "
                                              "in deg"),
                          (["--columns", "a,b,c"], "--columns does not apply"),
                          ([], "")):
        target = f"{session}#selection-hand" if not args else str(session)
        r = runner.invoke(app, ["eyetrack", "events", target, *args])
        assert r.exit_code == 2 and (message or "is not a gaze stream of numbers per sample") in r.stderr, r.output
        assert len(r.stderr.strip().splitlines()) == 1
    r = runner.invoke(app, ["eyetrack", "events", f"{session}#nope"])
    assert r.exit_code == 2 and "has no stream 'nope'; its streams: selection-gaze, selection-hand" in r.stderr
    streams[0].update(rate=0.0, times=np.where(np.arange(n) == 5, np.nan, t))  # an irregular stream, one time lost
    write_xdf(tmp_path / "nan.xdf", streams[:1])
    r = runner.invoke(app, ["eyetrack", "events", str(tmp_path / "nan.xdf"), "--screen", "531x299mm@1920x1080",
                            "--distance", "650"])
    assert r.exit_code == 2 and "Tobii: 1 of its 1000 timestamps are not numbers" in r.stderr, r.output
    # a stream in pixels that carries its screen geometry: 'eyetrack events --online' writes the events that
    # 'run eyetrack --online' publishes from the same file
    gx, gy, _ = gaze_signal(duration_s=8.0, rate=500.0, rng=5)
    info = StreamInfo("tracker", "gaze", 500.0, (2,), channels=("x", "y"), unit="px",
                      meta={"gaze_units": "px", "screen": screen.to_dict()})
    with RecordingWriter(tmp_path / "px.h5") as w:
        w.add_stream(info).append(Frame(info, np.column_stack([960 + 35 * gx, 540 + 35 * gy]), t0=0.0))
    r = runner.invoke(app, ["run", "eyetrack", str(tmp_path / "px.h5"), "--online", "--jsonl"])
    assert r.exit_code == 0, r.output
    live = np.array([json.loads(line)["data"] for line in r.stdout.splitlines()[1:]], dtype=float)
    r = runner.invoke(app, ["eyetrack", "events", str(tmp_path / "px.h5"), "--online", "-o", str(tmp_path / "o.csv")])
    assert r.exit_code == 0, r.output
    lines = (tmp_path / "o.csv").read_text().splitlines()[1:]
    codes = {name: code for code, name in ONLINE_EVENT_NAMES.items()}
    written = np.array([[codes[row.split(",")[0]], *map(float, row.split(",")[1:])] for row in lines])
    assert len(live) > 20 and written.shape == live.shape
    np.testing.assert_allclose(written, live, rtol=1e-9, atol=1e-9)
    r = runner.invoke(app, ["eyetrack", "events", str(tmp_path / "px.h5"), "--screen", "531x299mm@1920x1080",
                            "--distance", "650"])
    assert r.exit_code == 2 and "carries its own screen geometry" in r.stderr
    # a stream that does not say its units (another program's outlet, recorded): --units says them, as
    # 'run eyetrack --units' does; fractions of the screen give the labels of the same gaze in degrees
    fx, fy = (960 + 35 * gx) / 1920, (540 + 35 * gy) / 1080
    write_xdf(tmp_path / "bare.xdf", [{"name": "gp", "type": "Gaze", "rate": 500.0, "data": np.column_stack([fx, fy]),
                                       "times": np.arange(len(gx)) / 500.0, "labels": ["x", "y"]}])
    args = ["eyetrack", "events", str(tmp_path / "bare.xdf"), "--labels"]
    r = runner.invoke(app, [*args, str(tmp_path / "norm.csv"), "--units", "norm", "--screen", "531x299mm@1920x1080",
                            "--distance", "650"])
    assert r.exit_code == 0, r.output
    dx, dy = screen.to_degrees(960 + 35 * gx, 540 + 35 * gy)
    info = StreamInfo("gp", "gaze", 500.0, (2,), channels=("x", "y"), unit="deg", meta={"gaze_units": "deg"})
    with RecordingWriter(tmp_path / "deg.h5") as w:
        w.add_stream(info).append(Frame(info, np.column_stack([dx, dy]), t0=0.0))
    r = runner.invoke(app, [*args, str(tmp_path / "unstated.csv")])
    assert r.exit_code == 0, r.output  # (a stream that says nothing is read as degrees, with a warning)
    r = runner.invoke(app, ["eyetrack", "events", str(tmp_path / "deg.h5"), "--labels", str(tmp_path / "deg.csv")])
    assert r.exit_code == 0, r.output
    labels = (tmp_path / "deg.csv").read_text().splitlines()
    assert (tmp_path / "norm.csv").read_text().splitlines() == labels and any("saccade" in x for x in labels)
    assert (tmp_path / "unstated.csv").read_text().splitlines() != labels  # (fractions read as degrees)
    r = runner.invoke(app, ["eyetrack", "events", str(tmp_path / "bare.xdf"), "--units", "norm"])
    assert r.exit_code == 2 and "--screen" in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.output


def test_cli_events_errors(tmp_path):
    r = runner.invoke(app, ["eyetrack", "events", str(tmp_path / "none.asc")])
    assert r.exit_code != 0 and "does not exist" in r.stderr
    asc = tmp_path / "x.asc"
    asc.write_text("SAMPLES\tGAZE\tLEFT\tRATE\t500.00\n1000\t10\t10\t100\n")
    r = runner.invoke(app, ["eyetrack", "events", str(asc)])
    assert r.exit_code != 0 and "screen geometry" in r.stderr and "Traceback" not in r.output
    r = runner.invoke(app, ["eyetrack", "events", str(asc), "--screen", "531x299mm@1920x1080"])
    assert r.exit_code == 2 and "--distance" in r.stderr


def _table(path, t, x, y, header=("time", "x", "y"), sep=","):
    lines = [sep.join(header)] + [sep.join(f"{v:.6f}" for v in row) for row in zip(t, x, y, strict=True)]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_plain_gaze_tables_with_columns_time_units_and_a_unit_check(tmp_path):
    """Issue 17: a plain time,x,y table is read (names or --columns, --time-unit), and a file in
    seconds read as ms (which became one 15 ms blink at '300030 Hz') gives a warning naming the unit."""
    from sensekit.eyetrack.datasets import load_gaze
    from sensekit.eyetrack.synth import gaze_signal

    x, y, truth = gaze_signal(duration_s=4.0, rate=300.0, rng=4)
    t = np.arange(len(x)) / 300.0
    ok = np.isfinite(x)
    deg = _table(tmp_path / "deg.csv", t[ok], x[ok], y[ok])
    rec = load_gaze(deg, units="deg")
    assert rec.rate == 300 and len(rec) == ok.sum()
    r = runner.invoke(app, ["eyetrack", "events", str(deg), "--units", "deg"])
    assert r.exit_code == 0, r.output
    assert "saccade" in r.stdout and "300 Hz" in r.stdout
    ms = _table(tmp_path / "ms.tsv", t[ok] * 1000, x[ok], y[ok], ("stamp", "gx", "gy"), "\t")
    r = runner.invoke(app, ["eyetrack", "events", str(ms), "--units", "deg", "--columns", "stamp,gx,gy",
                            "--time-unit", "ms"])
    assert r.exit_code == 0 and "300 Hz" in r.stdout, r.output
    r = runner.invoke(app, ["eyetrack", "events", str(deg), "--units", "deg", "--time-unit", "ms"])
    assert "(--time-unit s)" in r.stderr  # seconds read as ms: the warning names the unit that fits
    for bad_args, message in ((["--columns", "a,b"], "three names"), (["--columns", "time,x,nope"], "no column 'nope'"),
                              (["--time-unit", "hours"], "time unit 'hours'"), ([], "needs the screen geometry")):
        r = runner.invoke(app, ["eyetrack", "events", str(deg), *bad_args] + (["--units", "deg"] if bad_args else []))
        assert r.exit_code == 2 and message in r.stderr and "Traceback" not in r.output, (bad_args, r.output)
    # a tracker's own format says its units: a table's options are refused, never silently ignored
    pupil = tmp_path / "gaze_positions.csv"
    pupil.write_text("gaze_timestamp,norm_pos_x,norm_pos_y,confidence\n0,0.5,0.5,1\n0.01,0.5,0.5,1\n")
    r = runner.invoke(app, ["eyetrack", "events", str(pupil), "--time-unit", "ms", "--units", "deg"])
    assert r.exit_code == 2 and "--time-unit, --units do not apply: gaze_positions.csv is a Pupil Labs export" in r.stderr
    asc = tmp_path / "rec.asc"  # (--columns was ignored here in silence)
    asc.write_text("SAMPLES\tGAZE\tLEFT\tRATE\t500.00\n" + "".join(f"{1000 + 2 * i}\t10\t10\t100\n" for i in range(50)))
    r = runner.invoke(app, ["eyetrack", "events", str(asc), "--columns", "t,x,y", "--screen", "531x299mm@1920x1080",
                            "--distance", "650"])
    assert r.exit_code == 2 and "--columns does not apply: rec.asc is an EyeLink .asc file" in r.stderr, r.output


def test_gaze_that_comes_unevenly_is_interpolated_onto_its_grid(tmp_path, caplog):
    """Binocular gaze from two 200 Hz eye cameras 1 ms apart (as Pupil Core's gaze_positions.csv
    holds it) steps 1 and 4 ms: placed on the nearest point of a 400 Hz grid, every other sample
    collided with the one before and was dropped, each left a hole, and the saccades came out as
    'undefined'. It is interpolated onto the grid, with a warning, and its saccades are found."""
    from sensekit.eyetrack.datasets import load_gaze
    from sensekit.eyetrack.labels import SACCADE, agreement
    from sensekit.eyetrack.pipeline import EyePipeline
    from sensekit.eyetrack.synth import gaze_signal

    x, y, truth = gaze_signal(duration_s=20.0, rate=2000.0, rng=3, pursuit=False, blinks=False)
    picked = np.sort(np.r_[np.arange(0, len(x), 10), np.arange(2, len(x), 10)])
    t = picked / 2000.0
    table = _table(tmp_path / "binocular.csv", t, x[picked], y[picked], ("time", "x", "y"))
    with caplog.at_level("WARNING", logger="sensekit"):
        rec = load_gaze(table, units="deg").regular()
    assert rec.rate == 400 and "samples come unevenly" in caplog.text and "dropped" not in caplog.text
    assert np.isfinite(rec.x).mean() > 0.99
    reference = truth[np.clip(np.round(rec.t * 2000).astype(int), 0, len(truth) - 1)]
    found = agreement(reference, EyePipeline().label(rec.to_frame()), rec.rate)
    assert found["saccade"]["f1_overlap"] > 0.9 and (reference == SACCADE).any()


def test_a_binocular_table_reads_the_mean_of_the_eyes(tmp_path, caplog):
    """A table of both eyes' gaze (left_x, left_y, right_x, right_y) and no one gaze column was
    refused ('no x column'): it reads the eyes' mean, and where one eye is lost the other, moved by
    half their usual difference, so a 0.6 deg vergence does not jump at the loss's edges."""
    from sensekit.eyetrack.datasets import load_gaze
    from sensekit.eyetrack.synth import gaze_signal

    x, y, _ = gaze_signal(duration_s=4.0, rate=500.0, rng=1, blinks=False)
    t = np.arange(len(x)) / 500.0
    right = x + 0.3
    right[100:200] = np.nan  # the right eye lost for 0.2 s
    lines = ["time,left_x,left_y,right_x,right_y"] + [
        f"{a:.6f},{b:.6f},{c:.6f},{d:.6f},{c:.6f}".replace("nan", "") for a, b, c, d in zip(t, x - 0.3, y, right,
                                                                                              strict=True)]
    (tmp_path / "both.csv").write_text("\n".join(lines) + "\n")
    with caplog.at_level("WARNING", logger="sensekit"):
        rec = load_gaze(tmp_path / "both.csv", units="deg")
    assert "the mean of the two eyes'" in caplog.text
    np.testing.assert_allclose(rec.x, x, atol=2e-6)  # (the lost stretch too: no jump of 0.3 deg)
    np.testing.assert_allclose(rec.y, y, atol=2e-6)
    i2mc = tmp_path / "i2mc.tsv"  # (I2MC's own columns)
    i2mc.write_text((tmp_path / "both.csv").read_text().replace(",", "\t").replace(
        "left_x\tleft_y\tright_x\tright_y", "L_X\tL_Y\tR_X\tR_Y"))
    np.testing.assert_array_equal(load_gaze(i2mc, units="deg").x, rec.x)


def test_gaze_in_degrees_read_as_pixels_is_said(tmp_path, caplog):
    """A table in degrees (or normalised) read in pixels, the default, made every saccade a fraction
    of a degree without a word: the loader says the gaze spans a few pixels, half of them negative;
    the same gaze in pixels of the screen passes without a word."""
    from sensekit.eyetrack.datasets import load_gaze
    from sensekit.eyetrack.geometry import Screen
    from sensekit.eyetrack.synth import gaze_signal

    screen = Screen(531, 299, 1920, 1080, 650)
    x, y, _ = gaze_signal(duration_s=5.0, rate=300.0, rng=2)
    ok = np.isfinite(x)
    t = np.arange(len(x))[ok] / 300.0
    px, py = screen.to_pixels(x[ok], y[ok])
    with caplog.at_level("WARNING", logger="sensekit"):
        load_gaze(_table(tmp_path / "deg.csv", t, x[ok], y[ok]), screen=screen)
    assert "is it in degrees (--units deg) or fractions of the screen (--units norm)?" in caplog.text
    caplog.clear()
    with caplog.at_level("WARNING", logger="sensekit"):
        load_gaze(_table(tmp_path / "px.csv", t, px, py), screen=screen)
    assert "is it in degrees" not in caplog.text
    # fractions of the screen from its top left (Gazepoint's POG, Tobii's display area): --units norm
    norm = load_gaze(_table(tmp_path / "norm.csv", t, px / 1920, py / 1080), screen=screen, units="norm")
    np.testing.assert_allclose(norm.x, x[ok], atol=2e-3)  # (the table keeps 6 decimals of a fraction)
    np.testing.assert_allclose(norm.y, y[ok], atol=2e-3)
    with pytest.raises(DatasetError, match="screen fractions needs the screen geometry"):
        load_gaze(tmp_path / "norm.csv", units="norm")
    # a tracker's validity flag (Gazepoint's BPOGV): an invalid sample's 0, 0 is no gaze at the corner
    flags = np.ones(len(t), int)
    flags[100:110] = 0
    gp = tmp_path / "gp3.csv"
    gp.write_text("TIME,BPOGX,BPOGY,BPOGV\n" + "".join(
        f"{a:.6f},{0 if v == 0 else b / 1920:.6f},{0 if v == 0 else c / 1080:.6f},{v}\n"
        for a, b, c, v in zip(t, px, py, flags, strict=True)))
    rec = load_gaze(gp, screen=screen, units="norm", columns=("TIME", "BPOGX", "BPOGY"), valid="BPOGV")
    assert np.isnan(rec.x[100:110]).all() and np.isfinite(rec.x[:100]).all()
    with pytest.raises(RecordingError, match="no column 'valid'"):
        load_gaze(gp, screen=screen, units="norm", columns=("TIME", "BPOGX", "BPOGY"), valid="valid")
    gp.write_text(gp.read_text().replace(",0\n", ",0.000\n").replace(",1\n", ",true\n"))  # (flags as text)
    rec = load_gaze(gp, screen=screen, units="norm", columns=("TIME", "BPOGX", "BPOGY"), valid="BPOGV")
    assert np.isnan(rec.x[100:110]).all() and np.isfinite(rec.x[:100]).all()


def test_coders_event_tables_score_as_their_per_sample_labels(tmp_path):
    """A coder's table of fixation starts and ends, every trial in one file (Hooge et al. 2018's
    FixStart/FixEnd lists, times in the gaze table's ms): --reference-events scores the labels it
    gives as the same labels in a --reference column are scored, the fixation class only (a list of
    fixations says nothing of saccades); the rows of other trials are left out; bad tables are one line."""
    import json

    from sensekit.eyetrack.labels import FIXATION, SACCADE, label_runs
    from sensekit.eyetrack.synth import gaze_signal

    x, y, truth = gaze_signal(duration_s=20.0, rate=300.0, rng=7, pursuit=False)
    t_ms = np.round(np.arange(len(x)) / 300.0 * 1e3, 3)
    fixations = np.where(truth == FIXATION, FIXATION, 0)
    table = tmp_path / "adult_1.txt"
    table.write_text("time\tx\ty\tcoder\n" + "".join(f"{a:.3f}\t{b:.4f}\t{c:.4f}\t{d}\n" for a, b, c, d in zip(
        t_ms, x, y, fixations, strict=True)).replace("nan", "NaN"))
    events = [(t_ms[a], t_ms[b - 1]) for a, b, code in zip(*label_runs(truth), strict=True) if code == FIXATION]
    assert len(events) > 20
    coder = tmp_path / "RA.txt"
    coder.write_text("Trial\tFixStart\tFixEnd\n" + "".join(f"adult_1\t{a:.2f}\t{b:.2f}\n" for a, b in events)
                     + "adult_2\t0\t5000\n")
    run = ["eyetrack", "events", str(table), "--units", "deg", "--time-unit", "ms"]
    r = runner.invoke(app, [*run, "--reference-events", str(coder), "--scores", str(tmp_path / "events.json")])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, [*run, "--reference", "coder", "--scores", str(tmp_path / "column.json")])
    assert r.exit_code == 0, r.output
    by_events = json.loads((tmp_path / "events.json").read_text())["coders"]["RA"]
    by_column = json.loads((tmp_path / "column.json").read_text())["coders"]["coder"]
    assert list(by_events) == ["fixation"] and by_events["fixation"] == by_column["fixation"]
    assert by_events["fixation"]["f1_overlap"] > 0.9  # (the detector finds them: the comparison is not vacuous)
    typed = tmp_path / "MN.csv"  # a type column, and times on the table's clock
    typed.write_text("onset,offset,type\n" + "".join(f"{a},{b},fixation\n" for a, b in events[:5])
                     + f"{events[0][1] + 3.333},{events[1][0] - 3.333},2\n")
    from sensekit.eyetrack.datasets import load_gaze

    rec = load_gaze(table, units="deg", time_unit="ms", reference_events=(typed,))
    assert rec.label_classes == {"MN": (FIXATION, SACCADE)} and (rec.labels["MN"] == SACCADE).sum() > 0
    for text, message in (("a,b\n1,2\n", "has no start and end columns"),
                          ("start,end\n10,abc\n", "row 2, column 'end' holds 'abc'"),
                          ("start,end\n10,5\n", "row 2 ends (5) before it starts (10)"),
                          ("start,end,type\n1,2,wink\n", "column 'type' holds 'wink'"),
                          ("trial,start,end\nother,1,2\n", "has no events of trial 'adult_1'"),
                          ("", "is empty")):
        coder.write_text(text)
        r = runner.invoke(app, [*run, "--reference-events", str(coder)])
        assert r.exit_code == 2 and message in r.stderr and "Traceback" not in r.output, (text, r.output)
    r = runner.invoke(app, ["eyetrack", "events", str(tmp_path / "nope.asc"), "--reference-events", str(coder)])
    assert r.exit_code == 2 and "Traceback" not in r.output


def test_a_table_stamped_in_whole_milliseconds_keeps_its_rate(tmp_path, caplog):
    """A 300 Hz tracker's timestamps rounded to whole ms step 3, 3 and 4 ms: read by their median
    step they were '333 Hz', every tenth grid point a lost sample and peak speeds 11 % high."""
    from sensekit.eyetrack.datasets import load_gaze
    from sensekit.eyetrack.synth import gaze_signal

    x, y, _ = gaze_signal(duration_s=4.0, rate=300.0, rng=4)
    ok = np.isfinite(x)
    t = np.arange(len(x))[ok] / 300.0
    exact = load_gaze(_table(tmp_path / "exact.csv", t, x[ok], y[ok]), units="deg").regular()
    with caplog.at_level("WARNING", logger="sensekit"):
        rounded = load_gaze(_table(tmp_path / "ms.csv", np.round(t * 1e3), x[ok], y[ok], ("time_ms", "x", "y")),
                            units="deg").regular()
    assert rounded.rate == exact.rate == 300 and len(rounded) == len(exact)
    np.testing.assert_array_equal(rounded.x, exact.x)
    assert "repeat or go back" not in caplog.text and caplog.text.count("timestamps jump") <= 1  # (the file's own loss)
    # the Hooge et al. (2018) tables: a column 'time' in ms with no unit anywhere was read in seconds ('1 Hz', one
    # blink of the whole file; the warning said 1000 Hz in ms): now read in the one unit that fits, with a warning
    caplog.clear()
    with caplog.at_level("WARNING", logger="sensekit"):
        plain = load_gaze(_table(tmp_path / "plain.txt", np.round(t * 1e3, 3), x[ok], y[ok], sep="\t"), units="deg")
    assert plain.rate == 300 and len(plain.regular()) == len(exact)
    assert "give 0.3 Hz, not an eye tracker's rate: read in ms (300 Hz)" in caplog.text
    caplog.clear()  # the unit in brackets, as spreadsheets write it
    with caplog.at_level("WARNING", logger="sensekit"):
        named = load_gaze(_table(tmp_path / "named.tsv", np.round(t * 1e3, 3), x[ok], y[ok], ("Time (ms)", "x", "y"),
                                 "\t"), units="deg")
    assert named.rate == 300 and "eye tracker's rate" not in caplog.text


def test_decimal_commas_of_a_tab_or_semicolon_table_are_read(tmp_path, caplog):
    """A spreadsheet of a German or French locale writes decimal commas, separated by tabs or
    semicolons (unambiguous there): read as decimal points, with a warning; with commas as the
    separator too, a quoted "1,5" is still one line (above)."""
    for sep in ("\t", ";"):
        path = tmp_path / f"de{'.tsv' if sep == chr(9) else '.csv'}"
        path.write_text(f"time{sep}x{sep}y\n" + "".join(f"{k * 0.004:.3f}{sep}{k % 5}.25{sep}-0.5\n".replace(".", ",")
                                                       for k in range(300)))
        with caplog.at_level("WARNING", logger="sensekit"):
            rec = load_gaze(path, units="deg")
        assert rec.rate == 250.0 and rec.x[3] == 3.25 and rec.y[0] == -0.5
        assert "decimal commas read as decimal points" in caplog.text
        caplog.clear()


@pytest.mark.parametrize("text, message", [
    ("", "is empty"),
    ("time,x,y\n", "no data rows"),
    ("time,x,y\n0,1,1\n", "at least 2 are needed"),
    ("time,x,y\n0,1,1\n0.01,abc,1\n0.02,1,1\n", "row 3, column 'x' holds 'abc'"),
    ("time,x,y\n0,1,1\n0.01,\"1,5\",1\n", "not a number; fix: export with a decimal point, not a comma"),
    ("time,x,y\n5,1,1\n5,1,2\n5,2,2\n", "do not advance"),
    ("time,x,y\n0,1,1\n,1,1\n", "empty or non-numeric"),
])
def test_bad_gaze_tables_are_one_line(tmp_path, text, message):
    path = tmp_path / "g.csv"
    path.write_text(text)
    r = runner.invoke(app, ["eyetrack", "events", str(path), "--units", "deg"])
    assert r.exit_code == 2 and message in r.stderr and "Traceback" not in r.output, r.output
    assert len(r.stderr.strip().splitlines()) == 1


def test_gaze_beyond_90_degrees_is_loss_with_a_warning(tmp_path):
    """A misread column (1e308 'deg', or pixels read as degrees) is no gaze: loss, said once."""
    t = np.arange(1000) / 500.0
    x = np.zeros_like(t)
    x[400:450] = 1e308
    path = _table(tmp_path / "far.csv", t, x, np.zeros_like(t))
    r = runner.invoke(app, ["eyetrack", "events", str(path), "--units", "deg"])
    assert r.exit_code == 0 and "50 gaze sample(s) lie beyond 90 deg" in r.stderr, r.output
    assert "RuntimeWarning" not in r.output and "blink" in r.stdout
    path = _table(tmp_path / "all.csv", t, np.full_like(t, 1e308), np.zeros_like(t))
    r = runner.invoke(app, ["eyetrack", "events", str(path), "--units", "deg"])
    assert r.exit_code == 2 and "no valid gaze samples" in r.stderr


def test_a_sample_lost_in_one_coordinate_is_lost_in_both_live_and_offline(caplog):
    """An infinity beside a NaN (a mutated recording) had passed the 90-degree rule offline, and a
    live stream had no rule at all: both reached the detectors (numpy's 'invalid value')."""
    import warnings

    x = np.random.default_rng(0).normal(0, 1, 600)
    y = np.random.default_rng(1).normal(0, 1, 600)
    x[100], y[100] = np.nan, np.inf
    x[200], y[300] = 1e300, -np.inf
    x[400] = np.nan  # (y finite)
    lost = np.zeros(600, dtype=bool)
    lost[[100, 200, 300, 400]] = True
    rec = GazeRecording(np.arange(600) / 300.0, x, y, 300.0)
    assert np.isnan(rec.x[lost]).all() and np.isnan(rec.y[lost]).all() and np.isfinite(rec.x[~lost]).all()
    info = StreamInfo("gaze", "gaze", 300.0, (2,), channels=("x", "y"), unit="deg", meta={"gaze_units": "deg"})
    with caplog.at_level(logging.WARNING, logger="sensekit"), warnings.catch_warnings():
        warnings.simplefilter("error")
        out = assert_block_invariant(GazeDegrees, info, np.column_stack([x, y]), max_examples=5, rtol=0, atol=0)
        chain = Chain(GazeDegrees(), EventDetector("adaptive"))
        chain.open(info)
        labels = feed(chain, [Frame(info, np.column_stack([x, y]), t0=0.0)])
    np.testing.assert_array_equal(np.isnan(out.data).any(axis=1), lost)
    assert np.isnan(out.data[lost]).all()
    assert "samples beyond 90 deg from the centre (up to inf in the block at t = 0.000 s)" in caplog.text
    assert labels.n == 600 and np.isfinite(labels.data[:, 3]).all()  # (no numpy warning on the way: they are errors)


def test_a_backward_clock_jump_counts_every_dropped_sample(tmp_path):
    t = np.r_[np.arange(1000), np.arange(100, 1000)] / 500.0  # the clock jumps back 1.8 s at sample 1000
    x = np.zeros_like(t)
    path = _table(tmp_path / "jump.csv", t, x, x)
    r = runner.invoke(app, ["eyetrack", "events", str(path), "--units", "deg"])
    assert r.exit_code == 0, r.output
    assert "900 samples repeat or go back in time" in r.stderr


def test_online_saccades_are_causal_block_invariant_and_fast_to_detect():
    """Issue 17: onsets within milliseconds, block-invariant, state that fits in a few numbers."""
    from sensekit.eyetrack.bench import online_scores
    from sensekit.eyetrack.online import ONSET, OnlineSaccades
    from sensekit.eyetrack.synth import gaze_signal

    x, y, truth = gaze_signal(duration_s=60.0, rate=500.0, rng=21)  # (30 s: 61 saccades, the median on a 2 ms step)
    info = StreamInfo("gaze", "gaze", 500.0, (2,), channels=("x", "y"), meta={"gaze_units": "deg"})
    data = np.column_stack([x, y])
    assert_block_invariant(OnlineSaccades, info, data)
    stage = OnlineSaccades()
    stage.open(info)
    # 2 samples, 3 where the second slows, + half the speed window: 2 ms, or on a noisy tracker up to 20 ms
    assert stage.latency_s == pytest.approx(0.016)
    ev = feed(stage, [Frame(info, data, t0=0.0)]).data
    assert (ev[:, 0] == ONSET).sum() > 20 and (ev[ev[:, 0] == ONSET, 2] > 0).all()
    s = online_scores(x, y, 500.0, truth.astype(int))  # the simulator at 500 Hz chose k = 4
    assert s["delay_median_ms"] <= 6.001 and s["hit_rate_ge2deg"] >= 0.95 and s["false_onsets_per_fixation_min"] < 1
    # the figures are the stage's own events: a landing update on every sample in flight; half-way
    # the prediction has half the error of the current gaze or less (the issue's goal)
    assert s["landing_published_50pct"] == 1.0 and s["landing_error_50pct_deg"] < 0.5 * s["landing_baseline_50pct_deg"]
    assert s["landing_error_25pct_deg"] < 0.9 * s["landing_baseline_25pct_deg"]
    # three quarters in, the eye slowing down: closer than the gaze, not further (twice the distance
    # at the peak, the rule before the deceleration's, was as far as the gaze: 0.67 deg)
    assert s["landing_error_75pct_deg"] < 0.5 * s["landing_baseline_75pct_deg"]
    from sensekit.eyetrack.online import LANDING, OFFSET, fit_main_sequence, main_sequence_amplitude

    # the simulator's saccades (raised cosine, Carpenter's durations) peak at pi/2 A / D: the fit finds them
    vmax, c, n = fit_main_sequence(x, y, 500.0, truth.astype(int), saccade=SACCADE)
    for amplitude in (5.0, 10.0):
        true_peak = np.pi / 2 * amplitude / (0.021 + 0.0022 * amplitude)
        assert vmax * (1 - np.exp(-amplitude / c)) == pytest.approx(true_peak, rel=0.15)
    assert n > 60
    # a main sequence slower than the tracker's (a third of the simulator's speeds, as the textbook's
    # is on real trackers): learned from the session's saccades, the errors come back near the fit's
    wrong = {"vmax": vmax / 3, "c": c}
    fixed = online_scores(x, y, 500.0, truth.astype(int), learn_saccades=None, **wrong)
    learned = online_scores(x, y, 500.0, truth.astype(int), **wrong)
    assert learned["landing_error_25pct_deg"] < 0.5 * fixed["landing_error_25pct_deg"]
    assert learned["landing_error_50pct_deg"] < 0.7 * fixed["landing_error_50pct_deg"]
    assert learned["landing_error_50pct_deg"] < 0.5 * learned["landing_baseline_50pct_deg"]
    with pytest.raises(ParameterError, match="learn_saccades"):
        OnlineSaccades(learn_saccades=0).open(info)
    with pytest.raises(ParameterError, match="of one length"):
        fit_main_sequence(x, y, 500.0, truth[:-1])
    with pytest.raises(ParameterError, match="3 or more labelled saccades"):
        fit_main_sequence(x[:100], y[:100], 500.0, truth[:100].astype(int), saccade=SACCADE)

    codes = ev[:, 0]
    in_flight = [codes[a + 1:b] for a, b in zip(np.flatnonzero(codes == ONSET), np.flatnonzero(codes == OFFSET),
                                                 strict=False)]
    assert all((f == LANDING).all() for f in in_flight) and np.median([len(f) for f in in_flight]) > 3
    assert (np.diff(ev[:, 1]) >= 0).all()  # event times never go back
    assert main_sequence_amplitude(1e4) < 42  # a noise spike at onset does not predict a 96 deg saccade


def test_overlap_f1_and_joined_fragments():
    from sensekit.eyetrack.detectors import _join_fragments
    from sensekit.eyetrack.labels import UNDEFINED, overlap_f1

    truth = np.array([1] * 50 + [2] * 10 + [1] * 40)
    split = truth.copy()
    split[20:22] = UNDEFINED  # a 2-sample spike splits the first fixation
    f = overlap_f1(truth, split, 1)
    assert f["n_pred"] == 3 and f["n_matched"] == 2 and f["precision"] == pytest.approx(2 / 3)
    _join_fragments(split, 5)
    np.testing.assert_array_equal(split, truth)
    assert overlap_f1(truth, split, 1)["f1"] == 1.0 and overlap_f1(truth, split, 2)["f1"] == 1.0
    long_gap = truth.copy()
    long_gap[20:30] = UNDEFINED  # as long as a saccade: kept
    _join_fragments(long_gap, 5)
    assert (long_gap[20:30] == UNDEFINED).all()


def test_static_stimulus_forbids_pursuit_and_leaves_saccades_alone(tmp_path):
    x, y, truth = gaze_signal(duration_s=20.0, rate=500.0, rng=4, pursuit=False, blinks=False)
    gaze = Frame(StreamInfo("gaze", "gaze", 500.0, (2,)), np.column_stack([x, y]), t0=0.0)
    from sensekit.eyetrack.pipeline import EyePipeline

    touchy = {"pursuit_threshold": 0.5, "pursuit_low": None}  # made to call fixation drift pursuit
    drift = EyePipeline(params=touchy).label(gaze)
    static = EyePipeline(stimulus="static", params=touchy).label(gaze)
    assert np.any(drift == PURSUIT) and not np.any(static == PURSUIT)
    np.testing.assert_array_equal(static == SACCADE, drift == SACCADE)
    assert np.mean(static == truth) > np.mean(drift == truth)
    with pytest.raises(ParameterError, match="stimulus"):
        EyePipeline(stimulus="moving")
    np.savetxt(tmp_path / "g.csv", np.column_stack([np.arange(len(x)) / 500.0, x, y]), delimiter=",",
               header="t,x,y", comments="")
    r = runner.invoke(app, ["eyetrack", "events", str(tmp_path / "g.csv"), "--units", "deg", "--stimulus", "moving"])
    assert r.exit_code != 0 and "stimulus" in r.output and "Traceback" not in r.output


def test_static_stimulus_on_lund_images(shared_data):
    """Lund 2013 img (static images; the switch was not tuned on it): fixations no longer become
    pursuit (sample kappa .60 -> .77)."""
    from sensekit.eyetrack.pipeline import EyePipeline

    recs = [load_lund2013(a, b) for a, b in lund2013_files(shared_data / "lund2013", "img")[:6]]
    ra = np.concatenate([r.labels["RA"] for r in recs])
    kappas = {}
    for stimulus in ("unknown", "static"):
        pred = np.concatenate([EyePipeline(stimulus=stimulus).label(r.to_frame()) for r in recs])
        kappas[stimulus] = cohen_kappa(ra == FIXATION, pred == FIXATION)
    assert kappas["static"] > kappas["unknown"] + 0.1


def test_short_dropouts_are_filled_and_long_losses_stay_blinks():
    """Issue 17: a 40 ms dropout inside a fixation leaves the fixation whole (no blink, no
    split); a saccade hidden in a dropout is undefined, never a saccade starting at the loss
    edge; a 200 ms loss is a blink."""
    from sensekit.eyetrack.detectors import adaptive
    from sensekit.eyetrack.labels import BLINK, FIXATION, SACCADE, UNDEFINED

    rate = 500.0
    rng = np.random.default_rng(0)
    y = rng.normal(0, 0.02, 2000)
    ramp = np.clip((np.arange(2000) - 1000) / 20.0, 0, 1)  # a 10 deg saccade over 40 ms at sample 1000
    x = 10.0 * ramp + rng.normal(0, 0.02, 2000)
    gap = x.copy()
    gap[400:420] = np.nan  # 40 ms in the first fixation
    labels = adaptive(gap, y, rate)
    assert (labels[300:600] == FIXATION).all()
    assert (adaptive(gap, y, rate, max_gap_s=0)[400:420] == BLINK).all()  # without the fill-in: a "blink"
    hidden = x.copy()
    hidden[995:1030] = np.nan  # the saccade happens inside a 70 ms dropout
    labels = adaptive(hidden, y, rate)
    assert not (labels[990:1040] == SACCADE).any() and (labels[995:1030] == UNDEFINED).all()
    long = x.copy()
    long[1500:1600] = np.nan  # 200 ms: a blink
    labels = adaptive(long, y, rate)
    assert (labels[1500:1600] == BLINK).all()


def test_a_noisy_trackers_online_speed_is_averaged_over_more_samples():
    """A remote tracker's noise (0.3 deg at 300 Hz) makes the 2 ms speed of a still eye hundreds of
    deg/s: the threshold sat above nearly every saccade's peak. Once its noise level has started up,
    the stage averages the speed over the fewest samples (at most 20 ms) that bring the threshold
    under a 1 deg saccade's peak speed; block-invariant, and a quiet tracker keeps its 2 ms."""
    from sensekit.eyetrack.bench import online_scores
    from sensekit.eyetrack.online import WIDEN_UNTIL_SPEED, OnlineSaccades
    from sensekit.eyetrack.synth import gaze_signal

    x, y, truth = gaze_signal(duration_s=60.0, rate=300.0, rng=3, noise_deg=0.3)
    info = StreamInfo("gaze", "gaze", 300.0, (2,), channels=("x", "y"), meta={"gaze_units": "deg"})
    assert_block_invariant(OnlineSaccades, info, np.column_stack([x, y])[:3000])
    stage = OnlineSaccades()
    stage.open(info)
    stage.process(Frame(info, np.column_stack([x, y]), t0=0.0))  # (no flush: it forgets the stream)
    assert 1 < stage._lag <= 6 and stage.k * stage._noise < 1.5 * WIDEN_UNTIL_SPEED
    widened = online_scores(x, y, 300.0, truth.astype(int))
    fixed = online_scores(x, y, 300.0, truth.astype(int), max_speed_window_s=0.002)
    assert widened["hit_rate_ge2deg"] > 0.75 and widened["hit_rate_ge5deg"] > 0.9 and fixed["hit_rate_ge5deg"] < 0.1
    assert widened["false_onsets_per_fixation_min"] < 1 and widened["delay_median_ms"] < 20
    quiet_x, quiet_y, _ = gaze_signal(duration_s=10.0, rate=500.0, rng=1, noise_deg=0.03)
    quiet = OnlineSaccades()
    quiet.open(StreamInfo("gaze", "gaze", 500.0, (2,), channels=("x", "y"), meta={"gaze_units": "deg"}))
    quiet.process(Frame(quiet.input_info, np.column_stack([quiet_x, quiet_y]), t0=0.0))
    assert quiet._lag == 1


def test_online_onsets_ignore_spikes_that_jump_out_and_back():
    """Issue 17: a one-sample glitch (video-based trackers have them) gives two fast steps in
    opposite directions; it is not a saccade. A real saccade still is."""
    from sensekit.core import Frame, StreamInfo
    from sensekit.eyetrack.online import ONSET, OnlineSaccades

    rate = 500.0
    rng = np.random.default_rng(1)
    x = rng.normal(0, 0.02, 5000)
    y = rng.normal(0, 0.02, 5000)
    x[500::250] += 1.5  # glitches: one sample 1.5 deg away, then back
    x[4000:4020] += np.linspace(0, 8, 20)  # an 8 deg saccade over 40 ms
    x[4020:] += 8
    info = StreamInfo("gaze", "gaze", rate, (2,), channels=("x", "y"), meta={"gaze_units": "deg"})
    frame = Frame(info, np.column_stack([x, y]), t0=0.0)

    def onsets(**kw):
        stage = OnlineSaccades(**kw)
        stage.open(info)
        out = stage.process(frame)
        return out.data[out.data[:, 0] == ONSET, 1]

    with_rule, without = onsets(), onsets(coherent=False, rising=False)  # (the rising rule takes some too)
    assert len(without) >= 10 and len(with_rule) == 1 and abs(with_rule[0] - 8.0) < 0.01


def test_a_tracker_step_that_slows_at_once_is_not_a_saccade():
    """Issue 17: a tracker's step (0.6 deg in one sample, 0.3 in the next, then still) is fast on
    two samples but slows from the first to the second; a saccade accelerates through its first
    samples. One onset (the saccade's) with the rising-speed rule, two without; a noisy stretch
    raises the short-term noise level (``burst_tau_s``) so its spikes start no saccade."""
    from sensekit.eyetrack.online import ONSET, OnlineSaccades

    rate = 500.0
    rng = np.random.default_rng(2)
    x = rng.normal(0, 0.01, 3000)
    x[1000:] += 0.6
    x[1001:] += 0.3  # the step
    x[2000:2020] += 0.9 + np.linspace(0, 8, 20)  # an 8 deg saccade over 40 ms
    x[2020:] += 0.9 + 8
    info = StreamInfo("gaze", "gaze", rate, (2,), channels=("x", "y"), meta={"gaze_units": "deg"})
    frame = Frame(info, np.column_stack([x, np.zeros_like(x)]), t0=0.0)

    def onsets(x_data, **kw):
        stage = OnlineSaccades(**kw)
        stage.open(info)
        out = feed(stage, [Frame(info, np.column_stack([x_data, np.zeros_like(x_data)]), t0=0.0)]).data
        return out[out[:, 0] == ONSET, 1]

    assert frame.n == 3000
    with_rule, without = onsets(x), onsets(x, rising=False)
    assert len(with_rule) == 1 and abs(with_rule[0] - 4.0) < 0.01 and len(without) == 2
    # at 1000 Hz the 2 ms speed spans two samples, so a one-sample step is equally fast on both: the
    # rule reads each sample's own move (0.6 deg, then none)
    fast = StreamInfo("gaze", "gaze", 1000.0, (2,), channels=("x", "y"), meta={"gaze_units": "deg"})
    x = rng.normal(0, 0.01, 6000)
    x[2000:] += 0.6  # the step
    x[4000:4040] += np.linspace(0, 8, 40)  # an 8 deg saccade over 40 ms
    x[4040:] += 8
    info = fast
    with_rule, without = onsets(x), onsets(x, rising=False)
    assert len(with_rule) == 1 and abs(with_rule[0] - 4.0) < 0.01 and len(without) == 2
    info = StreamInfo("gaze", "gaze", rate, (2,), channels=("x", "y"), meta={"gaze_units": "deg"})
    rng = np.random.default_rng(2)
    noisy = rng.normal(0, 0.01, 3000)
    noisy[1000:1250] += rng.normal(0, 0.12, 250)  # half a second of noisy tracking
    assert len(onsets(noisy, burst_tau_s=0.05)) == 0 and len(onsets(noisy)) >= 3
    with pytest.raises(ParameterError, match="burst_tau_s"):
        OnlineSaccades(burst_tau_s=0.0).open(info)


def test_the_online_noise_level_starts_as_a_running_mean():
    """Issue 17: a stream that starts with a fast movement (mid-saccade, a glitch) does not leave
    the noise level, and so the onset threshold, high for the next second: the level is a running
    mean until its span is filled. A saccade 0.3 s in is found; the first samples alone had set
    the level and missed it."""
    from sensekit.eyetrack.online import ONSET, OnlineSaccades

    rate = 500.0
    rng = np.random.default_rng(4)
    x = rng.normal(0, 0.01, 1000)
    x[:6] += np.arange(6) * 0.6  # 300 deg/s for the first samples
    x[6:] += 3.0
    x[150:160] += np.linspace(0, 5, 10)  # a 5 deg saccade over 20 ms, 0.3 s in
    x[160:] += 5
    info = StreamInfo("gaze", "gaze", rate, (2,), channels=("x", "y"), meta={"gaze_units": "deg"})
    stage = OnlineSaccades()
    stage.open(info)
    out = feed(stage, [Frame(info, np.column_stack([x, np.zeros_like(x)]), t0=0.0)]).data
    onsets = out[out[:, 0] == ONSET, 1]
    assert np.any(np.abs(onsets - 0.3) < 0.01), onsets


def test_the_online_detector_meets_its_goals_on_eyelink_data(shared_data):
    """Issue 17: on EyeLink 1000 Hz data (IRF S1) against its coder, the default detector's median
    delay is <= 6 ms with >= 95 % of saccades >= 2 deg hit; the rising rule takes away most onsets in
    fixations (those left come within 20 ms before a blink); 'confirm=3' costs at most 1.5 ms."""
    from sensekit.eyetrack.bench import online_scores
    from sensekit.eyetrack.datasets import load_irf
    from sensekit.eyetrack.online import OnlineSaccades
    from sensekit.eyetrack.pipeline import EyePipeline

    rec = load_irf(shared_data / "irf-lookatpoint" / "lookAtPoint_EL_S1.npy")
    coder = rec.labels["RZ"]
    two = online_scores(rec.x, rec.y, rec.rate, coder)
    assert two["delay_median_ms"] <= 6.0 and two["hit_rate_ge2deg"] >= 0.95
    no_rule = online_scores(rec.x, rec.y, rec.rate, coder, rising=False)
    assert two["false_onsets_per_fixation_min"] < 0.5 * no_rule["false_onsets_per_fixation_min"]
    assert two["false_onsets_per_fixation_min"] == two["false_onsets_before_blink_per_fixation_min"]
    three = online_scores(rec.x, rec.y, rec.rate, coder, confirm=3)
    assert 0 <= three["delay_median_ms"] - two["delay_median_ms"] <= 1.5  # (two: a third where the second slows)
    assert three["hit_rate_ge2deg"] >= 0.95
    # the landing prediction on a tracker it was not fitted on (the main sequence is Lund's): half-way
    # through a coder's saccade, half the current gaze's error or less (the issue's goal)
    assert two["landing_error_50pct_deg"] < 0.5 * two["landing_baseline_50pct_deg"]
    assert two["landing_error_75pct_deg"] < 0.6 * two["landing_baseline_75pct_deg"]  # (1.26 vs 1.35 deg before)
    # what bounds the delay: 4 ms into a real saccade (sensekit's offline onsets, where the eye starts
    # to move) the eye is no faster than in 1 % of fixation
    offline = online_scores(rec.x, rec.y, rec.rate, EyePipeline().label(rec.to_frame()))
    assert offline["speed_at_onset_plus_4ms_median"] < offline["fixation_speed_p99"]
    # a 250 Hz tracker (every 4th sample, against the coder): two confirming samples by default
    # (one gave several times the false onsets; the bound was chosen on Lund, IRF held out)
    k = 4
    slow = online_scores(rec.x[::k], rec.y[::k], rec.rate / k, coder[::k])
    one = online_scores(rec.x[::k], rec.y[::k], rec.rate / k, coder[::k], confirm=1)
    assert OnlineSaccades.default_confirm(250.0) == 2 and OnlineSaccades.default_confirm(120.0) == 1
    assert slow["false_onsets_per_fixation_min"] < 0.5 * one["false_onsets_per_fixation_min"]
    assert slow["hit_rate_ge2deg"] >= 0.95 and slow["delay_median_ms"] <= 12.0
    stage = EyePipeline(online=True, params={"confirm": 3}).events_chain().stages[0]
    assert isinstance(stage, OnlineSaccades) and stage.confirm == 3
    for bad, message in (({"confirm": 2.5}, "whole number"), ({"order": 2}, "online has no parameter 'order'"),
                         ({"k": -1.0}, ">= 0")):
        with pytest.raises(ParameterError, match=message):
            EyePipeline(online=True, params=bad)
    for other in ({"detector": "nh2010"}, {"stimulus": "static"}, {"chunk_s": 0.5}):  # never silently ignored
        with pytest.raises(ParameterError, match="does not apply to it"):
            EyePipeline(online=True, **other)


def test_event_confidence_tells_events_a_coder_agrees_with(shared_data):
    """Issue 17: events carry a confidence. On Lund 2013 images (coder RA), the default chain's
    confident saccades and fixations are the coder's class far more often than its unsure ones."""
    from sensekit.eyetrack.bench import _confidence_agreement
    from sensekit.eyetrack.datasets import load_lund2013, lund2013_files

    recs = [load_lund2013(ra, mn) for ra, mn in lund2013_files(shared_data / "lund2013", "img")]
    m = _confidence_agreement([r.to_frame() for r in recs], [r.labels["RA"] for r in recs])
    assert m["confidence_saccade_high_agreement"] > 0.93 and m["confidence_saccade_high_events"] > 50
    assert m["confidence_fixation_high_agreement"] > 0.9
    assert m["confidence_fixation_low_agreement"] < m["confidence_fixation_high_agreement"] - 0.15
    assert m["confidence_saccade_low_agreement"] < m["confidence_saccade_high_agreement"] - 0.3


def test_online_onsets_wait_out_a_saccades_tail():
    """A saccade whose end wobbles (a post-saccadic oscillation 10 ms after the offset): one
    onset with the default 20 ms refractory time, two without it; a bad value is refused."""
    from sensekit.eyetrack.online import ONSET, OnlineSaccades

    rate = 1000.0
    rng = np.random.default_rng(5)
    x = np.concatenate([np.zeros(300), np.linspace(0, 8, 30), np.full(12, 8.0), np.linspace(8, 8.6, 4),
                        np.full(300, 8.6)]) + rng.normal(0, 0.002, 646)
    info = StreamInfo("gaze", "gaze", rate, (2,), channels=("x", "y"), meta={"gaze_units": "deg"})
    frame = Frame(info, np.column_stack([x, np.zeros_like(x)]), t0=0.0)

    def onsets(**kw):
        stage = OnlineSaccades(**kw)
        stage.open(info)
        return int((feed(stage, [frame]).data[:, 0] == ONSET).sum())

    assert onsets() == 1 and onsets(refractory_s=0.0) == 2
    with pytest.raises(ParameterError, match="refractory_s"):
        OnlineSaccades(refractory_s=-1).open(info)


def test_online_onsets_within_6_ms_of_the_coders_onsets(shared_data):
    """Issue 17's delay and hit goals, against a coder (IRF S1, coder RZ, EyeLink 1000 Hz):
    median publication delay <= 6 ms after the coder's onset, >= 95 % of saccades >= 2 deg."""
    from sensekit.eyetrack.bench import online_scores
    from sensekit.eyetrack.datasets import load_irf

    rec = load_irf(shared_data / "irf-lookatpoint" / "lookAtPoint_EL_S1.npy")
    s = online_scores(rec.x, rec.y, rec.rate, rec.labels["RZ"])
    assert s["delay_median_ms"] <= 6.0 and s["hit_rate_ge2deg"] >= 0.95, s
    assert s["speed_at_onset_plus_4ms_median"] > s["fixation_speed_p99"]  # the coders' onsets are visible
    from sensekit.eyetrack.bench import _online_run

    curves = _online_run({"data": "irf"}, quick=True)["curves"]  # plotted in the report
    curve = curves["confirm 1-4, irf"]  # the confirm trade-off
    assert curve["t"] == [1, 2, 3, 4] and np.all(np.diff(curve["x"]) > 0) and curve["y"][0] > 5 * curve["y"][-1]
    landing = curves["landing error, irf"]  # the prediction against the current gaze, a quarter to three quarters in
    assert landing["x"] == [25, 50, 75] and landing["y"] == landing["series"]["prediction"]
    assert landing["series"]["prediction"][1] < landing["series"]["current gaze"][1]
    # on Lund the trade-off carries the second coder scored against the first, as a reference point
    lund = _online_run({"data": "lund2013"}, quick=True)
    (delay, false), = lund["curves"]["confirm 1-4, lund2013"]["marks"].values()
    assert abs(delay) <= 2.0 and false == lund["metrics"]["second_coder_false_onsets_per_fixation_min"]
    assert lund["metrics"]["second_coder_hit_rate_ge2deg"] > 0.9


def test_run_eyetrack_online_on_an_eye_trackers_gaze_stream(tmp_path):
    """Issue 17: 'run eyetrack SRC --online' on an eye tracker's gaze (an LSL stream, a recording, the
    simulator) publishes the online detector's events as the pipeline object makes them; a gaze
    stream of more channels is read by its x/y channel names; -c with gaze is one line."""
    import json

    from sensekit.core.recording import RecordingWriter
    from sensekit.eyetrack.online import ONSET
    from sensekit.eyetrack.pipeline import EyePipeline
    from sensekit.eyetrack.synth import GazeSource

    r = runner.invoke(app, ["run", "eyetrack", "synth:gaze?duration=20&seed=5", "--online", "--jsonl"])
    assert r.exit_code == 0, r.output
    lines = [json.loads(line) for line in r.stdout.splitlines()]
    assert lines[0]["stream_info"]["kind"] == "gaze_events"
    cli = np.array([row["data"] for row in lines[1:]], dtype=float)  # (null: NaN)
    src = GazeSource(duration_s=20, seed=5)
    chain = EyePipeline(online=True).gaze_chain(src.info)
    chain.open(src.info)
    want = feed(chain, list(src)).data
    np.testing.assert_array_equal(cli, want)
    onsets = cli[cli[:, 0] == ONSET, 1]
    true = np.flatnonzero(np.diff((src.labels == SACCADE).astype(int)) == 1) / src.rate
    near = np.abs(onsets[:, None] - true[None, :]).min(axis=1) < 0.02
    assert len(onsets) >= 0.9 * len(true) and near.mean() > 0.9
    # a tracker's stream of more channels: x and y found by name, the result unchanged
    info = StreamInfo("tracker", "gaze", 500.0, (4,), channels=("confidence", "gaze_x", "gaze_y", "pupil"),
                      meta={"gaze_units": "deg"})
    wide = np.column_stack([np.ones(len(src.x)), src.x, src.y, np.full(len(src.x), 3.0)])
    with RecordingWriter(tmp_path / "tracker.h5") as w:
        w.add_stream(info).append(Frame(info, wide, t0=0.0))
    r = runner.invoke(app, ["run", "eyetrack", str(tmp_path / "tracker.h5"), "--online", "--jsonl"])
    assert r.exit_code == 0, r.output
    np.testing.assert_array_equal(np.array([json.loads(line)["data"] for line in r.stdout.splitlines()[1:]],
                                           dtype=float), want)
    r = runner.invoke(app, ["run", "eyetrack", str(tmp_path / "tracker.h5"), "-c", str(tmp_path / "gaze.json")])
    assert r.exit_code == 2 and "gives gaze already" in r.stderr
    r = runner.invoke(app, ["run", "eyetrack", "synth:gaze?duration=1", "--online", "--chunk", "1"])
    assert r.exit_code == 2 and "leave --chunk out" in r.stderr  # an offline setting is never silently ignored
    # another program's stream says its unit (or not): normalised screen coordinates are not degrees
    for unit, expect in (("normalized", "is in fractions of the screen but its meta has no 'screen'"),
                         ("furlongs", "is in 'furlongs'; the event detectors need degrees"),
                         ("", "does not say its unit: read as degrees of visual angle (--units px or norm")):
        other = StreamInfo("tracker", "gaze", 500.0, (2,), channels=("x", "y"), unit=unit)
        with RecordingWriter(tmp_path / f"other{unit}.h5") as w:
            w.add_stream(other).append(Frame(other, wide[:, 1:3], t0=0.0))
        r = runner.invoke(app, ["run", "eyetrack", str(tmp_path / f"other{unit}.h5"), "--online", "--jsonl"])
        assert expect in r.stderr and (r.exit_code == 2) == bool(unit), r.output


def test_events_chunk_labels_as_run_eyetrack_does(tmp_path):
    """'eyetrack events --chunk 0.5' is what 'run eyetrack' labels live (one context rule): the
    same labels sample for sample on a recorded gaze stream."""
    import json

    from sensekit.core.recording import RecordingWriter
    from sensekit.eyetrack.labels import LABEL_NAMES
    from sensekit.eyetrack.synth import GazeSource

    src = GazeSource(duration_s=8, seed=4)
    info = StreamInfo("tracker", "gaze", src.rate, (2,), channels=("x", "y"), meta={"gaze_units": "deg"})
    with RecordingWriter(tmp_path / "g.h5") as w:
        w.add_stream(info).append(Frame(info, np.column_stack([src.x, src.y]), t0=0.0))
    r = runner.invoke(app, ["run", "eyetrack", str(tmp_path / "g.h5"), "--jsonl"])
    assert r.exit_code == 0, r.output
    live = np.concatenate([np.array(json.loads(line)["data"], dtype=float).reshape(-1, 4)[:, 3]
                           for line in r.stdout.splitlines()[1:]])
    r = runner.invoke(app, ["eyetrack", "events", str(tmp_path / "g.h5"), "--chunk", "0.5",
                            "--labels", str(tmp_path / "l.csv")])
    assert r.exit_code == 0, r.output
    names = {v: k for k, v in LABEL_NAMES.items()}
    offline = np.array([names[row.split(",")[-1]] for row in (tmp_path / "l.csv").read_text().split()[1:]])
    assert len(live) == len(offline) == len(src.x)
    np.testing.assert_array_equal(live, offline)


def test_run_eyetrack_shows_labels_and_online_events_live():
    """'run eyetrack' without --jsonl/--lsl shows the gaze and its label, or the online events
    counted with the latest onset's delay (on a terminal)."""
    from rich.console import Console

    from sensekit.cli.views import EyeView
    from sensekit.eyetrack.pipeline import EyePipeline
    from sensekit.eyetrack.synth import GazeSource

    src = GazeSource(duration_s=5, seed=2)
    for online, wanted in ((False, ("FIXATION", "so far", "fixation")), (True, ("last onset", "ms after it began",
                                                                                "onset"))):
        chain = EyePipeline(chunk_s=None if online else 0.5,  # as 'run eyetrack'
                            online=online).gaze_chain(src.info)
        chain.open(src.info)
        view = EyeView()
        for frame in src:
            view.update(frame, chain.process(frame), None)
        console = Console(width=100, record=True, color_system=None)
        console.print(view)
        text = console.export_text()
        assert all(w in text for w in wanted), text


def test_a_pupil_cloud_export_is_read_in_degrees_with_pupils_fixations(tmp_path):
    """Pupil Cloud's gaze.csv (Neon, Invisible): the gaze direction in degrees (elevation up, y
    down here), no gaze where the glasses were not worn or during a blink, and Pupil's own
    fixations and blinks kept as labels; 'eyetrack events' needs no screen and prints how its
    fixations agree with Pupil's."""
    x, y, truth = gaze_signal(duration_s=20.0, rate=200.0, rng=4)
    lines = ["section id,recording id,timestamp [ns],gaze x [px],gaze y [px],worn,fixation id,blink id,"
             "azimuth [deg],elevation [deg]"]
    fixation = 0
    for i, (gx, gy, label) in enumerate(zip(x, y, truth, strict=True)):
        if label == FIXATION and (i == 0 or truth[i - 1] != FIXATION):
            fixation += 1
        fid = str(fixation) if label == FIXATION else ""
        bid = "1" if label == BLINK else ""
        worn = "0.0" if 1000 <= i < 1010 else "1.0"  # taken off for 50 ms
        az, el = ("0", "0") if label == BLINK else (f"{gx:.6f}", f"{-gy:.6f}")
        lines.append(f"s,r,{1_700_000_000_000_000_000 + i * 5_000_000},800,600,{worn},{fid},{bid},{az},{el}")
    path = tmp_path / "gaze.csv"
    path.write_text("\n".join(lines) + "\n")
    rec = load_gaze(path)
    assert rec.rate == 200.0 and rec.screen is None
    keep = np.isfinite(rec.x)
    np.testing.assert_allclose(rec.x[keep], x[keep], atol=1e-5)
    np.testing.assert_allclose(rec.y[keep], y[keep], atol=1e-5)  # (y down: elevation's negative)
    assert np.isnan(rec.x[1000:1010]).all() and np.isnan(rec.x[truth == BLINK]).all()
    pupil = rec.labels["Pupil Cloud"]
    assert np.array_equal(pupil == FIXATION, truth == FIXATION) and np.array_equal(pupil == BLINK, truth == BLINK)
    r = runner.invoke(app, ["eyetrack", "events", str(path), "--scores", str(tmp_path / "s.json")], terminal_width=200)
    assert r.exit_code == 0, r.output
    import json

    assert json.loads((tmp_path / "s.json").read_text())["coders"]["Pupil Cloud"]["fixation"]["kappa"] > 0.8
    r = runner.invoke(app, ["eyetrack", "events", str(path), "--screen", "531x299mm@1920x1080", "--distance", "650"])
    assert r.exit_code == 2 and "--screen/--distance does not apply" in r.stderr


def test_an_eyelink_files_parser_events_are_labels_to_compare_with(tmp_path):
    """An EyeLink ASC file's own parser events (EFIX, ESACC, EBLINK) of the eye read become the
    labels 'EyeLink' (a blink inside a saccade stays a blink); 'eyetrack events' prints how
    sensekit's events agree with them."""
    x, y, truth = gaze_signal(duration_s=20.0, rate=500.0, rng=5)
    screen = Screen(531.0, 299.0, 1920, 1080, 650.0)
    px, py = screen.to_pixels(x, y)
    lines = ["** CONVERTED FROM rec.edf", "MSG\t100 DISPLAY_COORDS 0 0 1919 1079",
             "START\t1000 \tLEFT\tSAMPLES\tEVENTS", "SAMPLES\tGAZE\tLEFT\tRATE\t500.00\tTRACKING"]
    stamps = 1000 + 2 * np.arange(len(x))
    starts = np.flatnonzero(np.r_[True, truth[1:] != truth[:-1]])
    ends = np.r_[starts[1:], len(truth)] - 1
    names = {FIXATION: "EFIX", SACCADE: "ESACC", BLINK: "EBLINK"}
    events = {int(stamps[e]): f"{names[int(truth[s])]} L\t{stamps[s]}\t{stamps[e]}\t{stamps[e] - stamps[s] + 2}"
              for s, e in zip(starts, ends, strict=True) if int(truth[s]) in names}
    for i, stamp in enumerate(stamps):
        if np.isfinite(px[i]):
            lines.append(f"{stamp}\t{px[i]:.1f}\t{py[i]:.1f}\t1200.0\t...")
        else:
            lines.append(f"{stamp}\t.\t.\t0.0\t...")
        if int(stamp) in events:
            lines.append(events[int(stamp)])
    lines.append("ESACC R\t1000\t1010\t12")  # another eye's event: not this eye's
    path = tmp_path / "rec.asc"
    path.write_text("\n".join(lines) + "\n")
    rec = load_eyelink_asc(path, screen=screen)
    parser = rec.labels["EyeLink"]
    for code in (FIXATION, SACCADE, BLINK):
        assert np.array_equal(parser == code, truth == code), code
    r = runner.invoke(app, ["eyetrack", "events", str(path), "--screen", "531x299mm@1920x1080", "--distance", "650"],
                      terminal_width=200)
    assert r.exit_code == 0 and "│ EyeLink │ saccade" in r.stdout, r.output


_TX300_HEADER = ("Time\tLEyePos3dx\tLEyePos3dy\tLEyePos3dz\tLEyePos3dRelx\tLEyePos3dRely\tLEyePos3dRelz\tLGazePos2dx\t"
                 "LGazePos2dy\tLGazePos3dx\tLGazePos3dy\tLGazePos3dz\tLPupilDm\tLValidity\tREyePos3dx\tREyePos3dy\t"
                 "REyePos3dz\tREyePos3dRelx\tREyePos3dRely\tREyePos3dRelz\tRGazePos2dx\tRGazePos2dy\tRGazePos3dx\t"
                 "RGazePos3dy\tRGazePos3dz\tRPupilDm\tRValidity\tRelTimestamp")


def _tx300_file(path, screen, seconds=8.0):
    """A Tobii Analytics SDK sample file of a TX300 (I2MC's example data's form): the
    simulator's gaze in fractions of the display, both eyes 0.3 deg apart, bursts where neither eye
    was found (-1, -1, code 4) and stretches where the right eye's code is 2 (a guess: its gaze is
    elsewhere)."""
    x, y, truth = gaze_signal(duration_s=seconds, rate=300.0, rng=3, pursuit=False, blinks=False)
    px, py = screen.to_pixels(x, y)
    shift = screen.to_pixels(np.array([0.15]), np.array([0.0]))[0][0] - screen.to_pixels(np.zeros(1), np.zeros(1))[0][0]
    rng = np.random.default_rng(0)
    codes = np.zeros((len(x), 2), int)
    for a in rng.integers(0, len(x) - 30, 10):
        codes[a:a + rng.integers(2, 25)] = 4
    for a in rng.integers(0, len(x) - 5, 10):
        codes[a:a + 3, 1] = np.maximum(codes[a:a + 3, 1], 2)
    lines = [_TX300_HEADER]
    for i in range(len(x)):
        stamp = 2619771723 + int(round(i * 1e6 / 300 + rng.normal(0, 30)))
        eyes = []
        for e, d in ((0, -shift), (1, shift)):
            c = codes[i, e]
            gx, gy = ((px[i] + d) / screen.width_px, py[i] / screen.height_px) if c < 2 else (
                (-1.0, -1.0) if c == 4 else (0.9, 0.1))
            eyes += ["1.0", "2.0", "600.0", "0.5", "0.5", "0.5", f"{gx:.5f}", f"{gy:.5f}", "0", "0", "0", "4.1", str(c)]
        lines.append("\t".join([str(stamp), *eyes, f"{(stamp - 2619771723) / 1e3:.4f}"]))
    path.write_text("\n".join(lines) + "\n")
    return x, y, truth, codes


def test_a_tobii_analytics_sdk_file_reads_each_eyes_validity(tmp_path):
    """A TX300's Analytics SDK sample file (each eye's gaze in fractions of the display, -1, -1 and
    validity code 4 where it was not found; the form of I2MC's example data) was 'no x column'; named by --columns, its -1, -1 had
    been gaze a screen off the display (66 saccades of 22 deg in 20 s) and --valid LValidity had lost
    every sample (Tobii's code 0 is the surest). It reads the eyes' mean, each eye lost where its
    code is above 1, its clock in microseconds, and its events are the simulator's."""
    from sensekit.eyetrack.datasets import GazeRecording, load_gaze
    from sensekit.eyetrack.labels import overlap_f1
    from sensekit.eyetrack.pipeline import EyePipeline

    screen = Screen(531, 299, 1920, 1080, 650)
    path = tmp_path / "1.txt"
    x, y, truth, codes = _tx300_file(path, screen)
    rec = load_gaze(path, screen=screen).regular()
    assert rec.rate == 300 and len(rec) == len(x)
    lost = (codes > 1).all(axis=1)
    assert np.array_equal(np.isnan(rec.x), lost) and lost.any()
    np.testing.assert_allclose(rec.x[~lost], x[~lost], atol=0.01)  # (the right eye's guesses left out)
    np.testing.assert_allclose(rec.y[~lost], y[~lost], atol=0.01)
    labels = EyePipeline().label(rec.to_frame())
    same = EyePipeline().label(GazeRecording(rec.t, np.where(lost, np.nan, x), np.where(lost, np.nan, y), 300.0,
                                             screen).to_frame())  # (the simulator's gaze with the same loss)
    for code in (FIXATION, SACCADE):
        assert overlap_f1(same, labels, code)["f1"] > 0.97
        assert overlap_f1(truth, labels, code)["f1"] > 0.8
    out = runner.invoke(app, ["eyetrack", "events", str(path), "--screen", "531x299mm@1920x1080", "--distance", "650"])
    assert out.exit_code == 0, out.output
    assert f"1: {len(x)} samples at 300 Hz" in out.output
    out = runner.invoke(app, ["eyetrack", "events", str(path)])
    assert out.exit_code != 0 and "Tobii Analytics SDK file: its gaze is in fractions of the display" in out.output
    # the same columns named as a plain table: -1, -1 is no gaze, the codes are told from a flag
    for extra in ([], ["--valid", "LValidity"], ["--valid", "LValidity<=1"]):
        rec = load_gaze(path, screen=screen, columns=("Time", "LGazePos2dx", "LGazePos2dy"), units="norm",
                        valid=extra[1] if extra else None)
        assert np.array_equal(np.isnan(rec.x), codes[:, 0] == 4)
    with pytest.raises(RecordingError, match="'one' is not a number"):
        load_gaze(path, screen=screen, columns=("Time", "LGazePos2dx", "LGazePos2dy"), units="norm",
                  valid="LValidity<=one")
    # a table in pixels whose loss is written as minus the screen's size (I2MC's importers): lost, not a
    # gaze 50 deg left of the screen's centre (two saccades of 50 deg each time)
    px, py = screen.to_pixels(x, y)
    gone = codes[:, 0] == 4
    px, py = np.where(gone, -1920.0, px), np.where(gone, -1080.0, py)
    i2mc = tmp_path / "i2mc.tsv"
    i2mc.write_text("time\tx\ty\n" + "".join(f"{k * 1000 / 300:.3f}\t{a:.2f}\t{b:.2f}\n" for k, (a, b)
                                               in enumerate(zip(px, py, strict=True))))
    rec = load_gaze(i2mc, screen=screen, time_unit="ms")
    assert np.array_equal(np.isnan(rec.x), gone)


def test_a_tobii_studio_export_reads_its_samples_of_one_recording(tmp_path):
    """A Tobii Studio export (RecordingTimestamp in ms, GazePointLeftX (ADCSpx)... in pixels,
    ValidityLeft/Right codes, Studio's event rows between the samples, a recording per
    RecordingName) reads the samples of one recording, its event rows left out; several are
    refused without --recording."""
    from sensekit.eyetrack.datasets import load_gaze

    screen = Screen(531, 299, 1920, 1080, 650)
    x, y, _ = gaze_signal(duration_s=3.0, rate=120.0, rng=4, blinks=False)
    px, py = screen.to_pixels(x, y)
    head = ("RecordingName\tRecordingTimestamp\tStudioEvent\tGazePointLeftX (ADCSpx)\tGazePointLeftY (ADCSpx)\t"
            "GazePointRightX (ADCSpx)\tGazePointRightY (ADCSpx)\tValidityLeft\tValidityRight")
    lines = [head]
    for name in ("Rec 01", "Rec 02"):
        lines.append(f"{name}\t0\tImageStart\t\t\t\t\t\t")
        for i in range(len(x)):
            right = (f"{px[i]:.0f}\t{py[i]:.0f}\t0") if i % 50 else "\t\t4"
            lines.append(f"{name}\t{round(i * 1000 / 120)}\t\t{px[i]:.0f}\t{py[i]:.0f}\t"
                         f"{right.rsplit(chr(9), 1)[0]}\t0\t{right.rsplit(chr(9), 1)[1]}")
    path = tmp_path / "study.tsv"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(RecordingError, match="holds 2 recordings"):
        load_gaze(path, screen=screen)
    rec = load_gaze(path, screen=screen, recording="Rec 02")
    assert len(rec) == len(x) and rec.rate == 120
    plain = tmp_path / "plain.tsv"  # (a plain table with such a column: --recording had been silently ignored)
    plain.write_text("RecordingName\ttime\tx\ty\n" + "".join(f"R1\t{i / 120:.4f}\t{a:.2f}\t{b:.2f}\n"
                                                             for i, (a, b) in enumerate(zip(px, py, strict=True))))
    with pytest.raises(RecordingError, match="--recording does not apply: plain.tsv"):
        load_gaze(plain, screen=screen, recording="R1")
    np.testing.assert_allclose(rec.x, x, atol=0.05)
    np.testing.assert_allclose(rec.y, y, atol=0.05)


def test_an_eyelink_data_viewer_sample_report_reads(tmp_path):
    """An EyeLink Data Viewer sample report (tab-separated: TIMESTAMP in ms on the tracker's clock,
    LEFT_GAZE_X/Y and RIGHT_GAZE_X/Y in pixels, '.' where an eye was lost, trials one after the other
    with a gap between them): the eyes' mean, the gap a loss, its events the simulator's; a
    monocular report (one eye's columns only) reads that eye."""
    from sensekit.eyetrack.datasets import load_gaze
    from sensekit.eyetrack.labels import overlap_f1
    from sensekit.eyetrack.pipeline import EyePipeline

    screen = Screen(531, 299, 1920, 1080, 650)
    x, y, truth = gaze_signal(duration_s=6.0, rate=1000.0, rng=5)
    px, py = screen.to_pixels(x, y)
    gap = np.arange(len(x)) >= 3000  # (the second trial starts 0.5 s after the first ends)
    stamps = 1_234_567 + np.arange(len(x)) + 500 * gap

    def cell(v):
        return "." if not np.isfinite(v) else f"{v:.1f}"

    both = tmp_path / "report.txt"
    both.write_text("RECORDING_SESSION_LABEL\tTRIAL_INDEX\tTIMESTAMP\tLEFT_GAZE_X\tLEFT_GAZE_Y\tRIGHT_GAZE_X\t"
                    "RIGHT_GAZE_Y\n" + "".join(f"s01\t{1 + g}\t{t}\t{cell(a - 8)}\t{cell(b)}\t{cell(a + 8)}\t{cell(b)}\n"
                                               for t, g, a, b in zip(stamps, gap, px, py, strict=True)))
    rec = load_gaze(both, screen=screen).regular()
    assert rec.rate == 1000 and len(rec) == len(x) + 500
    kept = np.r_[np.arange(3000), np.arange(3500, len(x) + 500)]
    np.testing.assert_allclose(rec.x[kept], x, atol=0.01, equal_nan=True)
    assert np.isnan(rec.x[3000:3500]).all()
    labels = EyePipeline().label(rec.to_frame())[kept]
    assert overlap_f1(truth, labels, SACCADE)["f1"] > 0.9
    one = tmp_path / "right.txt"
    one.write_text("TIMESTAMP\tRIGHT_GAZE_X\tRIGHT_GAZE_Y\n" + "".join(
        f"{t}\t{cell(a)}\t{cell(b)}\n" for t, a, b in zip(stamps, px, py, strict=True)))
    np.testing.assert_allclose(load_gaze(one, screen=screen).regular().x[kept], x, atol=0.01, equal_nan=True)


def _directions(x, y, forward=1.0):
    """Unit gaze directions (x right, y up, z ahead times ``forward``) of azimuth ``x`` and
    elevation ``y`` (deg); (0, 0, 0) where the gaze is lost, as headsets write it."""
    a, e = np.radians(x), np.radians(y)
    v = np.column_stack([np.cos(e) * np.sin(a), np.sin(e), forward * np.cos(e) * np.cos(a)])
    return np.where(np.isfinite(v), v, 0.0)


def _varjo_table(path, x, y, rate, forward=1.0):
    """A Varjo Base gaze log: ns clock, status, the combined gaze and each eye's direction; where
    the gaze is lost, status 0 and the last direction seen (only the status says it)."""
    v = _directions(x, y, forward)
    lost = ~np.isfinite(x)
    for i in np.flatnonzero(lost):
        v[i] = v[i - 1] if i else (0.0, 0.0, 1.0)
    header = ["raw_timestamp", "log_time", "focus_distance", "frame_number", "stability", "status", "gaze_forward_x",
              "gaze_forward_y", "gaze_forward_z", "gaze_origin_x", "gaze_origin_y", "gaze_origin_z",
              "left_forward_x", "left_forward_y", "left_forward_z", "left_status",
              "right_forward_x", "right_forward_y", "right_forward_z", "right_status"]
    rows = [",".join(header)]
    for i in range(len(x)):
        stamp = 1_700_000_000_000_000_000 + int(round(i * 1e9 / rate))
        status = 0 if lost[i] else 2
        g = ",".join(f"{c:.12f}" for c in v[i])
        rows.append(f"{stamp},{i / rate:.4f},0.8,{i},0.9,{status},{g},0.0,0.0,0.0,{g},{status * 1.5:g},{g},"
                    f"{status * 1.5:g}")
    path.write_text("\n".join(rows) + "\n")


def test_a_headsets_gaze_direction_table_is_read_in_degrees(tmp_path, caplog, monkeypatch):
    """A headset's gaze log gives directions, not screen points (Varjo's gaze_forward_x/y/z): read
    as azimuth and elevation, the gaze is the simulated one to 1e-9 deg and its labels those of the
    same gaze in memory, lost where its status says so; an OpenXR frame (-z ahead) reads the
    same; screen options are refused."""
    from sensekit.eyetrack.datasets import GazeRecording, load_gaze
    from sensekit.eyetrack.labels import LABEL_NAMES
    from sensekit.eyetrack.pipeline import EyePipeline

    x, y, truth = gaze_signal(duration_s=20.0, rate=200.0, rng=8)
    _varjo_table(tmp_path / "varjo.csv", x, y, 200.0)
    _varjo_table(tmp_path / "openxr.csv", x, y, 200.0, forward=-1.0)
    with caplog.at_level(logging.WARNING, logger="sensekit"):
        rec = load_gaze(tmp_path / "varjo.csv").regular()
    assert "not an eye tracker's rate" not in caplog.text  # (Varjo's raw_timestamp is in ns, as it documents)
    assert rec.rate == 200.0 and len(rec) == len(x)
    assert (~np.isfinite(x)).sum() > 20  # (blinks)
    np.testing.assert_allclose(rec.x, x, atol=1e-9)
    np.testing.assert_allclose(rec.y, y, atol=1e-9)
    again = load_gaze(tmp_path / "openxr.csv").regular()
    np.testing.assert_allclose(again.x, x, atol=1e-9)
    r = runner.invoke(app, ["eyetrack", "events", str(tmp_path / "varjo.csv"), "--labels", str(tmp_path / "l.csv")])
    assert r.exit_code == 0, r.output
    names = {v: k for k, v in LABEL_NAMES.items()}
    cli = np.array([names[row.split(",")[-1]] for row in (tmp_path / "l.csv").read_text().split()[1:]])
    memory = EyePipeline().label(GazeRecording(np.arange(len(x)) / 200.0, x, y, 200.0).regular().to_frame())
    np.testing.assert_array_equal(cli, memory)
    assert event_f1(truth, cli, SACCADE, 200.0)["f1"] > 0.8
    # the columns named by hand, and what does not apply
    cols = "raw_timestamp,gaze_forward_x,gaze_forward_y,gaze_forward_z"
    named = load_gaze(tmp_path / "varjo.csv", columns=tuple(cols.split(",")), valid="status").regular()
    np.testing.assert_array_equal(named.x, rec.x)
    r = runner.invoke(app, ["eyetrack", "events", str(tmp_path / "varjo.csv"), "--screen", "531x299mm@1920x1080",
                            "--distance", "650"])
    assert r.exit_code == 2 and "are a gaze direction, read in degrees" in r.stderr, r.output
    r = runner.invoke(app, ["eyetrack", "events", str(tmp_path / "varjo.csv"), "--columns", "raw_timestamp,a,b,c"])
    assert r.exit_code == 2 and "has no column 'a'" in r.stderr, r.output
    import sensekit.eyetrack.datasets as gaze_datasets  # (a long export of every column: one line, not memory spent)

    monkeypatch.setattr(gaze_datasets, "MAX_GAZE_TABLE_BYTES", 10_000)
    r = runner.invoke(app, ["eyetrack", "events", str(tmp_path / "varjo.csv")])
    assert r.exit_code == 2 and "a gaze table is read whole to" in r.stderr, r.output


def test_a_gaze_direction_turns_past_behind_continuously_in_any_blocks(tmp_path):
    """A gaze in the world's frame that turns right round (a head turning) keeps a continuous
    azimuth (no 360-degree jump for a detector to take as a saccade, and no loss past 90
    degrees), the same in any blocks; the two eyes' directions give their mean, one eye where the
    other is lost."""
    from sensekit.eyetrack.datasets import GazeRecording, load_gaze
    from sensekit.eyetrack.directions import DirectionDegrees, direction_degrees
    from sensekit.eyetrack.pipeline import EyePipeline

    az = np.linspace(0.0, 400.0, 801)
    v = _directions(az, np.full(az.shape, 10.0))
    x, y = direction_degrees(v)
    np.testing.assert_allclose(x, az, atol=1e-9)
    np.testing.assert_allclose(y, 10.0, atol=1e-9)
    info = StreamInfo("world gaze", "gaze", 100.0, (3,), channels=("dir_x", "dir_y", "dir_z"))
    assert_block_invariant(DirectionDegrees, info, v)
    eyes = np.column_stack([_directions(az - 1.0, np.zeros(az.shape)), _directions(az + 1.0, np.zeros(az.shape))])
    eyes[100:120, 3:] = 0.0  # the right eye lost
    x, y = direction_degrees(eyes)
    np.testing.assert_allclose(x[:100], az[:100], atol=1e-9)
    np.testing.assert_allclose(x[100:120], az[100:120] - 1.0, atol=1e-9)
    eyes[200:210] = np.nan  # both lost
    assert np.isnan(direction_degrees(eyes)[0][200:210]).all()
    # a world-frame log of a user turning round (the head at 40 deg/s): every sample kept, the events
    # those of the same gaze in memory
    x, y, _ = gaze_signal(duration_s=12.0, rate=200.0, rng=2, blinks=False)
    world = x + 40.0 * np.arange(len(x)) / 200.0
    _varjo_table(tmp_path / "world.csv", world, y, 200.0)
    rec = load_gaze(tmp_path / "world.csv").regular()
    assert np.isfinite(rec.x).all() and rec.x.max() > 400
    np.testing.assert_allclose(rec.x, world, atol=1e-9)
    memory = GazeRecording(np.arange(len(x)) / 200.0, world, y, 200.0, unwrapped=True)
    np.testing.assert_array_equal(EyePipeline().label(rec.to_frame()), EyePipeline().label(memory.to_frame()))


def test_run_eyetrack_online_on_a_headsets_gaze_direction_stream(tmp_path):
    """A Tobii XR stream (HTC Vive Pro Eye, Pico Neo Eye: Timestamp, ConvergenceDistance...,
    GazeRayDirectionX/Y/Z) had its first two channels read as degrees; its gaze direction is
    found by name, its GazeRayIsValid flag marks the samples lost (their direction is stale), and
    the online events are those of the same gaze in degrees."""
    import json

    from sensekit.core.recording import RecordingWriter
    from sensekit.eyetrack.pipeline import EyePipeline
    from sensekit.eyetrack.synth import GazeSource

    src = GazeSource(duration_s=20, seed=5)
    chain = EyePipeline(online=True).gaze_chain(src.info)
    chain.open(src.info)
    want = feed(chain, list(src)).data
    channels = ("Timestamp", "ConvergenceDistance", "ConvergenceDistanceIsValid", "GazeRayOriginX", "GazeRayOriginY",
                "GazeRayOriginZ", "GazeRayDirectionX", "GazeRayDirectionY", "GazeRayDirectionZ", "GazeRayIsValid",
                "IsLeftEyeBlinking", "IsRightEyeBlinking")
    info = StreamInfo("Unity.TobiiGaze", "gaze", src.rate, (12,), channels=channels)
    n = len(src.x)
    flag = np.isfinite(src.x).astype(float)
    assert flag.sum() < n  # (blinks)
    stale = _directions(np.where(flag > 0, src.x, 3.0), np.where(flag > 0, src.y, -2.0))
    data = np.column_stack([np.arange(n) / src.rate, np.full(n, 0.8), np.ones(n), np.zeros((n, 3)),
                            stale, flag, np.zeros((n, 2))])
    with RecordingWriter(tmp_path / "xr.h5") as w:
        w.add_stream(info).append(Frame(info, data, t0=0.0))
    r = runner.invoke(app, ["run", "eyetrack", str(tmp_path / "xr.h5"), "--online", "--jsonl"])
    assert r.exit_code == 0, r.output
    got = np.array([json.loads(line)["data"] for line in r.stdout.splitlines()[1:]], dtype=float)
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, atol=1e-6)


def _gazecom_arff(path, x, y, truth, screen, *, nominal=False, metadata=True):
    """A GazeCom ground-truth ARFF file: its screen in %@METADATA lines, time in us, gaze in px,
    confidence 0 (and 0, 0) where lost, two coders and the final labels (codes, or names)."""
    px, py = screen.to_pixels(x, y)
    gazecom = {FIXATION: 1, SACCADE: 2, PSO: 1, PURSUIT: 3, BLINK: 4}  # (no PSO class: part of the fixation)
    names = {1: "FIX", 2: "SACCADE", 3: "SP", 4: "NOISE"}
    head = ([f"%@METADATA width_px {screen.width_px}", f"%@METADATA height_px {screen.height_px}",
             f"%@METADATA width_mm {screen.width_mm}", f"%@METADATA height_mm {screen.height_mm}",
             f"%@METADATA distance_mm {screen.distance_mm}"] if metadata else [])
    kind = "{FIX,SACCADE,SP,NOISE}" if nominal else "INTEGER"
    head += ["@RELATION gaze_labels", "", "@ATTRIBUTE time INTEGER", "@ATTRIBUTE x NUMERIC", "@ATTRIBUTE y NUMERIC",
             "@ATTRIBUTE confidence NUMERIC", f"@ATTRIBUTE handlabeller1 {kind}", f"@ATTRIBUTE handlabeller2 {kind}",
             f"@ATTRIBUTE handlabeller_final {kind}", "", "@DATA"]
    rows = []
    for i in range(len(x)):
        code = gazecom[int(truth[i])]
        label = names[code] if nominal else str(code)
        lost = not np.isfinite(px[i])
        rows.append(f"{i * 4000},{0.0 if lost else px[i]:.2f},{0.0 if lost else py[i]:.2f},{0.0 if lost else 1.0},"
                    f"{label},{label},{label}")
    path.write_text("\n".join(head + rows) + "\n")


def test_a_gazecom_arff_file_is_read_with_its_screen_and_coders(tmp_path, monkeypatch):
    """GazeCom's hand-labelled ARFF files (the field's data set with smooth pursuit; Hollywood2EM's
    name their labels): the screen from their %@METADATA lines, time in us, lost samples by their
    confidence, each coder's labels as sensekit's classes; 'eyetrack events' scores against them."""
    from sensekit.eyetrack.datasets import load_gaze

    x, y, truth = gaze_signal(duration_s=20.0, rate=250.0, rng=6)
    screen = Screen(400.0, 225.0, 1280, 720, 450.0)
    _gazecom_arff(tmp_path / "beach.arff", x, y, truth, screen)
    _gazecom_arff(tmp_path / "clip.arff", x, y, truth, screen, nominal=True)
    want = np.select([truth == PSO], [FIXATION], truth)
    for name in ("beach.arff", "clip.arff"):
        rec = load_gaze(tmp_path / name)
        assert rec.rate == 250.0 and rec.screen == screen and sorted(rec.labels) == [
            "handlabeller1", "handlabeller2", "handlabeller_final"]
        np.testing.assert_allclose(rec.x, x, atol=1e-3)  # (pixels written to 0.01)
        np.testing.assert_array_equal(rec.labels["handlabeller_final"], want)
        assert rec.label_classes["handlabeller1"] == (FIXATION, SACCADE, PURSUIT)
    r = runner.invoke(app, ["eyetrack", "events", str(tmp_path / "beach.arff")], terminal_width=200)
    assert r.exit_code == 0, r.output
    scored = r.stdout.split("Against the file's labels")[1]
    assert re.search(r"handlabeller1\s+│ pursuit", scored) and "pso" not in scored.lower()  # (no coder marks PSO)
    # what does not apply, and files that are not GazeCom's
    r = runner.invoke(app, ["eyetrack", "events", str(tmp_path / "beach.arff"), "--screen", "531x299mm@1920x1080",
                            "--distance", "650"])
    assert r.exit_code == 2 and "states its screen" in r.stderr, r.output
    _gazecom_arff(tmp_path / "bare.arff", x[:100], y[:100], truth[:100], screen, metadata=False)
    r = runner.invoke(app, ["eyetrack", "events", str(tmp_path / "bare.arff")])
    assert r.exit_code == 2 and "no %@METADATA lines give its screen" in r.stderr, r.output
    r = runner.invoke(app, ["eyetrack", "events", str(tmp_path / "bare.arff"), "--screen", "400x225mm@1280x720",
                            "--distance", "450"])
    assert r.exit_code == 0, r.output
    import sensekit.eyetrack.arff as arff

    monkeypatch.setattr(arff, "MAX_ARFF_BYTES", 1000)  # (a file larger than it is refused before it is read)
    r = runner.invoke(app, ["eyetrack", "events", str(tmp_path / "beach.arff")])
    assert r.exit_code == 2 and "an ARFF gaze file is read whole to" in r.stderr, r.output
    monkeypatch.undo()
    for text, message in (("not arff at all\n1,2,3\n", "is not an ARFF table sensekit reads"),
                          ("@RELATION r\n@ATTRIBUTE time INTEGER\n@ATTRIBUTE x_head NUMERIC\n@ATTRIBUTE y_head NUMERIC\n"
                           "@DATA\n0,1,2\n4000,1,2\n", "360-degree video"),
                          ("@RELATION r\n@ATTRIBUTE time INTEGER\n@ATTRIBUTE x NUMERIC\n@ATTRIBUTE y NUMERIC\n"
                           "@ATTRIBUTE handlabeller1 INTEGER\n@DATA\n0,1,2,7\n4000,1,2,1\n", "codes [7]")):
        (tmp_path / "bad.arff").write_text(text)
        r = runner.invoke(app, ["eyetrack", "events", str(tmp_path / "bad.arff"), "--screen", "400x225mm@1280x720",
                                "--distance", "450"])
        assert r.exit_code == 2 and message in r.stderr and "Traceback" not in r.output, (text, r.output)


@pytest.mark.parametrize("channels, want, valid", [
    (["confidence", "norm_pos_x", "norm_pos_y", "gaze_point_3d_x", "gaze_point_3d_y", "gaze_point_3d_z",
      "eye_center0_3d_x", "eye_center0_3d_y", "eye_center0_3d_z", "gaze_normal0_x", "gaze_normal0_y",
      "gaze_normal0_z", "gaze_normal1_x", "gaze_normal1_y", "gaze_normal1_z"],
     ["gaze_point_3d_x", "gaze_point_3d_y", "gaze_point_3d_z", "confidence"], "confidence"),  # Pupil Core's relay
    (["gaze_normal0_x", "gaze_normal0_y", "gaze_normal0_z", "gaze_normal1_x", "gaze_normal1_y", "gaze_normal1_z"],
     ["gaze_normal0_x", "gaze_normal0_y", "gaze_normal0_z", "gaze_normal1_x", "gaze_normal1_y", "gaze_normal1_z"],
     None),  # each eye's: their mean
    (["Timestamp", "left_gaze_direction_normalized_x", "left_gaze_direction_normalized_y",
      "left_gaze_direction_normalized_z", "combined_gaze_direction_normalized_x", "combined_gaze_direction_normalized_y",
      "combined_gaze_direction_normalized_z"],
     ["combined_gaze_direction_normalized_x", "combined_gaze_direction_normalized_y",
      "combined_gaze_direction_normalized_z"], None),  # SRanipal: the combined gaze before an eye's
    (["raw_timestamp", "status", "gaze_forward_x", "gaze_forward_y", "gaze_forward_z", "gaze_origin_x", "gaze_origin_y",
      "gaze_origin_z", "HMD_rotation_x", "HMD_rotation_y", "HMD_rotation_z"],
     ["gaze_forward_x", "gaze_forward_y", "gaze_forward_z", "status"], "flag"),  # Varjo: origins and the head left out
])
def test_the_gaze_direction_of_each_headsets_naming_is_found(channels, want, valid):
    from sensekit.eyetrack.directions import direction_reader

    cols, stage = direction_reader(channels)
    assert [channels[i] for i in cols] == want and stage.valid == valid
    assert direction_reader(["t", "x", "y", "pupil"]) is None


def test_info_on_a_gaze_file_names_the_command_that_reads_it(tmp_path):
    """'sensekit info rec.asc' (or a GazeCom .arff) had said "unknown file type": it names the
    command that reads gaze files."""
    for name in ("rec.asc", "clip.arff"):
        (tmp_path / name).write_text("x\n")
        r = runner.invoke(app, ["info", str(tmp_path / name)])
        assert r.exit_code == 2 and f"sensekit eyetrack events {tmp_path / name}" in r.stderr, r.output


def test_the_gazecom_bench_task_runs_on_a_users_copy(tmp_path, monkeypatch):
    """'sensekit bench run eyetrack.gazecom' on the user's copy of GazeCom's annotations
    (SENSEKIT_GAZECOM: ground_truth/<clip>/<viewer>_<clip>.arff): per clip, the detectors and the
    first coder against the final labels; without the copy the task is skipped, saying how to get
    it."""
    import json

    screen = Screen(400.0, 225.0, 1280, 720, 450.0)
    for c, clip in enumerate(("beach", "street")):
        for v, viewer in enumerate(("AAF", "BBG")):
            x, y, truth = gaze_signal(duration_s=12.0, rate=250.0, rng=10 * c + v)
            folder = tmp_path / "gazecom" / "ground_truth" / clip
            folder.mkdir(parents=True, exist_ok=True)
            _gazecom_arff(folder / f"{viewer}_{clip}.arff", x, y, truth, screen)
    monkeypatch.delenv("SENSEKIT_DATA", raising=False)
    monkeypatch.setenv("SENSEKIT_GAZECOM", str(tmp_path / "nowhere"))
    r = runner.invoke(app, ["bench", "run", "eyetrack.gazecom", "-j", "1", "--no-cache", "--json", str(tmp_path / "s.json")])
    assert "SENSEKIT_GAZECOM" in r.output, r.output  # (skipped, saying how)
    monkeypatch.setenv("SENSEKIT_GAZECOM", str(tmp_path / "gazecom"))
    r = runner.invoke(app, ["bench", "run", "eyetrack.gazecom", "-j", "1", "--no-cache", "--json", str(tmp_path / "r.json")])
    assert r.exit_code == 0, r.output
    (result,) = json.loads((tmp_path / "r.json").read_text())["results"]
    m = result["metrics"]  # (the mean over the two clips)
    assert result["task"] == "eyetrack.gazecom" and result["units"] == 2
    assert m["viewers"] == 2 and m["rate_hz"] == 250.0
    assert m["coder1_kappa_pursuit"] == 1.0  # (the simulated coders agree)
    assert m["kappa_saccade"] > 0.8 and m["f1_overlap_pursuit"] > 0.5 and "nh2010_kappa_fixation" in m


def test_a_tobii_glasses_export_is_read_as_its_gaze_direction(tmp_path):
    """A Tobii Pro Lab export of glasses (or VR) gaze: its 'Gaze point X' is in the scene camera's
    pixels, not on a screen, and it had asked for --screen. Without a screen its gaze direction
    (Gaze point 3D, in the head unit's frame) is read in degrees; the gyroscope's rows are left
    out and the export's own I-VT labels kept."""
    from sensekit.eyetrack.datasets import load_gaze

    x, y, truth = gaze_signal(duration_s=10.0, rate=50.0, rng=4, pursuit=False)
    v = _directions(x, y)
    lost = ~np.isfinite(x)
    header = ["Recording timestamp [μs]", "Sensor", "Gaze point X [MCS px]", "Gaze point Y [MCS px]",
              "Gaze point 3D X [HUCS mm]", "Gaze point 3D Y [HUCS mm]", "Gaze point 3D Z [HUCS mm]",
              "Gaze direction left X [HUCS norm]", "Gaze direction left Y [HUCS norm]",
              "Gaze direction left Z [HUCS norm]", "Pupil position left X [HUCS mm]", "Validity left",
              "Eye movement type"]
    rows = ["\t".join(header)]
    for i in range(len(x)):
        t = 1_000_000 + i * 20_000
        if lost[i]:
            cells = [""] * 8 + ["Invalid", "EyesNotFound"]
        else:
            g = [f"{c * 800:.4f}" for c in v[i]]
            d = [f"{c:.6f}" for c in v[i]]
            cells = [f"{960 + 20 * x[i]:.1f}", f"{540 - 20 * y[i]:.1f}", *g, *d, "31.5", "Valid",
                     "Fixation" if truth[i] == FIXATION else "Saccade"]
        rows.append("\t".join([str(t), "Eye Tracker", *cells]))
        rows.append("\t".join([str(t + 5000), "Gyroscope"] + [""] * (len(header) - 2)))
    (tmp_path / "glasses.tsv").write_text("\n".join(rows) + "\n")
    rec = load_gaze(tmp_path / "glasses.tsv").regular()
    assert rec.rate == 50.0 and rec.screen is None and len(rec) == len(x)
    np.testing.assert_allclose(rec.x, x, atol=1e-4)
    np.testing.assert_allclose(rec.y, y, atol=1e-4)
    assert "Tobii I-VT" in rec.labels
    r = runner.invoke(app, ["eyetrack", "events", str(tmp_path / "glasses.tsv")])
    assert r.exit_code == 0 and "Tobii I-VT" in r.stdout, r.output


def test_a_wide_gaze_export_is_held_in_about_six_times_its_size(tmp_path):
    """A Tobii Pro Lab export of every column (about 90: a study's names, empty event columns,
    numbers) had taken twelve times its size as a dict per row; each row is now a tuple of its cells
    under one shared header index, the words repeated down a column kept once; the gaze read is
    the same as from the gaze columns alone."""
    import tracemalloc

    from sensekit.eyetrack.datasets import _read_table, load_gaze
    from sensekit.eyetrack.geometry import Screen

    rng = np.random.default_rng(0)
    head = ["Recording timestamp [ms]", "Sensor", "Gaze point X [DACS px]", "Gaze point Y [DACS px]"]
    wide = head + [f"Project {i}" for i in range(20)] + [f"Event {i}" for i in range(30)] + [f"Pupil {i}" for i in range(35)]
    gaze = [(f"{k * 8.333:.1f}", "Eye Tracker", f"{960 + rng.normal() * 40:.1f}", f"{540 + rng.normal() * 40:.1f}")
            for k in range(4000)]
    big, narrow = tmp_path / "all.tsv", tmp_path / "gaze.tsv"
    big.write_text("\t".join(wide) + "\n" + "".join("\t".join([*g, *["Study A"] * 20, *[""] * 30, *(
        f"{v:.4f}" for v in rng.normal(3, 0.1, 35))]) + "\n" for g in gaze))
    narrow.write_text("\t".join(head) + "\n" + "".join("\t".join(g) + "\n" for g in gaze))
    tracemalloc.start()
    rows = _read_table(big)
    held, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert held < 8 * big.stat().st_size, held / big.stat().st_size  # (14x as dicts)
    assert rows[0]["Project 3"] is rows[-1]["Project 3"] and rows[5].get("Event 2") == ""
    assert rows[0].get("no such column") is None and "Sensor" in rows[0] and list(rows[0])[:4] == head
    screen = Screen(531, 299, 1920, 1080, 650)
    a, b = load_gaze(big, screen=screen), load_gaze(narrow, screen=screen)
    np.testing.assert_array_equal(a.x, b.x)
    np.testing.assert_array_equal(a.t, b.t)


def test_an_eyelink_edf_says_to_convert_it(tmp_path):
    """An EyeLink .edf (SR Research's binary format, not a European Data Format recording) had
    been 'unknown gaze file type' and, to info, an unreadable EDF: both say to convert it with
    edf2asc now; a European Data Format recording given as gaze says it holds none."""
    eyelink = tmp_path / "sub01.edf"
    eyelink.write_bytes(b"SR_RESEARCH_COMPRESSED" + bytes(200))
    for args in (["eyetrack", "events", str(eyelink)], ["info", str(eyelink)]):
        r = runner.invoke(app, args)
        assert r.exit_code == 2 and "edf2asc" in r.output and "sub01.asc" in " ".join(r.output.split()), r.output
