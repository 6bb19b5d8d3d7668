import json

import numpy as np
import pytest
from typer.testing import CliRunner

from sensekit.bench import ResultCache, Task, register, run_benchmarks, select_tasks
from sensekit.bench import peers as P
from sensekit.bench import task as task_module
from sensekit.cli import app
from sensekit.errors import DatasetError, ParameterError
from sensekit.learn import metrics as M

runner = CliRunner()


def test_metrics_against_hand_computed_values():
    y_true = ["a", "a", "a", "a", "b", "b", "c", "c", "c", "c"]
    y_pred = ["a", "a", "a", "b", "b", "b", "c", "c", "a", "b"]
    m, labels = M.confusion_matrix(y_true, y_pred)
    assert labels == ["a", "b", "c"] and m.tolist() == [[3, 1, 0], [0, 2, 0], [1, 1, 2]]
    assert M.accuracy(y_true, y_pred) == pytest.approx(0.7)
    assert M.balanced_accuracy(y_true, y_pred) == pytest.approx((3 / 4 + 2 / 2 + 2 / 4) / 3)
    # kappa: p_o = 0.7, p_e = (4*4 + 2*4 + 4*2) / 100 = 0.32 -> (0.7 - 0.32) / 0.68
    assert M.cohen_kappa(y_true, y_pred) == pytest.approx(0.38 / 0.68)
    assert M.cohen_kappa([1, 1, 2], [1, 1, 2]) == 1.0
    assert M.angular_error_deg([1, 0, 0], [0, 1, 0]) == pytest.approx(90)
    assert M.angular_error_deg([[1, 0, 0]], [[1, 1, 0]])[0] == pytest.approx(45)
    np.testing.assert_allclose(M.azimuth_error_deg([350, 10, 90], [10, 350, 270]), [20, 20, 180])
    with pytest.raises(ParameterError, match="equal length"):
        M.accuracy([1, 2], [1])


def test_select_tasks_by_chain_name_and_all():
    assert {t.name for t in select_tasks("core")} >= {"core.toy-bands", "core.replay"}
    assert [t.name for t in select_tasks("core.replay")] == ["core.replay"]
    with pytest.raises(ParameterError, match="no benchmark task or chain 'nope'"):
        select_tasks("nope")
    r = runner.invoke(app, ["bench", "list", "core"])  # 'bench list' takes the same selector
    assert r.exit_code == 0 and "core.toy-bands" in r.stdout and "emg." not in r.stdout, r.output
    r = runner.invoke(app, ["bench", "list", "nope"])
    assert r.exit_code == 2 and "no benchmark task or chain 'nope'" in r.stderr


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("SENSEKIT_CACHE", str(tmp_path / "cache"))
    return ResultCache(tmp_path / "cache" / "bench")


def test_toy_task_end_to_end_through_the_cli(tmp_path, cache):
    r = runner.invoke(app, ["bench", "run", "core.toy-bands", "--quick", "-j", "1", "--json", str(tmp_path / "r.json"),
                            "--report", str(tmp_path / "report")])
    assert r.exit_code == 0, r.output
    doc = json.loads((tmp_path / "r.json").read_text())
    assert doc["schema"] == "sensekit-bench/1"
    assert {"cpu", "cores", "packages", "git_commit", "date", "python"} <= set(doc["environment"])
    (res,) = doc["results"]
    assert res["task"] == "core.toy-bands"
    assert all(isinstance(v, float) for v in res["metrics"].values())
    assert res["metrics"]["accuracy"] > 0.9  # the classes are separable by band power
    assert {"x_realtime", "latency_p50_ms", "latency_p99_ms", "peak_memory_mb"} <= set(res["speed"])
    assert res["peers"]["scikit-learn"]["accuracy"] > 0.8
    assert "accuracy_vs_scikit-learn" in res["ratios"]
    report = (tmp_path / "report" / "report.md").read_text()
    for png in ("core_toy-bands-confusion.png", "core_toy-bands-latencies.png"):
        assert f"]({png})" in report and (tmp_path / "report" / png).stat().st_size > 1000
    assert "core.toy-bands" in r.stdout and "scikit-learn" in r.stdout


