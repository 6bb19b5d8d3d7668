"""The fusion layer's registrations: its bench task and simulator."""

from ..core.registry import register_bench_tasks, register_synth

register_bench_tasks("sensekit.fusion.bench")
register_synth("selection", "sensekit.fusion.source:SelectionSource",
               "simulated look-and-pinch session: gaze (deg) and hand landmarks, with cued targets")
