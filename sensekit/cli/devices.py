"""``sensekit devices``: the source strings that can be opened here."""

from __future__ import annotations

import json

import typer
from rich.table import Table
from rich.text import Text

from ._app import err, out


def devices(
    lsl_wait: float = typer.Option(1.0, "--lsl-wait", help="Seconds to look for LSL streams."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
) -> None:
    """List audio inputs, cameras, LSL streams and BrainFlow boards, as source strings."""
    from ..core.sources.devices import list_devices
    with err.status("looking for devices..."):
        entries, problems = list_devices(lsl_wait_s=lsl_wait)
    if as_json:
        out.print_json(json.dumps({"devices": [e.__dict__ for e in entries], "problems": problems}))
        return
    table = Table(title="sources", title_justify="left")
    table.add_column("kind")
    table.add_column("source string", style="bold cyan")
    table.add_column("description")
    for e in entries:
        table.add_row(e.category, e.source, e.description)
    out.print(table)
    for p in problems:
        err.print(Text.assemble(("not available:", "yellow"), f" {p}"), highlight=False)
