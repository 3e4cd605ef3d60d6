"""AVIF in bounded memory: large images come back from Pillow's decoder as a grid of tiles with
the size, mode, colours, transparency and profile they went in with; small ones are Pillow's
own file, byte for byte."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageCms

from bgdesk.inference.avif import encode_avif
from bgdesk.inference.heif import boxes, children
from bgdesk.inference.heif_grid import GridLayout
from bgdesk.request.formats import AVIF_WHOLE_PIXELS


def tiled(image: Image.Image, icc_profile: bytes | None = None) -> bytes:
    """`image` through the grid path even when small, in tiles of at most 128 pixels."""
    return encode_avif(image, 80, 8, icc_profile, direct_pixels=0, max_tile=128)


def picture(width: int, height: int, mode: str) -> Image.Image:
    """Smooth colour ramps with a hard-edged square. Its alpha is opaque on the left third,
    ramps across the middle and is clear on the right, so some tiles are wholly opaque, some
    wholly clear and some mixed."""
    y, x = np.mgrid[:height, :width]
    rgb = np.stack([x * 255 // width, y * 255 // height, (x + y) * 127 // (width + height)], -1)
    rgb[height // 4 : height // 2, width // 4 : width // 2] = (250, 40, 30)
    alpha = np.clip((2 * width // 3 - x) * 255 // max(1, width // 3), 0, 255)
    pixels = np.dstack([rgb, alpha]).astype(np.uint8)
    return Image.fromarray(pixels).convert(mode)


def decode(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def item_types(data: bytes) -> list[tuple[bytes, bool]]:
    """(item type, hidden) of each item in an AVIF file, in item order."""
    meta = children({kind: body for kind, body, _ in boxes(data)}[b"meta"][4:])
    return [(body[8:12], body[3] & 1 == 1) for _, body, _ in boxes(meta[b"iinf"][6:])]


def assert_close(source: Image.Image, decoded: Image.Image) -> None:
    """Colours close on average; alpha close, with flat opaque and clear areas exact."""
    expected_mode = {"RGBA": "RGBA", "LA": "RGBA", "L": "L"}.get(source.mode, "RGB")
    assert decoded.size == source.size and decoded.mode == expected_mode
    want = np.asarray(source.convert(expected_mode)).astype(np.int16)
    got = np.asarray(decoded).astype(np.int16)
    assert np.abs(got - want)[..., :3].mean() < 2.5
    if expected_mode == "RGBA":
        assert np.abs(got[..., 3] - want[..., 3]).mean() < 1
        third = source.width // 3
        assert (got[:, : third - 8, 3] == 255).all(), "opaque stays opaque"
        assert (got[:, 2 * third + 8 :, 3] == 0).all(), "clear stays clear"


@pytest.mark.parametrize("mode", ["RGB", "RGBA", "L", "LA"])
@pytest.mark.parametrize(
    "size",
    [(256, 128), (384, 256), (301, 203), (300, 203), (301, 202), (129, 65), (700, 64)],
    ids=str,
)
def test_a_grid_round_trips(size: tuple[int, int], mode: str) -> None:
    source = picture(*size, mode)
    data = tiled(source)
    assert_close(source, decode(data))
    layout = GridLayout.covering(*size, 128)
    count = layout.rows * layout.columns
    alpha_grid = [(b"grid", False)] + [(b"av01", True)] * count if mode in ("RGBA", "LA") else []
    assert item_types(data) == [(b"grid", False)] + [(b"av01", True)] * count + alpha_grid


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["RGB", "RGBA"])
@pytest.mark.parametrize("size", [(5000, 3001), (6144, 2048)], ids=str)
def test_a_grid_of_the_default_tile_size_round_trips(size: tuple[int, int], mode: str) -> None:
    source = picture(*size, mode)
    data = encode_avif(source, 80, 8, direct_pixels=size[0] * size[1] - 1)
    assert item_types(data)[0] == (b"grid", False)
    assert_close(source, decode(data))


def test_wholly_opaque_tiles_get_an_opaque_alpha_tile() -> None:
    """libavif writes no alpha for an opaque tile; the alpha grid needs one for every tile."""
    source = picture(384, 256, "RGBA")
    assert (np.asarray(source)[:, :128, 3] == 255).all(), "the first column of tiles is opaque"
    data = tiled(source)
    assert [kind for kind, _ in item_types(data)].count(b"av01") == 2 * 3 * 2
    decoded = np.asarray(decode(data))
    assert (decoded[:, :128, 3] == 255).all() and (decoded[:, -100:, 3] == 0).all()


def test_ordinary_photos_stay_single_images() -> None:
    """Firefox shows no grid AVIF, so a 12 MP phone photo and a 4000x4000 canvas go whole."""
    assert 4032 * 3024 < 4000 * 4000 <= AVIF_WHOLE_PIXELS
    source = picture(100, 80, "RGB")
    at_the_limit = encode_avif(source, 80, 8, direct_pixels=8000)
    over_it = encode_avif(source, 80, 8, direct_pixels=7999, max_tile=64)
    assert item_types(at_the_limit) == [(b"av01", False)]
    assert item_types(over_it)[0] == (b"grid", False)


def test_the_tile_side_must_be_even() -> None:
    with pytest.raises(ValueError, match="even"):
        encode_avif(picture(200, 200, "RGB"), 80, 8, direct_pixels=0, max_tile=127)


def test_small_images_are_pillows_own_file() -> None:
    source = picture(640, 480, "RGBA")
    pillows = io.BytesIO()
    source.save(pillows, "AVIF", quality=80, speed=8)
    data = encode_avif(source, 80, 8)
    assert data == pillows.getvalue()
    assert item_types(data) == [(b"av01", False), (b"av01", False)]


def test_an_opaque_image_has_no_alpha_grid_like_pillows_own() -> None:
    source = picture(300, 200, "RGB").convert("RGBA")
    decoded = decode(tiled(source))
    assert decoded.mode == "RGB" and decode(encode_avif(source, 80, 8)).mode == "RGB"


@pytest.mark.parametrize("given", [True, False], ids=["argument", "image's own"])
def test_the_icc_profile_is_carried(given: bool) -> None:
    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    source = picture(301, 203, "RGBA")
    if not given:
        source.info["icc_profile"] = profile
    data = tiled(source, profile if given else None)
    decoded = decode(data)
    assert decoded.info["icc_profile"] == profile
    assert_close(source, decoded)


MEASURE = """
import io
import numpy as np
from PIL import Image
from bgdesk.inference.avif import encode_avif

