"""Shared fixtures: a temporary bgdesk home per test, the real model store, real photos; and
the two lanes of tests.

The fast lane, run on every change, is

    QT_QPA_PLATFORM=offscreen .venv/bin/python -m pytest -m "not slow"

the core, the API called in-process and the pure parts of the window over `FakeEngine`: no
process, no server on a port, no PostgreSQL, no model file, no window. Every test that needs one
of these is marked slow where it is written (`pytestmark = pytest.mark.slow` for a module,
`@pytest.mark.slow` for a test), as are the few that take seconds of their own; a test of the
fast lane that reaches for one fails, saying so (`fast_lane`), so the lanes cannot drift apart.
The slow lane is `-m slow`; `python3 tasks.py test` runs both.
"""

from __future__ import annotations

import io
import os
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import NoReturn

import keyring
import numpy as np
import onnxruntime as ort
import pytest
import uvicorn
from keyring.backend import KeyringBackend
from peewee import Database
from PIL import Image
from skimage import data as photos

from bgdesk.bootstrap import build_core
from bgdesk.core.app import Core
from bgdesk.core.secrets import KeyringSecretStore
from bgdesk.inference.catalog import CATALOG, DEFAULT_MODEL, Plan
from bgdesk.inference.compose import reencode
from bgdesk.inference.decode import ImageInfo, Limits, inspect_image
from bgdesk.inference.devices import CPU, DeviceChoice
from bgdesk.inference.engine import MEMORY_BUDGET, Cutout, Retouch
from bgdesk.inference.footprint import check_fits, footprint
from bgdesk.paths import Paths
from bgdesk.request.formats import format_named
from bgdesk.request.options import OutputOptions
from bgdesk.settings import Settings
from bgdesk.storage.database import open_database
from tests.postgres import PostgresServer, binaries

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


class MemoryKeyring(KeyringBackend):
    """A keyring that lives in this process, so no test touches the real keychain."""

    priority = 1

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.passwords: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.passwords.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.passwords[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.passwords.pop((service, username), None)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--frozen",
        metavar="PATH",
        help="an installed, frozen bgdesk executable: run tests/frozen against it",
    )
    parser.addoption(
        "--database",
        choices=("sqlite", "postgresql"),
        default="sqlite",
        help="where each test's bgdesk home keeps its jobs and ledger: its own SQLite file "
        "(default) or a schema of its own on a PostgreSQL server the session starts",
    )


def on_postgresql(config: pytest.Config) -> bool:
    return bool(config.getoption("--database") == "postgresql")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if on_postgresql(config) and item.get_closest_marker("sqlite_only"):
            item.add_marker(pytest.mark.skip(reason="about bgdesk's own SQLite file"))


def in_fast_lane(item: pytest.Item) -> bool:
    """Whether `item` is held to the fast lane's rules. A run on PostgreSQL starts its server
    for every test that touches the database, so none is."""
    return not item.get_closest_marker("slow") and not on_postgresql(item.config)


def refuse(item: pytest.Item, what: str) -> NoReturn:
    pytest.fail(
        f"{item.nodeid} is in the fast lane but {what}: mark it slow "
        "(pytestmark = pytest.mark.slow for its module, or @pytest.mark.slow)",
        pytrace=False,
    )


# What these fixtures start is set up for the whole session, before `fast_lane` is in place.
SLOW_FIXTURES = {
    "postgres": "starts PostgreSQL",
    "models_dir": "needs the real model",
    "qtbot": "opens the real window",
}


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    if in_fast_lane(item):
        for name in sorted(SLOW_FIXTURES.keys() & set(getattr(item, "fixturenames", ()))):
            refuse(item, f"{SLOW_FIXTURES[name]} (fixture {name})")


@pytest.fixture(autouse=True)
def fast_lane(
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
    real_model_store: Path,
    memory_keyring: MemoryKeyring,
) -> Iterator[None]:
    """In the fast lane, starting a process, serving on a port or loading one of the real
    models fails the test, also when it happens on another thread. (After `memory_keyring`:
    the keyring looks for its system libraries, once, with `ldconfig`.)"""
    item = request.node
    if not in_fast_lane(item):
        yield
        return
    refused: list[str] = []

    def refusing(what: str) -> NoReturn:
        if threading.current_thread() is not threading.main_thread():
            refused.append(what)  # a failure there ends the thread, not the test
        refuse(item, what)

    class NoProcess(subprocess.Popen[bytes]):
        def __init__(self, args: object, *more: object, **options: object) -> None:
            self._child_created = False  # what Popen.__del__ reads
            refusing(f"starts a process ({args!r})")

    session = ort.InferenceSession

    def real_model_refused(model: object, *more: object, **options: object) -> object:
        path = Path(model) if isinstance(model, str | os.PathLike) else None
        if path is not None and path.resolve().is_relative_to(real_model_store):
            refusing(f"loads the real model {path.name}")
        return session(model, *more, **options)

    def no_server(server: uvicorn.Server, *args: object, **options: object) -> None:
        refusing("starts a uvicorn server")

    monkeypatch.setattr(subprocess, "Popen", NoProcess)
    monkeypatch.setattr(ort, "InferenceSession", real_model_refused)
    monkeypatch.setattr(uvicorn.Server, "run", no_server)
    yield
    if refused:
        refuse(item, refused[0])


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """A PostgreSQL server for this session. Without its binaries the tests that need it are
    skipped on a developer's machine, and fail in CI (which installs them)."""
    bin_dir = binaries()
    if bin_dir is None:
        message = "no PostgreSQL server (initdb, pg_ctl): apt-get install postgresql"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    server = PostgresServer(bin_dir)
    server.start()
    yield server
    server.stop()


