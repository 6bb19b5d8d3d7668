"""``sensekit bench``: list and run benchmark tasks; install peer libraries."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from ._app import err, new_app, out, refuse_given

app = new_app("Run benchmark tasks (accuracy and speed, beside peer libraries) and manage peers.")
peers_app = new_app("Peer libraries measured beside sensekit.")
app.add_typer(peers_app, name="peers")


@app.command("list")
def list_(target: str = typer.Argument("all", help="all, a chain (emg, eyetrack, ...), or task names, comma-separated.")) -> None:
    """Every registered task (or those of a chain): chain, dataset and protocol."""
    from ..bench import select_tasks
    table = Table(title="benchmark tasks", title_justify="left")
    table.add_column("task", no_wrap=True)
    table.add_column("dataset", overflow="fold", max_width=20)
    table.add_column("description", overflow="fold", ratio=1)
    for t in select_tasks(target):
        table.add_row(t.name, t.dataset or "simulated", t.description)
    out.print(table)


@app.command("run")
def run_(
    ctx: typer.Context,
    target: str = typer.Argument("all", help="all, a chain (emg, eyetrack, ...), or task names, comma-separated."),
    quick: bool = typer.Option(False, "--quick", help="Small sizes: a smoke run (CI)."),
    json_path: Path | None = typer.Option(None, "--json", help="Write the results as JSON here."),
    report: Path | None = typer.Option(None, "--report", help="Write a Markdown report with plots into this folder."),
    executor: str = typer.Option("local", "--executor", help="local, or dask://HOST:PORT for a Dask cluster."),
    worker_timeout: float = typer.Option(60.0, "--worker-timeout", min=1, help="Dask: give up after this many seconds "
                                         "without a connected worker (finished units are kept)."),
    jobs: int | None = typer.Option(None, "--jobs", "-j", min=1, max=256, help="Local worker processes (default: all cores)."),
    no_cache: bool = typer.Option(False, "--no-cache", help="Recompute units even if a cached result exists."),
) -> None:
    """Run benchmark tasks; finished units are cached so an interrupted run resumes."""
    if executor.startswith("dask://"):
        refuse_given(ctx, ("jobs",), "with a Dask cluster, whose workers are its own")
    else:
        refuse_given(ctx, ("worker_timeout",), "without a Dask cluster (--executor dask://HOST:PORT)")
    from ..bench import ResultCache, run_benchmarks, select_tasks
    from ..bench.report import tables, write_json, write_report
    tasks = select_tasks(target)
    with Progress(TextColumn("bench", style="bold"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  TextColumn("{task.description}", markup=False), console=err, transient=True) as bar:
        pid = bar.add_task("", total=None)

        def progress(done: int, total: int, what: str) -> None:
            bar.update(pid, completed=done, total=total, description=what[:60])

        result = run_benchmarks(tasks, quick=quick, executor=executor, jobs=jobs, worker_timeout_s=worker_timeout,
                                cache=None if no_cache else ResultCache(), progress=progress)
    for t in tables(result):
        out.print(t)
    for r in result.results:  # the units' warnings, each once
        for message, n in r.get("log", {}).items():
            err.print(Text.assemble(("warning:", "yellow"), f" {message} ({r['task']}, {n}x)"), highlight=False)
    for name, why in result.skipped.items():
        err.print(Text.assemble((f"skipped {name}:", "yellow"), f" {why}"), highlight=False)
    if json_path:
        write_json(result, json_path)
        err.print(f"results: {json_path}")
    if report:
        path = write_report(result, report)
        err.print(f"report: {path}")


@peers_app.command("list")
def peers_list() -> None:
    """Peers and where they are: here (importable), venv (own environment) or missing."""
    from ..bench.peers import PEERS, peer_status
    table = Table(title="peers", title_justify="left")
    for col in ("peer", "status", "requirements", "description"):
        table.add_column(col)
    for p in PEERS.values():
        status = peer_status(p.name)
        table.add_row(p.name, Text(status, style="yellow" if status == "missing" else "green"),
                      " ".join(p.requirements) or "(sensekit's)", p.description)
    out.print(table)


@peers_app.command("install")
def peers_install(name: str = typer.Argument(None, help="Peer name; default: every peer that needs its own venv.")) -> None:
    """Create a peer's own virtual environment with its pinned requirements."""
    from ..bench.peers import PEERS, install_peer
    names = [name] if name else [p.name for p in PEERS.values() if p.own_venv]
    for n in names:
        with err.status(f"installing {n}..."):
            py = install_peer(n, log=lambda line: err.print(f"  $ {line}", highlight=False))
        out.print(f"{n}: installed in {py.parent.parent}", highlight=False)


