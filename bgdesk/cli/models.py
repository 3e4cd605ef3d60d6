"""`bgdesk models list | pull | import | verify | remove`."""

from __future__ import annotations

import argparse
from pathlib import Path

from bgdesk.cli.output import ProgressBar, print_json, print_table
from bgdesk.inference.catalog import DEFAULT_MODEL
from bgdesk.inference.devices import offered, planned_text
from bgdesk.inference.models import ModelStatus, ModelStore


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    models = commands.add_parser("models", help="list, download, import and check models")
    verbs = models.add_subparsers(dest="verb", required=True)
    listing = verbs.add_parser("list", help="the catalog, and which models are installed")
    listing.add_argument("--json", action="store_true", help="print JSON")
    pull = verbs.add_parser("pull", help="download a model (checksum verified)")
    pull.add_argument("name")
    pull.add_argument("--force", action="store_true", help="download even if installed")
    imported = verbs.add_parser("import", help="install a model file you downloaded yourself")
    imported.add_argument("file", type=Path)
    imported.add_argument("--name", help="catalog name (found from the checksum if omitted)")
    verbs.add_parser("verify", help="check installed models against their checksums")
    remove = verbs.add_parser("remove", help="delete an installed model")
    remove.add_argument("name")


def run(args: argparse.Namespace, store: ModelStore, device: str) -> int:
    """`device` is the device setting, to say where the models run."""
    if args.verb == "list":
        return _list(args, store, device)
    if args.verb == "pull":
        return _pull(args, store)
    if args.verb == "import":
        name = store.import_file(args.file, args.name)
        print(f"Imported {args.file} as {name}.")
        return 0
    if args.verb == "verify":
        return _verify(store)
    removed = store.remove(args.name)
    if removed:
        print(f"Removed {args.name}.")
    elif store.is_bundled(args.name):
        print(f"{args.name} came with bgdesk and stays installed.")
    else:
        print(f"{args.name} was not installed.")
    return 0


def _list(args: argparse.Namespace, store: ModelStore, device: str) -> int:
    statuses = store.statuses()
    if args.json:
        print_json(
            [
                {
                    "name": s.spec.name,
                    "installed": s.installed,
                    "sizeMB": s.spec.size_mb,
                    "inputSize": s.spec.input_size,
                    "licence": s.spec.licence,
                    "description": s.spec.description,
                    "path": str(s.path),
                }
                for s in statuses
            ]
        )
        return 0
    print_table(
        ["MODEL", "INSTALLED", "SIZE", "LICENCE", "DESCRIPTION"],
        [
            [
                s.spec.name,
                installed_text(store, s),
                f"{s.spec.size_mb:g} MB",
                s.spec.licence,
                s.spec.description,
            ]
            for s in statuses
        ],
    )
    print(f"\nModels folder: {store.folder}")
    print(f"Device: {planned_text(device, offered())}")
    return 0


def _pull(args: argparse.Namespace, store: ModelStore) -> int:
    bar: ProgressBar | None = None

    def progress(done: int, total: int | None) -> None:
        nonlocal bar
        if bar is None:
            bar = ProgressBar(total or 0, unit="B")
        bar.update(done, args.name)

    try:
        path = store.pull(args.name, progress, force=args.force)
    finally:
        if bar is not None:
            bar.close()
    print(f"{args.name} is installed: {path}")
    return 0


def _verify(store: ModelStore) -> int:
    report = store.verify()
    if not report:
        print(f"No model is installed. Run `bgdesk models pull {DEFAULT_MODEL}`.")
        return 1
    for name, verdict in report.items():
        print(f"{name}: {verdict}")
    return 1 if "mismatch" in report.values() else 0


def installed_text(store: ModelStore, status: ModelStatus) -> str:
    if not status.installed:
        return "-"
    return "bundled" if store.is_bundled(status.spec.name) else "yes"