def test_finished_units_are_cached_and_resumed(cache, monkeypatch):
    calls = []
    original = task_module.all_tasks()["core.toy-bands"]
    counting = Task(name="test.counting", chain="test", description="counts calls", units=original.units,
                    run_unit=lambda key, quick: calls.append(key) or original.run_unit(key, quick))
    register(counting)
    try:
        first = run_benchmarks([counting], quick=True, jobs=1, cache=cache)
        n = len(calls)
        assert n == len(original.units(True))
        again = run_benchmarks([counting], quick=True, jobs=1, cache=cache)
        assert len(calls) == n  # everything came from the cache
        assert again.results[0]["metrics"] == first.results[0]["metrics"]
    finally:
        task_module._REGISTRY.pop("test.counting")


def test_dask_cluster_gives_the_local_results(cache):
    distributed = pytest.importorskip("distributed")
    tasks = select_tasks("core.toy-bands")
    local = run_benchmarks(tasks, quick=True, jobs=1)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, host="127.0.0.1", dashboard_address=None,
                                  processes=True) as cluster:
        remote = run_benchmarks(tasks, quick=True, executor=f"dask://{cluster.scheduler_address}")
    assert remote.results[0]["metrics"] == local.results[0]["metrics"]
    assert remote.results[0]["confusion"] == local.results[0]["confusion"]
    assert remote.environment["executor"].startswith("dask://")


def test_unreachable_dask_scheduler_is_one_line(cache):
    pytest.importorskip("distributed")
    r = runner.invoke(app, ["bench", "run", "core.toy-bands", "--quick", "--executor", "dask://127.0.0.1:1"])
    assert r.exit_code == 2 and "cannot reach the Dask scheduler" in r.stderr
    r = runner.invoke(app, ["bench", "run", "core.toy-bands", "--quick", "--worker-timeout", "5"])  # (local)
    assert r.exit_code == 2 and "--worker-timeout does not apply without a Dask cluster" in r.stderr


def test_missing_dataset_fails_the_run_with_a_clear_error(cache, monkeypatch):
    from sensekit import datasets

    monkeypatch.delenv("SENSEKIT_DATA", raising=False)
    needs_data = Task(name="test.needs-data", chain="test", description="reads a dataset", dataset="lund2013",
                      units=lambda quick: [{}], run_unit=lambda key, quick: {"dir": str(datasets.dataset_dir("lund2013"))})
    register(needs_data)
    try:
        r = runner.invoke(app, ["bench", "run", "test.needs-data", "-j", "1", "--no-cache"])
        assert r.exit_code == 2 and "dataset 'lund2013' is not downloaded" in r.stderr
        with pytest.raises(DatasetError):
            run_benchmarks([needs_data], jobs=1)
        # beside a task that can run, the one without data is skipped with the fix
        r = runner.invoke(app, ["bench", "run", "test.needs-data,core.toy-bands", "--quick", "-j", "1", "--no-cache"])
        assert r.exit_code == 0, r.output
        assert "skipped test.needs-data" in r.stderr and "sensekit datasets fetch lund2013" in r.stderr
    finally:
        task_module._REGISTRY.pop("test.needs-data")


def test_peer_in_its_own_venv_runs_as_a_subprocess(tmp_path, monkeypatch):
    adapter = tmp_path / "adapter.py"
    adapter.write_text("import numpy as np, os\n"
                       "def run(inputs):\n    return {'sum': float(inputs['x'].sum()), 'pid': os.getpid()}\n")
    import os
    import sys
    from pathlib import Path

    monkeypatch.setattr(P, "peer_status", lambda name: "venv")
    monkeypatch.setattr(P, "peer_python", lambda name: Path(sys.executable))
    out = P.run_peer("libemg", adapter, {"x": np.arange(5.0)})
    assert out["sum"] == 10.0 and out["pid"] != os.getpid()


@pytest.mark.parametrize("where", ["venv", "here"])
def test_a_peer_that_fails_on_its_inputs_is_reported_not_a_traceback(tmp_path, monkeypatch, where):
    """REMoDNaV refuses 250 Hz gaze with its default filter length: its error had ended the whole
    bench run in a traceback (RuntimeError). A peer's failure is PeerFailed, a PeerUnavailable,
    which every task reports beside its figures."""
    import sys
    from pathlib import Path

    adapter = tmp_path / "adapter.py"
    adapter.write_text("def run(inputs):\n    raise ValueError('Inappropriate window size for Savitzgy-Golay filter')\n")
    monkeypatch.setattr(P, "peer_status", lambda name: where)
    monkeypatch.setattr(P, "peer_python", lambda name: Path(sys.executable))
    with pytest.raises(P.PeerFailed, match="failed: .*Inappropriate window size") as e:
        P.run_peer("remodnav", adapter, {"x": np.arange(3.0)})
    assert isinstance(e.value, P.PeerUnavailable)


