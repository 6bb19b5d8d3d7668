"""Benchmark output: rich tables for the terminal, a Markdown report with plots."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from rich.table import Table

from ..core.atomic import atomic_output
from .runner import BenchRun

__all__ = ["tables", "headline_metrics", "write_json", "write_report"]

_SPEED_KEYS = ("x_realtime", "latency_p50_ms", "latency_p99_ms", "peak_memory_mb")


def _fmt(v) -> str:
    if isinstance(v, str):
        return v
    if v is None:
        return "-"
    a = abs(v)
    if a >= 1000:
        return f"{v:,.0f}"
    if a >= 10:
        return f"{v:.1f}"
    return f"{v:.3g}" if a >= 0.001 or v == 0 else f"{v:.2e}"


#: Metric rows of a task's terminal table at most; ``--json`` and ``--report`` hold every one.
MAX_ROWS = 12


def headline_metrics(result: dict) -> list[str]:
    """The metrics a task's terminal table shows: those it names unit by unit
    (``unit_metrics``), else those a peer has too, else its first; at most :data:`MAX_ROWS`."""
    metrics = result["metrics"]
    named = [m for m in result.get("unit_metrics") or [] if m in metrics]
    if not named:
        shared = {m for p in result["peers"].values() for m in p}
        named = [m for m in metrics if m in shared] or list(metrics)
    return named[:MAX_ROWS]


def tables(run: BenchRun) -> list[Table]:
    """One table per task: a row per headline metric (:func:`headline_metrics`) and speed figure,
    a column for sensekit and one for each peer that ran (those skipped are said under it).
    Metrics as rows keep it readable at 80 columns, whatever the number of metrics."""
    out = []
    for r in run.results:
        peers = {name: p for name, p in r["peers"].items() if "skipped" not in p}
        rows = headline_metrics(r)
        more = len(r["metrics"]) - len(rows)
        t = Table(title=r["task"] + (f" ({more} more metrics in --json and --report)" if more > 0 else ""),
                  title_justify="left", caption_justify="left",
                  caption="; ".join(f"{name} skipped: {p['skipped']}" for name, p in r["peers"].items()
                                    if "skipped" in p) or None)
        t.add_column("metric", overflow="fold")
        t.add_column("sensekit", justify="right", style="bold")
        for name in peers:
            t.add_column(name, justify="right", overflow="fold")
        for m in rows:
            t.add_row(m.replace("_", " "), _fmt(r["metrics"].get(m)), *[_fmt(p.get(m)) for p in peers.values()])
        for k in _SPEED_KEYS:
            values = [r["speed"].get(k), *[p.get(k) for p in peers.values()]]
            if any(v is not None for v in values):
                t.add_row(k.replace("_", " "), *[_fmt(v) for v in values])
        out.append(t)
    return out


def write_json(run: BenchRun, path: Path) -> None:
    """Write the ``--json`` document (whole or not at all)."""
    text = json.dumps(run.to_json(), indent=2)
    with atomic_output(path) as tmp:
        tmp.write_text(text)


def _slug(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in name)


def _image(name: str, alt: str) -> list[str]:
    """The Markdown lines of a PNG in the report's folder."""
    return [f"![{alt}]({name})", ""]


def _unit_table(result: dict) -> list[str]:
    """Markdown lines of the task's ``unit_metrics`` unit by unit (nothing if it names none;
    units that have none of them, such as a speed-only unit, are left out)."""
    names = result.get("unit_metrics") or []
    units = [u for u in result.get("unit_results") or [] if any(n in u["metrics"] for n in names)]
    if not units:  # also when the task names no unit metrics
        return []
    fields = list(dict.fromkeys(k for u in units for k in (u.get("key") or {})))
    lines = ["Unit by unit:", "", "| " + " | ".join(fields + names) + " |", "|---" * (len(fields) + len(names)) + "|"]
    for u in units:
        key = u.get("key") or {}
        lines.append("| " + " | ".join([str(key.get(f, "")) for f in fields]
                                        + [_fmt(u["metrics"].get(n)) for n in names]) + " |")
    return lines + [""]


def write_report(run: BenchRun, folder: Path) -> Path:
    """Write ``report.md`` with plots (PNG) into ``folder``: confusion matrices, error and
    latency distributions, speed ratio bars (all of it or, when interrupted, nothing).
    Returns the report's path."""

    with atomic_output(folder, folder=True) as work:
        _write_report(run, work)
    return Path(folder) / "report.md"


