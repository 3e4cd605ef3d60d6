"""The main window: drop photos, watch the queue, compare before and after."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC
from pathlib import Path

from PySide6.QtCore import QByteArray, QObject, QSettings, Qt, QUrl, Signal
from PySide6.QtGui import (
    QAction,
    QColor,
    QDesktopServices,
    QDragEnterEvent,
    QDropEvent,
    QGuiApplication,
    QKeySequence,
    QPixmap,
)
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QInputDialog,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QSizePolicy,
    QSplitter,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from bgdesk.core.app import Core
from bgdesk.errors import BgdeskError
from bgdesk.gui.bridge import CoreBridge
from bgdesk.gui.keys_dialog import KeysDialog
from bgdesk.gui.preview import BeforeAfterView
from bgdesk.gui.settings_dialog import SettingsDialog
from bgdesk.inference.decode import images_in
from bgdesk.inference.options import OutputOptions
from bgdesk.storage.models import Job

STATUS_TEXT = {"queued": "Waiting", "running": "Working…", "completed": "Done",
               "failed": "Failed"}
BACKDROPS = {"Checkerboard": None, "White": QColor("white"), "Black": QColor("black"),
             "Green": QColor(0, 177, 64)}


class Submissions(QObject):
    """Submits dropped things off the GUI thread; reports refusals as a signal."""

    refused = Signal(str)

    def __init__(self, core: Core) -> None:
        super().__init__()
        self.core = core
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="bgdesk-submit")

    def add(self, targets: list[str]) -> None:
        self._pool.submit(self._submit_all, targets)

    def _submit_all(self, targets: list[str]) -> None:
        owner = self.core.accounts.owner()
        options = OutputOptions(format=self.core.settings.output_format)
        for target in targets:
            try:
                if target.startswith(("http://", "https://")):
                    self.core.intake.submit(owner, "desktop", options, url=target)
                else:
                    self.core.jobs.submit_file(owner, Path(target), "desktop", options,
                                               self._output_for(Path(target), options))
            except BgdeskError as exc:
                self.refused.emit(f"{Path(target).name or target}: {exc.message}")
            except Exception as exc:  # never a traceback in the window
                self.refused.emit(f"{Path(target).name or target}: {exc}")

    def _output_for(self, source: Path, options: OutputOptions) -> Path | None:
        """In the chosen output folder, when one is set; else bgdesk's own outputs folder."""
        folder = self.core.settings.output_dir
        if not folder:
            return None
        return Path(folder).expanduser() / f"{source.stem}-nobg.{options.extension}"

    def close(self) -> None:
        self._pool.shutdown(wait=True)


def expand(paths: list[Path]) -> list[str]:
    """Files as they are, folders as the images inside them."""
    found: list[str] = []
    for path in paths:
        if path.is_dir():
            found += [str(p) for p in images_in(path)]
        else:
            found.append(str(path))
    return found


