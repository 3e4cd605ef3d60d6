"""Cutout names: photos that would share one get one each, numbered in the order of their
names whatever is on the disk; a name a job gave a photo stays that photo's; a numbered
cutout is still known for a cutout; a name too long for a file is refused, not shortened."""

from __future__ import annotations

from pathlib import Path

from bgdesk.core.app import Core
from bgdesk.core.naming import (
    colliding,
    cutout_target,
    distinct_targets,
    given_before,
    is_cutout,
    namesakes,
    too_long,
)
from bgdesk.request.options import OutputOptions
from bgdesk.storage.models import JobSource
from tests.conftest import photo


def wanted(folder: Path, names: list[str], output: Path | None = None) -> dict[Path, Path]:
    photos = [folder / name for name in names]
    return {p: cutout_target(p, Path(), output, "png") for p in photos}


def named(targets: dict[Path, Path]) -> dict[str, str]:
    return {photo.name: target.name for photo, target in targets.items()}


def test_photos_of_one_name_are_numbered_in_the_order_of_their_names(tmp_path: Path) -> None:
    photos = wanted(tmp_path, ["same.png", "other.jpg", "same.jpg", "same.bmp"])
    (tmp_path / "same-nobg.png").write_bytes(b"made before")  # the disk decides nothing

    assert sorted(p.name for p in colliding(photos)) == ["same.bmp", "same.jpg", "same.png"]
    assert named(distinct_targets(photos)) == {
        "same.bmp": "same-nobg.png",
        "same.jpg": "same-nobg-2.png",
        "same.png": "same-nobg-3.png",
        "other.jpg": "other-nobg.png",
    }
    assert all(is_cutout(target) for target in distinct_targets(photos).values())
    assert distinct_targets(dict(reversed(photos.items()))) == distinct_targets(photos)


def test_in_an_output_folder_no_cutout_takes_another_photos_name(tmp_path: Path) -> None:
    out = tmp_path / "out"
    photos = wanted(tmp_path, ["same.jpg", "same.png", "same-2.jpg"], out)
    assert named(distinct_targets(photos)) == {
        "same-2.jpg": "same-2.png",
        "same.jpg": "same.png",
        "same.png": "same-3.png",
    }
    in_place = wanted(tmp_path, ["a.jpg", "a.png"], tmp_path)  # `-o` the photos' own folder
    assert named(distinct_targets(in_place)) == {"a.jpg": "a-2.png", "a.png": "a-nobg.png"}


def test_a_photo_keeps_the_name_a_job_gave_it(tmp_path: Path) -> None:
    photos = wanted(tmp_path, ["same.jpg", "same.png"])
    jpg, png = tmp_path / "same.jpg", tmp_path / "same.png"
    arrived_first = [(png, tmp_path / "same-nobg.png")]
    assert named(distinct_targets(photos, arrived_first)) == {
        "same.png": "same-nobg.png",
        "same.jpg": "same-nobg-2.png",
    }
    # both written to one name (as bgdesk did before): the later job's file is there
    both = [(png, tmp_path / "same-nobg.png"), (jpg, tmp_path / "same-nobg.png")]
    assert named(distinct_targets(photos, both)) == {
        "same.jpg": "same-nobg.png",
        "same.png": "same-nobg-2.png",
    }
    elsewhere = [(png, tmp_path / "out" / "same.png"), (png, tmp_path / "x.png")]
    assert named(distinct_targets(photos, elsewhere)) == named(distinct_targets(photos))


def test_the_names_jobs_gave_are_read_from_the_database(fake_core: Core, tmp_path: Path) -> None:
    (tmp_path / "same.png").write_bytes(photo("coffee", (60, 40), "PNG"))
    (tmp_path / "same.jpg").write_bytes(photo("chelsea", (60, 40)))
    first = tmp_path / "same-nobg-2.png"
    owner = fake_core.accounts.owner()
    fake_core.intake.submit_file(
        owner, tmp_path / "same.png", JobSource.CLI, OutputOptions(), first
    )

    earlier = given_before([tmp_path / "same.jpg", tmp_path / "same.png"])

    assert earlier == [(tmp_path / "same.png", first)]
    assert named(distinct_targets(wanted(tmp_path, ["same.jpg", "same.png"]), earlier)) == {
        "same.png": "same-nobg-2.png",
        "same.jpg": "same-nobg.png",
    }


def test_a_photo_named_alone_competes_with_its_namesakes_only(tmp_path: Path) -> None:
    for name in ["same.jpg", "same.PNG", "same-nobg.png", ".same.webp", "same.txt", "other.png"]:
        (tmp_path / name).write_bytes(b"")
    (tmp_path / "same.avif").mkdir()
    jpg = tmp_path / "same.jpg"

    found = namesakes([jpg, tmp_path / "other.png"])

    assert found == {jpg: [tmp_path / "same.PNG"], tmp_path / "other.png": []}
    alone = {jpg: cutout_target(jpg, Path(), None, "png")}
    with_them = alone | {p: cutout_target(p, Path(), None, "png") for p in found[jpg]}
    assert colliding(with_them) == [tmp_path / "same.PNG", jpg]
    assert named(distinct_targets(with_them)) == {
        "same.PNG": "same-nobg.png",
        "same.jpg": "same-nobg-2.png",
    }, "numbered as in a run over the folder: by name, PNG before jpg"
    assert namesakes([tmp_path / "gone" / "same.jpg"]) == {tmp_path / "gone" / "same.jpg": []}


def test_numbered_cutouts_and_names_with_newlines_are_cutouts() -> None:
    assert is_cutout(Path("same-nobg-2.png")) and is_cutout(Path("line\nbreak-nobg.png"))
    assert not is_cutout(Path("same-2.png")) and not is_cutout(Path("nobg.png"))


def test_a_cutout_name_too_long_for_a_file_is_refused_not_shortened(tmp_path: Path) -> None:
    assert too_long(tmp_path / f"{'a' * 246}-nobg.png") is None  # 255 bytes
    reason = too_long(tmp_path / f"{'é' * 124}-nobg.png")  # 248 characters, 257 bytes
    assert reason is not None and "257" in reason and "shorter name" in reason
