"""What the command line prints of a file's name: escapes for what a terminal would obey
(a cursor move, a colour, a line break, a right-to-left override), the rest as it is."""

from __future__ import annotations

import os

from bgdesk.cli.output import escaped


def test_a_name_is_printed_with_its_unprintable_characters_escaped() -> None:
    assert escaped("evil\x1b[2J\x1b]0;title\x07\nname\t\r.jpg") == (
        "evil\\x1b[2J\\x1b]0;title\\x07\\nname\\t\\r.jpg"
    )
    assert escaped("invoice\u202egpj.exe") == "invoice\\u202egpj.exe"
    assert escaped(os.fsdecode(b"caf\xe9.jpg")) == "caf\\xe9.jpg"  # not UTF-8: its byte
    assert escaped("Café 😀 photo.jpg") == "Café 😀 photo.jpg"
