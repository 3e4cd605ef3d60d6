"""How much memory a cutout takes at its peak, known from its photo's header and its options
before any of its pixels are made: so that a request which could not be made within the
memory budget is refused when it is sent, and cutouts made side by side wait for room
rather than run the machine out of memory together.

The figures are bytes per pixel of what is alive at the worst moment, measured with
bench/footprint.py (which prints each estimate beside the peak it measured) and rounded up.
"""

from __future__ import annotations

from dataclasses import dataclass

from bgdesk.errors import ImageTooLarge
from bgdesk.request.options import OutputOptions, canvas_size

MIB = 1 << 20
# The photo decoded (RGB, alpha, and the decoder's own copy while it splits them), the mask
# scaled up to it, and the edge colours' working copies.
PHOTO_BYTES = 14
BACKDROP_BYTES = 8  # a background picture: decoded, and its colour copy
CUTOUT_BYTES = 4  # the cutout as RGBA, before a Pillow encoder or a colour background
SUBJECT_BYTES = 4  # a product shot's subject as RGBA, before it is scaled to its canvas
SHOT_BYTES = 9  # the subject scaled onto the canvas and the finished shot (RGBA or RGB)
STRIPS = 64 * MIB  # rows being laid together or compressed at a time
# A model's run at 320 x 320 (its session and activations); larger inputs grow with area.
MODEL_RUN = 320 * MIB
MODEL_SIDE = 320


@dataclass(frozen=True)
class Footprint:
    """A cutout's estimated peak memory: the part its pixels take, and its model's run."""

    pixels: int  # bytes
    model: int  # bytes
    output_size: tuple[int, int]  # the largest the options can make

    @property
    def total(self) -> int:
        return self.pixels + self.model


def output_size(size: tuple[int, int], options: OutputOptions) -> tuple[int, int]:
    """The largest cutout `options` can make of a photo of `size`: a canvas's size (`square`
    as if the subject filled the photo), else the photo's."""
    if options.mask_only or not options.canvas:
        return size
    return canvas_size(options.canvas, size, options.padding)


def footprint(
    size: tuple[int, int],
    options: OutputOptions,
    model_side: int = MODEL_SIDE,
    backdrop: tuple[int, int] | None = None,
) -> Footprint:
    """The peak memory of cutting out a photo of `size` as `options` ask, with a model that
    sees `model_side` pixels a side, over a background picture of size `backdrop`."""
    photo = size[0] * size[1]
    pixels = PHOTO_BYTES * photo + STRIPS
    if backdrop is not None:
        pixels += BACKDROP_BYTES * backdrop[0] * backdrop[1]
    out = output_size(size, options)
    shot = out[0] * out[1]
    fmt = options.output_format
    alpha = fmt.keeps_alpha and not options.bg_color and not options.bg_blur and not backdrop
    encoding = fmt.encoder_bytes(shot, alpha and not options.mask_only)
    if options.mask_only:
        pixels += encoding
    elif options.canvas or options.shadow or options.bg_blur or backdrop is not None:
        pixels += SUBJECT_BYTES * photo + SHOT_BYTES * shot + encoding
    else:
        pixels += CUTOUT_BYTES * photo + encoding
    model = round(MODEL_RUN * (model_side / MODEL_SIDE) ** 2)
    return Footprint(pixels, model, out)


def check_fits(need: Footprint, options: OutputOptions, budget: int) -> None:
    """Raise `ImageTooLarge` when the pixels of a cutout needing `need` would take more than
    `budget` bytes, the memory all cutouts under way share."""
    if need.pixels <= budget:
        return
    width, height = need.output_size
    raise ImageTooLarge(
        f"This cutout would take about {amount(need.pixels)} of memory to make "
        f"({width} x {height} pixels as {options.output_format.name.upper()}); this server "
        f"makes cutouts within {amount(budget)} (setting memory_budget_mb). Ask for a "
        "smaller canvas or photo, or another format."
    )


def amount(size: int) -> str:
    """Bytes as people read them: `1.4 GiB`, `512 MiB`."""
    return f"{size / (1 << 30):.1f} GiB" if size >= 1 << 30 else f"{max(1, round(size / MIB))} MiB"
