"""The global options (`--device`, `-v`) are taken before the command or after it, at any
depth of subcommand, and reach the run."""

from __future__ import annotations

import argparse

import pytest

from bgdesk.cli import build_parser, run
from bgdesk.core.app import Core
from bgdesk.core.secrets import KeyringSecretStore
from bgdesk.paths import Paths
from bgdesk.settings import Settings
from tests.conftest import FakeEngine


def parse(*argv: str) -> argparse.Namespace:
    parser, _ = build_parser()
    return parser.parse_args(list(argv))


def every_parser(parser: argparse.ArgumentParser) -> list[argparse.ArgumentParser]:
    """`parser` and each command and subcommand under it."""
    found = [parser]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for command in dict.fromkeys(action.choices.values()):
                found += every_parser(command)
    return found


@pytest.mark.parametrize(
    "argv",
    [
        ("--device", "cpu", "remove", "a.jpg"),
        ("remove", "a.jpg", "--device", "cpu"),
        ("remove", "--device", "cpu", "a.jpg"),
        ("models", "pull", "u2net", "--device", "cpu"),
        ("accounts", "--device", "cpu", "create", "shop"),
        ("keys", "create", "--name", "ci", "--device", "cpu"),
        ("serve", "--port", "9000", "--device", "cpu"),
    ],
)
def test_the_device_is_taken_before_or_after_the_command(argv: tuple[str, ...]) -> None:
    assert parse(*argv).device == "cpu"


def test_unset_the_options_keep_their_defaults_and_one_before_is_not_undone() -> None:
    args = parse("remove", "a.jpg")
    assert (args.device, args.verbose) == (None, False)
    args = parse("-v", "--device", "cpu", "accounts", "list")
    assert (args.device, args.verbose) == ("cpu", True)
    assert parse("credits", "show", "-v").verbose is True


def test_every_command_and_subcommand_takes_them() -> None:
    parser, _ = build_parser()
    parsers = every_parser(parser)
    assert len(parsers) > 20
    for each in parsers:
        options = {option for action in each._actions for option in action.option_strings}
        assert {"-v", "--verbose", "--device"} <= options, each.prog


def test_an_unknown_device_after_the_command_is_refused_with_the_choices(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as refused:
        parse("remove", "a.jpg", "--device", "tpu")
    assert refused.value.code == 2
    error = capsys.readouterr().err
    assert "bgdesk remove: error: argument --device" in error and "'cpu'" in error


def test_a_device_after_the_command_is_the_one_the_core_is_made_with(home: Paths) -> None:
    devices: list[str] = []

    def fake_core(paths: Paths, settings: Settings) -> Core:
        devices.append(settings.device)
        return Core(paths, settings, FakeEngine(), KeyringSecretStore())

    for argv in (["credits", "show", "--device", "cpu"], ["credits", "show"]):
        assert run(argv, home, fake_core, lambda *_: 0, lambda *_: 0) == 0
    assert devices == ["cpu", Settings().device]
