"""The quality presets a request may name in place of a model."""

from __future__ import annotations

from enum import StrEnum


class Preset(StrEnum):
    """A choice of models by what matters most, resolved against the installed ones."""

    BEST = "best"
    FAST = "fast"

    @property
    def meaning(self) -> str:
        """What the preset picks, as people are told."""
        return _MEANINGS[self]


_MEANINGS = {
    Preset.BEST: "the installed models that measured best",
    Preset.FAST: "the fastest model alone",
}
PRESETS = {preset.value: preset.meaning for preset in Preset}
