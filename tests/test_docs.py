"""The documents a newcomer walks: a short README that links every document in docs/, links
that lead somewhere, and the test command CI runs written where people read it."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
LINK = re.compile(r"\]\(([^)\s#]+)(?:#[^)]*)?\)")


def documents() -> list[Path]:
    return [README, ROOT / "CHANGELOG.md", *sorted((ROOT / "docs").glob("*.md"))]


def test_the_readme_is_short_and_links_every_document() -> None:
    text = README.read_text(encoding="utf-8")
    assert len(text.splitlines()) <= 150, "the README says what bgdesk is; docs/ says the rest"
    linked = {ROOT / target for target in LINK.findall(text)}
    unlinked = [path.name for path in documents()[1:] if path not in linked]
    assert not unlinked, f"README.md does not link {unlinked}"


def test_every_link_between_the_documents_leads_to_a_file() -> None:
    broken = [
        f"{document.relative_to(ROOT)} → {target}"
        for document in documents()
        for target in LINK.findall(document.read_text(encoding="utf-8"))
        if "://" not in target and not (document.parent / target).exists()
    ]
    assert not broken


def test_the_readme_gives_the_test_command_ci_runs() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    command = "python3 tasks.py test"
    assert re.search(rf"^{re.escape(command)}$", ci, re.M), ".ci/run runs the README's command"
    assert command in README.read_text(encoding="utf-8")
