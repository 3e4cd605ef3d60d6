"""Printing for the CLI: tables for people, JSON for scripts, a progress bar on terminals."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Sequence
from typing import Any, TextIO

_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
_UNDECODABLE = range(0xDC80, 0xDD00)  # the bytes of a name not in the locale's encoding


def escaped(text: object) -> str:
    """`text` as a terminal can show it: a character that is not printable (a newline, an
    escape sequence, a right-to-left override) shown as its escape, `\\x1b`, so that a
    file's name can neither move the cursor, colour the screen nor pass for another's."""
    return "".join(char if char.isprintable() else _escape(char) for char in str(text))


def _escape(char: str) -> str:
    code = ord(char)
    if char in _ESCAPES:
        return _ESCAPES[char]
    if code in _UNDECODABLE:
        return f"\\x{code - 0xDC00:02x}"
    if code <= 0xFF:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def print_json(value: Any) -> None:
    print(json.dumps(value, indent=2, default=str))


def print_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    cells = [[str(value) for value in row] for row in rows]
    widths = [max([len(h)] + [len(row[i]) for row in cells]) for i, h in enumerate(headers)]
    for row in [list(headers), *cells]:
        print(
            "  ".join(value.ljust(width) for value, width in zip(row, widths, strict=True)).rstrip()
        )


class ProgressBar:
    """`[#####-----] 5/10 label` redrawn in place on a terminal; silent when piped."""

    WIDTH = 28

    def __init__(self, total: int, unit: str = "", stream: TextIO | None = None) -> None:
        self.total = total
        self.unit = unit
        self.stream = stream or sys.stderr
        self.enabled = self.stream.isatty()
        self.done = 0
        self._last_draw = 0.0

    def update(self, done: int, label: str = "") -> None:
        self.done = done
        now = time.monotonic()
        if not self.enabled or (now - self._last_draw < 0.05 and done < self.total):
            return
        self._last_draw = now
        filled = int(self.WIDTH * done / self.total) if self.total else self.WIDTH
        bar = "#" * filled + "-" * (self.WIDTH - filled)
        text = f"{_human(done, self.unit)}/{_human(self.total, self.unit)}"
        self.stream.write(f"\r[{bar}] {text} {label[:40]:<40}")
        self.stream.flush()

    def close(self) -> None:
        if self.enabled:
            self.stream.write("\r" + " " * (self.WIDTH + 90) + "\r")
            self.stream.flush()


def _human(value: int, unit: str) -> str:
    if unit != "B":
        return str(value)
    return f"{value / 1e6:.1f} MB"
