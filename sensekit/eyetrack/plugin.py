"""The eye-tracking chain's registrations: its simulators, bench tasks and calibration kind."""

from ..core.registry import register_bench_tasks, register_calibration, register_synth

register_synth("eye", "sensekit.eyetrack.synth:EyeImageSource",
               "simulated IR eye camera (fixations, saccades, pursuits, blinks)")
register_synth("gaze", "sensekit.eyetrack.synth:GazeSource", "simulated gaze in degrees with true event labels")
register_bench_tasks("sensekit.eyetrack.bench")
register_calibration("eyetrack", "sensekit.eyetrack.schema:GazeMapperParams", made_by="sensekit calibrate eyetrack",
                     aliases=("GazeMapper",))
