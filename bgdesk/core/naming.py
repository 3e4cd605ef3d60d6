"""How cutouts are named wherever bgdesk writes one for a person: `NAME-nobg.EXT`, numbered
(`NAME-nobg-2.EXT`) when that name is taken, never a name a person did not choose or read."""

from __future__ import annotations

import re
from collections.abc import Collection
from pathlib import Path

OUTPUT_SUFFIX = "-nobg"
_CUTOUT_STEM = re.compile(rf".*{OUTPUT_SUFFIX}(-[0-9]+)?")


def cutout_stem(name: str) -> str:
    """The stem of the cutout of the picture called `name`: `beach.jpg` → `beach-nobg`."""
    return f"{Path(name).stem or 'image'}{OUTPUT_SUFFIX}"


def cutout_target(source: Path, relative: Path, output: Path | None, extension: str) -> Path:
    """Where the cutout of `source` goes: beside it as NAME-nobg.EXT, or in `output` under
    the same `relative` folder as NAME.EXT (NAME-nobg.EXT should that be the photo itself)."""
    if output is None:
        return source.with_name(f"{cutout_stem(source.name)}.{extension}")
    target = output / relative / f"{source.stem}.{extension}"
    if target.resolve() == source.resolve():
        target = target.with_name(f"{cutout_stem(source.name)}.{extension}")
    return target


def free_path(
    folder: Path, stem: str, extension: str, taken: Collection[Path] = frozenset()
) -> Path:
    """`folder/stem.extension`, or `stem-2`, `stem-3`… when that exists or is `taken`."""
    n = 1
    while True:
        target = folder / f"{stem}{'' if n == 1 else f'-{n}'}.{extension}"
        if target not in taken and not target.exists():
            return target
        n += 1


def is_cutout(path: Path) -> bool:
    """Whether `path` is named as bgdesk names cutouts, so a folder scanned again does not
    cut out its own cutouts."""
    return _CUTOUT_STEM.fullmatch(path.stem) is not None
