"""On-disk cache of finished benchmark units, so that an interrupted run resumes."""

from __future__ import annotations

import hashlib
import json
import os
from functools import cache
from pathlib import Path

__all__ = ["ResultCache", "code_version"]


@cache
def code_version() -> str:
    """A hash of every Python file of the installed sensekit: any code change is a new version."""
    root = Path(__file__).resolve().parents[1]
    h = hashlib.sha256()
    for p in sorted(root.rglob("*.py")):
        h.update(p.relative_to(root).as_posix().encode())
        h.update(p.read_bytes())
    return h.hexdigest()[:16]


class ResultCache:
    """JSON files keyed by task, task version, unit key, quick flag, code version and the
    installed peers (name, status, version)."""

    def __init__(self, folder: Path | None = None) -> None:
        if folder is None:
            from ..datasets import cache_dir

            folder = cache_dir() / "bench"
        self.folder = Path(folder)
        self._peers: dict | None = None  # read once per run

    def key(self, task_name: str, task_version: str, unit: dict, quick: bool) -> str:
        from .peers import peer_versions

        if self._peers is None:
            self._peers = peer_versions()
        text = json.dumps([task_name, task_version, unit, quick, code_version(), self._peers], sort_keys=True,
                          default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:24]

    def get(self, key: str) -> dict | None:
        p = self.folder / f"{key}.json"
        try:
            return json.loads(p.read_text())
        except (OSError, ValueError):
            return None

    def put(self, key: str, result: dict) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        p = self.folder / f"{key}.json"
        tmp = p.with_suffix(".tmp")
        tmp.write_text(json.dumps(result))
        os.replace(tmp, p)
