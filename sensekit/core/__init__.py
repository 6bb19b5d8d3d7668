"""The streaming-frame core: ``StreamInfo``, ``Frame``, ``Stage``, ``Chain`` and ``run``."""

from .calibration import Calibration, load_calibration, save_calibration
from .frame import Frame, concat_frames
from .info import IRREGULAR_RATE, StreamInfo
from .run import RunReport, SequenceMonitor, blocks_of, feed, run
from .stage import Chain, LearningStage, Stage

__all__ = [
    "StreamInfo",
    "IRREGULAR_RATE",
    "Frame",
    "concat_frames",
    "Stage",
    "LearningStage",
    "Chain",
    "run",
    "feed",
    "blocks_of",
    "RunReport",
    "SequenceMonitor",
    "Calibration",
    "save_calibration",
    "load_calibration",
]
