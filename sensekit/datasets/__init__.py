"""Dataset cards and downloads: where each public dataset comes from, its checksums,
licence and loader; fetched with pooch into a user cache, or used as is from
``SENSEKIT_DATA``.

Cards are TOML files in ``sensekit/datasets/cards/`` (one per dataset)::

    name = "libemg_myo_test"
    title = "..."            description, licence, citation, homepage
    kind = "emg"             what the data is
    loader = "sensekit.emg.datasets:load_libemg_myo_test"
    size_bytes = 340123
    [[files]]
    path = "R_0_C_0_EMG.csv"  # relative to the dataset folder
    sha256 = "..."
    size = 13783
    url = "https://..."       # empty: not downloadable (shipped some other way)

Where the files are found, in order: ``$SENSEKIT_DATA/<name>/`` when that folder exists
(used as is, never downloaded into), else ``$SENSEKIT_CACHE/datasets/<name>/``
(default: the platform's user cache, e.g. ``~/.cache/sensekit``).
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib
import logging
import os
import tomllib
from collections.abc import Callable
from functools import cache
from importlib import resources
from pathlib import Path

from ..errors import DatasetError

__all__ = [
    "DataFile",
    "DatasetCard",
    "cards",
    "get_card",
    "dataset_dir",
    "fetch",
    "verify",
    "cache_dir",
    "load",
]

log = logging.getLogger("sensekit")


@dataclasses.dataclass(frozen=True)
class DataFile:
    """One file of a dataset: ``path`` (relative), ``sha256``, ``size`` (bytes), ``url``."""

    path: str
    sha256: str
    size: int
    url: str = ""


@dataclasses.dataclass(frozen=True)
class DatasetCard:
    """What sensekit knows about a public dataset."""

    name: str
    title: str
    kind: str
    description: str
    licence: str
    citation: str
    homepage: str
    loader: str
    size_bytes: int
    files: tuple[DataFile, ...]

    @property
    def downloadable(self) -> bool:
        """True when every file has a download URL."""
        return all(f.url for f in self.files)


def _card_from_toml(text: str, origin: str) -> DatasetCard:
    try:
        doc = tomllib.loads(text)
        files = tuple(DataFile(**f) for f in doc.pop("files", []))
        return DatasetCard(files=files, **doc)
    except (tomllib.TOMLDecodeError, TypeError) as e:
        raise DatasetError(f"dataset card {origin} is malformed ({e})") from None


@cache
def cards() -> dict[str, DatasetCard]:
    """Every dataset card shipped with sensekit, by name."""
    out = {}
    for entry in sorted(resources.files(__package__).joinpath("cards").iterdir(), key=lambda p: p.name):
        if entry.name.endswith(".toml"):
            card = _card_from_toml(entry.read_text(), entry.name)
            out[card.name] = card
    return out


def get_card(name: str) -> DatasetCard:
    """The card of dataset ``name``; a :class:`DatasetError` lists the known names."""
    all_cards = cards()
    if name not in all_cards:
        raise DatasetError(f"no dataset card named {name!r}", f"known datasets: {', '.join(all_cards)}")
    return all_cards[name]


def cache_dir() -> Path:
    """Where downloads go: ``$SENSEKIT_CACHE`` or the platform's user cache folder."""
    env = os.environ.get("SENSEKIT_CACHE")
    if env:
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_cache_dir("sensekit"))


def _shared_dir(name: str) -> Path | None:
    if name in cards() and cards()[name].kind == "model":
        root = os.environ.get("SENSEKIT_MODELS")
        return Path(root) / name if root and (Path(root) / name).is_dir() else None
    root = os.environ.get("SENSEKIT_DATA")
    if root and (Path(root) / name).is_dir():
        return Path(root) / name
    return None


def dataset_dir(name: str, *, download: bool = False, mirror: str | None = None,
                progress: Callable | None = None) -> Path:
    """The folder holding dataset ``name``, complete.

    Parameters
    ----------
    name : str
        Dataset name (see :func:`cards`).
    download : bool
        Fetch missing files into the cache; otherwise a missing dataset is an error
        that says how to fetch it.
    mirror, progress
        Passed to :func:`fetch`.

    Raises
    ------
    DatasetError
        Unknown name; files missing and ``download`` false; a failed download.
    """
    card = get_card(name)
    shared = _shared_dir(name)
    if shared is not None:
        return shared
    if not card.files:  # not redistributable: the user's own copy
        env = "SENSEKIT_" + name.upper().replace("-", "_")
        own = os.environ.get(env)
        if own and Path(own).is_dir():
            return Path(own)
        raise DatasetError(f"dataset {name!r} is not redistributable, so sensekit cannot download it",
                           f"download it from {card.homepage} and set {env} to its folder "
                           f"(or SENSEKIT_DATA to a folder holding {name}/)")
    folder = cache_dir() / "datasets" / name
    missing = [f for f in card.files if not (folder / f.path).is_file()]
    if missing:
        if not download:
            raise DatasetError(
                f"dataset {name!r} is not downloaded ({len(missing)} of {len(card.files)} files missing in {folder})",
                f"run 'sensekit datasets fetch {name}' or set SENSEKIT_DATA to a folder holding {name}/",
            )
        fetch(name, mirror=mirror, progress=progress)
    return folder


