"""``synth:selection``: one stream of a simulated look-and-pinch session, as a source."""

from __future__ import annotations

from collections.abc import Iterator

from ..core import Frame
from ..core.checks import check_scalar
from ..core.sources.base import Source
from ..errors import ParameterError
from .synth import POPULATIONS, simulate_selection
from .targets import load_layout

__all__ = ["SelectionSource"]


class SelectionSource(Source):
    """The ``gaze`` (degrees, regular) or ``hand`` (landmarks, 30 Hz camera) stream of a
    simulated session in which a user selects cued targets by looking and pinching.

    Parameters
    ----------
    stream : {"gaze", "hand"}
        Which of the session's streams.
    seed : int
        The session; the two streams of one seed belong together.
    layout : str, optional
        A target layout file (degrees): the user selects its targets. Default: a random
        4 x 3 layout of targets of diameter ``size``.
    size : float
        Target diameter (degrees) of the random layout.
    trials : int
        Number of selections.
    population : {"report", "tune"}
        The simulated device and user group (see :mod:`sensekit.fusion.synth`).
    block_size : int
        Samples per frame.
    """

    def __init__(self, stream: str = "gaze", *, seed: int = 0, layout: str | None = None, size: float = 3.0,
                 trials: int = 40, population: str = "report", block_size: int = 12) -> None:
        if stream not in ("gaze", "hand"):
            raise ParameterError(f"synth:selection stream={stream!r}; use gaze or hand")
        if population not in POPULATIONS:
            raise ParameterError(f"synth:selection population={population!r}; use {' or '.join(POPULATIONS)}")
        check_scalar(trials, "trials", kind=int, min_value=1, max_value=10_000)
        check_scalar(size, "size", min_value=0.1, max_value=90)
        check_scalar(block_size, "block_size", kind=int, min_value=1, max_value=1 << 20)
        session = simulate_selection(int(seed), float(size), "pinch", trials=int(trials), population=population,
                                     layout=load_layout(layout) if layout else None)
        self.session = session
        frame = session.gaze if stream == "gaze" else session.hand
        self.info = frame.info.replace(name=f"selection-{stream}")
        self._frame = frame
        self.block_size = int(block_size)
        self.description = f"synth:selection?stream={stream}&seed={seed}"
        self.realtime = False  # read as fast as it can be

    def _frames(self) -> Iterator[Frame]:
        f, b = self._frame, self.block_size
        for seq, a in enumerate(range(0, f.n, b)):
            data = f.data[a:a + b].copy()
            if self.info.rate > 0:
                yield Frame(self.info, data, t0=f.t0 + a / self.info.rate, seq=seq)
            else:
                yield Frame(self.info, data, times=f.times[a:a + b].copy(), seq=seq)
