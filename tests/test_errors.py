"""The error tree: a stored code leads back to its class, so families are told apart by class."""

from __future__ import annotations

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
