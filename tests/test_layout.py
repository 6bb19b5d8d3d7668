"""The layering of DESIGN.md, checked on the source: no chain imports another chain, and the
core, the bench and the shared learning parts name no chain (chains register themselves)."""

from __future__ import annotations

import ast
from pathlib import Path

import sensekit

ROOT = Path(sensekit.__file__).parent
CHAINS = ("emg", "gesture", "eyetrack", "spatial_audio")


def _imports(path: Path) -> set[str]:
    """Absolute names of the sensekit modules a file imports (relative imports resolved)."""
    package = path.relative_to(ROOT.parent).with_suffix("").parts[:-1]
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                name = ".".join((*base, node.module)) if node.module else ".".join(base)
            else:
                name = node.module or ""
            out.add(name)
            out.update(f"{name}.{a.name}" for a in node.names)
        elif isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.startswith("sensekit."):
            out.add(node.value.split(":")[0])  # "module:attr" registrations
    return {n for n in out if n.startswith("sensekit")}


def _chain_of(name: str) -> str | None:
    parts = name.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in CHAINS else None


def test_no_chain_imports_another_chain():
    bad = []
    for chain in CHAINS:
        for path in (ROOT / chain).rglob("*.py"):
            for name in _imports(path):
                other = _chain_of(name)
                if other is not None and other != chain:
                    bad.append(f"{path.relative_to(ROOT)} -> {name}")
    assert not bad, bad


def test_core_bench_and_learn_name_no_chain():
    bad = []
    for part in ("core", "bench", "learn"):
        for path in (ROOT / part).rglob("*.py"):
            bad += [f"{path.relative_to(ROOT)} -> {n}" for n in _imports(path) if _chain_of(n)]
    assert not bad, bad


def test_fusion_sits_above_the_chains():
    """sensekit.fusion may use the chains' stages; no chain, nor the core, bench or learn, uses it."""
    bad = []
    for part in (*CHAINS, "core", "bench", "learn"):
        for path in (ROOT / part).rglob("*.py"):
            bad += [f"{path.relative_to(ROOT)} -> {n}" for n in _imports(path) if n.startswith("sensekit.fusion")]
    assert not bad, bad
