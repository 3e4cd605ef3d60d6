"""How times read in the window: the person's own time zone, to the minute."""

from __future__ import annotations

from datetime import UTC, datetime


def local_time(moment: datetime | None, never: str = "", seconds: bool = False) -> str:
    """A stored (naive UTC) time as local time, e.g. `25 Nov 14:03`."""
    if moment is None:
        return never
    shape = "%d %b %H:%M:%S" if seconds else "%d %b %H:%M"
    return moment.replace(tzinfo=UTC).astimezone().strftime(shape)
