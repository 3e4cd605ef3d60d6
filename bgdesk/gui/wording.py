"""Messages in the window's language: the core's messages may tell a terminal user what to
type; the window keeps those sentences for a notice's Details and shows the rest."""

from __future__ import annotations

import re

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def plain_words(message: str) -> str:
    """`message` without its sentences that hold a command (written in backticks)."""
    kept = [sentence for sentence in _SENTENCE_END.split(message.strip()) if "`" not in sentence]
    return " ".join(kept) if kept else message.replace("`", "")


def has_details(message: str) -> bool:
    """Whether `message` says more than `plain_words` shows."""
    return plain_words(message) != message.strip()
