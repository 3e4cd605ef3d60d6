#!/usr/bin/env python3
"""Rewrite the settings table in docs/settings.md from the settings' declarations.

    .venv/bin/python scripts/settings_table.py

`tests/test_settings.py` fails while the table differs from the declarations.
"""

from __future__ import annotations

from pathlib import Path

from bgdesk.settings import Settings

DOC = Path(__file__).resolve().parents[1] / "docs" / "settings.md"
HEADER = "| setting | default | meaning |"


def main() -> None:
    text = DOC.read_text(encoding="utf-8")
    start = text.index(HEADER)
    end = text.index("\n\n", start)
    DOC.write_text(text[:start] + Settings.markdown_table() + text[end:], encoding="utf-8")
    print(f"Rewrote the settings table in {DOC}")


if __name__ == "__main__":
    main()
