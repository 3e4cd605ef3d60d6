"""The installed, frozen app, driven as a person or a script would, with no Python around it.

Run by `python3 tasks.py package --check` with `--frozen PATH/TO/bgdesk`; skipped otherwise.
The app gets a fresh home and no models folder of its own, so its bundled model must serve.
"""

from __future__ import annotations

import io
import json
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import numpy as np
import pillow_heif
import pytest

from bgdesk import __version__
from bgdesk.api.page import FILES
from bgdesk.inference.decode import Limits
from bgdesk.inference.engine import Engine
from bgdesk.inference.models import ModelStore
from bgdesk.request.options import OutputOptions
from tests.conftest import decode, photo
from tests.postgres import PostgresServer
from tests.processes import free_port, serve_on_free_port, serving, terminate

pytestmark = pytest.mark.slow  # the installed app


def bgdesk(frozen: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(frozen), *args], env=env, capture_output=True, text=True, timeout=300, check=False
    )


@pytest.fixture
def astronaut(tmp_path: Path) -> Path:
    path = tmp_path / "astronaut.jpg"
    path.write_bytes(photo("astronaut"))
    return path


def test_version(frozen: Path, app_env: dict[str, str]) -> None:
    result = bgdesk(frozen, app_env, "--version")
    assert result.returncode == 0 and result.stdout.strip() == f"bgdesk {__version__}"


def test_the_shipped_models_come_inside_the_app(
    frozen: Path, app_env: dict[str, str], astronaut: Path
) -> None:
    result = bgdesk(frozen, app_env, "models", "list", "--json")
    assert result.returncode == 0, result.stderr
    listed = {m["name"]: m for m in json.loads(result.stdout)}
    for name in ("u2netp", "u2netp-int8", "u2net"):
        assert listed[name]["installed"]
        assert Path(listed[name]["path"]).is_relative_to(frozen.resolve().parent)
    verified = bgdesk(frozen, app_env, "models", "verify").stdout.split("\n")
    assert sorted(filter(None, verified)) == ["u2net: ok", "u2netp-int8: made here", "u2netp: ok"]
    made = bgdesk(frozen, app_env, "remove", str(astronaut), "--model", "u2netp-int8", "--json")
    assert made.returncode == 0 and json.loads(made.stdout)[0]["model"] == "u2netp-int8"


def test_doctor_in_the_installed_app_says_where_models_run(
    frozen: Path, app_env: dict[str, str]
) -> None:
    result = bgdesk(frozen, app_env, "doctor", "--json")
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout)
    assert found["device"] == "CPU" and found["device_reason"].startswith("auto: ")
    assert found["version"] == __version__ and {"u2netp", "u2net"} <= set(found["installed_models"])
    named = bgdesk(frozen, app_env, "--device", "cuda", "doctor")
    assert named.returncode == 1 and "CUDAExecutionProvider" in named.stdout


def test_best_asks_the_shipped_u2net_where_u2netp_is_unsure(
    frozen: Path, app_env: dict[str, str], tmp_path: Path
) -> None:
    lawn, portrait = tmp_path / "lawn.jpg", tmp_path / "portrait.jpg"
    lawn.write_bytes(photo("grass", (320, 240)))
    portrait.write_bytes(photo("astronaut", (320, 320)))
    result = bgdesk(frozen, app_env, "remove", str(lawn), str(portrait), "--json")
    assert result.returncode == 0, result.stderr
    made_by = {Path(r["input"]).name: r["model"] for r in json.loads(result.stdout)}
    assert made_by == {"lawn.jpg": "u2net", "portrait.jpg": "u2netp"}


def test_remove_gives_the_same_cutout_as_the_source_tree(
    frozen: Path, app_env: dict[str, str], astronaut: Path, models_dir: Path
) -> None:
    result = bgdesk(frozen, app_env, "remove", str(astronaut))
    assert result.returncode == 0, result.stderr
    frozen_cutout = decode((astronaut.parent / "astronaut-nobg.png").read_bytes())
    assert frozen_cutout.mode == "RGBA" and frozen_cutout.size == (512, 512)
    engine = Engine(ModelStore(models_dir), Limits(64 << 20, 64))
    reference = decode(engine.remove_background(astronaut.read_bytes(), OutputOptions()).data)
    alpha = np.asarray(frozen_cutout)[..., 3].astype(int)
    expected = np.asarray(reference)[..., 3].astype(int)
    assert np.abs(alpha - expected).max() <= 1
    assert alpha[5, 5] == 0 and alpha[200, 250] == 255  # sky-blue corner out, face in


