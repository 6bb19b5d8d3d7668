"""``sensekit eyetrack``: pupils from eye images, eye-movement events from gaze files."""

from __future__ import annotations

import csv
from pathlib import Path

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from ._app import check_plot, err, fail, new_app, out, refuse_given, stop_on_signals
from ._lazy import lazy

np = lazy("numpy")

app = new_app("Eye tracking: detect pupils in eye images, detect fixations/saccades/PSOs/pursuits in gaze files.")

SCREEN_HELP = "Screen WIDTHxHEIGHTmm@WIDTHxHEIGHT (px), e.g. 531x299mm@1920x1080."
SCENE_CAMERA_HELP = ("A glasses' gaze stream in its scene camera's pixels (a Neon's LSL outlet): the camera's "
                     "intrinsics, scene_camera.json (a recording's, as Pupil Cloud downloads it).")


def screen_option(screen: str | None, distance: float | None, *, required: bool, what: str):
    """The --screen/--distance pair as a Screen (or None when both are absent and not required)."""
    from ..eyetrack.geometry import Screen

    if screen is None and distance is None and not required:
        return None
    if screen is None or distance is None:
        fail(f"{what} needs the screen geometry: give --screen WxHmm@WxH and --distance MM (eye to screen)")
    return Screen.parse(screen, distance)


def scene_camera_option(path: Path | None):
    """The --scene-camera file as (camera matrix, distortion coefficients), or None when absent."""
    from ..eyetrack.scene_camera import read_scene_camera_file

    return None if path is None else read_scene_camera_file(path)


STIMULUS_OPTION = typer.Option("unknown", "--stimulus", help="What the eye looked at: static (images, text, targets: "
                               "no smooth pursuit is labelled), dynamic or unknown (pursuit allowed).")
SET_HELP = ("A detector parameter, KEY=VALUE (repeatable; 'none' for None), e.g. --set spread_threshold=none "
            "turns the slow-pursuit rule off for a fixation-only task.")


def detector_params(settings: list[str] | None) -> dict:
    """``--set KEY=VALUE`` options as detector keyword arguments (numbers as floats,
    ``none`` as None, anything else as text); a malformed one ends the command."""
    params: dict = {}
    for item in settings or ():
        key, eq, value = item.partition("=")
        if not eq or not key.strip().isidentifier():
            fail(f"--set takes KEY=VALUE (a detector parameter), got {item!r}; e.g. --set pursuit_threshold=5")
        value = value.strip()
        if value.lower() == "none":
            params[key.strip()] = None
        else:
            try:
                params[key.strip()] = float(value)
            except ValueError:
                params[key.strip()] = value
    return params


def _print_agreement(rec, lab, scores: Path | None = None) -> None:
    """The labels ``lab`` against each coder's of ``rec``: the bench's measures (sample kappa of
    each class against the rest, event F1 by overlap and within 20 ms, events a minute); with
    ``scores``, also written there as JSON."""
    from ..eyetrack.labels import SCORED_CLASSES, agreement

    table = Table(title="Against the file's labels: its coders' (or a tracker's own filter, Tobii I-VT) (kappa: one "
                  "class against the rest; event F1: by overlap, and with onset and offset within 20 ms)")
    for c in ("coder", "class", "kappa", "F1 overlap", "F1 ±20 ms", "events / min (detector, coder)"):
        table.add_column(c, justify="left" if c in ("coder", "class") else "right")
    def scored(coder: str) -> dict[str, int]:  # (a list of fixations says nothing of saccades)
        coded = rec.label_classes.get(coder)
        return {n: c for n, c in SCORED_CLASSES.items() if coded is None or c in coded}

    found = {coder: agreement(truth, lab, rec.rate, scored(coder)) for coder, truth in rec.labels.items()}
    for coder, classes in found.items():
        for name, m in classes.items():
            table.add_row(coder, name, f"{m['kappa']:.3f}", f"{m['f1_overlap']:.3f}", f"{m['f1_20ms']:.3f}",
                          f"{m['events_per_min']:.0f}, {m['events_per_min_ref']:.0f}")
    out.print(table)
    _write_scores(scores, rec, found)


