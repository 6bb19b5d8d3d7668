"""The benchmark scripts run end to end at small size (their figures are not asserted:
speed is measured by `sensekit bench` and reported, never timed in a unit test)."""

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[1] / "benchmarks"))


def test_bench_core_quick_writes_every_figure(tmp_path):
    import bench_core

    out = tmp_path / "core.json"
    assert bench_core.main(["--quick", "--json", str(out)]) == 0
    res = json.loads(out.read_text())
    for block in ("block_32", "block_256"):
        for stage in ("multiply", "bandpass"):
            assert res["overhead"][block][stage]["stage_us_per_block"] > 0
    replay = res["replay"]
    assert replay["windows"] == 1197  # 60 s at 20 windows/s, the first after 0.2 s
    assert replay["sensekit_x_realtime"] > 0 and replay["reference_x_realtime"] > 0