def test_missing_peer_is_reported_as_skipped(monkeypatch):
    monkeypatch.setenv("SENSEKIT_PEERS", "/nonexistent")
    assert P.peer_status("remodnav") in ("missing", "here")
    if P.peer_status("remodnav") == "missing":
        with pytest.raises(P.PeerUnavailable, match="sensekit bench peers install remodnav"):
            P.run_peer("remodnav", "x.py", {})


def test_cache_key_and_environment_follow_the_installed_peers(tmp_path, monkeypatch):
    """Issue 16: a peer installed (or upgraded) after a run must not stay 'skipped' from cache."""
    from sensekit.bench.runner import environment

    monkeypatch.setenv("SENSEKIT_PEERS", str(tmp_path / "peers"))
    before = ResultCache(tmp_path / "c").key("eyetrack.irf", "2", {"subject": "S1"}, True)
    site = tmp_path / "peers" / "remodnav" / "lib" / "python3.11" / "site-packages"
    (site / "remodnav-1.1.2.dist-info").mkdir(parents=True)
    (site / "remodnav-1.1.2.dist-info" / "METADATA").write_text("Metadata-Version: 2.1\nName: remodnav\nVersion: 1.1.2\n")
    (tmp_path / "peers" / "remodnav" / "bin").mkdir(parents=True)
    (tmp_path / "peers" / "remodnav" / "bin" / "python").write_text("")
    installed = ResultCache(tmp_path / "c").key("eyetrack.irf", "2", {"subject": "S1"}, True)
    assert installed != before
    assert environment()["peers"]["remodnav"] == {"status": "venv", "version": "1.1.2"}
    (site / "remodnav-1.1.2.dist-info").rename(site / "remodnav-1.2.0.dist-info")
    (site / "remodnav-1.2.0.dist-info" / "METADATA").write_text("Metadata-Version: 2.1\nName: remodnav\nVersion: 1.2.0\n")
    assert ResultCache(tmp_path / "c").key("eyetrack.irf", "2", {"subject": "S1"}, True) not in (before, installed)


def test_dask_without_workers_and_with_a_lost_scheduler_is_one_line(cache, tmp_path):
    """Issue 16: with every worker gone the run waited forever; with the scheduler gone, a traceback."""
    distributed = pytest.importorskip("distributed")
    import threading

    with distributed.LocalCluster(n_workers=0, host="127.0.0.1", dashboard_address=None) as cluster:
        r = runner.invoke(app, ["bench", "run", "core.toy-bands", "--quick", "--no-cache", "--executor",
                                f"dask://{cluster.scheduler_address}", "--worker-timeout", "2"])
    assert r.exit_code == 2, r.output
    assert "no Dask worker has been connected for 2 s" in r.stderr and "Traceback" not in r.output
    with distributed.LocalCluster(n_workers=0, host="127.0.0.1", dashboard_address=None) as cluster:
        threading.Timer(2.0, cluster.close).start()  # the scheduler goes away mid-run
        r = runner.invoke(app, ["bench", "run", "core.toy-bands", "--quick", "--no-cache", "--executor",
                                f"dask://{cluster.scheduler_address}", "--worker-timeout", "60"])
    assert r.exit_code == 2, r.output
    assert "lost the Dask scheduler" in r.stderr and "Traceback" not in r.output