def _write_scores(path: Path | None, rec, found: dict) -> None:
    """``found`` (coder -> scores) as JSON in ``path`` (NaN, where nothing was there to count, as null)."""
    if path is None:
        return
    import json

    def clean(v):
        if isinstance(v, dict):
            return {k: clean(x) for k, x in v.items()}
        return None if isinstance(v, float) and v != v else v

    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"file": rec.name, "rate_hz": rec.rate, "samples": len(rec), "coders": clean(found)},
                               indent=1))
    out.print(f"scores written to {path}", highlight=False)


def _write_csv(path: Path, header, rows) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)


@app.command("events")
def events(
    ctx: typer.Context,
    path: Path = typer.Argument(..., help="Gaze file: Lund .mat, IRF .npy, EyeLink .asc, GazeCom .arff, Pupil Labs or "
                                "Tobii CSV, a Tobii Pro Glasses 3 or 2 recording folder (or its gazedata.gz, "
                                "livedata.json.gz), a Pupil Core recording folder (or its gaze.pldata), a Neon recording "
                                "folder (native data), an SMI iView X / BeGaze export, Project Aria "
                                "eye gaze (general_eye_gaze.csv), a plain "
                                "time,x,y table, or a recording's gaze stream (rec.h5, rec.xdf, rec.h5#STREAM)."),
    detector: str = typer.Option("adaptive", "--detector", help="adaptive, adaptive-hr (1000 Hz trackers), nh2010, ivt or idt."),
    output: Path | None = typer.Option(None, "-o", "--output", help="Events CSV to write."),
    labels_out: Path | None = typer.Option(None, "--labels", help="Per-sample labels CSV to write."),
    plot: Path | None = typer.Option(None, "--plot", help="PNG of the gaze trace coloured by event."),
    screen: str | None = typer.Option(None, "--screen", help=SCREEN_HELP),
    distance: float | None = typer.Option(None, "--distance", min=1, help="Eye-to-screen distance (mm)."),
    scene_camera: Path | None = typer.Option(None, "--scene-camera", help="A glasses' gaze in its scene camera's pixels "
                                             "(a recorded Neon LSL stream, a Neon Player gaze.csv): the camera's "
                                             "intrinsics, scene_camera.json (a recording's, as Pupil Cloud "
                                             "downloads it)."),
    columns: str | None = typer.Option(None, "--columns", help="A plain CSV/TSV's time, x and y columns, e.g. "
                                       "--columns timestamp,gx,gy (default: the usual names); four names are a time "
                                       "and a headset's gaze direction x, y, z (read in degrees)."),
    time_unit: str | None = typer.Option(None, "--time-unit", help="A plain table's time unit: s, ms, us or ns "
                                         "(default s; a column named *_ms or 'Time (ms)': ms)."),
    units: str | None = typer.Option(None, "--units", help="A plain table's gaze units: px (the default; needs "
                                     "--screen/--distance), deg, or norm (fractions of the screen from its top left, "
                                     "0-1; needs --screen/--distance); or those of a recording's gaze stream that "
                                     "does not say them."),
    reference: str | None = typer.Option(None, "--reference", help="A plain table's columns of per-sample hand labels, "
                                         "COL[,COL...] (a coder each): 0 undefined, 1 fixation, 2 saccade, 3 PSO, 4 "
                                         "pursuit, 5 blink, or those names; scored as a Lund or IRF file's labels are."),
    reference_events: list[str] | None = typer.Option(None, "--reference-events", help="Coders' tables of events "
                                                      "(start, end; type, trial optional), FILE[,FILE...] or the "
                                                      "option again: per-sample labels of a plain table, a coder a file."),
    valid: str | None = typer.Option(None, "--valid", help="A plain table's column of the tracker's validity flag "
                                     "(Gazepoint's BPOGV): where it is 0 the gaze is lost; Tobii's validity "
                                     "codes (0 sure ... 4 not found) are told and read as seen where at most 1; "
                                     "'COL<=N': seen where at most N."),
    recording: str | None = typer.Option(None, "--recording", help="One recording of a Tobii Pro Lab or Studio "
                                         "export that holds several (its 'Recording name', 'RecordingName')."),
    chunk: float | None = typer.Option(None, "--chunk", min=0.05, max=3600, help="Label chunk by chunk (s), as a live run does; "
                                       "default: the whole recording at once (what the bench scores)."),
    settings: list[str] | None = typer.Option(None, "--set", help=SET_HELP),
    stimulus: str = STIMULUS_OPTION,
    online: bool = typer.Option(False, "--online", help="The online detector of 'run eyetrack --online' instead: "
                                "saccade onsets, offsets and blinks as it publishes them; with hand labels, its onset "
                                "delay, hits and false onsets against them (what the bench scores)."),
    scores: Path | None = typer.Option(None, "--scores", help="Write the scores against the file's hand labels "
                                       "(every figure the bench computes, per coder) to this JSON file, for scripts."),
    save_gaze: Path | None = typer.Option(None, "--save-gaze", help="Also write the gaze as read (degrees, on a "
                                          "regular grid, losses as NaN) to a sensekit recording (.h5): replay it to "
                                          "LSL ('sensekit replay'), or run the live chains on it ('run eyetrack', "
                                          "'run select')."),
) -> None:
    """Label every sample (fixation, saccade, PSO, pursuit, blink) and list the events;
    with hand labels in the file (Lund, IRF, a table's --reference columns), print the bench's
    agreement with them per class: sample kappa, event F1 (by overlap, and within 20 ms), events
    a minute.
    With --online, run the online saccade detector over the file as a live stream instead."""
    from ..eyetrack.datasets import load_gaze
    from ..eyetrack.labels import LABEL_NAMES
    from ..eyetrack.pipeline import EyePipeline

    if online:
        refuse_given(ctx, ("detector", "chunk", "stimulus", "labels_out"),
                     "with --online (its events are not per-sample labels; --set reaches its parameters)")
    check_plot(plot)
    if save_gaze is not None and save_gaze.suffix.lower() not in (".h5", ".hdf5"):
        fail(f"--save-gaze writes a sensekit recording (.h5), not {save_gaze.suffix or 'a file of no ending'}; e.g. "
             f"--save-gaze {save_gaze.with_suffix('.h5').name}")
    if save_gaze is not None and save_gaze.resolve() == path.resolve():
        fail("--save-gaze names the input file; choose another name")
    cols = tuple(c.strip() for c in columns.split(",")) if columns else None
    if cols is not None and (len(cols) not in (3, 4) or not all(cols)):
        fail(f"--columns takes three names TIME,X,Y (or four, TIME,X,Y,Z: a gaze direction), got {columns!r}")
    refs = tuple(c.strip() for c in reference.split(",") if c.strip()) if reference else None
    event_tables = tuple(f.strip() for given in reference_events or () for f in given.split(",") if f.strip()) or None
    rec = load_gaze(path, screen=screen_option(screen, distance, required=False, what="a pixel gaze file"),
                    columns=cols, time_unit=time_unit, units=units, references=refs,
                    reference_events=event_tables, recording=recording, valid=valid,
                    scene_camera=scene_camera_option(scene_camera)).regular()
    if len(rec) == 0 or not np.isfinite(rec.x).any():
        fail(f"{path.name} has no valid gaze samples")
    if scores is not None and not rec.labels:
        fail(f"--scores: {path.name} has no hand labels to score against (a Lund or IRF file, or a plain table's "
             "--reference columns)")
    if save_gaze is not None:
        _save_gaze(rec, save_gaze)
    if online:
        _online_events(rec, EyePipeline(online=True, params=detector_params(settings)), output, plot, scores)
        return
    pipe = EyePipeline(detector, chunk_s=chunk, params=detector_params(settings), stimulus=stimulus)
    labelled = pipe.labelled(rec.to_frame())
    ev = pipe.events(labelled)
    lab = labelled.data[:, 3].astype(int)
    table = Table(title=f"{rec.name}: {len(rec)} samples at {rec.rate:g} Hz, detector {detector}")
    for c in ("event", "count", "mean duration (ms)", "mean amplitude (°)", "mean peak velocity (°/s)",
              "confidence < 0.5"):
        table.add_column(c, justify="right" if c != "event" else "left")
    for code, name in LABEL_NAMES.items():
        rows = ev[ev[:, 0] == code]
        if len(rows):
            table.add_row(name, str(len(rows)), f"{1000 * rows[:, 3].mean():.0f}", f"{np.nanmean(rows[:, 4]):.2f}"
                          if np.isfinite(rows[:, 4]).any() else "-",
                          f"{np.nanmean(rows[:, 5]):.0f}" if np.isfinite(rows[:, 5]).any() else "-",
                          str(int(np.sum(rows[:, -1] < 0.5))))
    out.print(table)
    if rec.labels:
        _print_agreement(rec, lab, scores)
    if output is not None:
        from ..eyetrack.labels import EVENT_FIELDS

        _write_csv(output, EVENT_FIELDS, ([LABEL_NAMES[int(r[0])], *(f"{v:.6g}" for v in r[1:])] for r in ev))
        out.print(f"{len(ev)} events written to {output}", highlight=False)
    if labels_out is not None:
        _write_csv(labels_out, ("t", "x_deg", "y_deg", "speed_deg_s", "label"),
                   ([f"{t:.6f}", f"{r[0]:.5g}", f"{r[1]:.5g}", f"{r[2]:.5g}", LABEL_NAMES[int(r[3])]]
                    for t, r in zip(rec.t, labelled.data, strict=True)))
        out.print(f"{len(lab)} labels written to {labels_out}", highlight=False)
    if plot is not None:
        _plot_events(rec, lab, plot)
        out.print(f"plot written to {plot}", highlight=False)


