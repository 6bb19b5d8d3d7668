"""Binaural rendering: HRTF files and model, interpolation, the partitioned renderer
(exactness, block invariance, moving sources without clicks), scenes."""

from __future__ import annotations

import re

import numpy as np
import pytest
from scipy.signal import oaconvolve

from sensekit.core import Frame, StreamInfo
from sensekit.errors import ParameterError, RecordingError, StreamFormatError
from sensekit.spatial_audio.ambisonics import AmbisonicRenderer
from sensekit.spatial_audio.hrtf import HRTF, load_hrtf, spherical_head, woodworth_itd
from sensekit.spatial_audio.renderer import BinauralRenderer
from sensekit.spatial_audio.scene import Scene
from sensekit.testing import assert_block_invariant, feed

FS = 48000.0
SOFA = {"mit": "hrtf-mit-kemar/MIT_KEMAR_normal_pinna.sofa", "cipic": "hrtf-cipic-003/CIPIC_subject_003_hrir_final.sofa",
        "fhk": "hrtf-fhk-ku100/FHK_HRIR_L2354.sofa"}


def _info(channels=1, rate=FS):
    return StreamInfo("s", "audio", rate, (channels,), dtype="float64")


def test_spherical_head_itd_ild_and_symmetry():
    h = spherical_head(FS)
    for az in (30.0, 60.0, 90.0):
        i = int(np.argmin(np.abs(h.azimuth - az) + np.abs(h.elevation)))
        assert h.itd()[i] == pytest.approx(woodworth_itd(az), rel=0.08)  # onset ITD vs Woodworth
        assert h.ild_db()[i] > 3.0  # the left ear is louder for a source on the left
    front = int(np.argmin(np.abs(h.azimuth) + np.abs(h.elevation)))
    assert abs(h.itd()[front]) < 1e-6 and abs(h.ild_db()[front]) < 0.1


@pytest.mark.parametrize("name", sorted(SOFA))
def test_sofa_files_load_resample_and_interpolate(shared_data, name):
    h = HRTF.from_sofa(shared_data / SOFA[name])
    assert h.n_directions == {"mit": 710, "cipic": 1250, "fhk": 2354}[name]
    h48 = h.resample(FS)
    assert h48.rate == FS
    # at a measured direction the interpolation gives the measurement back
    i = h48.n_directions // 3
    r = h48.interpolate(h48.azimuth[i], h48.elevation[i])
    assert np.abs(r - h48.ir[i]).max() < 0.05 * np.abs(h48.ir[i]).max()
    # a source at the left: the left ear leads and is louder; ITD near a head's
    left = int(np.argmin(np.abs(h48.azimuth - 90) + np.abs(h48.elevation)))
    assert 450e-6 < h48.itd()[left] < 900e-6 and h48.ild_db()[left] > 5
    # between measured directions: no comb filter (the onset moves, the level stays)
    a = h48.interpolate(h48.azimuth[left] - 2.5, 0.0)
    b = h48.nearest(h48.azimuth[left] - 2.5, 0.0)
    ea, eb = (np.abs(np.fft.rfft(v, 1024, axis=1)) ** 2 for v in (a, b))
    band = slice(20, 400)  # ~1-19 kHz
    ratio_db = 10 * np.log10(ea[:, band].mean(axis=1) / eb[:, band].mean(axis=1))
    assert np.abs(ratio_db).max() < 2.0


def test_sofa_errors(tmp_path):
    with pytest.raises(RecordingError, match="does not exist"):
        HRTF.from_sofa(tmp_path / "none.sofa")
    bad = tmp_path / "bad.sofa"
    bad.write_bytes(b"not a sofa file")
    with pytest.raises(RecordingError, match="not a readable SOFA file"):
        HRTF.from_sofa(bad)
    assert load_hrtf(None, FS).name == "spherical-head"


def test_a_set_with_repeated_directions_or_a_gap_is_used_or_refused_by_name(caplog):
    """Sets whose directions repeat (a pole at every azimuth) interpolate as the set without the
    repeats; sets that leave the listener unsurrounded (front only, one meridian) are refused in
    one line. Both were a numpy LinAlgError ("Singular matrix") in 'spatial render'."""
    h = spherical_head(16000.0, n_taps=64, azimuth_step=15.0, elevation_step=20.0)
    rep = np.r_[np.arange(h.n_directions), [3, 3, h.n_directions - 2]]
    repeated = HRTF(h.ir[rep], h.rate, h.azimuth[rep], h.elevation[rep], "repeated")
    repeated.azimuth[-1] = 123.0  # the pole again, at another azimuth: the same direction
    az, el = np.random.default_rng(0).uniform(-180, 180, 50), np.random.default_rng(1).uniform(-85, 85, 50)
    with caplog.at_level("WARNING", logger="sensekit"):
        np.testing.assert_allclose(repeated.interpolate(az, el), h.interpolate(az, el), atol=1e-12)
    assert "3 of its 221 directions repeat another; the first of each is used" in caplog.text
    front = np.abs(h.azimuth) <= 85
    meridian = h.azimuth == 0
    for keep, name in ((front, "front"), (meridian, "meridian")):
        gap = HRTF(h.ir[keep], h.rate, h.azimuth[keep], h.elevation[keep], name)
        with pytest.raises(ParameterError, match="do not surround the listener"):
            gap.interpolate(0.0, 0.0)
    with pytest.raises(ParameterError, match="would have responses of 98304 taps"):  # (a wrong --hrtf-rate)
        spherical_head(1000.0, n_taps=512).resample(192000.0)


