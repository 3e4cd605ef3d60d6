"""One table of output formats: every face offers what it holds, and a new row is all a new
format takes."""

from __future__ import annotations

import argparse
import io

import pytest
from PIL import Image

from bgdesk.api.app import create_app
from bgdesk.cli import build_parser
from bgdesk.core.app import Core
from bgdesk.errors import InvalidOption
from bgdesk.gui.exporter import save_filters
from bgdesk.request import formats
from bgdesk.request.formats import FORMATS, OutputFormat, accepted_names, format_named
from bgdesk.request.options import OutputOptions
from bgdesk.settings import Settings
from tests.conftest import photo
from tests.request.test_option_table import remove_bg_form

PILLOW_NAMES = {"png": "PNG", "webp": "WEBP", "jpg": "JPEG", "avif": "AVIF"}


def test_names_aliases_and_a_clear_refusal() -> None:
    assert format_named("JPEG").name == "jpg" and format_named(".webp").name == "webp"
    assert OutputOptions(format="jpeg").format == "jpg"
    with pytest.raises(InvalidOption, match="use png, webp, jpg or avif"):
        format_named("gif")


def test_every_face_offers_exactly_the_table(fake_core: Core) -> None:
    parser, _ = build_parser()
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    remove = commands.choices["remove"]
    choices = next(a.choices for a in remove._actions if a.dest == "format")
    assert list(choices or ()) == accepted_names() == ["png", "webp", "jpg", "jpeg", "avif"]
    form = remove_bg_form(create_app(fake_core).openapi())
    assert form["properties"]["format"]["enum"] == accepted_names()
    assert save_filters().split(";;") == [f"{f.label} (*.{f.extension})" for f in FORMATS.values()]
    assert "png, webp, jpg or avif" in Settings.help_texts()["output_format"]


@pytest.mark.slow
def test_each_format_is_written_as_it_says(core: Core) -> None:
    for spec in FORMATS.values():
        cutout = core.engine.remove_background(
            photo("astronaut", (96, 96)), OutputOptions(format=spec.name)
        )
        image = Image.open(io.BytesIO(cutout.data))
        assert image.format == PILLOW_NAMES[spec.name] and cutout.media_type == spec.media_type
        assert ("A" in image.getbands()) == spec.keeps_alpha, spec.name


@pytest.mark.slow
def test_a_new_format_is_one_row(core: Core, monkeypatch: pytest.MonkeyPatch) -> None:
    tiff = OutputFormat(
        "tiff",
        "tif",
        "image/tiff",
        "TIFF (transparent)",
        True,
        "TIFF",
        aliases=("tif",),
        encoder_options={"compression": "tiff_lzw"},
    )
    monkeypatch.setattr(formats, "FORMATS", {**FORMATS, "tiff": tiff})
    monkeypatch.setattr("bgdesk.request.options.FORMATS", formats.FORMATS)
    cutout = core.engine.remove_background(
        photo("astronaut", (96, 96)), OutputOptions(format="tif")
    )
    image = Image.open(io.BytesIO(cutout.data))
    assert (image.format, image.mode, cutout.extension) == ("TIFF", "RGBA", "tif")
    assert "tiff" in accepted_names() and "png, webp, jpg, avif or tiff" in formats.names_text()