def test_report_shows_the_unit_metrics_a_task_names_unit_by_unit(tmp_path, cache):
    """A task's mean over units can hide what matters (two datasets, two settings): the metrics
    it names in ``unit_metrics`` get a table with a row per unit key, and its ``summary`` adds
    metrics computed across units (a worst case)."""
    from sensekit.bench.report import write_report

    def run_unit(key, quick):
        return {"metrics": {"score": 1.0 if key["data"] == "a" else 0.0, "other": 5.0}}

    task = Task(name="test.units", chain="test", description="two units", units=lambda quick: [{"data": "a"},
                                                                                                 {"data": "b"}],
                run_unit=run_unit, unit_metrics=("score",),
                summary=lambda units: {"worst_score": min(u["metrics"]["score"] for u in units)})
    register(task)
    try:
        run = run_benchmarks([task], quick=True, jobs=1, cache=cache)
    finally:
        task_module._REGISTRY.pop("test.units")
    report = write_report(run, tmp_path / "rep").read_text()
    assert "| data | score |" in report and "| a | 1 |" in report and "| b | 0 |" in report
    assert "| implementation | other | score | worst_score |" in report and "| sensekit | 5 | 0.5 | 0 |" in report
    assert run.results[0]["metrics"]["worst_score"] == 0.0


def test_a_warning_each_unit_gives_is_said_once_with_its_count(tmp_path, cache):
    """Every worker printed its units' warnings (40 identical lines in one eyetrack run): a run
    now says each distinct one once, after the tables, with how many times the units gave it,
    and keeps them in the JSON."""
    import logging
    import warnings

    def run_unit(key, quick):
        for _ in range(2):
            logging.getLogger("sensekit").warning("stream %r is %g Hz", "gaze", 60.0)
        warnings.warn("a library's warning", RuntimeWarning, stacklevel=1)
        return {"metrics": {"score": 1.0}}

    task = Task(name="test.warns", chain="test", description="warns", units=lambda quick: [{"i": 0}, {"i": 1}],
                run_unit=run_unit)
    register(task)
    try:
        r = runner.invoke(app, ["bench", "run", "test.warns", "-j", "1", "--json", str(tmp_path / "r.json")])
    finally:
        task_module._REGISTRY.pop("test.warns")
    assert r.exit_code == 0, r.output
    lines = [line for line in r.stderr.splitlines() if line.startswith("warning:")]
    assert lines == ["warning: stream 'gaze' is 60 Hz (test.warns, 4x)",
                     "warning: RuntimeWarning: a library's warning (test.warns, 2x)"], r.stderr
    (res,) = json.loads((tmp_path / "r.json").read_text())["results"]
    assert res["log"] == {"stream 'gaze' is 60 Hz": 4, "RuntimeWarning: a library's warning": 2}
    from sensekit.bench.report import write_report
    from sensekit.bench.runner import BenchRun

    doc = json.loads((tmp_path / "r.json").read_text())
    report = write_report(BenchRun(doc["results"], doc["environment"]), tmp_path / "rep").read_text()
    assert "- stream 'gaze' is 60 Hz (4x)" in report


def test_the_terminal_table_shows_a_task_headline_metrics_beside_its_peers(cache):
    """One table for a whole chain showed the first six metric names of all its tasks in
    alphabetical order (eyetrack: a calibration's 'accuracy deg' and event durations, no kappa),
    cut to 'adapt...' at 80 columns. Each task now has a table of its own: its unit metrics as
    rows, sensekit and each peer as columns, and how many metrics more the JSON holds."""
    from rich.console import Console

    from sensekit.bench.report import tables

    def run_unit(key, quick):
        return {"metrics": {"a_detail": 1.0, "kappa_fixation": 0.6, "f1_saccade": 0.9},
                "peers": {"remodnav": {"kappa_fixation": 0.5, "f1_saccade": 0.85}, "gone": {"skipped": "not installed"}}}

    task = Task(name="test.rows", chain="test", description="rows", units=lambda quick: [{"i": 0}],
                run_unit=run_unit, unit_metrics=("kappa_fixation", "f1_saccade"))
    register(task)
    try:
        run = run_benchmarks([task], quick=True, jobs=1, cache=cache)
    finally:
        task_module._REGISTRY.pop("test.rows")
    console = Console(width=80, record=True)
    for t in tables(run):
        console.print(t)
    text = console.export_text()
    assert "test.rows (1 more metrics in --json and --report)" in " ".join(text.split())
    rows = {line.split("│")[1].strip(): line for line in text.splitlines() if line.count("│") == 4}
    assert "0.6" in rows["kappa fixation"] and "0.5" in rows["kappa fixation"], text
    assert "0.9" in rows["f1 saccade"] and "0.85" in rows["f1 saccade"], text
    assert "a detail" not in text and "gone skipped: not installed" in text
