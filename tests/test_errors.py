"""The error tree: a stored code leads back to its class, so families are told apart by class."""

from __future__ import annotations

import re

from bgdesk import errors
from bgdesk.errors import (
    BgdeskError,
    ChecksumMismatch,
    InsufficientCredits,
    ModelUnavailable,
    error_class,
)


def test_a_code_leads_back_to_its_class_and_family() -> None:
    assert error_class("checksum_mismatch") is ChecksumMismatch
    assert issubclass(error_class("model_download_failed"), ModelUnavailable)
    assert error_class(InsufficientCredits.code) is InsufficientCredits
    assert error_class("cancelled") is BgdeskError and error_class(None) is BgdeskError


def _descendants(cls: type[BgdeskError]) -> list[type[BgdeskError]]:
    return [cls, *(d for sub in cls.__subclasses__() for d in _descendants(sub))]


def test_the_tree_at_the_top_of_errors_py_is_the_tree_of_classes() -> None:
    """Each class is drawn under its parent with its status and code, and nothing else is."""
    drawn: dict[str, tuple[int, int, str]] = {}
    for line in (errors.__doc__ or "").splitlines():
        match = re.fullmatch(r"\s*((?:[│ ]   |[├└]── )*)(\w+)\s+(\d{3}) (\w+).*", line)
        if match:
            drawn[match[2]] = (len(match[1]) // 4, int(match[3]), match[4])
    classes = {
        cls.__name__: cls for cls in _descendants(BgdeskError) if cls.__module__ == errors.__name__
    }
    assert set(drawn) == set(classes)
    for name, (depth, status, code) in drawn.items():
        cls = classes[name]
        assert (status, code) == (cls.status, cls.code), name
        assert depth == len(cls.__mro__) - 4, f"{name} is drawn at the wrong depth"
