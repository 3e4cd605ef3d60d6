"""The output options are declared once: the API's form, the command line's flags, the
window's settings and docs/api.md offer exactly the declarations, and a new option is one
declared field."""

from __future__ import annotations

import argparse
import asyncio
import importlib
from collections.abc import Iterator
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import httpx
import pytest

from bgdesk.api import app, routes, schemas
from bgdesk.api.app import create_app
from bgdesk.cli import build_parser
from bgdesk.cli.output_options import output_options
from bgdesk.core.app import Core
from bgdesk.core.job_records import options_of
from bgdesk.errors import SettingsError
from bgdesk.request.option_fields import Face, Kind, OptionField, declared_fields, option
from bgdesk.request.options import OutputOptions
from bgdesk.settings import Settings, option_setting
from bgdesk.storage.models import Job
from tests.conftest import photo

DOC = Path(__file__).resolve().parents[2] / "docs" / "api.md"
SUBMISSION = {"image_file", "image_url", "webhook_url"}  # the form's fields that are no option
SCHEMA_TYPES = {
    Kind.YES_NO: "boolean",
    Kind.YES_NO_UNSET: "boolean",
    Kind.WHOLE: "integer",
    Kind.TEXT: "string",
    Kind.COLOUR: "string",
    Kind.PICTURE: "string",
}


def remove_bg_form(schema: dict[str, Any]) -> dict[str, Any]:
    """The served schema of the remove-bg form."""
    post = schema["paths"]["/api/v1/remove-bg"]["post"]
    ref = post["requestBody"]["content"]["multipart/form-data"]["schema"]["$ref"]
    form: dict[str, Any] = schema["components"]["schemas"][ref.rsplit("/", 1)[1]]
    return form


def option_actions(command: str) -> dict[str, argparse.Action]:
    """The arguments `bgdesk COMMAND` takes, by the name they are stored under."""
    parser, _ = build_parser()
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return {action.dest: action for action in commands.choices[command]._actions}


def schema_type(served: dict[str, Any]) -> str:
    kinds = [served.get("type")] + [choice.get("type") for choice in served.get("anyOf", [])]
    return str(next(kind for kind in kinds if kind not in (None, "null")))


def post_form(
    core: Core, key: str, data: dict[str, str], files: dict[str, tuple[str, bytes]]
) -> httpx.Response:
    """POST the remove-bg form to the app in this process."""

    async def send() -> httpx.Response:
        transport = httpx.ASGITransport(app=create_app(core))
        async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as client:
            return await client.post(
                "/api/v1/remove-bg",
                data=data,
                files=files,
                headers={"Authorization": f"Bearer {key}"},
            )

    return asyncio.run(send())


def test_every_face_offers_exactly_the_options(fake_core: Core) -> None:
    declared = OutputOptions.option_fields()
    assert [found.name for found in declared] == [found.name for found in fields(OutputOptions)]
    form = remove_bg_form(create_app(fake_core).openapi())["properties"]
    on_api = [found for found in declared if Face.API in found.faces]
    assert [name for name in form if name not in SUBMISSION] == [o.api_name for o in on_api]
    for found in on_api:
        served = form[found.api_name]
        assert schema_type(served) == SCHEMA_TYPES[found.kind], found.name
        assert served.get("default") == (None if found.kind is Kind.PICTURE else found.default)
        assert (served.get("minimum"), served.get("maximum")) == (found.low, found.high)
        assert served.get("enum") == (list(found.choices()) if found.choices else None)
        assert found.help.replace("`", "")[1:] in served["description"], found.name
    for command in ("remove", "watch"):
        actions = option_actions(command)
        for found in declared:
            action = actions[found.name]
            assert action.option_strings[0] == found.flag, (command, found.name)
            assert action.choices == (list(found.choices()) if found.choices else None)
            assert action.metavar == (found.metavar or None), (command, found.name)
            wanted = found.default if found.kind in (Kind.WHOLE, Kind.YES_NO) else None
            assert action.default == wanted, (command, found.name)
    windowed = {f.metadata["option"]: f for f in fields(Settings) if f.metadata["option"]}
    assert set(windowed) == {"format", "canvas", "padding", "shadow", "shadow_strength"}
    for found in declared:
        if found.name in windowed:
            setting = windowed[found.name]
            assert setting.default == ("" if found.default is None else found.default)
            assert (setting.metadata["low"], setting.metadata["high"]) == (found.low, found.high)
    assert Settings().output_options() == OutputOptions()
    assert OutputOptions.markdown_rows() in DOC.read_text(encoding="utf-8"), (
        "docs/api.md's output options are stale: run scripts/option_table.py"
    )


