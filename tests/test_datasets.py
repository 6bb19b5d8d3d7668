"""Dataset cards against the shared files, and the real download path against a local
HTTP server on 127.0.0.1 (no other network)."""

from __future__ import annotations

import functools
import hashlib
import http.server
import shutil
import socket
import threading

import pytest
from typer.testing import CliRunner

from sensekit import datasets as ds
from sensekit.cli import app
from sensekit.errors import DatasetError

runner = CliRunner()


def test_every_shared_dataset_has_a_card_that_matches_its_files(shared_data):
    folders = {p.name for p in shared_data.iterdir() if p.is_dir()}
    assert folders <= set(ds.cards()), f"datasets without a card: {folders - set(ds.cards())}"
    for name in folders:
        bad = [(f.path, s) for f, s in ds.verify(name) if s != "ok"]
        assert not bad, f"{name}: {bad[:3]}"


def test_cards_are_complete():
    for card in ds.cards().values():
        assert card.title and card.licence and card.description
        if card.kind != "reference":
            assert card.loader and card.citation
        if not card.files:  # not redistributable: read from the user's copy
            assert "SENSEKIT_" in card.description and card.homepage
            continue
        for f in card.files:  # a model whose publisher gives no checksum is pinned on first download
            assert (len(f.sha256) == 64 and f.size > 0) or (card.kind == "model" and f.url.startswith("https://"))
        if card.kind != "reference" and "Derived" not in card.description:
            assert card.downloadable


def test_unknown_dataset_lists_the_known_ones():
    with pytest.raises(DatasetError, match="no dataset card named 'nope'.*libemg_myo_test"):
        ds.get_card("nope")


@pytest.fixture
def mirror(tmp_path, monkeypatch):
    """A small dataset served over HTTP on 127.0.0.1, its card, and an empty cache."""
    contents = {"LICENSE": b"MIT\n", "data/a.csv": b"time,x\n0,1\n1,2\n", "data/b c.csv": b"time,x\n0,3\n" * 500}
    root = tmp_path / "mirror"
    files = []
    for path, content in contents.items():
        (root / "toy" / path).parent.mkdir(parents=True, exist_ok=True)
        (root / "toy" / path).write_bytes(content)
        files.append(ds.DataFile(path, hashlib.sha256(content).hexdigest(), len(content), "http://unused.invalid/"))
    card = ds.DatasetCard(name="toy", title="toy", kind="signal", description="d", licence="MIT", citation="c",
                          homepage="", loader="", size_bytes=sum(f.size for f in files), files=tuple(files))
    monkeypatch.setattr(ds, "cards", lambda: {"toy": card})
    monkeypatch.delenv("SENSEKIT_DATA", raising=False)
    monkeypatch.setenv("SENSEKIT_CACHE", str(tmp_path / "cache"))
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    handler.log_message = lambda *a, **k: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield card, root, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_fetch_from_a_local_server_verifies_and_resumes(mirror):
    card, root, url = mirror
    r = runner.invoke(app, ["datasets", "fetch", card.name, "--mirror", url])
    assert r.exit_code == 0, r.output
    assert all(s == "ok" for _, s in ds.verify(card.name))
    assert ds.dataset_dir(card.name) == ds.cache_dir() / "datasets" / card.name
    shutil.rmtree(root)  # a second fetch finds everything in the cache: no request at all
    assert ds.fetch(card.name, mirror=url) == ds.cache_dir() / "datasets" / card.name


def test_checksum_mismatch_leaves_no_corrupt_file(mirror):
    card, root, url = mirror
    victim = card.files[0]
    (root / card.name / victim.path).write_bytes(b"tampered")
    with pytest.raises(DatasetError, match=f"{victim.path} failed its sha256 check"):
        ds.fetch(card.name, mirror=url)
    assert not (ds.cache_dir() / "datasets" / card.name / victim.path).exists()


def test_server_down_is_a_clear_error(mirror):
    card, _, _ = mirror
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens here once closed
    r = runner.invoke(app, ["datasets", "fetch", card.name, "--mirror", f"http://127.0.0.1:{port}"])
    assert r.exit_code == 2 and "cannot download" in r.stderr and "ConnectionError" in r.stderr


def test_missing_dataset_says_how_to_fetch_it(mirror):
    card, _, _ = mirror
    with pytest.raises(DatasetError, match=f"run 'sensekit datasets fetch {card.name}'"):
        ds.dataset_dir(card.name)
    r = runner.invoke(app, ["datasets", "verify", card.name])
    assert r.exit_code == 1 and "missing" in r.stderr


def test_verify_finds_a_damaged_file_in_sensekit_data(mirror, tmp_path, monkeypatch):
    card, root, _ = mirror
    monkeypatch.setenv("SENSEKIT_DATA", str(root))
    (root / "toy" / "data" / "a.csv").write_bytes(b"time,x\n0,9\n1,2\n")  # same size, other bytes
    status = dict((f.path, s) for f, s in ds.verify("toy"))
    assert status == {"LICENSE": "ok", "data/a.csv": "sha256", "data/b c.csv": "ok"}
    r = runner.invoke(app, ["datasets", "verify", "toy"])
    assert r.exit_code == 1 and "sha256" in r.stderr and "1 of 3 files missing or damaged" in r.stderr


def test_a_file_without_published_checksum_is_pinned_on_first_download(mirror, monkeypatch, caplog):
    import logging

    card, root, url = mirror
    unpinned = ds.DatasetCard(**{**card.__dict__, "name": "toy", "kind": "model",
                                 "files": (ds.DataFile("data/a.csv", "", 0, "http://unused.invalid/"),)})
    monkeypatch.setattr(ds, "cards", lambda: {"toy": unpinned})
    with caplog.at_level(logging.WARNING, logger="sensekit"):
        folder = ds.fetch("toy", mirror=url)
    pin = (folder / "data" / "a.csv.sha256").read_text().strip()
    assert pin == hashlib.sha256(b"time,x\n0,1\n1,2\n").hexdigest() and "pinned sha256" in caplog.text
    assert [s for _, s in ds.verify("toy")] == ["ok"]
    (folder / "data" / "a.csv").write_bytes(b"tampered")
    assert [s for _, s in ds.verify("toy")] == ["sha256"]
    (root / "toy" / "data" / "a.csv").write_bytes(b"changed upstream")
    with pytest.raises(DatasetError, match="failed its sha256 check"):
        ds.fetch("toy", mirror=url)


def test_hand_landmarker_model_card_and_lookup(tmp_path, monkeypatch):
    from sensekit.errors import DeviceError
    from sensekit.gesture.landmarks import MODEL_NAME, find_model

    assert ds.get_card("hand_landmarker").kind == "model"
    monkeypatch.delenv("SENSEKIT_MODELS", raising=False)
    monkeypatch.setenv("SENSEKIT_CACHE", str(tmp_path / "cache"))
    with pytest.raises(DeviceError, match="sensekit datasets fetch hand_landmarker"):
        find_model()
    cached = tmp_path / "cache" / "datasets" / "hand_landmarker" / MODEL_NAME
    cached.parent.mkdir(parents=True)
    cached.write_bytes(b"x")
    assert find_model() == cached and find_model(cached.parent) == cached