def _save_gaze(rec, dest: Path) -> None:
    """``--save-gaze``: the gaze as read, one regular stream of a sensekit recording (written
    whole or not at all)."""
    from ..core.atomic import atomic_output
    from ..core.recording import RecordingWriter

    frame = rec.to_frame()
    with atomic_output(dest) as tmp, RecordingWriter(tmp, overwrite=True) as writer:
        writer.add_stream(frame.info).append(frame)
    out.print(f"gaze stream {frame.info.name!r} ({len(rec):,} samples at {rec.rate:g} Hz, degrees) written to {dest}",
              highlight=False)


def _online_events(rec, pipe, output: Path | None, plot: Path | None, scores: Path | None = None) -> None:
    """``eyetrack events --online``: the online detector over a gaze recording fed block by block as
    a live stream; its events, and with hand labels in the file its scores against each coder
    (the bench's :func:`~sensekit.eyetrack.bench.score_online_events`)."""
    from ..eyetrack.bench import score_online_events
    from ..eyetrack.online import BLINK_START, OFFSET, ONLINE_CHANNELS, ONLINE_EVENT_NAMES, ONSET

    frame = rec.to_frame()
    ev = pipe.labelled(frame).data
    chain = pipe.events_chain()
    chain.open(frame.info)
    delays = 1e3 * ev[ev[:, 0] == ONSET, 2]
    minutes = len(rec) / rec.rate / 60
    table = Table(title=f"{rec.name}: {len(rec)} samples at {rec.rate:g} Hz, online detector (declared latency "
                        f"{1e3 * chain.latency_s:.1f} ms)")
    for c in ("event", "count", "per minute", "detection delay median / p95 (ms)"):
        table.add_column(c, justify="right" if c != "event" else "left")
    for code in (ONSET, OFFSET, BLINK_START):
        n = int(np.sum(ev[:, 0] == code))
        delay = f"{np.median(delays):.1f} / {np.percentile(delays, 95):.1f}" if code == ONSET and n else "-"
        table.add_row(ONLINE_EVENT_NAMES[code], str(n), f"{n / minutes:.1f}", delay)
    out.print(table)
    if rec.labels:
        relative = ev.copy()
        relative[:, 1] -= frame.t0  # (the scores count samples from the recording's first)
        st = Table(title="Against the file's hand labels (delay: from the coder's onset to publication)")
        for c in ("coder", "delay median / p95 (ms)", "hits >= 1 / 2 / 5 deg (%)", "false onsets / min of fixation",
                  "landing error half-way (current gaze) (deg)"):
            st.add_column(c, justify="right" if c != "coder" else "left")
        found = {coder: score_online_events(relative, rec.x, rec.y, rec.rate, truth)
                 for coder, truth in rec.labels.items()}
        def shown(value: float, spec: str) -> str:  # (nothing to count, e.g. a coder's list of fixations alone: -)
            return format(value, spec) if np.isfinite(value) else "-"

        for coder, m in found.items():
            st.add_row(coder, f"{shown(m['delay_median_ms'], '.1f')} / {shown(m['delay_p95_ms'], '.1f')}",
                       " / ".join(shown(100 * m[f"hit_rate_ge{a}deg"], ".0f") for a in (1, 2, 5)),
                       shown(m["false_onsets_per_fixation_min"], ".2f"),
                       f"{shown(m['landing_error_50pct_deg'], '.2f')} ({shown(m['landing_baseline_50pct_deg'], '.2f')})")
        out.print(st)
        _write_scores(scores, rec, found)
    if output is not None:
        _write_csv(output, ONLINE_CHANNELS, ([ONLINE_EVENT_NAMES[int(r[0])], *(f"{v:.10g}" for v in r[1:])]
                                             for r in ev))
        out.print(f"{len(ev)} events written to {output}", highlight=False)
    if plot is not None:
        _plot_online_events(rec, ev, plot)
        out.print(f"plot written to {plot}", highlight=False)


