"""Microphone array -> Ambisonics (issue 20): the encoded field points where the plane wave came
from, the stage is block-invariant, the CLI writes AmbiX and renders it with head rotation."""

from __future__ import annotations

import json

import numpy as np
import pytest
import soundfile as sf
from typer.testing import CliRunner

from sensekit.cli import app
from sensekit.core import Frame, StreamInfo, feed
from sensekit.errors import ParameterError
from sensekit.spatial_audio.arrays import ArrayGeometry, load_array, unit_vector
from sensekit.spatial_audio.bench import _field_direction_errors
from sensekit.spatial_audio.encode import (
    AmbisonicEncoder,
    encoding_filters,
    from_sn3d,
    max_order,
    plane_wave_recording,
    to_sn3d,
)
from sensekit.testing import assert_block_invariant

RATE = 48000.0
runner = CliRunner()


@pytest.mark.parametrize("name, order, bands_ok", [("tetra", 1, 3), ("sphere32", 3, 5), ("respeaker6", 2, 4),
                                                   ("uma8", 2, 4)])
def test_encoded_field_points_to_the_plane_wave(name, order, bands_ok):
    """Below each geometry's aliasing frequency the field's intensity vector points within 3
    degrees of the true direction (octaves 250 Hz .. 8 kHz)."""
    geom = load_array(name)
    assert max_order(geom) >= order
    rng = np.random.default_rng(1)
    sig = rng.standard_normal(int(RATE // 4))
    info = StreamInfo("a", "audio", RATE, (geom.n_mics,))
    enc = AmbisonicEncoder(geom, order)
    enc.open(info)
    for az, el in ((40.0, 0.0 if geom.is_planar else 25.0), (230.0, 0.0 if geom.is_planar else -30.0)):
        enc.reset()
        b = feed(enc, [Frame(info, plane_wave_recording(geom, sig, RATE, az, el), t0=0.0)]).data
        errs = _field_direction_errors(b, RATE, unit_vector(az, el), geom.is_planar)
        assert max(errs[:bands_ok]) < 3.0, errs


def test_encoder_is_block_invariant():
    geom = load_array("respeaker6")
    x = plane_wave_recording(geom, np.random.default_rng(0).standard_normal(3000), RATE, 100.0)
    assert_block_invariant(AmbisonicEncoder(geom, 2, block=64), StreamInfo("a", "audio", RATE, (6,)), x, max_examples=15)


def test_orders_and_geometries_are_checked():
    with pytest.raises(ParameterError, match="up to order 1"):
        encoding_filters(load_array("tetra"), 2, RATE)
    with pytest.raises(ParameterError, match="one sphere"):
        ArrayGeometry(((0.04, 0, 0), (0, 0.02, 0), (0, 0, 0.04)), baffle="rigid")
    with pytest.raises(ParameterError, match="baffle"):
        ArrayGeometry(((0.04, 0, 0), (0, 0.04, 0)), baffle="wooden")
    b = np.random.default_rng(0).standard_normal((10, 16))
    np.testing.assert_allclose(from_sn3d(to_sn3d(b)), b)
    assert to_sn3d(np.ones((1, 4)))[0, 1] == pytest.approx(1 / np.sqrt(3))


def test_encode_then_render_with_head_rotation(tmp_path):
    """spatial encode writes AmbiX (SN3D) equal to the stage's output, aligned with the input;
    spatial render turns the head with the scene's listener: a source on the left is louder in
    the left ear, and in front (both ears alike) once the head turns 90 degrees left."""
    geom = load_array("tetra")
    sig = np.random.default_rng(2).standard_normal(int(RATE)) * 0.05
    x = plane_wave_recording(geom, sig, RATE, 90.0, 0.0)
    sf.write(tmp_path / "a.wav", x.astype(np.float32), int(RATE), subtype="FLOAT")
    r = runner.invoke(app, ["spatial", "encode", str(tmp_path / "a.wav"), "--array", "tetra", "-o",
                            str(tmp_path / "s.ambix.wav")])
    assert r.exit_code == 0, r.output
    assert "order 1: usable" in r.stdout and "aliasing" in r.stdout
    field, rate = sf.read(tmp_path / "s.ambix.wav")
    assert field.shape == (len(x), 4) and rate == RATE
    enc = AmbisonicEncoder(geom, 1)
    info = StreamInfo("a", "audio", RATE, (4,))
    enc.open(info)
    lag = 256
    ref = feed(enc, [Frame(info, np.r_[x.astype(np.float32).astype(float), np.zeros((lag, 4))], t0=0.0)]).data
    np.testing.assert_allclose(field, to_sn3d(ref[lag:lag + len(x)]).astype(np.float32), atol=1e-6)

    def ild(path):
        y, _ = sf.read(path)
        return 10 * np.log10(np.mean(y[:, 0] ** 2) / np.mean(y[:, 1] ** 2))

    r = runner.invoke(app, ["spatial", "render", str(tmp_path / "s.ambix.wav"), "-o", str(tmp_path / "front.wav")])
    assert r.exit_code == 0, r.output
    assert "order-1 Ambisonic field" in r.stdout
    scene = tmp_path / "turn.json"
    scene.write_text(json.dumps({"listener": {"keyframes": [[0, 90, 0, 0]]}}))
    r = runner.invoke(app, ["spatial", "render", str(tmp_path / "s.ambix.wav"), "--scene", str(scene), "-o",
                            str(tmp_path / "turned.wav")])
    assert r.exit_code == 0, r.output
    assert ild(tmp_path / "front.wav") > 3.0 and abs(ild(tmp_path / "turned.wav")) < 1.0
    # a field has no sources to place and no room to add: those options are refused, never ignored
    # (the room was even named in the result line)
    r = runner.invoke(app, ["spatial", "render", str(tmp_path / "s.ambix.wav"), "--room", "5x4x3", "--az", "30",
                            "-o", str(tmp_path / "roomed.wav")])
    assert r.exit_code == 2 and "--az, --room do not apply to a recorded Ambisonic field" in r.stderr
    r = runner.invoke(app, ["spatial", "render", str(tmp_path / "a.wav"), "--rt60", "0.4", "--mode", "direct",
                            "-o", str(tmp_path / "dry.wav")])
    assert r.exit_code == 2 and "--rt60 does not apply without --room" in r.stderr
    r = runner.invoke(app, ["spatial", "encode", str(tmp_path / "a.wav"), "--array", "respeaker6", "-o",
                            str(tmp_path / "x.wav")])
    assert r.exit_code != 0 and "6 microphones" in r.output and "Traceback" not in r.output