class MainWindow(QMainWindow):
    """Queue on the left, before/after on the right, credits and API state in the toolbar."""

    def __init__(self, core: Core, api_state: str) -> None:
        super().__init__()
        self.core = core
        self.setWindowTitle("bgdesk")
        self.setAcceptDrops(True)
        self.bridge = CoreBridge(core.events, self)
        self.submissions = Submissions(core)
        self.jobs = QListWidget()
        self.filter = QLineEdit()
        self.preview = BeforeAfterView()
        self.credits = QLabel()
        self.api_state = QLabel(api_state)
        self._build()
        self.bridge.job_changed.connect(self._on_job_changed)
        self.submissions.refused.connect(self.show_error)
        self.jobs.currentItemChanged.connect(lambda *_: self._show_selected())
        self._load_history()
        self._update_credits()
        self.window_state = QSettings(str(core.paths.config_dir / "window.ini"),
                                      QSettings.Format.IniFormat)
        geometry = self.window_state.value("geometry")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)

    def _build(self) -> None:
        toolbar = QToolBar("Main")
        toolbar.setMovable(False)
        self.addToolBar(toolbar)
        open_action = QAction("Open…", self, shortcut=QKeySequence(QKeySequence.StandardKey.Open))
        open_action.triggered.connect(self.open_files)
        paste = QAction("Paste", self, shortcut=QKeySequence(QKeySequence.StandardKey.Paste))
        paste.triggered.connect(self.paste)
        toolbar.addAction(open_action)
        toolbar.addAction(paste)
        keys = QAction("API Keys…", self)
        keys.triggered.connect(self.open_keys)
        grant = QAction("Grant credits…", self)
        grant.triggered.connect(self.grant_credits)
        cutout = self.menuBar().addMenu("&Cutout")
        for label, shortcut, handler in (
                ("Save As…", QKeySequence.StandardKey.SaveAs, self.save_as),
                ("Copy Cutout", QKeySequence.StandardKey.Copy, self.copy_cutout),
                ("Show in Folder", None, self.reveal),
                ("Export All…", QKeySequence("Ctrl+E"), self.export_all),
                ("Retry", QKeySequence("Ctrl+R"), self.retry)):
            action = QAction(label, self)
            if shortcut is not None:
                action.setShortcut(QKeySequence(shortcut))
            action.triggered.connect(handler)
            cutout.addAction(action)
        preferences = QAction("Settings…", self)
        preferences.setShortcut(QKeySequence(QKeySequence.StandardKey.Preferences))
        preferences.triggered.connect(lambda: SettingsDialog(self.core, self).exec())
        cutout.addSeparator()
        cutout.addAction(preferences)
        account = self.menuBar().addMenu("&Account")
        account.addAction(keys)
        account.addAction(grant)
        backdrop = QComboBox()
        backdrop.addItems(list(BACKDROPS))
        backdrop.currentTextChanged.connect(lambda name: self.preview.set_backdrop(
            BACKDROPS[name]))
        toolbar.addWidget(QLabel(" Backdrop: "))
        toolbar.addWidget(backdrop)
        spacer = QWidget()
        spacer.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        toolbar.addWidget(spacer)
        toolbar.addWidget(self.credits)
        toolbar.addWidget(QLabel("   "))
        toolbar.addWidget(self.api_state)
        self.filter.setPlaceholderText("Filter: name, status, source…")
        self.filter.setClearButtonEnabled(True)
        self.filter.textChanged.connect(lambda _: self._apply_filter())
        queue = QWidget()
        column = QVBoxLayout(queue)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.filter)
        column.addWidget(self.jobs)
        splitter = QSplitter()
        splitter.addWidget(queue)
        splitter.addWidget(self.preview)
        splitter.setStretchFactor(1, 3)
        self.setCentralWidget(splitter)
        self.resize(1100, 700)
        self.statusBar().showMessage("Drop photos, folders or image links anywhere.")

    # -- input --------------------------------------------------------------------------

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if event.mimeData().hasUrls() or event.mimeData().hasText():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        self.add_urls(event.mimeData().urls(), event.mimeData().text())
        event.acceptProposedAction()

    def add_urls(self, urls: list[QUrl], text: str = "") -> None:
        local = [Path(url.toLocalFile()) for url in urls if url.isLocalFile()]
        remote = [url.toString() for url in urls if url.scheme() in ("http", "https")]
        if not urls and text.strip().startswith(("http://", "https://")):
            remote.append(text.strip())
        targets = expand(local) + remote
        if targets:
            self.submissions.add(targets)

    def open_files(self) -> None:
        names, _ = QFileDialog.getOpenFileNames(
            self, "Open photos", "", "Images (*.jpg *.jpeg *.png *.webp)")
        self.add_urls([QUrl.fromLocalFile(name) for name in names])

    def paste(self) -> None:
        clipboard = QGuiApplication.clipboard()
        mime = clipboard.mimeData()
        if mime.hasImage():
            image = clipboard.image()
            path = self.core.paths.uploads_dir / f"pasted-{secrets.token_hex(4)}.png"
            image.save(str(path), b"PNG")
            self.submissions.add([str(path)])
        else:
            self.add_urls(mime.urls(), mime.text())

    # -- queue and preview --------------------------------------------------------------

    def _load_history(self) -> None:
        for job in reversed(self.core.jobs.recent(limit=200)):
            self._upsert(job)

    def _on_job_changed(self, kind: str, job_id: str) -> None:
        self._upsert(self.core.jobs.get(job_id))
        self._update_credits()
        if kind == "queued" and self.jobs.currentItem() is None:
            self.jobs.setCurrentRow(0)
        current = self.jobs.currentItem()
        if current is not None and current.data(Qt.ItemDataRole.UserRole) == job_id:
            self._show_selected()

    def _upsert(self, job: Job) -> None:
        when = job.created_at.replace(tzinfo=UTC).astimezone().strftime("%d %b %H:%M")
        text = f"{job.input_name}\n{STATUS_TEXT[job.status]} · {job.source} · {when}"
        for row in range(self.jobs.count()):
            item = self.jobs.item(row)
            if item.data(Qt.ItemDataRole.UserRole) == job.public_id:
                break
        else:
            item = QListWidgetItem()
            item.setData(Qt.ItemDataRole.UserRole, job.public_id)
            self.jobs.insertItem(0, item)
        item.setText(text)
        item.setToolTip(job.error_message or "")
        item.setHidden(not self._matches(text))

    def _matches(self, text: str) -> bool:
        wanted = self.filter.text().strip().lower()
        return not wanted or wanted in text.lower()

    def _apply_filter(self) -> None:
        for row in range(self.jobs.count()):
            item = self.jobs.item(row)
            item.setHidden(not self._matches(item.text()))

    def _show_selected(self) -> None:
        item = self.jobs.currentItem()
        if item is None:
            self.preview.show_images(None, None)
            return
        job = self.core.jobs.get(item.data(Qt.ItemDataRole.UserRole))
        before = QPixmap(job.input_path)
        after = QPixmap(job.output_path) if job.status == "completed" else None
        self.preview.show_images(before if not before.isNull() else None, after)
        if job.status == "failed":
            self.statusBar().showMessage(f"{job.input_name}: {job.error_message}")

    def _update_credits(self) -> None:
        balance = self.core.ledger.balance(self.core.accounts.owner())
        self.credits.setText(f"Credits: {balance}")

    # -- taking cutouts away --------------------------------------------------------------

    def selected_job(self) -> Job | None:
        item = self.jobs.currentItem()
        return None if item is None else self.core.jobs.get(
            item.data(Qt.ItemDataRole.UserRole))

    def _guarded(self, action: Callable[[], object]) -> None:
        try:
            action()
        except BgdeskError as exc:
            self.show_error(exc.message)

    def save_as(self) -> None:
        job = self.selected_job()
        if job is None:
            return
        suggested = str(Path.home() / f"{Path(job.input_name).stem}-nobg.png")
        target, _ = QFileDialog.getSaveFileName(
            self, "Save cutout", suggested, "PNG (*.png);;WEBP (*.webp);;JPEG (*.jpg *.jpeg)")
        if target:
            self._guarded(lambda: self.show_error(
                f"Saved {self.core.jobs.export(job.public_id, Path(target))}"))

    def copy_cutout(self) -> None:
        job = self.selected_job()
        if job is not None and job.status == "completed":
            QGuiApplication.clipboard().setPixmap(QPixmap(job.output_path))
            self.show_error("Cutout copied to the clipboard.")

    def reveal(self) -> None:
        job = self.selected_job()
        if job is not None:
            folder = Path(job.output_path if job.status == "completed" else job.input_path)
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder.parent)))

    def export_all(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Export all cutouts to")
        if not folder:
            return
        pattern, ok = QInputDialog.getText(self, "Export all", "Name pattern ({name}, {n}):",
                                           text="{name}-nobg")
        if ok:
            ids = [self.jobs.item(row).data(Qt.ItemDataRole.UserRole)
                   for row in range(self.jobs.count())]
            self._guarded(lambda: self.show_error(
                f"Exported {len(self.core.jobs.export_all(ids, Path(folder), pattern))} "
                f"cutouts to {folder}"))

    def retry(self) -> None:
        job = self.selected_job()
        if job is not None:
            self._guarded(lambda: self.core.jobs.retry(job.public_id))

    @property
    def api_url(self) -> str:
        return self.core.public_url

    def open_keys(self) -> None:
        KeysDialog(self.core, self.api_url, self).exec()

    def grant_credits(self) -> None:
        amount, ok = QInputDialog.getInt(self, "Grant credits", "Credits to add:", 100, 1,
                                         1_000_000)
        if ok:
            self.core.ledger.grant(self.core.accounts.owner(), amount, "granted in the window")
            self._update_credits()

    def show_error(self, message: str) -> None:
        self.statusBar().showMessage(message, 10_000)

    def closeEvent(self, event: object) -> None:
        self.window_state.setValue("geometry", self.saveGeometry())
        self.window_state.sync()
        self.submissions.close()
        self.bridge.close()
        super().closeEvent(event)  # type: ignore[arg-type]
