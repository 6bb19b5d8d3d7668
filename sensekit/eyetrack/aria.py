"""Project Aria glasses' eye gaze, as Meta's Machine Perception Services (MPS) write it.

``general_eye_gaze.csv`` and ``personalized_eye_gaze.csv`` (the ``eye_gaze`` folder of an MPS
output, and of the Aria open datasets: Aria Everyday Activities, Nymeria, EgoLife...) hold one
row per eye-tracking camera frame:

- ``tracking_timestamp_us``: the frame's time, µs in the device's clock;
- the gaze as angles in radians in the Central Pupil Frame (CPF: x to the wearer's left, y up, z
  forward), the direction ``(tan yaw, tan pitch, 1)`` (``projectaria_tools``'
  ``get_eyegaze_point_at_depth``): ``yaw_rads_cpf`` (the combined gaze: Gen 2 and Gen 1's first
  format) or ``left_yaw_rads_cpf`` and ``right_yaw_rads_cpf`` (each eye's; their mean is the
  combined gaze's), and ``pitch_rads_cpf``;
- the gaze depth, uncertainty bounds and the eyes' positions, which event detection does not need.

:func:`load_aria_gaze` reads the direction as azimuth and elevation in degrees (x to the right,
y up, as :mod:`.directions`); a row whose angles are empty or not finite is a loss. An MPS
output folder (or its ``eye_gaze`` folder) is read from its personalised gaze where there is one,
else its general gaze (:func:`aria_gaze_file`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

__all__ = ["load_aria_gaze", "is_aria_gaze", "aria_gaze_file", "ARIA_GAZE_FILES"]

#: The eye gaze files of an MPS output's ``eye_gaze`` folder, the one read first listed first: the
#: personalised gaze exists only where an eye gaze calibration was applied, and is the better.
ARIA_GAZE_FILES = ("personalized_eye_gaze.csv", "general_eye_gaze.csv")


def aria_gaze_file(folder) -> Path | None:
    """The eye gaze file of an MPS output folder (its ``eye_gaze`` folder, or that folder itself):
    the personalised gaze where there is one, else the general; None where there is neither."""
    folder = Path(folder)
    for where in (folder, folder / "eye_gaze"):
        for name in ARIA_GAZE_FILES:
            if (where / name).is_file():
                return where / name
    return None


def is_aria_gaze(header: str) -> bool:
    """Whether a table's header line is that of an Aria MPS eye gaze file."""
    return "tracking_timestamp_us" in header and "pitch_rads_cpf" in header


def load_aria_gaze(path):
    """An Aria MPS ``general_eye_gaze.csv`` / ``personalized_eye_gaze.csv`` as a
    :class:`~sensekit.eyetrack.datasets.GazeRecording` in degrees (module docstring).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "general_eye_gaze.csv"
    >>> rows = [f"{1000 + 1000 * i},{-0.1 * (i > 4)},{-0.1 * (i > 4)},0.0,1.0" for i in range(10)]
    >>> _ = path.write_text("tracking_timestamp_us,left_yaw_rads_cpf,right_yaw_rads_cpf,pitch_rads_cpf,depth_m\\n"
    ...                     + "\\n".join(rows))
    >>> rec = load_aria_gaze(path)
    >>> rec.rate, rec.x.round(3).tolist()[3:6]
    (1000.0, [0.0, 0.0, 5.73])
    """
    from .datasets import GazeRecording, _column, _need, _nominal_rate, _read_table
    from .directions import X_LEFT_TO_RIGHT, direction_degrees

    path = _need(path)
    rows = _read_table(path)
    t = _column(rows, path, "tracking_timestamp_us") * 1e-6
    if "left_yaw_rads_cpf" in rows[0] and "right_yaw_rads_cpf" in rows[0]:
        yaw = (_column(rows, path, "left_yaw_rads_cpf") + _column(rows, path, "right_yaw_rads_cpf")) / 2
    else:
        yaw = _column(rows, path, "yaw_rads_cpf")
    pitch = _column(rows, path, "pitch_rads_cpf")
    with np.errstate(invalid="ignore", over="ignore"):
        v = np.stack([np.tan(yaw), np.tan(pitch), np.ones_like(yaw)], axis=1) * X_LEFT_TO_RIGHT
    v[~np.isfinite(v).all(axis=1)] = np.nan  # (an empty cell, or an angle of +-90 deg: no direction)
    x, y = direction_degrees(v)
    t = t - t[0]
    return GazeRecording(t, x, y, _nominal_rate(t, path.name), None, {}, path.stem, unwrapped=True)
