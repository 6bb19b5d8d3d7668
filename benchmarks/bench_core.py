"""Core benchmarks: framework overhead per stage per block, and HDF5 replay throughput.

Every figure is a ratio against a reference measured in the same run:

1. overhead: a chain of stages against calling the same numpy/scipy functions directly
   on the same blocks (microseconds per stage per block);
2. replay: a long 8-channel 2 kHz HDF5 recording replayed through band-pass + 200 ms
   windows, against ``scipy.signal.sosfilt`` once on the whole array in memory
   (x real time, and peak memory of the replay for two recording lengths).

Run: ``python benchmarks/bench_core.py [--quick] [--hours 1] [--json FILE]``.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from scipy import signal

from sensekit.core import Chain, Frame, Stage, StreamInfo, run
from sensekit.core.recording import RecordingWriter
from sensekit.core.sources import ReplaySource
from sensekit.core.stages import BandPass, Window

RATE, CHANNELS = 2000.0, 8


class Multiply(Stage):
    """The cheapest useful stage: one numpy call per block."""

    def __init__(self, factor: float = 2.0) -> None:
        self.factor = factor

    def _open(self, info):
        return info

    def _process(self, frame):
        return Frame._trusted(self.output_info, np.multiply(frame.data, self.factor), frame.t0, None, frame.seq)


def best_of(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def bench_overhead(n_blocks: int, block: int, n_stages: int = 4, repeat: int = 5) -> dict:
    info = StreamInfo("emg", "emg", RATE, (CHANNELS,), dtype="float64")
    x = np.random.default_rng(0).standard_normal((block, CHANNELS))
    frames = [Frame(info, x, t0=i * block / RATE, seq=i) for i in range(n_blocks)]
    out = {}
    # (a) trivial stage: np.multiply
    chain = Chain(*[Multiply() for _ in range(n_stages)])
    chain.open(info)

    def staged():
        for f in frames:
            chain.process(f)

    def direct():
        for _ in frames:
            y = x
            for _ in range(n_stages):
                y = np.multiply(y, 2.0)

    t_stage, t_direct = best_of(staged, repeat), best_of(direct, repeat)
    out["multiply"] = {"stage_us_per_block": t_stage / n_blocks / n_stages * 1e6,
                       "direct_us_per_block": t_direct / n_blocks / n_stages * 1e6,
                       "overhead_us_per_stage_per_block": (t_stage - t_direct) / n_blocks / n_stages * 1e6}
    # (b) streaming band-pass: sosfilt with carried state
    bp = BandPass(20, 450)
    bp.open(info)
    sos = bp.sos_

    def staged_bp():
        bp.reset()
        for f in frames:
            bp.process(f)

    def direct_bp():
        zi = np.zeros((sos.shape[0], CHANNELS, 2))
        for _ in frames:
            _, zi = signal.sosfilt(sos, x.T, axis=-1, zi=zi)

    t_stage, t_direct = best_of(staged_bp, repeat), best_of(direct_bp, repeat)
    out["bandpass"] = {"stage_us_per_block": t_stage / n_blocks * 1e6, "direct_us_per_block": t_direct / n_blocks * 1e6,
                       "overhead_us_per_stage_per_block": (t_stage - t_direct) / n_blocks * 1e6}
    return out


def write_recording(path: Path, seconds: float) -> None:
    info = StreamInfo("emg", "emg", RATE, (CHANNELS,), dtype="float32", unit="uV")
    rng = np.random.default_rng(0)
    block = int(RATE * 10)
    chunk = rng.standard_normal((block, CHANNELS)).astype(np.float32)
    with RecordingWriter(path, overwrite=True) as rec:
        w = rec.add_stream(info)
        for i in range(int(seconds * RATE) // block):
            w.append(Frame(info, chunk, t0=i * block / RATE, seq=i))


def _replay_child(path: str, block_size: int | None, q) -> None:
    chain = Chain(BandPass(20, 450), Window(length_s=0.2, hop_s=0.05))
    t = time.perf_counter()
    report = run(ReplaySource(path, block_size=block_size), chain)
    q.put({"wall_s": time.perf_counter() - t, "stream_s": report.stream_s, "windows": report.samples_out,
           "peak_rss_mb": peak_rss_mb()})


def peak_rss_mb() -> float:
    """This process's peak resident memory (VmHWM; unlike ru_maxrss it restarts at exec)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:  # pragma: no cover - not Linux
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def replay_in_child(path: Path, block_size: int | None) -> dict:
    ctx = mp.get_context("spawn")  # a fresh process: its peak memory is the replay's alone
    q = ctx.Queue()
    p = ctx.Process(target=_replay_child, args=(str(path), block_size, q))
    p.start()
    res = q.get()
    p.join()
    return res


def reference_whole_array_s(path: Path) -> float:
    """Seconds for ``sosfilt`` once on the whole recording, loaded in memory first."""
    from sensekit.core.recording import open_recording

    with open_recording(path) as r:
        x = r.read().data
    sos = signal.butter(4, [20, 450], btype="bandpass", fs=RATE, output="sos")
    t = time.perf_counter()
    signal.sosfilt(sos, x, axis=0)
    return time.perf_counter() - t


def bench_replay(seconds: float, tmp: Path) -> dict:
    long_path, short_path = tmp / "long.h5", tmp / "short.h5"
    write_recording(long_path, seconds)
    write_recording(short_path, seconds / 6)
    t_ref = reference_whole_array_s(long_path)
    res = replay_in_child(long_path, None)
    short = replay_in_child(short_path, None)
    ref_x = seconds / t_ref
    ours_x = res["stream_s"] / res["wall_s"]
    return {"recording_s": seconds, "reference_x_realtime": ref_x, "sensekit_x_realtime": ours_x,
            "ratio_to_reference": ours_x / ref_x, "windows": res["windows"],
            "peak_rss_mb": res["peak_rss_mb"], "peak_rss_mb_recording_6x_shorter": short["peak_rss_mb"]}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small sizes (CI)")
    ap.add_argument("--hours", type=float, default=1.0, help="length of the replayed recording")
    ap.add_argument("--json", type=Path, help="write the results here")
    args = ap.parse_args(argv)
    seconds = 60.0 if args.quick else args.hours * 3600
    n_blocks = 200 if args.quick else 5000
    results = {"overhead": {f"block_{b}": bench_overhead(n_blocks, b) for b in (32, 256)}}
    with tempfile.TemporaryDirectory() as tmp:
        results["replay"] = bench_replay(seconds, Path(tmp))
    for name, o in results["overhead"].items():
        for what, v in o.items():
            print(f"overhead {name:10s} {what:9s}: {v['overhead_us_per_stage_per_block']:6.2f} us/stage/block "
                  f"(stage {v['stage_us_per_block']:.2f} us, direct {v['direct_us_per_block']:.2f} us)")
    r = results["replay"]
    print(f"replay {r['recording_s'] / 3600:.2f} h 8 ch 2 kHz through band-pass + window: {r['sensekit_x_realtime']:,.0f}x "
          f"real time; sosfilt on the whole array: {r['reference_x_realtime']:,.0f}x; ratio {r['ratio_to_reference']:.2f}; "
          f"peak RSS {r['peak_rss_mb']:.0f} MB (6x shorter recording: {r['peak_rss_mb_recording_6x_shorter']:.0f} MB)")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
