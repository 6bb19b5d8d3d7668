"""Testing helpers for stages, public so that users test their own stages the same way.

The central check is :func:`assert_block_invariant`: a stage must give the same output
whether a recording is fed as one block or as many blocks of any sizes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from .core.frame import Frame
from .core.info import StreamInfo
from .core.run import feed
from .core.stage import Stage

__all__ = ["assert_block_invariant", "split_frames", "feed", "block_splits"]


def split_frames(info: StreamInfo, data: np.ndarray, cuts: Sequence[int], *, t0: float = 0.0,
                 times: np.ndarray | None = None) -> list[Frame]:
    """Cut ``data`` (shape ``(n, *info.shape)``) at the sorted indices ``cuts`` into frames
    with consecutive sequence numbers and matching timestamps. Repeated cuts give empty
    blocks."""
    bounds = [0, *sorted(int(c) for c in cuts), len(data)]
    frames = []
    for seq, (a, b) in enumerate(zip(bounds[:-1], bounds[1:], strict=True)):
        if info.rate > 0:
            frames.append(Frame(info, data[a:b], t0=t0 + a / info.rate, seq=seq))
        else:
            frames.append(Frame(info, data[a:b], times=times[a:b], seq=seq))
    return frames


def _assert_same(whole: Frame, split: Frame, rtol: float, atol: float, cuts) -> None:
    __tracebackhide__ = True
    cuts = list(cuts) if len(cuts) <= 12 else [*list(cuts)[:6], "...", *list(cuts)[-3:]]
    if whole.data.shape != split.data.shape:
        raise AssertionError(
            f"block split {list(cuts)} gave output shape {split.data.shape}, whole recording {whole.data.shape}"
        )
    if rtol == 0 and atol == 0:
        equal = np.array_equal(whole.data, split.data, equal_nan=whole.data.dtype.kind in "fc")
    else:
        equal = np.allclose(whole.data, split.data, rtol=rtol, atol=atol, equal_nan=True)
    if not equal:
        diff = np.abs(np.asarray(whole.data, dtype=float) - np.asarray(split.data, dtype=float))
        raise AssertionError(
            f"block split {list(cuts)} changed the output: max |difference| {np.nanmax(diff):.3g} "
            f"(rtol={rtol}, atol={atol})"
        )
    if whole.n and not np.allclose(whole.times, split.times, rtol=0, atol=1e-9):
        raise AssertionError(f"block split {list(cuts)} changed the output timestamps")


def block_splits(n: int, max_blocks: int = 12):
    """A hypothesis strategy of sorted cut indices into a recording of ``n`` samples
    (repeats allowed, so empty blocks occur)."""
    from hypothesis import strategies as st

    return st.lists(st.integers(0, n), min_size=0, max_size=max_blocks).map(sorted)


def assert_block_invariant(
    stage: Stage | Callable[[], Stage],
    info: StreamInfo,
    data: np.ndarray,
    *,
    times: np.ndarray | None = None,
    t0: float = 0.0,
    cuts: Sequence[Sequence[int]] | None = None,
    max_examples: int = 30,
    rtol: float = 0.0,
    atol: float = 0.0,
    seed: int | None = 0,
) -> Frame:
    """Assert that ``stage`` gives the same output for any split of ``data`` into blocks.

    The stage is opened on ``info`` and fed ``data`` as one block; then, after
    ``reset()``, as random splits drawn by hypothesis (``max_examples`` of them, empty
    blocks and one-sample blocks included), and as the explicit ``cuts`` if given. Every
    split must reproduce the whole-recording output exactly (or within ``rtol``/``atol``)
    and its timestamps. Also checks that ``reset()`` restores the start state.

    Parameters
    ----------
    stage : Stage or callable returning a Stage
        The stage under test (not yet opened), or a factory.
    info : StreamInfo
        Input stream.
    data : ndarray, shape (n, *info.shape)
        The recording.
    times : ndarray, optional
        Per-sample timestamps for an irregular stream.
    t0 : float
        Time of the first sample of a regular stream.
    cuts : sequence of sequences of int, optional
        Extra splits to test, each a sorted list of cut indices.
    max_examples : int
        Number of random splits.
    rtol, atol : float
        Tolerances; 0 and 0 (default) demands bit-exact equality.
    seed : int or None
        Seed of the random splits (``None``: hypothesis chooses).

    Returns
    -------
    Frame
        The whole-recording output, for further checks by the caller.
    """
    __tracebackhide__ = True
    from hypothesis import HealthCheck, given, settings
    from hypothesis import seed as hyp_seed

    stage = stage() if callable(stage) and not isinstance(stage, Stage) else stage
    stage.open(info)
    whole = feed(stage, split_frames(info, data, [], t0=t0, times=times))
    n = len(data)
    explicit = [list(c) for c in (cuts or [])]
    explicit += [list(range(1, n)), [0, 0, n // 2, n // 2, n]]  # sample by sample; empty blocks
    for c in explicit:
        stage.reset()
        _assert_same(whole, feed(stage, split_frames(info, data, c, t0=t0, times=times)), rtol, atol, c)

    @settings(max_examples=max_examples, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(block_splits(n))
    def check(c):
        stage.reset()
        _assert_same(whole, feed(stage, split_frames(info, data, c, t0=t0, times=times)), rtol, atol, c)

    if seed is not None:
        check = hyp_seed(seed)(check)
    check()
    return whole
