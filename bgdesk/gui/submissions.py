"""Turning dropped, pasted and opened things into jobs, off the GUI thread."""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from PySide6.QtCore import QBuffer, QIODevice, QObject, Signal
from PySide6.QtGui import QImage

from bgdesk.core.app import Core
from bgdesk.core.naming import cutout_stem, free_path, is_cutout
from bgdesk.errors import BgdeskError, DeviceUnavailable, InsufficientCredits, ModelUnavailable
from bgdesk.gui.wording import window_words
from bgdesk.inference.decode import images_in
from bgdesk.request.options import OutputOptions
from bgdesk.storage.models import Account, JobSource

# Refusals every later item would meet too, until credits are granted or Settings changed:
# said once for all of them, which can be added again.
FOR_ALL = (InsufficientCredits, ModelUnavailable, DeviceUnavailable)


@dataclass(frozen=True)
class Refusal:
    """Things that did not become jobs, and why: in the window's words (`message`), and in
    full for a notice's Details (`details`)."""

    names: list[str]
    message: str
    code: str
    targets: list[str] = field(default_factory=list)  # what can be submitted again, if any
    details: str = ""

    def summary(self) -> str:
        if len(self.names) == 1:
            return f"{self.names[0]}: {self.message}"
        return f"{len(self.names)} items were not added: {self.message}"


def expand(paths: list[Path]) -> list[str]:
    """Files as they are, folders as the images inside them (but not bgdesk's own cutouts)."""
    found: list[str] = []
    for path in paths:
        if path.is_dir():
            found += [str(p) for p in images_in(path) if not is_cutout(p)]
        else:
            found.append(str(path))
    return found


def display_name(target: str) -> str:
    return target if target.startswith(("http://", "https://")) else Path(target).name


class Submissions(QObject):
    """Submits targets one batch at a time; reports what was refused as `refused`."""

    refused = Signal(object)  # Refusal

    def __init__(self, core: Core) -> None:
        super().__init__()
        self.core = core
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="bgdesk-submit")
        self._claimed: set[Path] = set()
        self._lock = threading.Lock()

    def add(self, targets: list[str]) -> None:
        self._pool.submit(self._submit_all, targets)

    def add_image(self, image: QImage, name: str) -> None:
        """A picture with no file (pasted): bgdesk keeps a PNG copy of it as the job's input."""
        self._pool.submit(self._submit_image, image, name)

    def add_copy(self, path: Path) -> None:
        """A photo bgdesk keeps its own copy of (the sample), so the cutout never lands in a
        folder that belongs to the app."""
        self._pool.submit(
            self._attempt, [path.name], lambda: self._submit_bytes(path.read_bytes(), path.name)
        )

    def _submit_all(self, targets: list[str]) -> None:
        owner = self.core.accounts.owner()
        options = self.core.settings.output_options()
        for index, target in enumerate(targets):
            if not self._attempt(
                targets[index:],
                partial(self._submit_one, owner, target, options),
                resubmittable=True,
            ):
                return

    def _submit_one(self, owner: Account, target: str, options: OutputOptions) -> None:
        if target.startswith(("http://", "https://")):
            data, name = self.core.fetcher.fetch(target)
            self.core.intake.submit_upload(
                owner,
                data,
                name,
                JobSource.DESKTOP,
                options,
                output_path=self.output_for(name, None, options),
            )
        else:
            source = Path(target)
            self.core.intake.submit_file(
                owner,
                source,
                JobSource.DESKTOP,
                options,
                self.output_for(source.name, source.parent, options),
            )

    def _submit_image(self, image: QImage, name: str) -> None:
        buffer = QBuffer()
        buffer.open(QIODevice.OpenModeFlag.WriteOnly)
        # PySide's stubs ask for the format as bytes; at run time only str is accepted.
        image.save(buffer, "PNG")  # type: ignore[call-overload]
        data = bytes(buffer.data().data())
        self._attempt([name], lambda: self._submit_bytes(data, name))

    def _submit_bytes(self, data: bytes, name: str) -> None:
        options = self.core.settings.output_options()
        self.core.intake.submit_upload(
            self.core.accounts.owner(),
            data,
            name,
            JobSource.DESKTOP,
            options,
            output_path=self.output_for(name, None, options),
        )

    def _attempt(
        self, remaining: list[str], submit: Callable[[], object], resubmittable: bool = False
    ) -> bool:
        """Submit `remaining[0]`; a refusal is reported. False when the rest must stop too.

        `resubmittable`: the items are paths or links that can be submitted again later.
        """
        try:
            submit()
        except FOR_ALL as exc:
            self.refused.emit(
                Refusal(
                    [display_name(t) for t in remaining],
                    window_words(exc.code, exc.message, self.core.settings.device),
                    exc.code,
                    remaining if resubmittable else [],
                    exc.message,
                )
            )
            return False
        except BgdeskError as exc:
            words = window_words(exc.code, exc.message, self.core.settings.device)
            self.refused.emit(
                Refusal([display_name(remaining[0])], words, exc.code, [], exc.message)
            )
        except Exception as exc:  # never a traceback in the window
            self.refused.emit(Refusal([display_name(remaining[0])], str(exc), "internal_error"))
        return True

    def output_for(self, name: str, beside: Path | None, options: OutputOptions) -> Path:
        """Where the cutout of the picture `name` lands: in the output folder chosen in
        Settings, else beside its photo (`beside`), else — a pasted picture, a link, a photo
        in a folder bgdesk may not write — in bgdesk's own outputs folder.

        Always `NAME-nobg.EXT`; two photos of the same name get `NAME-nobg.png` and
        `NAME-nobg-2.png`, never one overwriting the other or an existing file.
        """
        chosen = self.core.settings.output_dir
        folder = Path(chosen).expanduser() if chosen else beside
        if chosen:
            with contextlib.suppress(OSError):  # a folder that cannot be made is not writable
                Path(chosen).expanduser().mkdir(parents=True, exist_ok=True)
        if folder is None or not os.access(folder, os.W_OK):
            folder = self.core.paths.outputs_dir
        with self._lock:
            target = free_path(folder, cutout_stem(name), options.extension, self._claimed)
            self._claimed.add(target)
            return target

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
