"""docs/api.md against the schema the API serves: every endpoint, field and error code it
documents exists, and every served endpoint and field is documented."""

from __future__ import annotations

import re
from pathlib import Path

from bgdesk.api.app import create_app
from bgdesk.core.app import Core
from bgdesk.errors import error_class

DOC = Path(__file__).resolve().parents[2] / "docs" / "api.md"
ENDPOINT = re.compile(r"^### (GET|POST|DELETE|PUT|PATCH) (/\S+)$", re.M)
OBJECT = re.compile(r"^#### .*\((\w+)\)$", re.M)


def sections(pattern: re.Pattern[str], text: str) -> dict[tuple[str, ...], str]:
    """Each heading's groups, and the text up to the next heading."""
    found = list(pattern.finditer(text))
    return {
        match.groups(): text[
            match.end() : found[n + 1].start() if n + 1 < len(found) else len(text)
        ].split("\n#")[0]
        for n, match in enumerate(found)
    }


def table_fields(text: str) -> set[str]:
    return set(re.findall(r"^\| `(\w+)` \|", text, re.M))


def shape(path: str) -> str:
    return re.sub(r"\{\w+\}", "{}", path)


def test_every_endpoint_and_field_is_documented_and_exists(fake_core: Core) -> None:
    schema = create_app(fake_core).openapi()
    text = DOC.read_text(encoding="utf-8")
    documented = sections(ENDPOINT, text)
    served = {(verb.upper(), shape(path)) for path, ops in schema["paths"].items() for verb in ops}
    assert {(verb, shape(path)) for verb, path in documented} == served
    submit = documented[("POST", "/api/v1/remove-bg")]
    body = next(
        s
        for name, s in schema["components"]["schemas"].items()
        if name.startswith("Body_remove_background")
    )
    assert table_fields(submit) == set(body["properties"])
    objects = sections(OBJECT, text)
    assert objects, "the objects are documented"
    for (name,), part in objects.items():
        assert table_fields(part) == set(schema["components"]["schemas"][name]["properties"]), name


def test_every_documented_error_code_is_one_the_api_gives() -> None:
    errors = DOC.read_text(encoding="utf-8").split("## Errors")[1].split("\n## ")[0]
    rows = re.findall(r"^\| (\d{3}) \| `(\w+)` \|", errors, re.M)
    assert len(rows) >= 10
    for status, code in rows:
        cls = error_class(code)
        assert cls.code == code and cls.status == int(status), code
