"""How cutouts are named wherever bgdesk writes one for a person: `NAME-nobg.EXT`, numbered
(`NAME-nobg-2.EXT`) when that name is taken, never a name a person did not choose or read.

Photos of one folder that would get the same cutout (`same.jpg` and `same.png`) get one
each: the photo an earlier job gave a name keeps it, the others are numbered in the order of
their names. The same photos so get the same names on every run, whatever is on the disk,
and a photo named alone competes with its `namesakes` as it would in its folder's run.
"""

from __future__ import annotations

import os
import re
from collections.abc import Collection, Iterable, Mapping
from pathlib import Path

from bgdesk.inference.decode import IMAGE_SUFFIXES
from bgdesk.storage.files import NAME_MAX, NAME_UNITS, name_length
from bgdesk.storage.models import Job

OUTPUT_SUFFIX = "-nobg"
_CUTOUT_STEM = re.compile(rf".*{OUTPUT_SUFFIX}(-[0-9]+)?", re.DOTALL)
_BATCH = 500  # paths per query: SQLite takes at most 999 parameters in one


def cutout_stem(name: str) -> str:
    """The stem of the cutout of the picture called `name`: `beach.jpg` → `beach-nobg`."""
    return f"{Path(name).stem or 'image'}{OUTPUT_SUFFIX}"


def cutout_target(source: Path, relative: Path, output: Path | None, extension: str) -> Path:
    """Where the cutout of `source` goes: beside it as NAME-nobg.EXT, or in `output` under
    the same `relative` folder as NAME.EXT (NAME-nobg.EXT should that be the photo itself).
    Photos that would share it are told apart by `distinct_targets`."""
    if output is None:
        return source.with_name(f"{cutout_stem(source.name)}.{extension}")
    target = output / relative / f"{source.stem}.{extension}"
    if target.resolve() == source.resolve():
        target = target.with_name(f"{cutout_stem(source.name)}.{extension}")
    return target


def numbered(target: Path, n: int) -> Path:
    """The `n`th name for a cutout meant for `target`: `target` itself, then `NAME-2.EXT`…"""
    return target if n == 1 else target.with_name(f"{target.stem}-{n}{target.suffix}")


def colliding(wanted: Mapping[Path, Path]) -> list[Path]:
    """The photos of `wanted` (photo → `cutout_target`) whose cutout another one wants too."""
    by_target: dict[Path, list[Path]] = {}
    for photo, target in wanted.items():
        by_target.setdefault(target.resolve(), []).append(photo)
    return sorted(photo for photos in by_target.values() if len(photos) > 1 for photo in photos)


def given_before(photos: Collection[Path]) -> list[tuple[Path, Path]]:
    """(photo, cutout) for every job made of one of `photos` (of any face: the window, the
    command line), oldest first: which names the photos were given before."""
    by_input: dict[str, list[Path]] = {}
    for photo in photos:
        by_input.setdefault(str(photo.resolve()), []).append(photo)
    inputs = sorted(by_input)
    found: list[tuple[int, Path, Path]] = []
    for start in range(0, len(inputs), _BATCH):
        rows = Job.select(Job.id, Job.input_path, Job.output_path).where(
            Job.input_path.in_(inputs[start : start + _BATCH])
        )
        found += [(r.id, p, Path(r.output_path)) for r in rows for p in by_input[r.input_path]]
    return [(photo, cutout) for _, photo, cutout in sorted(found, key=lambda row: row[0])]


def namesakes(photos: Iterable[Path]) -> dict[Path, list[Path]]:
    """For each of `photos`, the other photos beside it of its stem (`same.png` for
    `same.jpg`), taken as a run over its folder takes them, cutouts left out: those whose
    cutout it may compete for even when it is named alone. One listing per folder."""
    stems: dict[Path, dict[str, list[Path]]] = {}
    found: dict[Path, list[Path]] = {}
    for photo in photos:
        if photo.parent not in stems:
            stems[photo.parent] = _images_by_stem(photo.parent)
        found[photo] = [
            other
            for other in stems[photo.parent].get(photo.stem, [])
            if other.name != photo.name and other.is_file()
        ]
    return found


def _images_by_stem(folder: Path) -> dict[str, list[Path]]:
    """The names in `folder` a run over it takes for photos (see `images_in`), by stem."""
    by_stem: dict[str, list[Path]] = {}
    try:
        names = sorted(entry.name for entry in os.scandir(folder))
    except OSError:
        return by_stem
    for name in names:
        path = folder / name
        if path.suffix.lower() in IMAGE_SUFFIXES and name[0] != "." and not is_cutout(path):
            by_stem.setdefault(path.stem, []).append(path)
    return by_stem


def distinct_targets(
    wanted: Mapping[Path, Path], earlier: Iterable[tuple[Path, Path]] = ()
) -> dict[Path, Path]:
    """A cutout for each photo of `wanted` (photo → `cutout_target`), no two the same and
    none a photo of `wanted`. A photo keeps the name `earlier` (photo, cutout; oldest first)
    last gave it, if no later one took that name; the rest, in the order of their names,
    take the first free of `target`, `numbered(target, 2)`… — never a name another photo
    wants as its own."""
    plain = {photo: target.resolve() for photo, target in wanted.items()}
    photos = {photo.resolve() for photo in wanted}
    wanted_names = set(plain.values())
    given = _kept(wanted, plain, photos, earlier)
    taken = {target.resolve() for target in given.values()}
    for photo in sorted(wanted, key=lambda p: (plain[p], p)):
        if photo in given:
            continue
        n = 1
        key = plain[photo]
        while key in taken or key in photos or (n > 1 and key in wanted_names):
            n += 1
            key = numbered(plain[photo], n)
        given[photo] = numbered(wanted[photo], n)
        taken.add(key)
    return given


def _kept(
    wanted: Mapping[Path, Path],
    plain: Mapping[Path, Path],
    photos: Collection[Path],
    earlier: Iterable[tuple[Path, Path]],
) -> dict[Path, Path]:
    """The photos of `wanted` that keep the cutout name an earlier job gave them: the last
    of its cutout's names (`plain`, resolved) given to the photo, if given to no photo since
    and not a photo itself."""
    last: dict[Path, tuple[Path, int]] = {}
    maker: dict[Path, Path] = {}
    for photo, cutout in earlier:
        n = _variant(plain[photo], cutout.resolve()) if photo in wanted else None
        if n is not None:
            last[photo] = (cutout.resolve(), n)
            maker[cutout.resolve()] = photo
    return {
        photo: numbered(wanted[photo], n)
        for photo, (cutout, n) in last.items()
        if maker[cutout] == photo and cutout not in photos
    }


def _variant(target: Path, cutout: Path) -> int | None:
    """Which `numbered(target, n)` `cutout` is, if any (both resolved)."""
    if cutout.parent != target.parent or cutout.suffix != target.suffix:
        return None
    match = re.fullmatch(
        rf"{re.escape(target.stem)}(?:-([2-9]|[1-9][0-9]+))?", cutout.stem, re.DOTALL
    )
    if match is None:
        return None
    return int(match[1]) if match[1] else 1


def too_long(target: Path) -> str | None:
    """Why no file can be called as `target` is, if its name is too long for the file
    system: a photo's name is the person's to shorten, not bgdesk's."""
    length = name_length(target.name)
    if length <= NAME_MAX:
        return None
    return (
        f"The cutout's name would be {length} {NAME_UNITS} long, more than the {NAME_MAX} a "
        "file name may have: give the photo a shorter name."
    )


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