def test_static_render_equals_direct_convolution_and_is_block_invariant():
    x = np.random.default_rng(0).standard_normal((9000, 2))
    scene = Scene.static([60.0, 250.0], [0.0, 10.0], [1.0, 2.0])
    out = assert_block_invariant(lambda: BinauralRenderer(scene, block=128), _info(2), x, max_examples=10)
    r = BinauralRenderer(scene, block=128)
    r.open(_info(2))
    h = r._hrtf.interpolate(np.array([60.0, 250.0]), np.array([0.0, 10.0]))
    ref = oaconvolve(x[:, 0][None], h[0], axes=1)[:, :9000] + 0.5 * oaconvolve(x[:, 1][None], h[1], axes=1)[:, :9000]
    np.testing.assert_allclose(out.data, ref.T, atol=1e-10)
    assert out.n == len(x) and r.latency_s == pytest.approx(128 / FS)


def test_moving_source_matches_block_switched_reference_and_has_no_clicks():
    n = 24000
    x = np.sin(2 * np.pi * 440 * np.arange(n) / FS)[:, None]
    scene = Scene.from_dict({"sources": [{"keyframes": [[0.0, 0, 0, 1], [n / FS, 180, 0, 1]]}]})
    out = assert_block_invariant(lambda: BinauralRenderer(scene, block=256, update_deg=0.0), _info(), x,
                                 max_examples=5, atol=1e-9)
    # reference: each block convolved whole-signal with that block's filter, cross-faded
    r = BinauralRenderer(scene, block=256, update_deg=0.0)
    r.open(_info())
    ref = np.zeros((n, 2))
    fade = (np.arange(256) + 0.5) / 256
    prev = None
    for k in range(n // 256):
        az, el, d = scene.relative((k + 0.5) * 256 / FS)
        h = r._hrtf.interpolate(az, el)[0]
        y = oaconvolve(x[:, 0][None], h, axes=1)[:, k * 256 : (k + 1) * 256].T
        if prev is not None:
            yp = oaconvolve(x[:, 0][None], prev, axes=1)[:, k * 256 : (k + 1) * 256].T
            y = yp + (y - yp) * fade[:, None]
        ref[k * 256 : (k + 1) * 256] = y
        prev = h
    np.testing.assert_allclose(out.data[: (n // 256) * 256], ref[: (n // 256) * 256], atol=1e-9)
    # clicks: the error against a slowly varying reference stays small at block switches
    hard = BinauralRenderer(scene, block=256, update_deg=0.0, crossfade=False)
    hard.open(_info())
    y_hard = feed(hard, [Frame(_info(), x, t0=0.0)]).data

    def click_energy(y):
        d2 = np.diff(y[:, 0], 2)  # the second difference: a sine's is small, a step's is not
        return float(np.max(np.abs(d2[1000:-1000])))

    assert click_energy(out.data) < 0.6 * click_energy(y_hard)


def test_a_scene_key_the_format_lacks_is_named(caplog):
    """A typo ("gain" on a source, "listner") was ignored without a word."""
    doc = {"sources": [{"keyframes": [[0, 30, 0, 1]], "gain": 2.0}], "listner": {"keyframes": [[0, 90, 0, 0]]}}
    with caplog.at_level("WARNING", logger="sensekit"):
        scene = Scene.from_dict(doc)
    assert "unknown key(s) 'gain'" in caplog.text and "unknown key(s) 'listner'" in caplog.text
    assert scene.listener is None and len(scene.sources) == 1


def test_head_rotation_moves_the_source_and_bad_input():
    scene = Scene.from_dict({"sources": [{"keyframes": [[0, 90, 0, 1]]}],
                             "listener": {"keyframes": [[0, 90, 0, 0]]}})  # head turned to face the source
    az, el, _ = scene.relative(0.0)
    assert az[0] == pytest.approx(0.0, abs=1e-6) or az[0] == pytest.approx(360.0, abs=1e-6)
    with pytest.raises(ParameterError, match="keyframes must be"):
        Scene.from_dict({"sources": [{"keyframes": [[0, 1]]}]})
    for bad, message in (({"sources": [{"keyframes": [[0, 30, 0, 1e308]]}]}, "<= 1000 m"),
                         ({"sources": [{"keyframes": [[0, 1e308, 0, 1]]}]}, "azimuth beyond"),
                         ({"sources": [{"keyframes": [[0, 0, 0, 1]]}], "listener": {"keyframes": [[1, 0, 0, 0],
                                                                                             [0, 0, 0, 0]]}},
                          "listener: keyframe times must increase"),
                         ({"sources": [{"keyframes": [[True, 30, 0, 1]]}]}, "must be numbers"),  # (was time 1)
                         ({"sources": [{"channel": True, "keyframes": [[0, 30, 0, 1]]}]}, "channel an integer"),
                         ({"sources": [{"channel": 1.5, "keyframes": [[0, 30, 0, 1]]}]}, "channel an integer"),
                         ({"sources": [{"keyframes": [[0, 30, 0, 1]]}], "listener": {"keyframes": [[0, False, 0, 0]]}},
                          "listener keyframes must be")):
        with pytest.raises(ParameterError, match=message):
            Scene.from_dict(bad)
    with pytest.raises(StreamFormatError, match="plays input channel 1"):
        BinauralRenderer(Scene.static([0.0, 90.0])).open(_info(1))
    negative = Scene.from_dict({"sources": [{"channel": -1, "keyframes": [[0, 30, 0, 1]]}]})
    for renderer in (BinauralRenderer, AmbisonicRenderer):  # both renderers share the checks
        with pytest.raises(StreamFormatError, match="plays input channel -1"):
            renderer(negative).open(_info(1))
    r = BinauralRenderer(Scene.static([0.0]))
    r.open(_info())
    x = np.zeros((300, 1))
    x[5] = np.nan
    with pytest.raises(ParameterError, match="NaN"):
        r.process(Frame(_info(), x, t0=0.0))
    for renderer in (BinauralRenderer, AmbisonicRenderer):  # a misread file (1e308) would overflow into NaN
        r = renderer(Scene.static([0.0]))
        r.open(_info())
        with pytest.raises(ParameterError, match="120 dB above its full scale: not audio"):
            r.process(Frame(_info(), np.full((300, 1), 1e308), t0=0.0))
        r.reset()
        assert np.isfinite(r.process(Frame(_info(), np.full((300, 1), 1e3), t0=0.0)).data).all()  # loud, still audio


def test_room_response_rt60_per_band_and_direct_sound():
    from sensekit.spatial_audio.reverb import OCTAVE_BANDS, band_weights, binaural_room_ir, schroeder_rt60

    f = np.linspace(20, 20000, 3000)
    np.testing.assert_allclose(band_weights(f).sum(axis=0), 1.0)
    h = spherical_head(FS)
    rts = [0.9, 0.8, 0.7, 0.6, 0.55, 0.5, 0.4]
    br = binaural_room_ir((8, 6, 3), (5.0, 3.0, 1.5), (2.0, 3.0, 1.5), h, rt60=rts, rng=1)
    for band, target in zip(OCTAVE_BANDS[2:6], rts[2:6], strict=True):  # 500 Hz .. 4 kHz
        assert schroeder_rt60(br, FS, band=band) == pytest.approx(target, rel=0.05)
    assert schroeder_rt60(br, FS, band=250.0) == pytest.approx(rts[1], rel=0.10)
    # the direct sound comes from the front (source straight ahead): at both ears together,
    # 3 m away: 8.7 ms late
    onset = [int(np.argmax(np.abs(e) > 0.3 * np.abs(br).max())) for e in br]
    assert abs(onset[0] - 3.0 / 343 * FS) < 24 and onset[0] == onset[1]
    with pytest.raises(ParameterError, match="outside"):
        binaural_room_ir((8, 6, 3), (9.0, 3.0, 1.5), (2.0, 3.0, 1.5), h)


def test_cli_render_and_hrtf_info(tmp_path, shared_data):
    import soundfile as sf
    from typer.testing import CliRunner

    from sensekit.cli import app

    runner = CliRunner()
    x = np.random.default_rng(0).standard_normal((12000, 2)) * 0.1
    sf.write(str(tmp_path / "in.wav"), x.astype(np.float32), int(FS))
    out = tmp_path / "out.wav"
    r = runner.invoke(app, ["spatial", "render", str(tmp_path / "in.wav"), "-o", str(out), "--az", "90", "--az", "270"])
    assert r.exit_code == 0, r.output
    y, rate = sf.read(str(out))
    assert y.shape == (12000, 2) and rate == FS
    scene = tmp_path / "scene.json"
    scene.write_text('{"sources": [{"channel": 0, "keyframes": [[0, 0, 0, 1], [0.25, 180, 0, 1]]}], '
                     '"listener": {"keyframes": [[0, 0, 0, 0]]}}')
    r = runner.invoke(app, ["spatial", "render", str(tmp_path / "in.wav"), "-o", str(tmp_path / "o2.wav"),
                            "--scene", str(scene)])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["spatial", "render", str(tmp_path / "in.wav"), "-o", str(tmp_path / "o3.wav"),
                            "--az", "30", "--room", "6x5x3", "--rt60", "0.3"])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["spatial", "render", str(tmp_path / "in.wav"), "-o", str(tmp_path / "o4.wav"),
                            "--az", "30", "--room", "6x5"])
    assert r.exit_code == 2 and "LENGTHxWIDTHxHEIGHT" in r.stderr
    r = runner.invoke(app, ["spatial", "render", str(tmp_path / "in.wav"), "-o", str(tmp_path / "o5.wav"),
                            "--az", "1", "--az", "2", "--az", "3"])
    assert r.exit_code == 2 and "one per input channel (2)" in r.stderr
    r = runner.invoke(app, ["spatial", "hrtf", str(shared_data / SOFA["mit"]), "--plot", str(tmp_path / "h.png")])
    assert r.exit_code == 0 and "710" in r.output and (tmp_path / "h.png").exists()
    r = runner.invoke(app, ["spatial", "hrtf", str(tmp_path / "in.wav")])
    assert r.exit_code != 0 and "SOFA" in r.stderr


def test_ambisonics_basis_rotation_and_binaural_decoder(shared_data):
    from sensekit.spatial_audio.ambisonics import _fibonacci_grid, make_renderer, rotation_matrix, sh_matrix

    az, el = _fibonacci_grid(3000)
    Y = sh_matrix(3, az, el)
    np.testing.assert_allclose(Y.T @ Y / len(az), np.eye(16), atol=2e-3)  # N3D: orthonormal on the sphere
    # turning the head 90 deg left brings a source at the left to the front
    np.testing.assert_allclose(rotation_matrix(3, 90.0) @ sh_matrix(3, 90.0, 0.0), sh_matrix(3, 0.0, 0.0), atol=1e-9)
    h = HRTF.from_sofa(shared_data / SOFA["mit"]).resample(FS)
    info = _info()
    imp = np.zeros((4096, 1))
    imp[100] = 1.0

    def lf_itd(y):  # low-frequency (< 1.5 kHz) interaural cross-correlation lag (s)
        n = 8192
        s = np.fft.rfft(y, n, axis=1)
        f = np.fft.rfftfreq(n, 1 / FS)
        cc = np.fft.fftshift(np.fft.irfft(s[1] * s[0].conj() * (f < 1500), 8 * n))
        return (np.argmax(cc) - 4 * n) / (8 * FS)

    for a in (30.0, 90.0):
        r = AmbisonicRenderer(Scene.static([a]), h, order=3)
        r.open(info)
        y = feed(r, [Frame(info, imp, t0=0.0)]).data.T
        assert lf_itd(y) == pytest.approx(lf_itd(h.interpolate(a, 0.0)), abs=40e-6)
        e = (y ** 2).sum(axis=1)
        assert 10 * np.log10(e[0] / e[1]) > 5  # louder at the left ear
    x = np.random.default_rng(1).standard_normal((3000, 3))
    scene = Scene.from_dict({"sources": [{"channel": i, "keyframes": [[0, 40 * i, 0, 1], [0.05, 40 * i + 30, 0, 1]]}
                                         for i in range(3)]})
    assert_block_invariant(lambda: AmbisonicRenderer(scene, h, order=2), _info(3), x, max_examples=5, atol=1e-9)
    # the head turned 90 deg left towards a source at the left hears it as a source in front
    turned = Scene.from_dict({"sources": [{"keyframes": [[0, 90, 0, 1]]}], "listener": {"keyframes": [[0, 90, 0, 0]]}})
    ys = []
    for sc in (turned, Scene.static([0.0])):
        r = AmbisonicRenderer(sc, h, order=3)
        r.open(info)
        ys.append(feed(r, [Frame(info, imp, t0=0.0)]).data)
    np.testing.assert_allclose(ys[0], ys[1], atol=1e-9)
    many = Scene.static(np.linspace(0, 350, 100))
    assert isinstance(make_renderer(many, h), AmbisonicRenderer)
    assert isinstance(make_renderer(Scene.static([0.0]), h), BinauralRenderer)


def test_live_head_tracking_and_missing_speaker(tmp_path):
    import soundfile as sf
    from typer.testing import CliRunner

    from sensekit.cli import app
    from sensekit.spatial_audio.scene import HeadTracker, quaternion_to_ypr

    yaw, pitch, roll = quaternion_to_ypr((np.cos(np.radians(45)), 0, 0, np.sin(np.radians(45))))
    assert yaw == pytest.approx(90.0) and abs(pitch) < 1e-9 and abs(roll) < 1e-9

    class Poses:  # a head-orientation stream: yaw 90 deg
        info = StreamInfo("head", "orientation", 100.0, (3,), dtype="float64")

        def __iter__(self):
            yield Frame(self.info, np.array([[90.0, 0.0, 0.0]]), t0=0.0)

        def close(self):
            pass

    tracker = HeadTracker(Poses())
    tracker._thread.join(1.0)
    scene = Scene.static([90.0])
    scene.head = tracker
    az, _, _ = scene.relative(0.0)
    assert min(az[0], 360 - az[0]) < 1e-6  # the head faces the source
    x = np.zeros((4800, 1), np.float32)
    sf.write(str(tmp_path / "in.wav"), x, int(FS))
    r = CliRunner().invoke(app, ["spatial", "render", str(tmp_path / "in.wav"), "--az", "30", "--head", "lsl:type=X"])
    assert r.exit_code == 2 and "--live" in r.stderr
    r = CliRunner().invoke(app, ["spatial", "render", str(tmp_path / "in.wav"), "--az", "30"])
    assert r.exit_code == 2 and "--live" in r.stderr


def test_propagation_delay_and_other_sofa_conventions(tmp_path):
    x = np.zeros((4000, 1))
    x[0] = 1.0
    outs = {}
    for delay in (False, True):
        r = BinauralRenderer(Scene.static([0.0], [0.0], [4.43]), block=256, propagation_delay=delay)
        r.open(_info())
        outs[delay] = feed(r, [Frame(_info(), x, t0=0.0)]).data[:, 0]
    lag = np.argmax(np.abs(outs[True])) - np.argmax(np.abs(outs[False]))
    assert abs(lag - 3.43 / 343.0 * FS) <= 1  # 10 ms later for 3.43 m beyond min_distance
    import sofar

    s = sofar.Sofa("GeneralFIR")
    s.Data_IR = np.zeros((1, 2, 8))
    s.Data_Delay = np.zeros((1, 2))
    path = tmp_path / "fir.sofa"
    sofar.write_sofa(str(path), s)
    with pytest.raises(RecordingError, match="GeneralFIR SOFA file.*SimpleFreeFieldHRIR"):
        HRTF.from_sofa(path)


def test_a_set_in_the_simplefreefieldhrtf_convention_renders_as_its_hrir_version(shared_data, tmp_path):
    """Some sets come as complex spectra (SimpleFreeFieldHRTF: HUTUBS and 3D3A give both versions):
    refused as 'not SimpleFreeFieldHRIR', they are read as the same responses (the inverse real FFT
    of the spectra, the rate twice the top frequency); frequencies that do not run from 0 Hz in
    equal steps are one line."""
    import sofar

    source = shared_data / SOFA["mit"]
    hrir = sofar.read_sofa(str(source), verify=False, verbose=False)
    spectra = np.fft.rfft(np.asarray(hrir.Data_IR, dtype=np.float64), axis=2)
    s = sofar.Sofa("SimpleFreeFieldHRTF")
    s.Data_Real, s.Data_Imag = spectra.real, spectra.imag
    s.N = np.fft.rfftfreq(hrir.Data_IR.shape[2], 1 / float(np.asarray(hrir.Data_SamplingRate).ravel()[0]))
    s.SourcePosition, s.SourcePosition_Units = hrir.SourcePosition, hrir.SourcePosition_Units
    s.ListenerView, s.ListenerUp = hrir.ListenerView, hrir.ListenerUp
    path = tmp_path / "hrtf.sofa"
    sofar.write_sofa(str(path), s)
    want, got = HRTF.from_sofa(source), HRTF.from_sofa(path)
    assert got.rate == want.rate and got.n_directions == want.n_directions
    np.testing.assert_allclose(got.ir, want.ir, atol=1e-12 * np.abs(want.ir).max())
    np.testing.assert_array_equal(got.azimuth, want.azimuth)
    s.N = s.N + 10.0  # not from 0 Hz
    sofar.write_sofa(str(path), s)
    with pytest.raises(RecordingError, match="do not run from 0 Hz to half the rate in equal steps"):
        HRTF.from_sofa(path)


@pytest.mark.parametrize("extra", [[], ["--room", "5x4x3", "--rt60", "0.3"], ["--mode", "ambisonics"]])
def test_cli_render_equals_the_render_pipeline(tmp_path, extra):
    """Issue 15: 'spatial render' writes what RenderPipeline.render gives on the file."""
    import soundfile as sf
    from typer.testing import CliRunner

    from sensekit.cli import app
    from sensekit.core.recording import open_recording
    from sensekit.spatial_audio.pipeline import RenderPipeline

    src = tmp_path / "two.wav"
    sf.write(src, np.random.default_rng(3).normal(0, 0.3, (12000, 2)).astype("float32"), 16000)
    out = tmp_path / "bin.wav"
    r = CliRunner().invoke(app, ["spatial", "render", str(src), "--az", "30", "--az", "250", "--el", "10",
                                 "-o", str(out), *extra])
    assert r.exit_code == 0, r.output
    cli, rate = sf.read(out, dtype="float32")
    settings = dict(azimuths=[30.0, 250.0], elevations=[10.0])
    if "--room" in extra:
        settings.update(room=(5.0, 4.0, 3.0), rt60=[0.3])
    if "--mode" in extra:
        settings.update(mode="ambisonics")
    with open_recording(src) as rec:
        ref, _ = RenderPipeline(**settings).render(rec.read())
    assert rate == 16000 and cli.shape == ref.data.shape
    np.testing.assert_array_equal(cli, ref.data.astype(np.float32))
    assert np.isfinite(cli).all() and np.abs(cli).max() <= 0.99


def test_ear_onsets_resist_a_far_ear_pre_ringing():
    """Issue 20: the -20 dB onset detector fired on the far ear's pre-ringing, so ITD and ILD
    contradicted each other. With ringing before the far ear's onset, the robust onsets keep the
    louder ear leading, and well-behaved responses keep their threshold onsets."""
    from sensekit.spatial_audio.hrtf import HRTF, ear_onsets, onset_times, spherical_head  # noqa: F401

    head = spherical_head(48000.0)
    lateral = np.flatnonzero((np.abs(head.elevation) < 1) & (head.azimuth > 40) & (head.azimuth < 140))
    ir = head.ir[lateral].copy()  # left ear near, right ear far
    np.testing.assert_array_equal(ear_onsets(ir, 48000.0), onset_times(ir, 48000.0))  # nothing to repair
    far = ir[:, 1]
    peak = np.abs(far).max(axis=1)
    ring = np.sin(np.arange(7) * 2.6) * np.hanning(7)  # ringing before even the near ear's onset
    far[:, 0:7] += 0.3 * peak[:, None] * ring
    onsets = ear_onsets(ir, 48000.0)
    old = onset_times(ir, 48000.0)
    assert ((old[:, 1] - old[:, 0]) < 0).all()  # the threshold detector: the far ear "leads"
    itd = onsets[:, 1] - onsets[:, 0]
    assert (itd > 0).all()  # the near (louder) ear leads again
    # HRTF.itd() (the right ear's onset minus the left's) and the interpolator use the robust onsets
    hrtf = HRTF(ir, 48000.0, head.azimuth[lateral], head.elevation[lateral])
    np.testing.assert_allclose(hrtf.itd(), itd)


def _disagree(itd, ild) -> int:
    """Directions whose ITD (> 20 us) and ILD (> 1 dB) point to different sides."""
    return int(((np.sign(itd) != np.sign(ild)) & (np.abs(ild) > 1) & (np.abs(itd) > 20e-6)).sum())


def test_itd_and_ild_agree_at_every_measured_direction_of_the_shared_sofa_files(shared_data):
    """CIPIC subject 3 had 5 directions whose onset ITD pointed to the other side than their
    ILD (the far ear's ringing crossed the threshold first); none remain in any shared file."""
    from sensekit.spatial_audio.hrtf import HRTF, onset_times

    files = sorted(shared_data.glob("hrtf-*/*.sofa"))
    assert files
    for path in files:
        h = HRTF.from_sofa(path)
        ild = 10 * np.log10((h.ir[:, 0] ** 2).sum(-1) / (h.ir[:, 1] ** 2).sum(-1))
        itd = h.itd()  # right onset minus left: > 0 when the left (louder) ear leads

        assert _disagree(itd, ild) == 0, path.name
        if "cipic" in path.parent.name:
            old = onset_times(h.ir, h.rate)
            assert _disagree(old[:, 1] - old[:, 0], ild) > 0  # the plain threshold detector had some


def _kemar_variant(shared_data, tmp_path, name, edit):
    import warnings

    sofar = pytest.importorskip("sofar")
    src = next((shared_data / "hrtf-mit-kemar").glob("*.sofa"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        s = sofar.read_sofa(str(src), verify=False, verbose=False)
        edit(s)
        out = tmp_path / f"{name}.sofa"
        sofar.write_sofa(str(out), s, compression=0)
    return out


def test_sofa_units_listener_view_rate_and_delay_are_honoured(shared_data, tmp_path, caplog):
    """Issue 20: radians read as degrees, a changed ListenerView ignored, no way to override a
    doubtful rate, and a common Data.Delay kept as latency and long filters."""
    from sensekit.spatial_audio.hrtf import HRTF

    src = next((shared_data / "hrtf-mit-kemar").glob("*.sofa"))
    ref = HRTF.from_sofa(src)

    import shutil

    import h5py

    rad = tmp_path / "rad.sofa"  # sofar will not write radians (the convention says degrees); files do have them
    shutil.copy(src, rad)
    with h5py.File(rad, "r+") as f:
        pos = f["SourcePosition"][...]
        pos[:, :2] = np.radians(pos[:, :2])
        f["SourcePosition"][...] = pos
        f["SourcePosition"].attrs["Units"] = np.bytes_("radian, radian, metre")
    h = HRTF.from_sofa(rad)
    np.testing.assert_allclose(h.elevation, ref.elevation, atol=1e-9)
    np.testing.assert_allclose((h.azimuth - ref.azimuth + 180) % 360 - 180, 0, atol=1e-9)

    def look_left(s):  # the listener faces +y: a source at azimuth 90 is straight ahead of them
        s.ListenerView = np.array([[0.0, 1.0, 0.0]])

    h = HRTF.from_sofa(_kemar_variant(shared_data, tmp_path, "view", look_left))
    i = int(np.argmin(np.abs((ref.azimuth - 90 + 180) % 360 - 180) + np.abs(ref.elevation)))
    assert abs((h.azimuth[i] + 180) % 360 - 180) < 1e-6 and abs(h.elevation[i]) < 1e-6

    def odd_rate(s):
        s.Data_SamplingRate = np.array([44000.0])

    odd = _kemar_variant(shared_data, tmp_path, "rate", odd_rate)
    assert HRTF.from_sofa(odd).rate == 44000.0 and "not a usual audio rate" in caplog.text
    assert HRTF.from_sofa(odd, rate=44100.0).rate == 44100.0

    def delayed(s):  # onsets moved into Data.Delay's territory: 5 ms of common delay
        s.Data_Delay = np.array([[240.0, 240.0]])

    h = HRTF.from_sofa(_kemar_variant(shared_data, tmp_path, "delay", delayed))
    assert h.removed_delay_s == pytest.approx(240 / 44100 + ref.removed_delay_s, abs=2 / 44100)
    assert h.n_taps <= ref.n_taps + 2  # no 5 ms of leading zeros in every filter
    np.testing.assert_allclose(h.itd(), ref.itd(), atol=3e-6)


def test_spatial_hrtf_reports_spacing_smoothness_and_disagreements(shared_data):
    from typer.testing import CliRunner

    from sensekit.cli import app

    src = next((shared_data / "hrtf-mit-kemar").glob("*.sofa"))
    r = CliRunner().invoke(app, ["spatial", "hrtf", str(src), "--hrtf-rate", "44100"])
    assert r.exit_code == 0, r.output
    assert "spacing to the nearest direction" in r.stdout and "ITD jump" in r.stdout
    assert "directions whose ITD and ILD disagree" in r.stdout
    assert re.search(r"renders any direction\s+│ yes", r.stdout)
    r = CliRunner().invoke(app, ["spatial", "hrtf", str(src), "--hrtf-rate", "nan"])
    assert r.exit_code == 2 and "--hrtf-rate nan is not a finite number" in r.stderr


def test_a_set_resampled_to_a_higher_rate_is_flagged(shared_data, tmp_path, caplog):
    """Issue 20: the stated rate checked against the spectrum: KEMAR (44.1 kHz) stored as 96 kHz,
    or as 48 kHz after an FFT resampler, is flagged with the likely rate; the shared files as
    they are (FHK's KU100 is a true 48 kHz set) are not."""
    import logging

    from scipy.signal import resample_poly

    from sensekit.spatial_audio.hrtf import HRTF

    caplog.set_level(logging.WARNING, logger="sensekit")
    for src in sorted(shared_data.glob("hrtf-*/*.sofa")):
        HRTF.from_sofa(src)
    assert "Nyquist" not in caplog.text

    def upsampled(s):
        s.Data_IR = resample_poly(np.asarray(s.Data_IR), 320, 147, axis=-1)
        s.Data_SamplingRate = np.array([96000.0])

    HRTF.from_sofa(_kemar_variant(shared_data, tmp_path, "up96", upsampled))
    assert "almost nothing above 22.1 kHz" in caplog.text and "--hrtf-rate 44100" in caplog.text
    caplog.clear()

    def fft_resampled(s):  # 44.1 kHz responses put into a 48 kHz file by an FFT (brick-wall) resampler
        from scipy.signal import resample

        ir = np.asarray(s.Data_IR)
        s.Data_IR = resample(ir, int(round(ir.shape[-1] * 48000 / 44100)), axis=-1)
        s.Data_SamplingRate = np.array([48000.0])

    HRTF.from_sofa(_kemar_variant(shared_data, tmp_path, "fft48", fft_resampled))
    assert "though the file says 48000 Hz" in caplog.text and "--hrtf-rate 44100" in caplog.text


def _neighbour_midpoint_deviation(h, n_pairs: int = 400):
    """For directions and their nearest measured neighbour: the ITD at the midpoint (measured on
    the interpolated response) minus the mean of the two measured ITDs (s), and the midpoint's
    ITD and ILD."""
    from sensekit.spatial_audio.arrays import unit_vector
    from sensekit.spatial_audio.hrtf import ear_onsets

    u = unit_vector(h.azimuth, h.elevation)
    rng = np.random.default_rng(0)
    idx = rng.choice(len(u), min(n_pairs, len(u)), replace=False)
    d = u[idx] @ u.T
    d[np.arange(len(idx)), idx] = -2
    nb = np.argmax(d, axis=1)
    mid = u[idx] + u[nb]
    mid /= np.linalg.norm(mid, axis=1, keepdims=True)
    r = h.interpolate(np.degrees(np.arctan2(mid[:, 1], mid[:, 0])), np.degrees(np.arcsin(mid[:, 2])))
    on = ear_onsets(r, h.rate)
    itd = h.itd()
    got = on[:, 1] - on[:, 0]
    ild = 10 * np.log10((r[:, 0] ** 2).sum(-1) / (r[:, 1] ** 2).sum(-1))
    return got - (itd[idx] + itd[nb]) / 2, got, ild


def _ringing_set(rate: float = 48000.0):
    """Synthetic HRIRs on a 5-degree grid: Woodworth ITD, the far ear quieter and duller, and
    ringing before the far ear's onset (as some measured sets have)."""
    from scipy.signal import butter, sosfilt

    from sensekit.spatial_audio.hrtf import HRTF, woodworth_itd

    az, el = np.meshgrid(np.arange(0, 360, 5.0), np.arange(-40, 61, 10.0))
    az, el = az.ravel(), el.ravel()
    itd = woodworth_itd(az, el)
    n = 256
    t = np.arange(n)
    pulse = lambda d: np.sinc(t - d) * np.hanning(2 * n)[n:] ** 0.1  # noqa: E731 - a delayed band-limited click
    sos = butter(2, 3000, fs=rate, output="sos")
    ir = np.zeros((len(az), 2, n))
    for k, (tau, a) in enumerate(zip(itd, az, strict=True)):
        near, far = (0, 1) if tau >= 0 else (1, 0)
        lateral = abs(np.sin(np.radians(a)) * np.cos(np.radians(el[k])))
        ir[k, near] = pulse(40.0)
        ir[k, far] = sosfilt(sos, pulse(40.0 + abs(tau) * rate)) * (1 - 0.8 * lateral)
        ir[k, far, 30:37] += 0.3 * np.abs(ir[k, far]).max() * np.sin(np.arange(7) * 2.6) * np.hanning(7)
    return HRTF(ir, rate, az, el, "ringing")


def test_interpolated_itd_is_smooth_between_measured_directions(shared_data):
    """Issue 20: between neighbouring measured directions the rendered ITD stays within 20 us of
    the neighbours' mean and never points against the ILD — on every shared SOFA file and on
    synthetic responses with far-ear pre-ringing (CIPIC gave 200 us before: its onsets near the
    median plane caught different peaks in the two ears)."""
    from sensekit.spatial_audio.hrtf import HRTF

    sets = [HRTF.from_sofa(p) for p in sorted(shared_data.glob("hrtf-*/*.sofa"))] + [_ringing_set()]
    assert len(sets) >= 4
    for h in sets:
        dev, itd, ild = _neighbour_midpoint_deviation(h)
        assert np.abs(dev).max() < 20e-6, (h.name, np.abs(dev).max())
        assert _disagree(itd, ild) == 0, h.name


def test_a_source_where_the_set_measures_nothing_near_is_said(shared_data, caplog):
    """A static source farther from every measured direction than the set's widest neighbour
    spacing (below MIT KEMAR's lowest ring at -40 deg, a hole in a grid) gives one warning naming
    the source and the gap; a covered one none."""
    from sensekit.spatial_audio.hrtf import uncovered_directions
    from sensekit.spatial_audio.pipeline import RenderPipeline

    az = np.repeat(np.arange(0.0, 360.0, 10.0), 5)
    el = np.tile(np.arange(-20.0, 30.0, 10.0), 36)
    h = HRTF(np.zeros((len(az), 2, 8)), FS, az, el, name="ring")
    h.ir[:, :, 0] = 1.0
    holes = uncovered_directions(h, [0.0, 5.0, 0.0, 90.0], [0.0, 5.0, -40.0, 80.0])
    assert [i for i, _, _ in holes] == [2, 3] and holes[0][2] == pytest.approx(10.0)
    assert holes[0][1] == pytest.approx(20.0, abs=0.01)
    said = {}
    for low in (-60.0, 30.0):
        caplog.clear()
        with caplog.at_level("WARNING", logger="sensekit"):
            RenderPipeline(azimuths=[30.0, 0.0], elevations=[0.0, low], hrtf=shared_data / SOFA["mit"]).stage(_info(2))
        said[low] = [r.getMessage() for r in caplog.records if "measures no direction within" in r.getMessage()]
    assert said[30.0] == [] and len(said[-60.0]) == 1
    assert "within 20 deg of source 2 (az 0, el -60 deg" in said[-60.0][0] and "elevations -40 to 90" in said[-60.0][0]


def test_render_reports_its_progress_and_gives_the_same_result():
    """A long render shows how far it is ('spatial render' draws a bar from it): the callback
    gets the samples done after each block, ending at the whole, and changes nothing."""
    from sensekit.spatial_audio.pipeline import RenderPipeline

    audio = Frame(_info(1), np.random.default_rng(0).normal(0, 0.1, (48000, 1)), t0=0.0)
    seen = []
    pipe = RenderPipeline(azimuths=[40.0])
    with_bar, scale = pipe.render(audio, block_s=0.25, progress=lambda done, total: seen.append((done, total)))
    plain, plain_scale = RenderPipeline(azimuths=[40.0]).render(audio, block_s=0.25)
    assert [d for d, _ in seen] == [12000, 24000, 36000, 48000] and {t for _, t in seen} == {48000}
    np.testing.assert_array_equal(with_bar.data, plain.data)
    assert scale == plain_scale