def test_the_form_and_the_command_line_ask_for_the_same_options(
    fake_core: Core, tmp_path: Path
) -> None:
    asked = {
        "format": "jpeg",
        "crop": "true",
        "crop_margin": "12",
        "model": "u2netp",
        "quality": "fast",
        "decontaminate": "false",
        "canvas": " Square ",
        "padding": "3",
        "shadow": "true",
    }
    backdrop = tmp_path / "wall.png"
    backdrop.write_bytes(photo("coffee", (32, 24), "PNG"))
    key = fake_core.keys.create(fake_core.accounts.owner()).plaintext
    answer = post_form(
        fake_core,
        key,
        asked,
        {
            "image_file": ("c.jpg", photo("coffee", (64, 48))),
            "bg_image_file": ("wall.png", backdrop.read_bytes()),
        },
    )
    assert answer.status_code == 202, answer.text
    by_form = options_of(Job.get(Job.public_id == answer.json()["jobId"]))
    argv = ["remove", "x.jpg", "--crop", "--no-decontaminate", "--shadow", "--bg-image"]
    argv.append(str(backdrop))
    for name in ("format", "crop_margin", "model", "quality", "canvas", "padding"):
        argv += [f"--{name.replace('_', '-')}", asked[name]]
    by_flags = output_options(build_parser()[0].parse_args(argv), Settings())
    assert by_form == by_flags
    assert (by_form.format, by_form.canvas, by_form.bg_image) == ("jpg", "square", True)


@dataclass(frozen=True)
class WithHalo(OutputOptions):
    halo: int = option(
        0, "a glow this many pixels wide around the subject", low=0, high=64, metavar="PX"
    )


def with_halo(cls: type[OutputOptions]) -> tuple[OptionField, ...]:
    return declared_fields(WithHalo)


def import_api_anew() -> None:
    """Import the API again, as starting bgdesk does: its form is made when it is imported."""
    for module in (schemas, routes, app):
        importlib.reload(module)


@pytest.fixture
def halo_declared() -> Iterator[None]:
    """OutputOptions with one more declared field, `halo`, for every face."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(OutputOptions, "option_fields", classmethod(with_halo))
        import_api_anew()
        yield
    import_api_anew()


def test_a_new_option_is_one_declared_field(fake_core: Core, halo_declared: None) -> None:
    form = remove_bg_form(app.create_app(fake_core).openapi())["properties"]
    assert list(form)[-2:] == ["bg_image_file", "halo"]
    assert form["halo"] == {
        "type": "integer",
        "minimum": 0,
        "maximum": 64,
        "default": 0,
        "title": "Halo",
        "description": "A glow this many pixels wide around the subject.",
    }
    key = fake_core.keys.create(fake_core.accounts.owner()).plaintext
    photo_file = {"image_file": ("c.jpg", photo("coffee", (64, 48)))}
    refused = post_form(fake_core, key, {"halo": "65"}, photo_file).json()["error"]
    assert refused["message"] == "Invalid request: halo: Input should be less than or equal to 64"
    remove = option_actions("remove")["halo"]
    assert (remove.option_strings, remove.metavar, remove.default) == (["--halo"], "PX", 0)
    assert build_parser()[0].parse_args(["watch", "in", "--halo", "3"]).halo == 3
    row = "| `halo` | integer | a glow this many pixels wide around the subject (0\u201364) |"
    assert OutputOptions.markdown_rows().endswith("\n" + row)
    assert "halo" not in Settings.help_texts(), "the window offers it once a setting holds it"

    @dataclass
    class WindowWithHalo(Settings):
        halo: int = option_setting(
            "halo", "A glow around the subject of cutouts made in the window.", label="Halo"
        )

    assert WindowWithHalo().halo == 0 and WindowWithHalo.editable()[-1] == "halo"
    with pytest.raises(SettingsError, match="halo must be between 0 and 64"):
        WindowWithHalo().set("halo", "65")
