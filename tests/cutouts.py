"""A fake engine whose every cutout says which photo it was cut from, for tests about which
cutout is whose: two photos of one name must never share, or swap, a cutout."""

from __future__ import annotations

import hashlib
from dataclasses import replace

from bgdesk.inference.engine import Cutout, Retouch
from bgdesk.request.options import OutputOptions
from tests.conftest import FakeEngine


def cutout_of(photo: bytes) -> bytes:
    """What `TellingEngine` makes of `photo`."""
    return b"cutout of " + hashlib.sha256(photo).hexdigest().encode()


class TellingEngine(FakeEngine):
    """Cuts out instantly, as FakeEngine does; its cutout is `cutout_of(photo)`."""

    def remove_background(
        self,
        data: bytes,
        options: OutputOptions,
        background: bytes | None = None,
        retouch: Retouch | None = None,
    ) -> Cutout:
        made = super().remove_background(data, options, background, retouch)
        return replace(made, data=cutout_of(data))