def _write_report(run: BenchRun, folder: Path) -> None:
    from ..plots import draw_confusion, png_figure

    env = run.environment
    lines = ["# sensekit benchmark report", "",
             f"{env['date']} on {env['cpu']} ({env['cores']} cores), Python {env['python']}, "
             f"sensekit {env['packages'].get('sensekit', '?')} (code {env['code_version']}"
             f"{', git ' + env['git_commit'][:10] if env.get('git_commit') else ''}), executor {env['executor']}.", ""]
    for r in run.results:
        slug = _slug(r["task"])
        lines += [f"## {r['task']}", "", r["description"], "",
                  f"Dataset: {r['dataset'] or 'simulated'}; {r['units']} unit(s).", ""]
        names = sorted(set(r["metrics"]) | set(r["speed"]) | {m for p in r["peers"].values() for m in p if m != "skipped"})
        lines += ["| implementation | " + " | ".join(names) + " |", "|---" * (len(names) + 1) + "|"]
        rows = [("sensekit", {**r["metrics"], **r["speed"]})] + list(r["peers"].items())
        for impl, vals in rows:
            if "skipped" in vals:
                lines.append(f"| {impl} | skipped: {vals['skipped']} |" + " |" * (len(names) - 1))
            else:
                lines.append(f"| {impl} | " + " | ".join(_fmt(vals.get(n)) for n in names) + " |")
        lines.append("")
        lines += _unit_table(r)
        if r.get("log"):  # the units' warnings, each once
            lines += ["Warnings the units gave:", ""] + [f"- {m} ({n}x)" for m, n in r["log"].items()] + [""]
        if r.get("ratios"):
            lines += ["Ratios (sensekit / peer): " + ", ".join(f"{k} {v:.2f}" for k, v in r["ratios"].items()), ""]
        if r.get("confusion"):
            c = r["confusion"]
            m = np.asarray(c["matrix"], dtype=float)
            name = f"{slug}-confusion.png"
            with png_figure(folder / name, figsize=(1.2 + 0.6 * len(m), 1 + 0.6 * len(m))) as ax:
                draw_confusion(ax, m, c["labels"], title=f"{r['task']}: confusion", counts=True, xlabel="predicted",
                               ylabel="true")
            lines += _image(name, "confusion matrix")
        for key, xlabel, title in (("errors", "error", "error distribution"),
                                   ("latencies_ms", "latency per block (ms)", "latency distribution")):
            if r.get(key):
                vals = np.asarray(r[key], dtype=float)
                name = f"{slug}-{key.split('_')[0]}.png"
                with png_figure(folder / name, figsize=(5, 3)) as ax:
                    ax.hist(vals, bins=min(50, max(5, len(vals) // 5)), color="tab:blue")
                    ax.axvline(np.median(vals), color="k", ls="--", label=f"median {np.median(vals):.3g}")
                    ax.set_xlabel(xlabel)
                    ax.set_ylabel("count")
                    ax.set_title(f"{r['task']}: {title}")
                    ax.legend()
                lines += _image(name, title)
        for i, (title, c) in enumerate(r.get("curves", {}).items()):
            name = f"{slug}-curve{i}.png"
            with png_figure(folder / name, figsize=(5, 4)) as ax:
                for label, ys in (c.get("series") or {"sensekit": c["y"]}).items():
                    ax.plot(c["x"], ys, "o-", label=label)
                for label, (x, y) in (c.get("marks") or {}).items():  # single reference points
                    ax.plot([x], [y], "*", ms=12, label=label)
                if c.get("series") or c.get("marks"):
                    ax.legend(fontsize=7)
                for x, y, t in zip(c["x"], c["y"], c.get("t", [None] * len(c["x"])), strict=True):
                    if t is not None:
                        ax.annotate(f"{t:g}", (x, y), textcoords="offset points", xytext=(4, -10), fontsize=7)
                ax.set_xlabel(c.get("xlabel", "x"))
                ax.set_ylabel(c.get("ylabel", "y"))
                ax.set_title(f"{r['task']}: {title}")
                ax.grid(alpha=0.3)
            lines += _image(name, title)
        speeds = {"sensekit": r["speed"].get("x_realtime")}
        speeds.update({p: v.get("x_realtime") for p, v in r["peers"].items() if "x_realtime" in v})
        if len([v for v in speeds.values() if v]) > 1:
            name = f"{slug}-speed.png"
            with png_figure(folder / name, figsize=(5, 0.6 + 0.5 * len(speeds))) as ax:
                ax.barh(list(speeds), [v or 0 for v in speeds.values()],
                        color=["tab:green"] + ["tab:gray"] * (len(speeds) - 1))
                ax.set_xlabel("x real time (higher is faster)")
                ax.set_title(f"{r['task']}: throughput")
            lines += _image(name, "throughput")
    lines += ["## Environment", "", "```json", json.dumps(env, indent=2), "```", ""]
    (folder / "report.md").write_text("\n".join(lines))
