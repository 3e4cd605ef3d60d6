"""Files written whole or not at all, under a temporary name that fits the file system even
when the final name barely does; what a killed writer leaves is found by the name it was for."""

from __future__ import annotations

import os
from pathlib import Path

from bgdesk.storage.files import (
    NAME_MAX,
    atomic_writer,
    publish,
    temporaries_in,
    temporary_label,
    write_staged,
)

LONGEST = f"{'a' * (NAME_MAX - len('-nobg.png'))}-nobg.png"  # as long as a name may be


def test_a_name_as_long_as_a_file_name_may_be_is_written_through_a_shorter_temporary(
    tmp_path: Path,
) -> None:
    target = tmp_path / LONGEST
    with atomic_writer(target) as handle:
        handle.write(b"the cutout")
        [temporary] = tmp_path.iterdir()  # while it is being written
    assert len(os.fsencode(temporary.name)) <= NAME_MAX
    assert temporary.name.startswith(".aaaa") and temporary.name.endswith(".part")
    assert target.read_bytes() == b"the cutout"
    assert list(tmp_path.iterdir()) == [target]


def test_a_killed_writers_temporaries_are_found_by_the_name_they_were_for(
    tmp_path: Path,
) -> None:
    twin = LONGEST.replace("-nobg.png", "-nobg.jpg")  # the same start, another name
    names = [LONGEST, twin, "line\nbreak-nobg.png", "plain-nobg.png"]
    staged = {name: write_staged(tmp_path / name, name.encode()) for name in names}

    found = temporaries_in(tmp_path)

    assert found == {temporary_label(name): [staged[name]] for name in names}
    assert temporary_label(LONGEST) != temporary_label(twin)
    assert temporary_label("plain-nobg.png") == "plain-nobg.png"
    publish(staged[LONGEST], tmp_path / LONGEST)
    assert (tmp_path / LONGEST).read_bytes() == LONGEST.encode()
    assert temporary_label(LONGEST) not in temporaries_in(tmp_path)


def test_a_temporary_is_shortened_by_the_bytes_of_its_name_not_its_characters(
    tmp_path: Path,
) -> None:
    name = f"{'é' * 120}-nobg.png"  # 129 characters, 249 bytes
    target = tmp_path / name
    with atomic_writer(target) as handle:
        [temporary] = tmp_path.iterdir()
        handle.write(b"x")
    assert len(os.fsencode(temporary.name)) <= NAME_MAX
    assert temporary.name.startswith(".éé")
    assert target.read_bytes() == b"x"