def open_home_database(home: Paths) -> Database:
    """The database of the `home` fixture's bgdesk, as its processes open it."""
    return open_database(Settings().database_url or home.database)


@pytest.fixture
def database_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """'' (the home's own SQLite file) or, under `--database postgresql`, the URL of a new
    empty schema."""
    if not on_postgresql(request.config):
        yield ""
        return
    server: PostgresServer = request.getfixturevalue("postgres")
    with server.schema() as url:
        yield url


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """tests/frozen needs a built app; `python3 tasks.py package --check` provides one."""
    if collection_path.name == "frozen" and not config.getoption("--frozen"):
        return True
    return None


@pytest.fixture(autouse=True)
def memory_keyring() -> Iterator[MemoryKeyring]:
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


@pytest.fixture(scope="session")
def real_model_store() -> Path:
    """The developer's model store, which `python3 tasks.py test` fills."""
    return Paths.from_env().models_dir.resolve()


@pytest.fixture(scope="session")
def shipped_models(tmp_path_factory: pytest.TempPathFactory, real_model_store: Path) -> Path:
    """A model store holding only the model bgdesk comes with (linked from the developer's
    store), so what `best` means does not depend on which other models a developer has
    installed."""
    folder = tmp_path_factory.mktemp("models")
    shipped = real_model_store / CATALOG[DEFAULT_MODEL].file
    if shipped.is_file():
        (folder / shipped.name).symlink_to(shipped)
    return folder


@pytest.fixture(scope="session")
def models_dir(shipped_models: Path) -> Path:
    """The model store with the default model in it."""
    if not (shipped_models / CATALOG[DEFAULT_MODEL].file).is_file():
        pytest.fail(
            f"The {DEFAULT_MODEL} model is missing from {Paths.from_env().models_dir}: "
            "run the tests with `python3 tasks.py test`."
        )
    return shipped_models


