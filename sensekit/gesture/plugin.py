"""The gesture chain's registrations: its bench tasks and calibration kind."""

from ..core.registry import register_bench_tasks, register_calibration

register_bench_tasks("sensekit.gesture.bench")
register_calibration("gesture", "sensekit.gesture.schema:GestureParams", made_by="sensekit calibrate gesture")
