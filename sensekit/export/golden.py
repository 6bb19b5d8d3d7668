"""Golden vectors: input blocks of random sizes and the Python chain's outputs.

Binary, little endian (``golden.bin``)::

    "SKGV"  u32 version=1  u32 channels  u32 outputs_per_row  u32 n_blocks
    per block:  u32 n_samples, n_samples x channels float64,
                u32 n_rows,    n_rows x outputs_per_row float64

A firmware port feeds each block to its ``process_block`` and compares what it returns
with the rows of that block.
"""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np

from ..core import Chain, Frame, StreamInfo

__all__ = ["write_golden", "read_golden", "golden_blocks", "random_splits"]


def golden_blocks(chain: Chain, info: StreamInfo, x: np.ndarray, *, seed: int = 0,
                  max_block: int = 64) -> list[tuple[np.ndarray, np.ndarray]]:
    """Split ``x`` into random block sizes (1 to ``max_block``, and about one block in ten
    empty) and run ``chain`` on them."""
    chain.open(info)
    chain.reset()
    blocks = []
    for seq, sl in enumerate(random_splits(len(x), seed=seed, max_block=max_block)):
        block = np.ascontiguousarray(x[sl], dtype=np.float64)
        out = chain.process(Frame(info, block.astype(info.dtype), t0=sl.start / info.rate, seq=seq))
        rows = np.asarray(out.data, dtype=np.float64) if out is not None else np.empty((0, 3))
        blocks.append((block, rows))
    return blocks


def write_golden(path: str | Path, blocks: list[tuple[np.ndarray, np.ndarray]], channels: int, outputs: int) -> Path:
    """Write blocks (input, expected rows) in the golden format."""
    path = Path(path)
    with open(path, "wb") as fh:
        fh.write(b"SKGV" + struct.pack("<IIII", 1, channels, outputs, len(blocks)))
        for x, rows in blocks:
            fh.write(struct.pack("<I", len(x)) + np.asarray(x, dtype="<f8").tobytes())
            fh.write(struct.pack("<I", len(rows)) + np.asarray(rows, dtype="<f8").reshape(-1, outputs).tobytes())
    return path


def read_golden(path: str | Path) -> tuple[int, int, list[tuple[np.ndarray, np.ndarray]]]:
    """Read a golden file: (channels, outputs per row, blocks)."""
    data = Path(path).read_bytes()
    if data[:4] != b"SKGV":
        raise ValueError(f"{path} is not a sensekit golden-vector file")
    _, ch, outs, nb = struct.unpack_from("<IIII", data, 4)
    pos, blocks = 20, []
    for _ in range(nb):
        (n,) = struct.unpack_from("<I", data, pos)
        pos += 4
        x = np.frombuffer(data, "<f8", n * ch, pos).reshape(n, ch)
        pos += 8 * n * ch
        (m,) = struct.unpack_from("<I", data, pos)
        pos += 4
        rows = np.frombuffer(data, "<f8", m * outs, pos).reshape(m, outs)
        pos += 8 * m * outs
        blocks.append((x, rows))
    return ch, outs, blocks


def random_splits(n: int, *, seed: int = 0, max_block: int = 64) -> list[slice]:
    """Consecutive slices of random lengths (about one in ten empty) covering ``range(n)``."""
    rng = np.random.default_rng(seed)
    out, i = [], 0
    while i < n:
        k = 0 if rng.random() < 0.1 else int(rng.integers(1, max_block + 1))
        out.append(slice(i, min(n, i + k)))
        i += k
    return out