@pytest.fixture
def home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, shipped_models: Path, database_url: str
) -> Paths:
    """A fresh BGDESK_HOME over the shipped models (which the fast lane never reads: only
    tests that ask for `models_dir` need the model in it), its database the one
    `--database` chose."""
    monkeypatch.setenv("BGDESK_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("BGDESK_MODELS_DIR", str(shipped_models))
    if database_url:
        monkeypatch.setenv("BGDESK_DATABASE_URL", database_url)
    else:
        monkeypatch.delenv("BGDESK_DATABASE_URL", raising=False)
    return Paths.from_env()


@pytest.fixture
def core(home: Paths, models_dir: Path) -> Iterator[Core]:
    """The real core: real SQLite file, real engine, real default model."""
    instance = build_core(home, Settings())
    yield instance
    instance.close()


FAKE_SIZE = (4, 3)
FAKE_MASK = b"\x89PNG fake mask"


@cache
def fake_cutout(format_name: str) -> bytes:
    """A tiny cutout written as the format `format_name` asks, by the encoders the real
    engine writes it with: a test of the fast lane sees the bytes a client would get."""
    subject = Image.new("RGBA", FAKE_SIZE, (0, 0, 0, 0))
    subject.paste((200, 80, 40, 255), (1, 1, 3, 2))
    png = io.BytesIO()
    subject.save(png, "PNG")
    return reencode(png.getvalue(), format_named(format_name))


class FakeEngine:
    """Validates like the real engine but 'cuts out' instantly, in the format asked for; for
    ledger, queue and API tests."""

    def __init__(self, fail: bool = False) -> None:
        self.default_model = "u2netp"
        self.decontaminate = True
        self.device = "auto"
        self.memory_budget = MEMORY_BUDGET
        self.fail = fail
        self.stronger: str | None = None  # what `stronger_model` answers, whatever is asked
        self.calls = 0
        self.asked: list[OutputOptions] = []
        self.gate = threading.Event()  # cleared: jobs wait inside the engine until it is set
        self.gate.set()
        self.entered = threading.Event()  # set when a job reaches the engine

    def configure(
        self, default_model: str, device: str, decontaminate: bool, memory_budget: int
    ) -> None:
        self.default_model = default_model
        self.device = device
        self.decontaminate = decontaminate
        self.memory_budget = memory_budget

    def inspect(self, data: bytes) -> ImageInfo:
        return inspect_image(data, Limits(64 << 20, 64))

    def check_memory(
        self, image: ImageInfo, options: OutputOptions, background: ImageInfo | None = None
    ) -> None:
        check_fits(
            footprint(image.size, options, 0, background.size if background else None),
            options,
            self.memory_budget,
        )

    def check_model(self, options: OutputOptions) -> None:
        return None

    def device_in_use(self) -> DeviceChoice:
        return DeviceChoice(CPU, "a fake engine")

    def check_device(self) -> DeviceChoice:
        return self.device_in_use()

    def plan_for(self, options: OutputOptions) -> Plan:
        return Plan(options.model or self.default_model)

    def box_model(self, model: str | None = None) -> str:
        return model or self.default_model

    def stronger_model(self, model: str | None) -> str | None:
        return self.stronger

    def release_memory(self) -> None:
        """Nothing held: the fake loads no model."""

    def mask_of(self, picture: Image.Image, model: str | None = None) -> np.ndarray:
        """The middle half of `picture` kept: a subject the fake 'sees' in any box."""
        mask = np.zeros((picture.height, picture.width), np.uint8)
        mask[
            picture.height // 4 : -(picture.height // 4) or None,
            picture.width // 4 : -(picture.width // 4) or None,
        ] = 255
        return mask

    def remove_background(
        self,
        data: bytes,
        options: OutputOptions,
        background: bytes | None = None,
        retouch: Retouch | None = None,
    ) -> Cutout:
        self.calls += 1
        self.asked.append(options)
        self.entered.set()
        self.gate.wait()
        if self.fail:
            raise RuntimeError("the fake engine was told to fail")
        data = fake_cutout(options.format)
        model = retouch.model if retouch else options.model or self.default_model
        return Cutout(
            data, options.media_type, options.extension, *FAKE_SIZE, model=model, mask=FAKE_MASK
        )


def fake_engine(core: Core) -> FakeEngine:
    """The fake engine `core` runs on, to count its calls or make it fail."""
    assert isinstance(core.engine, FakeEngine)
    return core.engine


@pytest.fixture
def fake_core(home: Paths) -> Iterator[Core]:
    instance = Core(home, Settings(), FakeEngine(), KeyringSecretStore())
    yield instance
    instance.close()


@cache
def sample(name: str) -> Image.Image:
    """A scikit-image sample photo, read once: reading one takes up to 30 ms."""
    pixels = getattr(photos, name)()
    return Image.fromarray(pixels if pixels.ndim == 3 else np.stack([pixels] * 3, axis=-1))


def photo(
    name: str, size: tuple[int, int] | None = None, fmt: str = "JPEG", **save: object
) -> bytes:
    """A scikit-image sample photo, optionally resized, encoded as `fmt`."""
    image = sample(name)
    # a copy either way: saving sets attributes on the image, and tests save from threads
    image = image.resize(size, Image.Resampling.LANCZOS) if size else image.copy()
    buffer = io.BytesIO()
    image.save(buffer, fmt, **({"quality": 92} if fmt == "JPEG" else {}) | save)
    return buffer.getvalue()


def decode(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


@dataclass
class Receiver:
    """A local HTTP peer: serves `files` on GET, records POSTs, can fail the first ones."""

    url: str
    files: dict[str, tuple[bytes, str]] = field(default_factory=dict)
    posts: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    gets: list[dict[str, str]] = field(default_factory=list)  # request headers
    fail_first: int = 0
    arrived: threading.Event = field(default_factory=threading.Event)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            state.gets.append(dict(self.headers))
            if self.path.startswith("/redirect"):
                self.send_response(302)
                self.send_header("Location", "/" + self.path.split("/", 2)[2])
                self.end_headers()
                return
            body, kind = state.files.get(self.path, (b"missing", "text/plain"))
            self.send_response(200 if self.path in state.files else 404)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            state.posts.append((dict(self.headers), body))
            failing = len(state.posts) <= state.fail_first
            self.send_response(503 if failing else 200)
            self.send_header("Content-Length", "0")
            self.end_headers()
            if not failing:
                state.arrived.set()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    # it looks for the end every poll interval: half a second, by default, at every teardown
    threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True).start()
    yield state
    server.shutdown()
    server.server_close()
