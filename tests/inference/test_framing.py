"""Product shots and backgrounds: the subject centred on a canvas with padding, a shadow
under it, the photo blurred behind it; checked on drawn pictures, then with the real model."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from bgdesk.core.app import Core
from bgdesk.errors import InvalidOption
from bgdesk.inference.compose import compose
from bgdesk.inference.decode import Decoded
from bgdesk.request.options import OutputOptions
from tests.conftest import decode, photo

GREEN, RED = (20, 160, 40), (220, 30, 30)


def disc_on_green() -> tuple[Decoded, Image.Image]:
    """A 400 x 300 photo: a red disc (100 px across, centre 120, 110) on green; its mask."""
    picture = Image.new("RGB", (400, 300), GREEN)
    mask = Image.new("L", (400, 300), 0)
    for canvas, fill in ((ImageDraw.Draw(picture), RED), (ImageDraw.Draw(mask), 255)):
        canvas.ellipse((70, 60, 169, 159), fill=fill)
    return Decoded(picture, None, None), mask


def render(options: OutputOptions) -> Image.Image:
    image, mask = disc_on_green()
    data, _ = compose(image, mask, options)
    return decode(data)


def subject_box(picture: Image.Image) -> tuple[int, int, int, int]:
    box = picture.getchannel("A").point(lambda v: 255 if v > 128 else 0).getbbox()
    assert box is not None
    return box


def test_a_square_canvas_keeps_the_subjects_pixels_inside_its_padding() -> None:
    shot = render(OutputOptions(canvas="square", padding=10))
    assert shot.size == (125, 125) and shot.mode == "RGBA", "grown: 10 % clear on each side"
    left, top, right, bottom = subject_box(shot)
    assert abs((left + right) / 2 - 62.5) <= 1 and abs((top + bottom) / 2 - 62.5) <= 1
    assert right - left == 100 and bottom - top == 100, "the subject at its own size"
    disc = np.asarray(render(OutputOptions(crop=True)))
    assert np.array_equal(np.asarray(shot)[12:112, 12:112], disc), "pixel for pixel"


def test_a_sized_canvas_fits_the_subject_and_keeps_its_shape() -> None:
    shot = render(OutputOptions(canvas="600x400"))
    assert shot.size == (600, 400)
    left, top, right, bottom = subject_box(shot)
    assert top >= 31 and bottom <= 369 and bottom - top >= 334, "fills the height inside 8 %"
    assert abs((right - left) - (bottom - top)) <= 2, "still a disc"
    assert abs((left + right) / 2 - 300) <= 1


def test_a_shadow_falls_under_the_subject_as_dark_as_asked_and_nowhere_far() -> None:
    plain = np.asarray(render(OutputOptions(canvas="square")))
    assert plain.shape == (120, 120, 4)  # the disc at 10..110
    shaded = np.asarray(render(OutputOptions(canvas="square", shadow=True)))
    below = (slice(111, 116), slice(55, 65))  # just under the disc's lowest point
    assert plain[below][..., 3].max() == 0
    assert shaded[below][..., 3].mean() > 10 and shaded[below][..., :3].max() < 40
    assert shaded[0:3, 0:3, 3].max() == 0, "the corners stay clear"
    assert np.array_equal(plain[50:70, 50:70], shaded[50:70, 50:70]), "the subject unchanged"
    strong = np.asarray(render(OutputOptions(canvas="square", shadow=True, shadow_strength=90)))
    darker = strong[below][..., 3].astype(float).mean() / shaded[below][..., 3].mean()
    assert 1.8 < darker < 2.2, "twice the strength, twice as dark"


def test_the_blurred_photo_stays_behind_the_subject() -> None:
    shot = np.asarray(render(OutputOptions(bg_blur=12)).convert("RGB")).astype(int)
    assert np.abs(shot[280, 380] - GREEN).max() <= 2, "far from the subject: the photo's green"
    assert np.abs(shot[110, 120] - RED).max() <= 2, "the subject sharp"
    just_outside = shot[110, 175]  # 6 px right of the disc: red bleeds into green there
    assert just_outside[0] > GREEN[0] + 20


def test_a_background_picture_covers_the_shot_keeping_its_shape() -> None:
    halves = Image.new("RGB", (40, 20), (0, 0, 255))
    halves.paste((255, 255, 0), (20, 0, 40, 20))
    image, mask = disc_on_green()
    data, size = compose(image, mask, OutputOptions(bg_image=True), backdrop=halves)
    shot = decode(data)
    # 40 x 20 covers 400 x 300 as 600 x 300, cut about its centre: x < 100 blue, x >= 300 yellow
    assert size == (400, 300) and shot.mode == "RGB"
    assert shot.getpixel((5, 290)) == (0, 0, 255)
    assert shot.getpixel((395, 5)) == (255, 255, 0)
    assert shot.getpixel((120, 110)) == RED, "the subject in front"
    square = decode(
        compose(*disc_on_green(), OutputOptions(canvas="square", bg_image=True), backdrop=halves)[0]
    )
    assert square.size == (120, 120) and square.getpixel((2, 2)) == (0, 0, 255)


def test_jpeg_product_shots_are_on_white_or_the_chosen_colour() -> None:
    white = render(OutputOptions(format="jpg", canvas="300x200", shadow=True))
    assert white.mode == "RGB" and min(white.getpixel((2, 2))) > 245  # type: ignore[arg-type]
    blue = render(OutputOptions(format="png", canvas="square", bg_color=(0, 0, 255)))
    assert blue.mode == "RGB" and blue.getpixel((1, 1)) == (0, 0, 255)


@pytest.mark.parametrize(
    "values",
    [
        {"canvas": "12x"},
        {"canvas": "0x500"},
        {"canvas": "20000x20000"},
        {"canvas": "round"},
        {"padding": 50},
        {"bg_blur": -1},
        {"bg_blur": 5, "canvas": "square"},
        {"bg_blur": 5, "bg_color": "white"},
        {"bg_image": True, "bg_color": "white"},
        {"bg_image": True, "bg_blur": 5},
        {"bg_image": True, "mask_only": True},
    ],
)
def test_impossible_framing_is_refused(values: dict[str, object]) -> None:
    with pytest.raises(InvalidOption):
        OutputOptions.from_mapping(values)


@pytest.mark.slow
def test_the_real_model_makes_a_square_product_shot(core: Core) -> None:
    options = OutputOptions(canvas="square", shadow=True)
    shot = decode(core.engine.remove_background(photo("astronaut", (256, 256)), options).data)
    assert shot.mode == "RGBA" and shot.width == shot.height
    alpha = np.asarray(shot)[..., 3]
    assert alpha[shot.height // 2, shot.width // 2] == 255 and alpha[0, 0] == 0


@pytest.mark.slow
def test_the_cli_lays_the_subject_on_a_picture(core: Core, tmp_path: Path) -> None:
    source, wall = tmp_path / "coffee.jpg", tmp_path / "wall.png"
    source.write_bytes(photo("coffee"))
    Image.new("RGB", (50, 50), (255, 0, 255)).save(wall)
    ran = subprocess.run(
        [sys.executable, "-m", "bgdesk", "remove", str(source), "--bg-image", str(wall)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert ran.returncode == 0, ran.stderr
    shot = Image.open(io.BytesIO((tmp_path / "coffee-nobg.png").read_bytes())).convert("RGB")
    assert shot.getpixel((2, 2)) == (255, 0, 255)
    missing = subprocess.run(
        [sys.executable, "-m", "bgdesk", "remove", str(source), "--bg-image", "nowhere.png"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert missing.returncode != 0 and "Cannot read nowhere.png" in missing.stderr
    blurred = subprocess.run(
        [sys.executable, "-m", "bgdesk", "remove", str(source), "--bg-blur", "6", "--overwrite"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert blurred.returncode == 0, blurred.stderr
    shot = Image.open(io.BytesIO((tmp_path / "coffee-nobg.png").read_bytes()))
    with Image.open(source) as original:
        assert shot.mode == "RGB" and shot.size == original.size


@pytest.mark.slow
def test_the_cli_writes_a_product_shot(core: Core, tmp_path: Path) -> None:
    source = tmp_path / "coffee.jpg"
    source.write_bytes(photo("coffee"))
    framing = ["--canvas", "800x800", "--shadow", "--format", "jpg", "--padding", "12"]
    ran = subprocess.run(
        [sys.executable, "-m", "bgdesk", "remove", str(source), *framing],
        capture_output=True,
        text=True,
        check=False,
    )
    assert ran.returncode == 0, ran.stderr
    shot = Image.open(io.BytesIO((tmp_path / "coffee-nobg.jpg").read_bytes()))
    assert shot.format == "JPEG" and shot.size == (800, 800)
    assert min(shot.convert("RGB").getpixel((4, 4))) > 245  # type: ignore[arg-type]
