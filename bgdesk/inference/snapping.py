"""Moving a cutout's edge near a click to where the photo's colours say it lies.

Around a click, the kept and the removed pixels away from the cutout's edge show what the
subject and the background look like there; each pixel in a band along the edge goes to the
side whose colours (a Gaussian of each side's) it is nearer to. A click takes the part of that
change that lies on its own side and touches it, so it moves the edge along a stretch of
subject the model cut short (or a fringe of background it kept), not only the blob under the
pointer; the rest of the edge stays where it was."""

from __future__ import annotations

import numpy as np

from bgdesk.inference.reach import BLOCKED, grown, ways_from

SNAP_REACH = 6.0  # the window looked at reaches this many times the click's depth each way
SNAP_SIDE = 24  # and at least this many pixels
SNAP_BAND = 8  # pixels either side of the edge that may change side
SAMPLES = 20  # each side needs this many pixels to tell its colours by
SPREAD = 4.0  # added to each colour's variance, so a flat side does not look infinitely sure


def snapped_region(
    kept: np.ndarray, colours: np.ndarray, point: tuple[int, int], keep: bool, depth: float
) -> np.ndarray | None:
    """The pixels near `point` (x, y) that a click for `keep` moves to its side by colour, as
    a bool mask of `kept`'s shape, or None when the click lies deeper than the band or the
    window holds too little of either side.
    `colours` is the working photo as float32, `depth` the click's depth."""
    if depth > (SNAP_BAND + 1) * 2**0.5:  # no pixel next to the click can change side
        return None
    x, y = point
    height, width = kept.shape
    side = max(SNAP_SIDE, round(SNAP_REACH * depth))
    top, left = max(0, y - side), max(0, x - side)
    bottom, right = min(height, y + side + 1), min(width, x + side + 1)
    inside = kept[top:bottom, left:right]
    near_out, near_in = ~inside, inside
    for _ in range(SNAP_BAND):
        near_out, near_in = grown(near_out), grown(near_in)
    band = (inside & near_out) | (~inside & near_in)
    window = colours[top:bottom, left:right]
    subject, background = window[inside & ~band], window[~inside & ~band]
    if len(subject) < SAMPLES or len(background) < SAMPLES:
        return None
    edge = window[band]
    looks_kept = _unlikeliness(edge, subject) < _unlikeliness(edge, background)
    moved = np.zeros(inside.shape, bool)
    moved[band] = looks_kept if keep else ~looks_kept
    moved &= inside != keep
    start = np.zeros(inside.shape, bool)
    start[y - top, x - left] = moved[y - top, x - left] = True
    reached = ways_from(np.where(moved, 1.0, BLOCKED), start) < BLOCKED
    region = np.zeros(kept.shape, bool)
    region[top:bottom, left:right] = reached
    return region


def _unlikeliness(pixels: np.ndarray, sample: np.ndarray) -> np.ndarray:
    """How unlikely each of `pixels` (n x 3) is under a Gaussian of `sample`'s colours: its
    negative log-likelihood, up to a constant."""
    mean = sample.mean(axis=0)
    spread = np.cov(sample.T) + np.eye(3) * SPREAD
    apart = pixels - mean
    distance: np.ndarray = np.einsum("ij,jk,ik->i", apart, np.linalg.inv(spread), apart)
    return 0.5 * distance + 0.5 * float(np.linalg.slogdet(spread)[1])
