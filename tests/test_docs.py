"""The commands the README and docs show in their code blocks are commands the CLI takes: every
subcommand exists and every option, value and argument parses (nothing is run)."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
import typer
from typer.core import TyperGroup
from typer.exceptions import Exit

from sensekit.cli import app

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def shown_commands(text: str) -> list[str]:
    """The ``sensekit ...`` lines of a markdown text's fenced code blocks, continuation lines
    joined, a ``$`` prompt, a trailing ``# comment`` and a pipe taken off."""
    out = []
    for block in re.findall(r"```[a-z]*\n(.*?)```", text, re.S):
        for line in block.replace("\\\n", " ").splitlines():
            line = line.strip().removeprefix("$").strip()
            if line.startswith("sensekit "):
                out.append(re.split(r"\s+#\s|\s+\|\s", line)[0])
    return out


def parse(args: list[str]) -> None:
    """Resolve ``args`` down to one command and parse them as it would, without running it;
    a usage error raises."""
    command = typer.main.get_command(app)
    name = "sensekit"
    while isinstance(command, TyperGroup):  # group options are flags: the first word names the subcommand
        ctx = command.make_context(name, [], resilient_parsing=True)
        words = [i for i, a in enumerate(args) if not a.startswith("-")]
        if not words:
            break
        flags, name, args = args[: words[0]], args[words[0]], args[words[0] + 1:]
        assert not [f for f in flags if f not in ("--debug", "-v", "-vv", "--verbose")], f"{flags} before {name!r}"
        sub = command.get_command(ctx, name)
        assert sub is not None, f"no command {name!r}"
        command = sub
    try:
        command.make_context(name, list(args))
    except Exit:  # --help
        pass


CASES = [(doc.name, c) for doc in DOCS for c in shown_commands(doc.read_text())]


def test_the_docs_show_commands():
    assert len([c for d, c in CASES if d == "README.md"]) > 40


@pytest.mark.parametrize(("doc", "command"), CASES, ids=[f"{d}:{c[:60]}" for d, c in CASES])
def test_shown_command_parses(doc, command):
    parse(shlex.split(command)[1:])


@pytest.mark.parametrize("command", ["sensekit run emg --bogus 3 band.json", "sensekit spatial render --az abc x.wav",
                                     "sensekit nosuch thing"])
def test_a_wrong_command_does_not_parse(command):
    with pytest.raises(Exception):  # noqa: B017 - a usage error or an unknown command
        parse(shlex.split(command)[1:])


def _modules_with_examples() -> list[str]:
    package = ROOT / "sensekit"
    return sorted(".".join(p.relative_to(ROOT).with_suffix("").parts) for p in package.rglob("*.py")
                  if ">>> " in p.read_text(encoding="utf-8"))


@pytest.mark.parametrize("module", _modules_with_examples())
def test_docstring_examples_give_what_they_show(module):
    """Every ``>>>`` example in the package's docstrings prints what the docstring says (an example
    of ``nominal_rate`` had shown 29.97 Hz where it gives 30)."""
    import doctest
    import importlib

    failures, tried = doctest.testmod(importlib.import_module(module), optionflags=doctest.ELLIPSIS
                                      | doctest.NORMALIZE_WHITESPACE, verbose=False, report=True)
    assert failures == 0, f"{failures} of {tried} examples in {module} differ (printed above)"