def status(field):
    with open("/proc/self/status") as lines:
        return next(int(line.split()[1]) for line in lines if line.startswith(field))

size = 10_000
ramp = np.linspace(0, 255, size, dtype=np.float32)
pixels = np.empty((size, size, 4), np.uint8)
pixels[..., 0] = ramp[None, :]
pixels[..., 1] = ramp[:, None]
pixels[..., 2] = 90
pixels[..., 3] = np.where(ramp[None, :] + ramp[:, None] < 300, 255, 0)
image = Image.fromarray(pixels)
del pixels
with open("/proc/self/clear_refs", "w") as refs:
    refs.write("5")  # the peak so far is the picture's making, not the encode
before = status("VmRSS:")
data = encode_avif(image, 80, 8)
print((status("VmHWM:") - before) // 1024, len(data))
Image.MAX_IMAGE_PIXELS = None
with Image.open(io.BytesIO(data)) as decoded:
    print(decoded.size[0], decoded.size[1], decoded.mode)
"""


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/clear_refs").exists(), reason="needs Linux /proc")
def test_a_100_megapixel_cutout_is_encoded_in_bounded_memory() -> None:
    """Pillow whole grows the process by 2.5 GB for this; tiled, by about one tile's 150 MB."""
    ran = subprocess.run(
        [sys.executable, "-c", MEASURE],
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert ran.returncode == 0, ran.stderr[-2000:]
    growth_line, size_line = ran.stdout.split("\n")[:2]
    growth_mb, length = map(int, growth_line.split())
    assert size_line.split() == ["10000", "10000", "RGBA"]
    assert length > 0
    assert growth_mb < 600, f"the encode grew the process by {growth_mb} MB"
