"""The EMG chain's registrations: its simulator, bench tasks and calibration kind."""

from ..core.registry import register_bench_tasks, register_calibration, register_synth

register_synth("emg", "sensekit.emg.synth:EMGSynthSource", "simulated EMG armband cycling through gestures")
register_bench_tasks("sensekit.emg.bench")
register_calibration("emg", "sensekit.emg.schema:EMGParams", made_by="sensekit calibrate emg")
