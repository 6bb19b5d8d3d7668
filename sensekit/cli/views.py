"""Live terminal views of the run commands: the latest decision, gesture, gaze or direction,
redrawn in place on a terminal (see :func:`~sensekit.cli._app.live_display`)."""

from __future__ import annotations

import time

from rich.console import Group
from rich.table import Table
from rich.text import Text

from ._lazy import lazy

np = lazy("numpy")

__all__ = ["DecisionView", "GestureView", "EyeView", "Compass"]


class DecisionView:
    """The latest decision, its confidence and velocity, decisions per second."""

    def __init__(self, classes: list[str]) -> None:
        self.classes = classes
        self.last = None
        self.count = 0
        self.start = time.monotonic()

    def update(self, _frame_in, frame_out, _report) -> None:
        if frame_out is not None and frame_out.n:
            self.last = frame_out.data[-1]
            self.count += frame_out.n

    def __rich__(self):
        if self.last is None:
            return Text("waiting for the first decision...")
        label, conf, vel = self.last
        name = "no motion" if label < 0 else (self.classes[int(label)] if int(label) < len(self.classes) else str(int(label)))
        grid = Table.grid(padding=(0, 2))
        grid.add_row("class", Text(name.upper(), style="bold green" if label >= 0 else "bold yellow"))
        grid.add_row("confidence", Text("█" * int(conf * 30) + f" {conf:.2f}"))
        grid.add_row("velocity", Text("█" * int(vel * 30) + f" {vel:.2f}"))
        rate = self.count / max(1e-9, time.monotonic() - self.start)
        return Group(grid, Text(f"{self.count} decisions, {rate:.1f}/s; Ctrl-C stops", style="dim"))


class GestureView:
    """Per hand: the latest gesture, its confidence, and the motion (dynamic gesture) where the
    calibration has them; frames per second. Without a calibration, which hands are seen."""

    def __init__(self) -> None:
        self.last = None
        self.meta: dict = {}
        self.count = 0
        self.start = time.monotonic()

    def update(self, _frame_in, frame_out, _report) -> None:
        if frame_out is not None and frame_out.n:
            self.last, self.meta = frame_out.data[-1], frame_out.info.meta
            self.count += frame_out.n

    @staticmethod
    def _name(value, classes) -> Text:
        if not np.isfinite(value):
            return Text("-", style="dim")
        if value < 0:
            return Text("none", style="bold yellow")
        return Text(str(classes[int(value)]).upper() if int(value) < len(classes) else str(int(value)), style="bold green")

    def __rich__(self):
        rate = self.count / max(1e-9, time.monotonic() - self.start)
        foot = Text(f"{self.count} frames, {rate:.1f}/s; Ctrl-C stops", style="dim")
        if self.last is None:
            return Group(Text("waiting for the first frame..."), foot)
        grid = Table.grid(padding=(0, 2))
        classes, motions = list(self.meta.get("classes", [])), list(self.meta.get("motion_classes", []))
        for hand, row in enumerate(self.last):
            if row.ndim > 1:  # landmarks only (no calibration): is a hand there
                grid.add_row(f"hand {hand + 1}", Text("seen" if np.isfinite(row[0, 0]) else "-"))
                continue
            cells = [f"hand {hand + 1}", self._name(row[0], classes),
                     Text(f"{row[1]:.2f}" if np.isfinite(row[1]) else "")]
            if len(row) >= 4:
                cells += [self._name(row[2], motions), Text(f"{row[3]:.2f}" if np.isfinite(row[3]) else "")]
            grid.add_row(*cells)
        return Group(grid, foot)


class EyeView:
    """Gaze labels: the latest gaze, speed and label, and how many samples of each label; online
    events: how many onsets, offsets and blinks, and the latest onset's detection delay. Pupils
    (no calibration): the latest pupil and its confidence."""

    def __init__(self) -> None:
        self.kind, self.last, self.count = None, None, 0
        self.tally: dict[str, int] = {}
        self.delay_ms = None
        self.start = time.monotonic()

    def update(self, _frame_in, frame_out, _report) -> None:
        if frame_out is None or not frame_out.n:
            return
        from ..eyetrack.labels import LABEL_NAMES

        self.kind, self.last = frame_out.info.kind, frame_out.data[-1]
        self.count += frame_out.n
        if self.kind == "gaze_labels":
            for code, n in zip(*np.unique(frame_out.data[:, 3], return_counts=True), strict=True):
                name = LABEL_NAMES.get(int(code), str(code)) if np.isfinite(code) else "lost"
                self.tally[name] = self.tally.get(name, 0) + int(n)
        elif self.kind == "gaze_events":
            codes = frame_out.info.meta.get("event_codes", {})
            for name, code in codes.items():
                if name != "landing":
                    self.tally[name] = self.tally.get(name, 0) + int(np.sum(frame_out.data[:, 0] == code))
            onsets = frame_out.data[frame_out.data[:, 0] == codes.get("onset", -1)]
            if len(onsets):
                self.delay_ms = 1000 * float(onsets[-1, 2])

    def __rich__(self):
        rate = self.count / max(1e-9, time.monotonic() - self.start)
        foot = Text(f"{self.count} {'events' if self.kind == 'gaze_events' else 'samples'}, {rate:.1f}/s; "
                    "Ctrl-C stops", style="dim")
        if self.last is None:
            return Group(Text("waiting for the first sample..."), foot)
        grid = Table.grid(padding=(0, 2))
        if self.kind == "gaze_labels":
            from ..eyetrack.labels import LABEL_NAMES

            x, y, speed, label = self.last
            name = LABEL_NAMES.get(int(label), "?") if np.isfinite(label) else "lost"
            grid.add_row("gaze", f"{x:+7.2f}° {y:+7.2f}°  {speed:6.0f} °/s", Text(name.upper(), style="bold green"))
        elif self.kind == "gaze_events" and self.delay_ms is not None:
            grid.add_row("last onset", f"{self.delay_ms:.1f} ms after it began")
        elif self.kind not in ("gaze_labels", "gaze_events"):
            grid.add_row("pupil", f"x {self.last[0]:.1f}  y {self.last[1]:.1f}  confidence {self.last[6]:.2f}"
                         if len(self.last) > 6 else "")
        if self.tally:
            grid.add_row("so far", ", ".join(f"{k} {v:,}" for k, v in self.tally.items()))
        return Group(grid, foot)


class Compass:
    """A live terminal view of tracked or estimated directions: a 36-sector ring."""

    def __init__(self, k: int, tracks: bool) -> None:
        self.k, self.tracks, self.row = k, tracks, None
        self.count = 0

    def update(self, _fin, fout, _report) -> None:
        if fout is not None and fout.n:
            self.row = fout.data[-1]
            self.count += fout.n

    def __rich__(self):
        ring = ["·"] * 36
        lines = []
        if self.row is not None:
            for i in range(self.k):
                az = self.row[4 * i + 1] if self.tracks else self.row[4 * i]
                label = (f"track {int(self.row[4 * i])}" if self.tracks and np.isfinite(self.row[4 * i])
                         else f"source {i}")
                conf = self.row[4 * i + 3]
                if np.isfinite(az):
                    ring[int(((az + 5) % 360) // 10)] = str(i)
                    lines.append(f"{label}: azimuth {az:6.1f}°  confidence {conf:.2f}")
        head = Text("front (0°) → left (90°) → back (180°) → right (270°)\n", style="dim")
        body = Text("[" + "".join(ring) + "]\n", style="bold")
        return Group(head, body, Text("\n".join(lines) or "no active source", style="cyan"),
                     Text(f"{self.count} estimates", style="dim"))