def fetch(name: str, *, mirror: str | None = None, progress: Callable | None = None) -> Path:
    """Download every missing or damaged file of a dataset into the cache, checksums verified.

    Parameters
    ----------
    name : str
        Dataset name.
    mirror : str, optional
        Base URL of a mirror laid out like ``SENSEKIT_DATA`` (``<mirror>/<name>/<path>``),
        used instead of the card's URLs (a lab's file server; tests use one on 127.0.0.1).
    progress : callable, optional
        Called as ``progress(file, done_bytes, total_bytes)`` after each file.

    Returns
    -------
    Path
        The dataset folder. When ``SENSEKIT_DATA`` already holds the dataset, that folder
        is returned and nothing is downloaded.

    Raises
    ------
    DatasetError
        A server that cannot be reached or answers with an error, or a file whose
        checksum differs (the bad download is deleted, the cache keeps no corrupt file).
    """
    import pooch

    card = get_card(name)
    shared = _shared_dir(name)
    if shared is not None:
        return shared
    if not card.downloadable and mirror is None:
        raise DatasetError(f"dataset {name!r} has no download address",
                           f"get it from its source: {card.homepage or 'see its card'}")
    folder = cache_dir() / "datasets" / name
    if not card.files:
        raise DatasetError(f"dataset {name!r} is not redistributable, so sensekit cannot download it",
                           f"download it from {card.homepage} and point SENSEKIT_{name.upper().replace('-', '_')} at it")
    total = sum(f.size for f in card.files)
    done = 0
    for f in card.files:
        target = folder / f.path
        expected = _expected_sha256(f, target)
        if target.is_file() and (not f.size or target.stat().st_size == f.size) and expected \
                and _sha256(target) == expected:
            done += f.size
            if progress:
                progress(f, done, total)
            continue
        url = f"{mirror.rstrip('/')}/{name}/{_quote(f.path)}" if mirror else f.url
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            pooch.retrieve(url, known_hash=f"sha256:{expected}" if expected else None, fname=target.name,
                           path=target.parent, progressbar=False)
            if not expected:  # the publisher gives no checksum: pin this download's
                pin = _sha256(target)
                _pin_path(target).write_text(pin + "\n")
                log.warning("dataset %r: %s has no published checksum; pinned sha256 %s (later fetches and "
                            "'sensekit datasets verify' check against it)", name, f.path, pin)
        except ValueError as e:  # pooch: hash mismatch (the download is removed)
            if target.exists() and _sha256(target) != expected:
                target.unlink()
            raise DatasetError(f"dataset {name!r}: {f.path} failed its sha256 check ({str(e).splitlines()[0][:120]})",
                               "the source changed or the download was damaged; try again or report it") from None
        except Exception as e:  # connection refused, HTTP errors, timeouts
            raise DatasetError(f"dataset {name!r}: cannot download {f.path} from {url} ({type(e).__name__}: "
                               f"{str(e).splitlines()[0][:160] if str(e) else ''})",
                               "check the network or the mirror, then run the fetch again (it resumes)") from None
        done += f.size
        if progress:
            progress(f, done, total)
    return folder


def _pin_path(target: Path) -> Path:
    return target.with_name(target.name + ".sha256")


def _expected_sha256(f: DataFile, target: Path) -> str:
    """The card's checksum, or the one pinned at the first download of a file whose
    publisher gives none ("" when neither exists)."""
    if f.sha256:
        return f.sha256
    pin = _pin_path(target)
    return pin.read_text().strip() if pin.is_file() else ""


def _quote(path: str) -> str:
    from urllib.parse import quote

    return quote(path)


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def verify(name: str) -> list[tuple[DataFile, str]]:
    """Check every file of a dataset where :func:`dataset_dir` finds it.

    Returns
    -------
    list of (DataFile, status)
        status is ``"ok"``, ``"missing"``, ``"size"`` (wrong size) or ``"sha256"``.
    """
    card = get_card(name)
    folder = _shared_dir(name) or cache_dir() / "datasets" / name
    out = []
    for f in card.files:
        p = folder / f.path
        expected = _expected_sha256(f, p)
        if not p.is_file():
            out.append((f, "missing"))
        elif f.size and p.stat().st_size != f.size:
            out.append((f, "size"))
        elif expected and _sha256(p) != expected:
            out.append((f, "sha256"))
        else:
            out.append((f, "ok"))
    return out


def load(name: str, **kwargs):
    """Call the dataset's loader (named in its card) on its folder."""
    card = get_card(name)
    if not card.loader:
        raise DatasetError(f"dataset {name!r} has no loader")
    module, _, attr = card.loader.partition(":")
    try:
        fn = getattr(importlib.import_module(module), attr)
    except (ImportError, AttributeError):
        raise DatasetError(f"the loader {card.loader} of dataset {name!r} is not available in this sensekit version",
                           "upgrade sensekit") from None
    return fn(dataset_dir(name), **kwargs)
