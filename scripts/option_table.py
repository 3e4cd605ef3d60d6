#!/usr/bin/env python3
"""Rewrite the output options' rows of docs/api.md's remove-bg table from the options'
declarations (bgdesk/request/options.py).

    .venv/bin/python scripts/option_table.py

`tests/request/test_option_table.py` fails while the rows differ from the declarations.
"""

from __future__ import annotations

from pathlib import Path

from bgdesk.request.options import OutputOptions

DOC = Path(__file__).resolve().parents[1] / "docs" / "api.md"
SECTION = "### POST /api/v1/remove-bg"


def main() -> None:
    text = DOC.read_text(encoding="utf-8")
    rows = OutputOptions.markdown_rows()
    first = rows.split(" | ", 1)[0]  # the first option's cell: the rows start there
    start = text.index(first, text.index(SECTION))
    end = text.index("\n\n", start)
    DOC.write_text(text[:start] + rows + text[end:], encoding="utf-8")
    print(f"Rewrote the output options' rows in {DOC}")


if __name__ == "__main__":
    main()
