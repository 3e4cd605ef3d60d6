#!/usr/bin/env python3
"""Set up a development copy of bgdesk and run, check, test or package it:
`python3 tasks.py run|check|test|package [--check]`.

Each command creates `.venv` when missing, installs the project into it when `pyproject.toml`
or the version changed since the last install, makes sure the default model is in the model
store (all but `check`), and then runs. Only Python 3.11+ and a reachable package index are
needed. `check` is the quick look before a commit: lint, format, types, the layers and the
fast lane of tests, with no model and no network. `test` with no arguments runs those checks,
the whole suite measuring coverage (failing under the floor in pyproject.toml), then the
tests that touch the database again on PostgreSQL (Debian's `postgresql` package provides the
server). `package` builds the frozen app into dist/bgdesk/ (PyInstaller, bgdesk.spec) and,
where dpkg-deb exists, the .deb beside it; `--check` then installs the .deb under
build/deb-root/ and tests the installed app.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))  # the model catalog needs nothing beyond the standard library
from bgdesk.inference.catalog import CATALOG, DEFAULT_MODEL  # noqa: E402

VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")
# What an install is made from: the dependencies, and the version (the package's metadata).
INSTALLED_FROM = (ROOT / "pyproject.toml", ROOT / "bgdesk" / "__init__.py")
# Run a second time against a PostgreSQL server the tests start (tests/postgres.py).
STORAGE_TESTS = ("tests/storage", "tests/core", "tests/api", "tests/cli")
LINTERS = (
    ("ruff", "check", "."),
    ("ruff", "format", "--check", "."),
    ("mypy",),
    ("lint-imports",),
)


def step(message: str) -> None:
    print(f"==> {message}", flush=True)


def call(*command: str | Path, env: dict[str, str] | None = None) -> int:
    return subprocess.call([str(part) for part in command], cwd=ROOT, env=env)


def ensure_venv() -> None:
    if not PYTHON.exists():
        step(f"Creating the virtual environment in {VENV.name}/")
        venv.EnvBuilder(with_pip=True).create(VENV)


def ensure_installed(extra: str) -> None:
    """Install the project (editable) with `extra`, unless this exact install was done."""
    stamp = VENV / f".installed-{extra or 'app'}"
    declared = b"".join(path.read_bytes() for path in INSTALLED_FROM)
    fingerprint = hashlib.sha256(declared).hexdigest()
    if stamp.exists() and stamp.read_text() == fingerprint:
        return
    step("Installing bgdesk and its dependencies")
    target = f".[{extra}]" if extra else "."
    if call(PYTHON, "-m", "pip", "install", "--disable-pip-version-check", "-e", target):
        sys.exit("tasks.py: installing the dependencies failed (see pip's message above).")
    stamp.write_text(fingerprint)


def ensure_model(*names: str) -> None:
    """Pull the default model (and `names`) into the model store unless already there."""
    for name in dict.fromkeys((DEFAULT_MODEL, *names)):
        step(f"Checking the model {name}")
        if call(BIN / "bgdesk", "models", "pull", name):
            sys.exit(f"tasks.py: could not obtain the {name} model (see above).")


def run(args: list[str]) -> int:
    ensure_venv()
    ensure_installed("")
    ensure_model()
    return call(BIN / "bgdesk", *args)


def lint(env: dict[str, str]) -> int:
    step("Linting and format (ruff), types (mypy) and the layers (import-linter)")
    for linter in LINTERS:
        if call(BIN / linter[0], *linter[1:], env=env):
            return 1
    return 0


def check(args: list[str]) -> int:
    """The linters and the fast lane: no model, no servers, no window."""
    ensure_venv()
    ensure_installed("test")
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    if lint(env):
        return 1
    step("Running the fast lane of tests")
    return call(PYTHON, "-m", "pytest", "-m", "not slow", *args, env=env)


def test(args: list[str]) -> int:
    ensure_venv()
    ensure_installed("test")
    ensure_model()
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    if lint(env):
        return 1
    if args:  # a selection given on the command line runs once, as asked
        step("Running the tests asked for")
        return call(PYTHON, "-m", "pytest", *args, env=env)
    step("Running the test suite, measuring coverage")
    status = call(PYTHON, "-m", "pytest", "--cov", env=env)
    if status:
        return status
    step("Running the tests that touch the database again, on PostgreSQL")
    return call(PYTHON, "-m", "pytest", "--database", "postgresql", *STORAGE_TESTS, env=env)


def package(args: list[str]) -> int:
    ensure_venv()
    ensure_installed("package")
    ensure_model(*(spec.name for spec in CATALOG.values() if spec.ships))
    step("Building the frozen app (dist/bgdesk/)")
    if call(BIN / "pyinstaller", "--noconfirm", "--log-level", "WARN", "bgdesk.spec"):
        return 1
    if not shutil.which("dpkg-deb"):
        step("No dpkg-deb here: the frozen folder is the result (packaging/README.md)")
        return 0
    step("Building the .deb")
    if call(PYTHON, ROOT / "packaging" / "linux" / "build_deb.py"):
        return 1
    return check_package() if "--check" in args else 0


def check_package() -> int:
    """Install the .deb into a scratch root and drive the installed binary."""
    deb = max((ROOT / "dist").glob("bgdesk_*.deb"), key=lambda path: path.stat().st_mtime)
    root = ROOT / "build" / "deb-root"
    step(f"Installing {deb.name} under {root.relative_to(ROOT)}/")
    shutil.rmtree(root, ignore_errors=True)
    for folder in ("info", "updates"):
        (root / "var" / "lib" / "dpkg" / folder).mkdir(parents=True)
    (root / "var" / "lib" / "dpkg" / "status").touch()
    # The system libraries it depends on are the machine's, not the scratch root's.
    if call(
        "dpkg",
        f"--root={root}",
        "--force-depends",
        "--force-not-root",
        f"--log={os.devnull}",
        "-i",
        deb,
    ):
        return 1
    step("Testing the installed app")
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    return call(
        PYTHON, "-m", "pytest", "tests/frozen", "--frozen", root / "usr" / "bin" / "bgdesk", env=env
    )


def main() -> int:
    if sys.version_info < (3, 11):  # noqa: UP036 - this script may meet an older Python
        sys.exit("bgdesk needs Python 3.11 or newer.")
    commands = {"run": run, "check": check, "test": test, "package": package}
    if len(sys.argv) < 2 or sys.argv[1] not in commands:
        print(__doc__.strip().splitlines()[0])
        return 2
    return commands[sys.argv[1]](sys.argv[2:])


if __name__ == "__main__":
    sys.exit(main())
