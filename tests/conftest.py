"""Shared fixtures: small signals with known content, data paths."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from sensekit.core import StreamInfo


@pytest.fixture
def emg_info() -> StreamInfo:
    return StreamInfo(name="emg", kind="emg", rate=2000.0, shape=(4,), dtype="float32", unit="uV")


@pytest.fixture
def emg_data() -> np.ndarray:
    return np.random.default_rng(1).standard_normal((1500, 4)).astype(np.float32)


@pytest.fixture
def shared_data() -> Path:
    root = os.environ.get("SENSEKIT_DATA")
    if not root or not Path(root).is_dir():
        pytest.skip("SENSEKIT_DATA is not set to the shared datasets folder")
    return Path(root)


@pytest.fixture
def hand_model(shared_data) -> Path:
    """The MediaPipe hand-landmarker model in ../shared/models (skips without mediapipe or it)."""
    pytest.importorskip("mediapipe")
    model = shared_data.parent / "models" / "hand_landmarker" / "hand_landmarker.task"
    if not model.exists():
        pytest.skip("no hand_landmarker model in ../shared/models")
    return model
