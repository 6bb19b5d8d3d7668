"""``sensekit datasets``: list, describe, fetch and verify public datasets."""

from __future__ import annotations

import importlib.util
import logging

import typer
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn, TransferSpeedColumn
from rich.table import Table
from rich.text import Text

from ._app import err, fail, new_app, out

app = new_app("List, describe, fetch and verify the public datasets sensekit knows.")


def _where(name: str) -> str:
    from .. import datasets as ds
    try:
        path = ds.dataset_dir(name)
    except Exception:
        return "not downloaded"
    return str(path)


def _loader_available(loader: str) -> bool:
    try:
        return bool(loader) and importlib.util.find_spec(loader.partition(":")[0]) is not None
    except ModuleNotFoundError:
        return False


def _mb(n: int) -> str:
    return f"{n / 1e6:,.1f} MB"


@app.command("list")
def list_() -> None:
    """Every dataset card, with its size, licence and where its files are."""
    from .. import datasets as ds
    table = Table(title="datasets", title_justify="left")
    for col in ("name", "kind", "files", "size", "licence", "location"):
        table.add_column(col, justify="right" if col in ("files", "size") else "left", overflow="fold")
    for card in ds.cards().values():
        table.add_row(card.name, card.kind, str(len(card.files)), _mb(card.size_bytes), card.licence, _where(card.name))
    out.print(table)


@app.command()
def info(name: str = typer.Argument(..., help="Dataset name (see 'sensekit datasets list').")) -> None:
    """A dataset's card: origin, licence, citation, files, loader and location."""
    from .. import datasets as ds
    card = ds.get_card(name)
    available = _loader_available(card.loader)
    grid = Table.grid(padding=(0, 2))
    for key, value in (("name", card.name), ("title", card.title), ("kind", card.kind),
                       ("description", card.description), ("licence", card.licence), ("citation", card.citation),
                       ("homepage", card.homepage or "-"),
                       ("loader", f"{card.loader or '-'}{'' if available or not card.loader else ' (not in this version)'}"),
                       ("files", f"{len(card.files)} ({_mb(card.size_bytes)})"),
                       ("download", "yes (sha256 checked)" if card.downloadable else "no address: shipped separately"),
                       ("location", _where(name))):
        grid.add_row(Text(key, style="bold"), value)
    out.print(grid)


@app.command()
def fetch(
    name: str = typer.Argument(..., help="Dataset name."),
    mirror: str | None = typer.Option(None, "--mirror", help="Base URL of a mirror laid out as <mirror>/<name>/<path>."),
) -> None:
    """Download a dataset into the user cache (checksums verified; resumes where it stopped)."""
    from .. import datasets as ds
    logging.getLogger("pooch").setLevel(logging.WARNING)
    card = ds.get_card(name)
    with Progress(TextColumn("{task.description}", markup=False, style="bold"), BarColumn(), DownloadColumn(),
                  TransferSpeedColumn(), TimeRemainingColumn(), console=err, transient=True) as bar:
        task = bar.add_task(name, total=card.size_bytes)

        def progress(_file, done, _total):
            bar.update(task, completed=done)

        path = ds.fetch(name, mirror=mirror, progress=progress)
    out.print(f"{name}: {len(card.files)} files ({_mb(card.size_bytes)}) in {path}", highlight=False)


@app.command()
def verify(name: str = typer.Argument(..., help="Dataset name.")) -> None:
    """Check the size and sha256 of every file of a dataset; exit 1 if any is missing or damaged."""
    from .. import datasets as ds
    results = ds.verify(name)
    bad = [(f, s) for f, s in results if s != "ok"]
    for f, s in bad[:20]:
        err.print(Text.assemble((f"{s:8s}", "red"), f" {f.path}"), highlight=False)
    if len(bad) > 20:
        err.print(f"... and {len(bad) - 20} more")
    if bad:
        fail(f"{name}: {len(bad)} of {len(results)} files missing or damaged; run 'sensekit datasets fetch {name}'", 1)
    out.print(f"{name}: all {len(results)} files present, sizes and sha256 match", highlight=False)
