"""Where plaintext API keys may be kept: the OS keyring, or nowhere.

A key's plaintext is shown once; when the OS has a usable keyring it is also saved there so
the owner can find it again. It is never written to a plain file.
"""

from __future__ import annotations

import contextlib
import logging
from typing import Protocol

import keyring
from keyring.errors import KeyringError

log = logging.getLogger(__name__)
SERVICE = "bgdesk"


class SecretStore(Protocol):
    """Keeps secrets by name; `save` returns whether the secret was kept."""

    def save(self, name: str, secret: str) -> bool: ...

    def load(self, name: str) -> str | None: ...

    def delete(self, name: str) -> None: ...


class KeyringSecretStore:
    """The OS keyring through the `keyring` package, when a real backend is present."""

    def __init__(self, service: str = SERVICE) -> None:
        self.service = service

    @property
    def usable(self) -> bool:
        backend = keyring.get_keyring()
        try:
            return float(backend.priority) > 0 and "fail" not in type(backend).__module__
        except Exception:
            return False

    def save(self, name: str, secret: str) -> bool:
        if not self.usable:
            return False
        try:
            keyring.set_password(self.service, name, secret)
        except KeyringError as exc:
            log.warning("The keyring refused to store %s: %s", name, exc)
            return False
        return True

    def load(self, name: str) -> str | None:
        if not self.usable:
            return None
        try:
            return keyring.get_password(self.service, name)
        except KeyringError:
            return None

    def delete(self, name: str) -> None:
        if not self.usable:
            return
        with contextlib.suppress(KeyringError):
            keyring.delete_password(self.service, name)