def _plot_online_events(rec, ev, path: Path) -> None:
    """The gaze trace with the online detector's saccades (onset to offset, shaded; a line at each
    publication) and its landing predictions, in two panels (x and y)."""
    from ..eyetrack.online import BLINK_END, BLINK_START, LANDING, OFFSET, ONSET
    from ..plots import png_figure

    with png_figure(path, nrows=2, figsize=(12, 6)) as axes:
        for ax, column, name in ((axes[0], 0, "x"), (axes[1], 1, "y")):
            gaze = (rec.x, rec.y)[column]
            ax.plot(rec.t, gaze, color="0.4", lw=0.7, label=f"gaze {name}")
            landing = ev[ev[:, 0] == LANDING]
            ax.scatter(landing[:, 1], landing[:, 5 + column], s=3, color="tab:orange", label="predicted landing")
            onsets, offsets = ev[ev[:, 0] == ONSET], ev[ev[:, 0] == OFFSET]
            for i, onset in enumerate(onsets):
                end = offsets[offsets[:, 1] > onset[1], 1]
                ax.axvspan(onset[1], end[0] if end.size else rec.t[-1], color="tab:red", alpha=0.15, lw=0,
                           label="saccade (online)" if i == 0 else None)
                ax.axvline(onset[1] + onset[2], color="tab:red", lw=0.5,
                           label="onset published" if i == 0 else None)
            starts, ends = ev[ev[:, 0] == BLINK_START, 1], ev[ev[:, 0] == BLINK_END, 1]
            for i, start in enumerate(starts):
                end = ends[ends > start]
                ax.axvspan(start, end[0] if end.size else rec.t[-1], color="0.85", lw=0,
                           label="blink / loss" if i == 0 else None)
            ax.set_ylabel(f"{name} (deg)")
        axes[1].set_xlabel("time (s)")
        axes[0].legend(loc="upper right", ncol=5, fontsize=8, markerscale=3)


