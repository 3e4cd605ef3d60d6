"""Turning dropped, pasted and opened things into jobs, off the GUI thread."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from bgdesk.core.app import Core
from bgdesk.errors import BgdeskError, InsufficientCredits
from bgdesk.inference.decode import images_in
from bgdesk.inference.options import OutputOptions


@dataclass(frozen=True)
class Refusal:
    """Things that did not become jobs, and why, in words."""

    names: list[str]
    message: str
    code: str

    def summary(self) -> str:
        if len(self.names) == 1:
            return f"{self.names[0]}: {self.message}"
        return f"{len(self.names)} items were not added: {self.message}"


def expand(paths: list[Path]) -> list[str]:
    """Files as they are, folders as the images inside them."""
    found: list[str] = []
    for path in paths:
        if path.is_dir():
            found += [str(p) for p in images_in(path)]
        else:
            found.append(str(path))
    return found


def free_path(folder: Path, stem: str, extension: str,
              taken: set[Path] | frozenset[Path] = frozenset()) -> Path:
    """`folder/stem.extension`, or `stem-2`, `stem-3`… when that exists or is `taken`."""
    n = 1
    while True:
        target = folder / f"{stem}{'' if n == 1 else f'-{n}'}.{extension}"
        if target not in taken and not target.exists():
            return target
        n += 1


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

    def _submit_all(self, targets: list[str]) -> None:
        owner = self.core.accounts.owner()
        options = OutputOptions(format=self.core.settings.output_format)
        for index, target in enumerate(targets):
            try:
                if target.startswith(("http://", "https://")):
                    self.core.intake.submit(owner, "desktop", options, url=target)
                else:
                    self.core.jobs.submit_file(owner, Path(target), "desktop", options,
                                               self.output_for(Path(target), options))
            except InsufficientCredits as exc:
                # Every later item would meet the same answer: say it once for all of them.
                left = [display_name(t) for t in targets[index:]]
                self.refused.emit(Refusal(left, exc.message, exc.code))
                return
            except BgdeskError as exc:
                self.refused.emit(Refusal([display_name(target)], exc.message, exc.code))
            except Exception as exc:  # never a traceback in the window
                self.refused.emit(Refusal([display_name(target)], str(exc), "internal_error"))

    def output_for(self, source: Path, options: OutputOptions) -> Path | None:
        """A free name in the chosen output folder, when one is set; else None (bgdesk's own).

        Two photos with the same name from different folders get `name-nobg.png` and
        `name-nobg-2.png`, never one overwriting the other.
        """
        folder = self.core.settings.output_dir
        if not folder:
            return None
        with self._lock:
            target = free_path(Path(folder).expanduser(), f"{source.stem}-nobg",
                               options.extension, self._claimed)
            self._claimed.add(target)
            return target

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
