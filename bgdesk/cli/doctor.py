"""`bgdesk doctor`: what this installation is, where its models run and why, and whether
it can cut out a photo now."""

from __future__ import annotations

import argparse
from dataclasses import asdict

from bgdesk.cli.output import print_json
from bgdesk.core.app import Core


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    doctor = commands.add_parser(
        "doctor", help="check the installation: versions, device, models, folders"
    )
    doctor.add_argument("--json", action="store_true", help="print JSON")


def run(args: argparse.Namespace, core: Core) -> int:
    """Exits 1 when nothing could be cut out: no default model, or the device unusable."""
    found = core.system(load=True)
    if args.json:
        print_json(
            asdict(found)
            | {
                "dataFolder": str(core.paths.data_dir),
                "database": core.database_shown,
                "storageFolder": str(core.paths.outputs_dir.parent),
            }
        )
    else:
        rows = [
            ["bgdesk", found.version],
            ["Python", f"{found.python} on {found.platform}"],
            ["Runtime", found.runtime],
            ["Device setting", found.device_setting],
            ["Device", found.device or "NOT AVAILABLE"],
            ["Why", found.device_reason],
            ["Default model", found.default_model or "NOT INSTALLED (bgdesk models pull)"],
            ["Installed models", ", ".join(found.installed_models) or "none"],
            ["Data folder", str(core.paths.data_dir)],
            ["Database", core.database_shown],
            ["Photos, cutouts", str(core.paths.outputs_dir.parent)],
        ]
        for label, value in rows:
            print(f"{label:<18}{value}")
    return 0 if found.healthy else 1
