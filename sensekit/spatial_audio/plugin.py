"""The spatial-audio chain's registrations: its simulator, bench tasks and calibration kind."""

from ..core.registry import register_bench_tasks, register_calibration, register_synth

register_synth("array", "sensekit.spatial_audio.synth:ArraySceneSource",
               "simulated microphone array in a reverberant room (sources, rt60, snr_db, array options)")
register_bench_tasks("sensekit.spatial_audio.bench")
register_calibration("array", "sensekit.spatial_audio.schema:ArrayParams", made_by="sensekit calibrate array",
                     aliases=("ArrayCorrection",))
