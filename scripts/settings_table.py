#!/usr/bin/env python3
"""Rewrite the README's settings table from the settings' declarations.

    .venv/bin/python scripts/settings_table.py

`tests/test_settings.py` fails while the README's table differs from the declarations.
"""

from __future__ import annotations

from pathlib import Path

from bgdesk.settings import Settings

README = Path(__file__).resolve().parents[1] / "README.md"
HEADER = "| setting | default | meaning |"


def main() -> None:
    text = README.read_text(encoding="utf-8")
    start = text.index(HEADER)
    end = text.index("\n\n", start)
    README.write_text(text[:start] + Settings.markdown_table() + text[end:], encoding="utf-8")
    print(f"Rewrote the settings table in {README}")


if __name__ == "__main__":
    main()
