"""Files that appear whole or not at all."""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

NAME_MAX = 255  # the longest file name, in `name_length` units, common file systems take
NAME_UNITS = "characters" if sys.platform == "win32" else "bytes"  # what `name_length` counts
_PART = ".part"
_TOKEN_BYTES = 6  # a temporary's random part, as 12 hex digits
_TEMPORARY = re.compile(r"\..+\.[0-9a-f]{12}\.part", re.DOTALL)  # .LABEL.<12 hex>.part
_DIGEST = 8  # hex digits of the whole name kept in a shortened label


def name_length(name: str) -> int:
    """How long the file name `name` is as file systems count: UTF-16 units on Windows,
    bytes elsewhere."""
    if sys.platform == "win32":
        return len(name.encode("utf-16-le", "surrogatepass")) // 2
    return len(os.fsencode(name))


def temporary_label(name: str) -> str:
    """The part of a temporary file's name that says which file it is to become: `name`
    itself, or when a temporary named so would be too long for the file system, as much of
    `name` as fits and a digest of it all (so two long names sharing a start differ)."""
    room = NAME_MAX - 2 - 2 * _TOKEN_BYTES - len(_PART)  # the two dots, the random part
    if name_length(name) <= room:
        return name
    head = name
    while name_length(head) > room - _DIGEST - 1:
        head = head[:-1]
    digest = hashlib.sha256(os.fsencode(name)).hexdigest()[:_DIGEST]
    return f"{head}~{digest}"


def _temporary_beside(path: Path) -> Path:
    return path.parent / f".{temporary_label(path.name)}.{secrets.token_hex(_TOKEN_BYTES)}{_PART}"


@contextmanager
def atomic_writer(path: Path) -> Iterator[BinaryIO]:
    """Open a temporary file beside `path`; on success it replaces `path` in one rename.

    A crash or an exception leaves no partial file under the final name.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp_name = _temporary_beside(path)
    try:
        with open(tmp_name, "xb") as handle:  # unlike mkstemp, honours the umask
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_name, path)
    except BaseException:
        tmp_name.unlink(missing_ok=True)
        raise


def write_atomic(path: Path, data: bytes) -> None:
    with atomic_writer(path) as handle:
        handle.write(data)


def write_staged(path: Path, data: bytes) -> Path:
    """Write `data` beside `path` under a temporary name, on disk; `publish` gives it the name.
    Returns the temporary file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    staged = _temporary_beside(path)
    try:
        with open(staged, "xb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        staged.unlink(missing_ok=True)
        raise
    return staged


def publish(staged: Path, path: Path) -> None:
    """Give the file `write_staged` wrote its name, in one rename (done already: nothing)."""
    if staged.exists() or not path.exists():
        os.replace(staged, path)


def write_shared(path: Path, data: bytes, store: Path) -> None:
    """Write `data` at `path` as a hard link to the one copy of it in the folder `store`
    (named by its content), so many files of the same bytes take the room of one; a plain
    copy where links cannot be made."""
    original = store / hashlib.sha256(data).hexdigest()
    if not original.exists():
        write_atomic(original, data)
    path.unlink(missing_ok=True)
    try:
        os.link(original, path)
    except OSError:  # no hard links here, or the original was swept meanwhile
        write_atomic(path, data)


def unshared_in(store: Path) -> list[Path]:
    """The copies in the folder `store` that no file links to any more."""
    try:
        return [p for p in store.iterdir() if p.is_file() and p.stat().st_nlink == 1]
    except OSError:
        return []


def temporaries_in(folder: Path) -> dict[str, list[Path]]:
    """The temporary files `atomic_writer` and `write_staged` left unfinished in `folder`
    (their writer was killed), by the `temporary_label` of the file each was to become."""
    found: dict[str, list[Path]] = {}
    try:
        names = [p for p in folder.iterdir() if _TEMPORARY.fullmatch(p.name)]
    except OSError:
        return found
    for path in names:
        final = path.name[1 : -len(_PART)].rsplit(".", 1)[0]
        found.setdefault(final, []).append(path)
    return found
