"""How sure a model is of its mask, so a doubtful cutout is marked for a look (and, where a
better model is installed, given a second opinion) instead of passing as done.

The confidence is the model's peak certainty times how decided it is over what it kept: 1 for
a crisp subject, falling towards 0 as more of the kept pixels sit between "in" and "out".
Measured on 509 photos with human-made masks (u2netp), it tells a cutout a person would
throw away (IoU < 0.7) from a good one 79 % of the time (ROC AUC 0.79); the thresholds below
were chosen on those photos (see bench/quality.py).

With the `best` plan (u2netp, u2net's second opinion below SECOND_OPINION) 78 of the 509
cutouts fail. The mark catches 29 of them (recall 37 %, 95 % bootstrap interval 26-48 %) and
62 % of the 47 cutouts it marks failed (48-75 %): 9 % of photos are marked, as
`bench/quality.py --model best` prints. Two models disagreeing is what finds them: DISAGREEING
was chosen, for the most failures caught with at least 60 % of marks right, in grouped 10-fold
cross-validation (frames of one video kept together), which gave recall 34 % at precision
59 % on the photos held out. Raised from 0.6 it catches 13 points more of the failures
(paired bootstrap 5-21). Recall 50 % at 60 % precision is out of reach from what a cutout
shows: the failures among confident cutouts (37 of 411) are mostly a wrong subject cut out
crisply, and no trait of the mask (uncertain share, border contact, number and size of
regions, fragmentation) nor of the photo (colour contrast, edges under the outline) tells
them apart better than ROC AUC 0.63, nor has more than 5 failures among the 20 confident
cutouts it ranks most doubtful.
"""

from __future__ import annotations

import numpy as np

CONSIDERED = 0.05  # stretched prediction above which a pixel counts as possibly subject
DOUBTFUL = 0.66  # below this confidence a cutout is marked: 5 % of photos, 85 % of them failed
SECOND_OPINION = 0.8  # below this, a second model is asked where the plan has one (19 %)
DISAGREEING = 0.72  # two models' masks overlapping less than this (IoU): the cutout is marked
MIN_COVERAGE = 0.01  # less of the picture than this kept: nearly empty


def confidence(probabilities: np.ndarray) -> float:
    """0..1: how sure the model is of the subject in `probabilities` (its raw foreground
    probability at its own resolution)."""
    peak = float(probabilities.max())
    low = float(probabilities.min())
    stretched = (probabilities - low) / max(peak - low, 1e-6)
    considered = stretched[stretched > CONSIDERED]
    if considered.size == 0:
        return 0.0
    undecided = float((1.0 - np.abs(2.0 * considered - 1.0)).mean())
    return min(peak, 1.0) * (1.0 - undecided)


def agreement(first: np.ndarray, second: np.ndarray) -> float:
    """How far two masks (0..255, the same size) agree on the subject: their IoU at half."""
    a, b = first >= 128, second >= 128
    union = int((a | b).sum())
    return float((a & b).sum() / union) if union else 1.0


def subject_warning(score: float, mask: np.ndarray, agreed: float = 1.0) -> str | None:
    """A warning in words for a cutout of confidence `score` whose alpha at the model's
    resolution is `mask` (0..255), `agreed` being how far a second model's mask agreed
    with the first; or None for a clear subject."""
    if float((mask >= 128).mean()) < MIN_COVERAGE:
        return "No clear subject: the cutout is nearly empty."
    if score < DOUBTFUL:
        return "No clear subject: the model is unsure of much of this cutout."
    if agreed < DISAGREEING:
        return "No clear subject: two models disagree about what the subject is."
    return None
