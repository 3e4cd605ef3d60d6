"""Turn untrusted bytes into pixels, or into a clear error: limits first, then decoding.

Accepted: the formats of `INPUT_FORMATS` (JPEG with the MPO variant cameras write, PNG, WEBP,
HEIC as phones save it, AVIF, TIFF, BMP) in any of Pillow's modes. The result is upright
(orientation applied) RGB plus an optional alpha channel.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
from PIL import (  # the plugins register the formats we accept
    AvifImagePlugin,  # noqa: F401
    Image,
    ImageOps,
    JpegImagePlugin,  # noqa: F401
    PngImagePlugin,  # noqa: F401
    UnidentifiedImageError,
    WebPImagePlugin,  # noqa: F401
)

from bgdesk.errors import ImageTooLarge, NotAnImage, TruncatedImage, UnsupportedFormat


@dataclass(frozen=True)
class InputFormat:
    """A kind of picture bgdesk reads."""

    label: str  # for people and messages
    plugin: str  # the Pillow plugin that opens it
    suffixes: tuple[str, ...]


HEIF = "HEIF"  # the plugin pi-heif registers, loaded when first needed
INPUT_FORMATS = (
    InputFormat("JPEG", "JPEG", (".jpg", ".jpeg")),  # the JPEG plugin opens MPO files too
    InputFormat("PNG", "PNG", (".png",)),
    InputFormat("WEBP", "WEBP", (".webp",)),
    InputFormat("HEIC", HEIF, (".heic", ".heif")),
    InputFormat("AVIF", "AVIF", (".avif",)),
    InputFormat("TIFF", "TIFF", (".tif", ".tiff")),  # scans and camera exports; first page
    InputFormat("BMP", "BMP", (".bmp",)),
)
IMAGE_SUFFIXES = frozenset(suffix for spec in INPUT_FORMATS for suffix in spec.suffixes)
ACCEPTED_FORMATS = tuple(spec.plugin for spec in INPUT_FORMATS)


def _formats_for(header: bytes) -> tuple[str, ...]:
    """The plugins to try on a file that starts with `header`. The HEIF decoder is loaded
    only for files in an ISO media container (HEIC, AVIF), keeping it out of every start."""
    if header[4:8] == b"ftyp":
        _load_heif()
        return ACCEPTED_FORMATS
    return tuple(plugin for plugin in ACCEPTED_FORMATS if plugin != HEIF)


@cache
def _load_heif() -> None:
    import pi_heif  # HEIC/HEIF, decoding only

    pi_heif.register_heif_opener()


EXIF_ORIENTATION = 0x0112


def input_names_text() -> str:
    """`JPEG, PNG, WEBP, HEIC or AVIF`: the formats read, as a sentence names them."""
    labels = [spec.label for spec in INPUT_FORMATS]
    return f"{', '.join(labels[:-1])} or {labels[-1]}"


# Our own limits (bytes and megapixels) replace Pillow's global decompression-bomb guard.
Image.MAX_IMAGE_PIXELS = None


def images_in(folder: Path) -> list[Path]:
    """The image files under `folder` (any depth), by suffix, hidden files left out."""
    return sorted(
        path
        for path in folder.rglob("*")
        if path.suffix.lower() in IMAGE_SUFFIXES
        and path.is_file()
        and not path.name.startswith(".")
    )


@dataclass(frozen=True)
class Limits:
    max_bytes: int
    max_megapixels: float


@dataclass(frozen=True)
class ImageInfo:
    format: str
    width: int
    height: int

    @property
    def size(self) -> tuple[int, int]:
        return self.width, self.height


@dataclass
class Decoded:
    """An upright RGB image, its alpha channel when it had one, and its colour profile."""

    rgb: Image.Image
    alpha: Image.Image | None
    icc_profile: bytes | None

    @property
    def size(self) -> tuple[int, int]:
        return self.rgb.size


def _open(data: bytes, limits: Limits) -> Image.Image:
    if not data:
        raise NotAnImage("The file is empty (0 bytes).")
    if len(data) > limits.max_bytes:
        raise ImageTooLarge(
            f"The file is {len(data) / 1e6:.1f} MB; the limit is {limits.max_bytes / 1e6:.1f} MB."
        )
    try:
        image = Image.open(io.BytesIO(data), formats=_formats_for(data[:12]))
    except UnidentifiedImageError:
        raise _unaccepted(data) from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise TruncatedImage(f"The image header is damaged: {exc}") from None
    megapixels = image.width * image.height / 1e6
    if megapixels > limits.max_megapixels:
        raise ImageTooLarge(
            f"The image is {image.width} x {image.height} ({megapixels:.1f} megapixels); "
            f"the limit is {limits.max_megapixels:g} megapixels."
        )
    return image


def _unaccepted(data: bytes) -> Exception:
    """Tell an image in a format we do not take from something that is no image at all."""
    try:
        with Image.open(io.BytesIO(data)) as other:
            kind = other.format
    except Exception:
        return NotAnImage(f"The file is not an image ({input_names_text()} expected).")
    return UnsupportedFormat(f"{kind} images are not supported: use {input_names_text()}.")


def _load(image: Image.Image) -> None:
    try:
        image.load()
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise TruncatedImage(f"The image data is truncated or corrupt: {exc}") from None


def image_size(data: bytes, limits: Limits) -> tuple[int, int]:
    """The size of the image in `data`, from its header alone."""
    return _open(data, limits).size


def inspect_image(data: bytes, limits: Limits) -> ImageInfo:
    """Check that `data` decodes whole, cheaply: JPEGs are decoded at 1/8 scale."""
    image = _open(data, limits)
    info = ImageInfo(image.format or "", image.width, image.height)
    if image.format in ("JPEG", "MPO"):
        image.draft(image.mode, (max(1, image.width // 8), max(1, image.height // 8)))
    _load(image)
    return info


def decode_image(data: bytes, limits: Limits) -> Decoded:
    """Decode `data` to upright RGB (+ alpha) or raise an `InvalidRequest` that says why."""
    image = _open(data, limits)
    _load(image)
    icc = image.info.get("icc_profile")
    if image.getexif().get(EXIF_ORIENTATION, 1) != 1:
        image = ImageOps.exif_transpose(image)
    rgb, alpha = _split_channels(image)
    return Decoded(rgb=rgb, alpha=alpha, icc_profile=icc if isinstance(icc, bytes) else None)


def read_upright(path: Path, fit: int = 0) -> Image.Image | None:
    """The picture at `path` as RGBA, upright, shrunk to fit a `fit`-pixel square when `fit`
    is set; None when it cannot be read. For showing a picture, not for cutting it out."""
    try:
        with path.open("rb") as file:
            header = file.read(12)
        with Image.open(path, formats=_formats_for(header)) as opened:
            picture = ImageOps.exif_transpose(opened)
            if fit:
                picture.thumbnail((fit, fit))
            return picture.convert("RGBA")
    except (OSError, SyntaxError, ValueError, EOFError):
        return None


def _split_channels(image: Image.Image) -> tuple[Image.Image, Image.Image | None]:
    mode = image.mode
    if mode == "RGB":
        return image, None
    if mode in ("I", "I;16", "I;16L", "I;16B", "I;16N", "F"):
        image = _wide_grey_to_l(image)
        mode = "L"
    if mode == "P":
        palette_mode = image.palette.mode if image.palette else "RGB"
        has_alpha = "transparency" in image.info or palette_mode == "RGBA"
        image = image.convert("RGBA" if has_alpha else "RGB")
    elif mode in ("PA", "RGBa", "La"):
        image = image.convert("RGBA")
    if image.mode in ("RGBA", "LA"):
        alpha: Image.Image | None = image.getchannel("A")
        if alpha is not None and alpha.getextrema() == (255, 255):
            alpha = None
        return image.convert("RGB"), alpha
    return image.convert("RGB"), None


def _wide_grey_to_l(image: Image.Image) -> Image.Image:
    """16-bit and float greys: scale to 8 bits instead of clipping everything to white."""
    values = np.asarray(image)
    if image.mode == "F":
        scaled = np.clip(values, 0, 255)
    else:
        top = 65535 if image.mode.startswith("I;16") or values.max() > 255 else 255
        scaled = values.astype(np.float32) * (255.0 / top)
    return Image.fromarray(np.rint(scaled).astype(np.uint8))
