"""docs/api.md against the schema the API serves and the errors bgdesk declares: every
endpoint, field and error code it documents exists, and every served endpoint and field, and
every error code, is documented."""

from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path

from bgdesk.api.app import create_app
from bgdesk.core.app import Core
from bgdesk.errors import BgdeskError
from tests.request.test_option_table import remove_bg_form

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "api.md"
API = ROOT / "bgdesk" / "api"
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
    assert table_fields(submit) == set(remove_bg_form(schema)["properties"])
    objects = sections(OBJECT, text)
    assert objects, "the objects are documented"
    for (name,), part in objects.items():
        assert table_fields(part) == set(schema["components"]["schemas"][name]["properties"]), name


def error_tree() -> list[type[BgdeskError]]:
    """Every class of the error tree: bgdesk/errors.py's, and those the API's modules add."""
    for module in API.glob("[!_]*.py"):
        importlib.import_module(f"bgdesk.api.{module.stem}")
    found, pending = [], [BgdeskError]
    while pending:
        cls = pending.pop()
        found.append(cls)
        pending += cls.__subclasses__()
    return found


def codes_written_in_the_api() -> set[str]:
    """Codes the API's modules spell out themselves rather than take from the tree:
    `"code": "..."` in a dict, or `code="..."` in a call."""
    codes = set()
    for module in API.glob("*.py"):
        for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Dict):
                pairs = zip(node.keys, node.values, strict=True)
                values = [value for key, value in pairs if constant(key) == "code"]
            elif isinstance(node, ast.Call):
                values = [word.value for word in node.keywords if word.arg == "code"]
            else:
                continue
            codes |= {text for text in map(constant, values) if text is not None}
    return codes


def constant(node: ast.expr | None) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def test_every_error_code_is_documented_and_every_documented_code_exists() -> None:
    errors = DOC.read_text(encoding="utf-8").split("\n## Errors\n")[1].split("\n## ")[0]
    answers = re.findall(r"^\| (\d{3}) \| `(\w+)` \|", errors, re.M)
    elsewhere = re.findall(r"^\| `(\w+)` \|", errors, re.M)
    assert len(answers) >= 10 and elsewhere
    documented = [code for _, code in answers] + elsewhere
    assert len(documented) == len(set(documented)), "each code is documented once"
    declared = {cls.code: cls.status for cls in error_tree()}
    used = set(declared) | codes_written_in_the_api()
    assert used - set(documented) == set(), "codes bgdesk can give that docs/api.md lacks"
    assert set(documented) - used == set(), "codes docs/api.md lists that bgdesk never gives"
    for status, code in answers:
        assert int(status) == declared.get(code, int(status)), code
