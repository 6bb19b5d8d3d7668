"""The fuzz corpus (issue 16): every damaged input through the command line, each with a time
limit. A reader refuses with one line, or warns and says what it changed; never a traceback,
a hang or a silently wrong result."""

from __future__ import annotations

import os
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from fuzz_corpus import all_cases, invoke_within  # noqa: E402
from mutation_fuzz import run_mutants  # noqa: E402


def test_fuzz_corpus(tmp_path, capsys):
    shared = Path(os.environ["SENSEKIT_DATA"]) if os.environ.get("SENSEKIT_DATA") else None
    cases = all_cases(tmp_path / "corpus", shared)
    counts: Counter = Counter()
    problems = []
    for name, path, commands, expect in cases:
        for cmd in commands:
            out = tmp_path / f"out{counts['runs']}"
            args = [a.format(p=path, out=out) for a in cmd]
            counts["runs"] += 1
            r = invoke_within(args)
            if r is None:
                counts["hangs"] += 1
                problems.append(f"{name} {cmd[0]}: no answer in 10 s")
                continue
            err = r.stderr.strip()
            if r.exception is not None and not isinstance(r.exception, SystemExit) or "Traceback" in r.output:
                counts["tracebacks"] += 1
                problems.append(f"{name} {' '.join(cmd[:2])}: traceback {type(r.exception).__name__}: {r.exception}")
            elif r.exit_code != 0:
                errors = [line for line in err.splitlines() if line.startswith("error:")]
                if r.exit_code != 2 or len(errors) != 1 or not err.splitlines()[-1].startswith("error:"):
                    problems.append(f"{name} {cmd[0]}: exit {r.exit_code} with {err[-300:]!r}")
                counts["clean errors"] += 1
            elif "warning" in err.lower() or "WARNING" in err:
                counts["warnings"] += 1
                if expect == "refuse":
                    problems.append(f"{name} {cmd[0]}: warned but should refuse: {err[-200:]!r}")
            else:
                counts["clean results"] += 1
                if expect != "any":
                    problems.append(f"{name} {' '.join(cmd[:2])}: exit 0 without a word ({expect} expected)")
    with capsys.disabled():
        print(f"\nfuzz corpus: {len(cases)} damaged inputs, {counts['runs']} command runs: "
              f"{counts['clean errors']} clean errors, {counts['warnings']} warnings, "
              f"{counts['clean results']} clean results (harmless damage), {counts['tracebacks']} tracebacks, "
              f"{counts['hangs']} hangs")
    assert not problems, "\n".join(problems)
    assert len(cases) >= 200 and counts["runs"] >= 400


def test_random_mutants_of_every_format(tmp_path, capsys):
    """Random mutants of valid recordings, exports, rows and calibrations (``mutation_fuzz``) through
    the commands that read them: a clean result, a warning or one error line, never a traceback or
    a hang; random signals, options, scenes and HRTF contents through the commands that write
    audio (``ear``), whose output is never non-finite or at full scale; and each chain's recordings
    with their samples rewritten (``values``), or their stream meta (``meta``: a file's or another
    machine's LSL outlet's), through the chain's commands, whose JSON lines stay strict JSON. A
    few fixed seeds here; long runs by hand found the corpus's later cases."""
    report = []
    for family, count in (("text", 30), ("bytes", 30), ("json", 15), ("ear", 20), ("values", 20), ("meta", 20)):
        runs, findings = run_mutants(family, range(count), tmp_path / family, limit_s=20)
        assert not findings, "\n".join(findings)
        report.append(f"{family} {count} mutants / {runs} runs")
    with capsys.disabled():
        print(f"\nmutants: {', '.join(report)}: no finding")
