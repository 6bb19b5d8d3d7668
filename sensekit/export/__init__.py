"""Export calibrated chains for firmware: portable C99 with golden vectors, ONNX decoders,
or the calibration JSON."""

from .c_emg import export_emg_c
from .c_gesture import export_gesture_c
from .c_saccades import export_saccades_c
from .golden import read_golden, write_golden

__all__ = ["export_emg_c", "export_gesture_c", "export_saccades_c", "write_golden", "read_golden"]
