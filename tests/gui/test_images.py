"""The window shows every format the engine reads, upright: Qt's own readers first, the
engine's decoders for what Qt cannot read (HEIC, AVIF)."""

from __future__ import annotations

import io
from pathlib import Path

import pillow_heif
import pytest
from PIL import Image
from pytestqt.qtbot import QtBot

from bgdesk.gui.images import read_image, thumbnail
from tests.conftest import decode, photo

pytestmark = pytest.mark.slow  # the real window


@pytest.mark.parametrize("kind", ["heic", "avif", "jpg"])
def test_phone_photos_show_upright_in_the_window(qtbot: QtBot, tmp_path: Path, kind: str) -> None:
    upright = decode(photo("coffee"))  # 600 x 400
    exif = Image.Exif()
    exif[0x0112] = 6
    stored = upright.transpose(Image.Transpose.ROTATE_90)
    buffer = io.BytesIO()
    if kind == "heic":
        pillow_heif.from_pillow(stored).save(buffer, quality=92, exif=exif.tobytes())
    else:
        stored.save(buffer, "AVIF" if kind == "avif" else "JPEG", quality=92, exif=exif.tobytes())
    path = tmp_path / f"coffee.{kind}"
    path.write_bytes(buffer.getvalue())

    shown = read_image(str(path))
    assert (shown.width(), shown.height()) == (600, 400)
    expected = upright.convert("RGB").getpixel((300, 200))
    assert isinstance(expected, tuple)
    assert abs(shown.pixelColor(300, 200).red() - expected[0]) < 20
    fitted = read_image(str(path), fit=120)
    assert max(fitted.width(), fitted.height()) <= 120 and fitted.width() > fitted.height()
    assert not thumbnail(str(path)).isNull()


def test_a_broken_file_shows_nothing_rather_than_failing(qtbot: QtBot, tmp_path: Path) -> None:
    path = tmp_path / "broken.heic"
    path.write_bytes(b"\x00\x00\x00\x18ftypheic" + b"\x00" * 40)
    assert read_image(str(path)).isNull()
