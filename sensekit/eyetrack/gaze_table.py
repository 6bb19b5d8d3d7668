"""A gaze table's rows as the loaders read them, without a dict per row.

``csv.DictReader`` makes one dict per row: a Tobii Pro Lab export of about 90 columns took twelve
times its file's size in memory (a 21 MB file held 251 MB). Here every row is a :class:`TableRow`:
the header's index, shared by all rows, and the row's cells in a tuple, with a repeated short
text cell (a recording's name, ``Eye Tracker``, a validity word) kept once. The file is read as a
stream, not as one text and a list of its lines besides. On an export of 90 columns (5 of gaze,
20 of a study's names, 30 empty, 35 of numbers; 14 MB), the rows hold 87 MB (200 MB as dicts) and
the whole load peaks at 92 MB (230 MB), in the same time. A compressed table (``export.tsv.gz``,
as large exports are kept) is decompressed into a temporary file first (:func:`gunzipped`).
"""

from __future__ import annotations

import csv
import gzip
import re
import tempfile
import zlib
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from ..core.recording.csvfile import DELIMITERS, PREAMBLE_LINES
from ..errors import RecordingError

__all__ = ["TableRow", "read_table", "preamble", "is_gzipped_table", "gunzipped"]

#: A number written with a decimal comma.
DECIMAL_COMMA = re.compile(r"[-+]?\d*,\d+(?:[eE][-+]?\d+)?")


class TableRow(Mapping):
    """One row: its cells by column name, as ``csv.DictReader``'s dict gives them (``None`` for a
    cell the row lacks; a repeated column name gives its last column)."""

    __slots__ = ("_index", "_cells")

    def __init__(self, index: dict[str, int], cells: tuple[str, ...]) -> None:
        self._index = index
        self._cells = cells

    def __getitem__(self, name: str) -> str | None:
        i = self._index[name]
        return self._cells[i] if i < len(self._cells) else None

    def get(self, name, default=None):
        i = self._index.get(name)
        if i is None:
            return default
        return self._cells[i] if i < len(self._cells) else None

    def __contains__(self, name: object) -> bool:
        return name in self._index

    def __iter__(self) -> Iterator[str]:
        return iter(self._index)

    def __len__(self) -> int:
        return len(self._index)


def preamble(lines: list[str]) -> int:
    """How many lines open a table before its header: blank lines, comments (``#``, ``%``: SMI
    BeGaze's ``##`` lines) and ``Key: value`` lines with no separator in them, as exports write
    their metadata."""
    for i, line in enumerate(lines[:PREAMBLE_LINES]):
        text = line.strip()
        if text and not text.startswith(("#", "%")) and any(d in text for d in ("\t", ",", ";")):
            return i
    return 0


def _shared(cell: str, seen: dict[str, str]) -> str:
    """The cell, or the same text read before: short words repeat down a column, numbers do not."""
    if len(cell) > 40 or not cell or cell[0].isdigit() or cell[0] in "-+.":
        return cell
    return seen.setdefault(cell, cell)


def read_table(path: Path, what: str = "gaze samples") -> tuple[list[TableRow], bool]:
    """The rows of a table with a header line (after a vendor's preamble), its separator the
    header's commonest of comma, tab and semicolon, and whether decimal commas were read as
    points (a tab- or semicolon-separated table's: a German or French spreadsheet's)."""
    with open(path, encoding="utf-8-sig", errors="replace", newline="") as fh:
        top = [line for _, line in zip(range(PREAMBLE_LINES + 1), fh, strict=False)]
    skip = preamble([line.rstrip("\r\n") for line in top])
    first = top[skip] if skip < len(top) else ""
    delimiter = max(DELIMITERS, key=first.count)
    seen: dict[str, str] = {}
    with open(path, encoding="utf-8-sig", errors="replace", newline="") as fh:
        for _ in range(skip):
            fh.readline()
        reader = csv.reader(fh, delimiter=delimiter)
        header = next((r for r in reader if r), None)
        if header is None:
            raise RecordingError(f"{path.name} is empty", f"export {what} with a header row")
        index = {name: i for i, name in enumerate(header)}
        rows = [TableRow(index, tuple(_shared(c, seen) for c in r)) for r in reader if r]
    commas = delimiter != "," and any(DECIMAL_COMMA.fullmatch((v or "").strip()) for r in rows[:100]
                                      for v in r.values())
    if commas:
        rows = [TableRow(index, tuple(c.replace(",", ".") if DECIMAL_COMMA.fullmatch(c.strip()) else c
                                      for c in r._cells)) for r in rows]
    return rows, commas


#: The endings of tables that a ``.gz`` may hold (``export.tsv.gz``): read as the table.
TABLE_SUFFIXES = (".csv", ".tsv", ".txt")


def is_gzipped_table(path: Path) -> bool:
    """A compressed table (``export.tsv.gz``): a large gaze export kept compressed."""
    path = Path(path)
    return path.suffix.lower() == ".gz" and Path(path.stem).suffix.lower() in TABLE_SUFFIXES and path.is_file()


@contextmanager
def gunzipped(path: Path, max_bytes: int):
    """A compressed file decompressed into a temporary file of the same name without ``.gz``
    (deleted after the block); over ``max_bytes`` decompressed, or not gzip, is one line."""
    with tempfile.TemporaryDirectory(prefix="sensekit-") as folder:
        plain = Path(folder) / Path(path).stem
        written = 0
        try:
            with gzip.open(path, "rb") as src, open(plain, "wb") as dst:
                while chunk := src.read(1 << 20):
                    written += len(chunk)
                    if written > max_bytes:
                        raise RecordingError(f"{path.name} decompresses to over {max_bytes / 1e6:.0f} MB, more than "
                                             "a gaze table is read whole to", "export its time, gaze and validity "
                                             "columns alone, or a shorter stretch")
                    dst.write(chunk)
        except (OSError, EOFError, zlib.error) as e:
            raise RecordingError(f"{path.name} is not a readable gzip file ({e})", "compress it again") from None
        yield plain
