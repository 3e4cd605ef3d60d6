"""Messages in the window's language: the core's messages may tell a terminal user what to
type; the window keeps those sentences for a notice's Details and shows the rest."""

from __future__ import annotations

import re

from bgdesk.errors import DeviceUnavailable
from bgdesk.inference.devices import DEVICES

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def plain_words(message: str) -> str:
    """`message` without its sentences that hold a command (written in backticks)."""
    kept = [sentence for sentence in _SENTENCE_END.split(message.strip()) if "`" not in sentence]
    return " ".join(kept) if kept else message.replace("`", "")


def has_details(message: str) -> bool:
    """Whether `message` says more than `plain_words` shows."""
    return plain_words(message) != message.strip()


def window_words(code: str, message: str, device: str) -> str:
    """`message` of an error with `code` as the window says it: a device that cannot run the
    model is named as Settings names it (`device` is the setting's value), without the
    runtime's internals, which stay for Details."""
    if code == DeviceUnavailable.code:
        named = DEVICES.get(device)
        label = named.label if named is not None else device
        return f"This computer cannot run models on {label}, the device chosen in Settings."
    return plain_words(message)
