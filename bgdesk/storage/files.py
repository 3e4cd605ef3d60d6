"""Files that appear whole or not at all."""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

_PART = ".part"
_TEMPORARY = re.compile(r"\..+\.[0-9a-f]{12}\.part")  # .NAME.<12 hex>.part


@contextmanager
def atomic_writer(path: Path) -> Iterator[BinaryIO]:
    """Open a temporary file beside `path`; on success it replaces `path` in one rename.

    A crash or an exception leaves no partial file under the final name.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp_name = path.parent / f".{path.name}.{secrets.token_hex(6)}{_PART}"
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


def temporaries_in(folder: Path) -> dict[str, list[Path]]:
    """The temporary files `atomic_writer` left unfinished in `folder` (their writer was
    killed), by the name of the file each was to become."""
    found: dict[str, list[Path]] = {}
    try:
        names = [p for p in folder.iterdir() if _TEMPORARY.fullmatch(p.name)]
    except OSError:
        return found
    for path in names:
        final = path.name[1 : -len(_PART)].rsplit(".", 1)[0]
        found.setdefault(final, []).append(path)
    return found