def test_a_heic_photo_comes_out_as_avif(
    frozen: Path, app_env: dict[str, str], tmp_path: Path
) -> None:
    source = tmp_path / "astronaut.heic"
    buffer = io.BytesIO()
    pillow_heif.from_pillow(decode(photo("astronaut"))).save(buffer, quality=92)
    source.write_bytes(buffer.getvalue())
    result = bgdesk(frozen, app_env, "remove", str(source), "--format", "avif")
    assert result.returncode == 0, result.stderr
    cutout = decode((tmp_path / "astronaut-nobg.avif").read_bytes())
    alpha = np.asarray(cutout.convert("RGBA"))[..., 3]
    assert cutout.format == "AVIF" and alpha[5, 5] < 10 and alpha[200, 250] > 245


@pytest.fixture
def served(frozen: Path, app_env: dict[str, str]) -> Iterator[tuple[str, str]]:
    created = bgdesk(frozen, app_env, "keys", "create", "--name", "frozen test", "--json")
    assert created.returncode == 0, created.stderr
    port = free_port()
    with serving([str(frozen), "serve", "--port", str(port)], app_env, port) as process:
        yield f"http://127.0.0.1:{port}", json.loads(created.stdout)["key"]
        errors = terminate(process)
        assert process.returncode == 0 and "Traceback" not in errors, errors


def test_serve_submit_poll_download(served: tuple[str, str], astronaut: Path) -> None:
    url, key = served
    auth = {"Authorization": f"Bearer {key}"}
    assert httpx.post(f"{url}/api/v1/remove-bg").status_code == 401
    answer = httpx.post(
        f"{url}/api/v1/remove-bg",
        headers=auth,
        files={"image_file": ("astronaut.jpg", astronaut.read_bytes())},
    )
    assert answer.status_code == 202, answer.text
    job_id = answer.json()["jobId"]
    deadline = time.monotonic() + 60
    while (status := httpx.get(f"{url}/api/v1/jobs/{job_id}", headers=auth).json())["status"] in (
        "queued",
        "processing",
    ) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert status["status"] == "completed", status
    download = httpx.get(status["outputUrl"])
    assert download.status_code == 200 and download.headers["content-type"] == "image/png"
    assert decode(download.content).mode == "RGBA"
    assert httpx.get(f"{url}/docs").status_code == 200
    page = httpx.get(f"{url}/")
    assert page.status_code == 200 and 'src="/web/app.js"' in page.text, "the web page ships"
    for name in FILES:
        assert httpx.get(f"{url}/web/{name}").status_code == 200, name


def test_the_window_opens_runs_a_photo_and_quits_cleanly(
    frozen: Path, app_env: dict[str, str], astronaut: Path
) -> None:
    home = Path(app_env["BGDESK_HOME"])
    port = serve_on_free_port(home / "settings.json")
    cutout = astronaut.with_name("astronaut-nobg.png")
    with serving([str(frozen), "open", str(astronaut)], app_env, port) as process:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not cutout.exists():
            time.sleep(0.1)
        errors = terminate(process)
    assert process.returncode == 0 and "Traceback" not in errors, errors
    assert decode(cutout.read_bytes()).mode == "RGBA", "the cutout lands beside the photo"
    assert (home / "window.ini").is_file()


def test_the_installed_app_serves_and_works_on_a_shared_database(
    frozen: Path, app_env: dict[str, str], postgres: PostgresServer, tmp_path: Path
) -> None:
    """A studio's machines with the installer and no Python: one API node, one worker, one
    PostgreSQL database and one shared folder."""
    with postgres.schema() as database_url:
        shared = {"BGDESK_DATABASE_URL": database_url, "BGDESK_STORAGE_DIR": str(tmp_path / "s")}
        api_env = app_env | shared
        worker_env = api_env | {"BGDESK_HOME": str(tmp_path / "worker-home")}
        created = bgdesk(frozen, api_env, "keys", "create", "--json")
        assert created.returncode == 0, created.stderr
        auth = {"Authorization": f"Bearer {json.loads(created.stdout)['key']}"}
        port = free_port()
        command = [str(frozen), "serve", "--no-runner", "--port", str(port)]
        worker = subprocess.Popen(
            [str(frozen), "worker"], env=worker_env, stderr=subprocess.PIPE, text=True
        )
        try:
            with serving(command, api_env, port):
                url = f"http://127.0.0.1:{port}"
                answer = httpx.post(
                    f"{url}/api/v1/remove-bg",
                    headers=auth,
                    files={"image_file": ("coffee.jpg", photo("coffee"))},
                )
                assert answer.status_code == 202, answer.text
                status = httpx.get(
                    f"{url}/api/v1/jobs/{answer.json()['jobId']}?wait=60", headers=auth, timeout=90
                ).json()
                assert status["status"] == "completed", status
                assert decode(httpx.get(status["outputUrl"]).content).mode == "RGBA"
        finally:
            errors = terminate(worker)
        assert worker.returncode == 0 and "Traceback" not in errors, errors