def _plot_events(rec, lab, path: Path) -> None:
    from ..eyetrack.labels import LABEL_NAMES
    from ..plots import png_figure

    colours = {0: "lightgrey", 1: "tab:blue", 2: "tab:red", 3: "tab:orange", 4: "tab:green", 5: "black"}
    with png_figure(path, figsize=(12, 4)) as ax:
        ax.plot(rec.t, rec.x, color="0.6", lw=0.6, label="x")
        ax.plot(rec.t, rec.y, color="0.8", lw=0.6, label="y")
        for code, colour in colours.items():
            m = lab == code
            if m.any():
                ax.scatter(rec.t[m], rec.x[m], s=2, color=colour, label=LABEL_NAMES[code])
        ax.set_xlabel("time (s)")
        ax.set_ylabel("gaze (deg)")
        ax.legend(loc="upper right", ncol=4, fontsize=8, markerscale=4)


@app.command("pupil")
def pupil(
    source: str = typer.Argument(..., help="Eye images: video:eye.mp4, camera:0, synth:eye, or a recording."),
    output: Path = typer.Option(..., "-o", "--output", help="Pupil CSV to write (t, x, y, axes, angle, diameter, confidence)."),
    min_diameter: float = typer.Option(8.0, "--min-diameter", min=1, help="Smallest pupil (px)."),
    max_diameter: float = typer.Option(100.0, "--max-diameter", min=2, help="Largest pupil (px)."),
    duration: float | None = typer.Option(None, "--duration", "-d", min=0, help="Seconds to process; default all."),
) -> None:
    """Detect the pupil in every image; frames without a pupil (blinks) are NaN with
    confidence 0. A camera that stops ends the run with every row so far written."""
    from ..core import run
    from ..core.sinks import CSVSink
    from ..core.sources import open_source
    from ..eyetrack.pupil import PupilDetector

    if output.exists():
        fail(f"{str(output)!r} already exists; choose another name or delete it")
    with stop_on_signals() as stop:
        src = open_source(source)
        if src.info.kind not in ("image", "video") or len(src.info.shape) not in (2, 3):
            fail(f"source {source!r} gives a {src.info.kind!r} stream of shape {src.info.shape}; pupil detection "
                 "needs eye images (camera:N, video:FILE, synth:eye)")
        stage = PupilDetector(min_diameter=min_diameter, max_diameter=max_diameter)
        found = [0, 0]

        def count(_fin, fout, _report):
            if fout is not None:
                found[0] += fout.n
                found[1] += int((fout.data[:, 6] > 0).sum())

        total = None
        if src.info.rate > 0 and getattr(src, "duration_s", None):
            total = int(round(src.duration_s * src.info.rate))
        with Progress(TextColumn("pupils"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(), console=err,
                      transient=True) as bar:
            task = bar.add_task("", total=total)

            def on_block(fin, fout, report):
                count(fin, fout, report)
                bar.update(task, completed=found[0])

            report = run(src, stage, CSVSink(output), max_duration_s=duration, stop=stop, on_block=on_block)
    rate = found[1] / found[0] if found[0] else 0.0
    out.print(f"{found[0]} images, pupil found in {found[1]} ({100 * rate:.1f} %), "
              f"{1000 * report.wall_s / max(found[0], 1):.2f} ms per image; written to {output}", highlight=False)


@app.command("pupil-eval")
def pupil_eval(
    path: Path = typer.Argument(..., help="Świrski case folder (p1-left, ...) or LPW video (1/1.avi with 1.txt)."),
    limit: int | None = typer.Option(None, "--limit", min=1, help="Evaluate only the first N labelled images."),
    peer: bool = typer.Option(True, "--peer/--no-peer", help="Also run pupil-detectors 2D where installed."),
) -> None:
    """Pupil-centre error (median, 95th percentile, px), detection rate and ms per image on
    a labelled public set, beside Pupil Labs' 2D detector on the same images."""
    from ..eyetrack.bench import compare_pupil_detectors
    from ..eyetrack.datasets import load_pupil_images

    data = load_pupil_images(path)
    n = min(data.n, limit or data.n)
    images = []
    with Progress(TextColumn("reading"), BarColumn(), MofNCompleteColumn(), console=err, transient=True) as bar:
        task = bar.add_task("", total=n)
        for img in data.images:
            images.append(img)
            bar.advance(task)
            if len(images) >= n:
                break
    if not images:
        fail(f"{path}: no labelled images could be read")
    images = np.stack(images)
    rows = compare_pupil_detectors(images, data.centres[: len(images)], peer=peer,
                                   max_diameter=max(images.shape[1:]) / 2)
    for name in [k for k, r in rows.items() if "skipped" in r]:
        err.print(f"{name} skipped ({rows.pop(name)['skipped']})")
    table = Table(title=f"{data.name}: {len(images)} labelled images")
    for c in ("detector", "median error (px)", "95th pct (px)", "detection rate", "ms/image"):
        table.add_column(c, justify="right" if c != "detector" else "left")
    for name, r in rows.items():
        table.add_row(name, f"{r['median_error_px']:.2f}", f"{r['p95_error_px']:.2f}", f"{r['detection_rate']:.3f}",
                      f"{r['ms_per_image']:.2f}")
    out.print(table)
