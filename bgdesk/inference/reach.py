"""How far a click reaches over a photo: what crossing each pixel costs (little on flat areas,
much on edges), the cheapest way from the click to every pixel, and how deep the click lies
in the area it points at. Plain numpy and Pillow, as the installed app carries no image
processing library besides them."""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageCms, ImageFilter

EDGE_WEIGHT = 5.0  # how much longer a way across a strong edge is than across a flat area
EDGE_CEILING = 4.0  # edges this many times the photo's typical strong edge count no more
STRONG_EDGE = 90  # the percentile of the photo's edge strengths taken as "a strong edge"
EDGE_PIXEL = 1.0 + EDGE_WEIGHT  # a pixel costing this much lies on a strong edge
BLOCKED = 1e6  # the cost of a pixel no way may cross: more than any reach
SWEEPS = 2  # passes down and up the picture: enough for ways that turn back once or twice
DIAGONAL = 2.0**0.5

_LAB = ImageCms.buildTransform(
    ImageCms.createProfile("sRGB"), ImageCms.createProfile("LAB"), "RGB", "LAB"
)


def edge_cost(picture: Image.Image) -> np.ndarray:
    """What crossing each pixel of `picture` (RGB) costs a click's reach: 1 on flat areas, up
    to 1 + EDGE_WEIGHT * EDGE_CEILING² on the strongest edges. Colour edges are measured in
    Lab, where equal steps look about equally different, and scaled by the photo's own strong
    edges so a soft photo and a crisp one are alike."""
    smooth = picture.filter(ImageFilter.GaussianBlur(1.0))
    coded = np.asarray(ImageCms.applyTransform(smooth, _LAB))
    lab = coded.astype(np.float32)
    lab[..., 1:] = coded[..., 1:].view(np.int8)  # Pillow keeps a and b as signed bytes
    padded = np.pad(lab, ((1, 1), (1, 1), (0, 0)), mode="edge")
    # Sobel's 3 x 3 differences, each smoothed across its direction.
    down_smoothed = padded[:-2] + 2 * padded[1:-1] + padded[2:]
    across_smoothed = padded[:, :-2] + 2 * padded[:, 1:-1] + padded[:, 2:]
    across = down_smoothed[:, 2:] - down_smoothed[:, :-2]
    down = across_smoothed[2:] - across_smoothed[:-2]
    strength = np.sqrt((across * across + down * down).sum(axis=2))
    strength *= 1.0 / max(float(np.percentile(strength, STRONG_EDGE)), 1e-3)
    np.minimum(strength, EDGE_CEILING, out=strength)
    cost: np.ndarray = 1.0 + EDGE_WEIGHT * strength * strength
    return cost


def depth_at(area: np.ndarray, x: int, y: int) -> float:
    """How far the pixel (x, y) of `area` (bool) lies from the nearest pixel outside it, the
    picture's border counting as outside."""
    height, width = area.shape
    deepest = float(min(x + 1, y + 1, width - x, height - y))
    span = 8
    while True:
        top, left = max(0, y - span), max(0, x - span)
        outside = ~area[top : y + span + 1, left : x + span + 1]
        if outside.any():
            rows, columns = np.nonzero(outside)
            nearest = float(np.sqrt(((rows + top - y) ** 2 + (columns + left - x) ** 2).min()))
            if nearest <= span:  # nothing outside the window can be nearer
                return min(deepest, nearest)
        if span >= deepest:
            return deepest
        span *= 2


def ways_from(costs: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """The cost of the cheapest way from any of the `starts` (bool) to every pixel, each step
    costing the pixel it enters (its length for a diagonal step); `costs` at BLOCKED are
    walls. Rows are swept down and up, each row taking the ways from the one before and then
    the ways along itself, worked out at once as running minima."""
    height = costs.shape[0]
    ways = np.where(starts, 0.0, np.inf)
    steps = costs.astype(np.float64)
    along = np.cumsum(steps, axis=1)  # the cost of walking each row from its left end
    back = np.cumsum(steps[:, ::-1], axis=1)  # and from its right end
    for _ in range(SWEEPS):
        for rows in (range(height), range(height - 1, -1, -1)):
            before: np.ndarray | None = None
            for row in rows:
                here = ways[row]
                if before is not None:
                    diagonal = np.minimum(
                        np.concatenate(([np.inf], before[:-1])),
                        np.concatenate((before[1:], [np.inf])),
                    )
                    np.minimum(here, before + steps[row], out=here)
                    np.minimum(here, diagonal + DIAGONAL * steps[row], out=here)
                rightwards = along[row] + np.minimum.accumulate(here - along[row])
                leftwards = back[row] + np.minimum.accumulate(here[::-1] - back[row])
                np.minimum(here, rightwards, out=here)
                np.minimum(here, leftwards[::-1], out=here)
                before = here
    return ways


def grown(area: np.ndarray) -> np.ndarray:
    """`area` (bool) with every pixel next to it (of the eight around) added."""
    padded = np.pad(area, 1)
    height, width = area.shape
    result = area.copy()
    for row in range(3):
        for column in range(3):
            result |= padded[row : row + height, column : column + width]
    return result


def enclosed(area: np.ndarray) -> np.ndarray:
    """The pixels `area` (bool) closes in: those no way reaches from the picture's border
    without crossing it."""
    border = np.zeros(area.shape, bool)
    border[[0, -1], :] = border[:, [0, -1]] = True
    costs = np.where(area, BLOCKED, 1.0)
    outside = ways_from(costs, border & ~area) < BLOCKED
    closed_in: np.ndarray = ~area & ~outside
    return closed_in
