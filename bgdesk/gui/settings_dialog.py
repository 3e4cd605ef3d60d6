"""Settings: model (install others with a progress bar, or import a file), output defaults,
API port, private URLs. Saved to settings.json; API changes apply at the next start."""

from __future__ import annotations

import threading
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from bgdesk.core.app import Core
from bgdesk.errors import BgdeskError
from bgdesk.inference.models import ModelStore
from bgdesk.inference.options import FORMATS


class ModelPull(QObject):
    """Downloads a model on a worker thread, reporting progress as signals."""

    progress = Signal(int, int)
    finished = Signal(str)  # empty on success, else the error

    def __init__(self, store: ModelStore, name: str) -> None:
        super().__init__()
        self.store = store
        self.name = name

    def run(self) -> None:
        try:
            self.store.pull(self.name, lambda done, total: self.progress.emit(
                done >> 10, (total or 0) >> 10))
        except BgdeskError as exc:
            self.finished.emit(exc.message)
            return
        self.finished.emit("")


class SettingsDialog(QDialog):
    """Edits `core.settings` and saves them."""

    def __init__(self, core: Core, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.core = core
        self.store = ModelStore(core.paths.models_dir, core.paths.bundled_models_dir)
        self.setWindowTitle("Settings")
        settings = core.settings
        self.model = QComboBox()
        for status in self.store.statuses():
            label = status.spec.name + ("" if status.installed else
                                        f"  (not installed, {status.spec.size_mb:g} MB)")
            self.model.addItem(label, status.spec.name)
        self.model.setCurrentIndex(max(0, self.model.findData(settings.default_model)))
        self.install = QPushButton("Install")
        self.install.clicked.connect(self.pull_selected)
        import_button = QPushButton("Import file…")
        import_button.clicked.connect(self.import_file)
        self.progress = QProgressBar()
        self.progress.hide()
        model_row = QHBoxLayout()
        for widget in (self.model, self.install, import_button):
            model_row.addWidget(widget)
        self.output_format = QComboBox()
        self.output_format.addItems(list(FORMATS))
        self.output_format.setCurrentText(settings.output_format)
        self.output_dir = QLineEdit(settings.output_dir)
        self.output_dir.setPlaceholderText("Beside each photo")
        self.output_dir.setClearButtonEnabled(True)
        self.output_dir.setAccessibleName("Output folder")
        browse = QPushButton("&Browse…")
        browse.clicked.connect(self.browse_output_dir)
        output_row = QHBoxLayout()
        output_row.addWidget(self.output_dir)
        output_row.addWidget(browse)
        self.api_enabled = QCheckBox("Serve the API while the window is open")
        self.api_enabled.setChecked(settings.api_enabled)
        self.api_port = QSpinBox()
        self.api_port.setRange(1024, 65535)
        self.api_port.setValue(settings.api_port)
        self.private_urls = QCheckBox("Allow image URLs on private and local networks")
        self.private_urls.setChecked(settings.allow_private_urls)
        form = QFormLayout()
        form.addRow("Model", model_row)
        form.addRow("", self.progress)
        form.addRow("Output format", self.output_format)
        form.addRow("Output folder", output_row)
        form.addRow("", self.api_enabled)
        form.addRow("API port", self.api_port)
        form.addRow("", self.private_urls)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(buttons)
        self._pull: ModelPull | None = None

    def pull_selected(self) -> None:
        """Install the chosen model on a worker thread with a progress bar."""
        self._pull = ModelPull(self.store, self.model.currentData())
        self._pull.progress.connect(self._on_progress)
        self._pull.finished.connect(self._on_pulled)
        self.install.setEnabled(False)
        self.progress.show()
        threading.Thread(target=self._pull.run, name="bgdesk-pull", daemon=True).start()

    def _on_progress(self, done_kib: int, total_kib: int) -> None:
        self.progress.setRange(0, max(total_kib, 0))
        self.progress.setValue(done_kib)

    def _on_pulled(self, error: str) -> None:
        self.install.setEnabled(True)
        self.progress.hide()
        if error:
            QMessageBox.warning(self, "Model not installed", error)
        else:
            index = self.model.currentIndex()
            self.model.setItemText(index, self.model.currentData())

    def browse_output_dir(self) -> None:
        chosen = QFileDialog.getExistingDirectory(self, "Put cutouts in",
                                                  self.output_dir.text() or str(Path.home()))
        if chosen:
            self.output_dir.setText(chosen)

    def import_file(self) -> None:
        name, _ = QFileDialog.getOpenFileName(self, "Import a model", "", "ONNX (*.onnx)")
        if not name:
            return
        try:
            imported = self.store.import_file(Path(name))
        except BgdeskError as exc:
            QMessageBox.warning(self, "Model not imported", exc.message)
            return
        index = self.model.findData(imported)
        self.model.setItemText(index, imported)
        self.model.setCurrentIndex(index)

    def save(self) -> None:
        settings = self.core.settings
        chosen = self.model.currentData()
        if chosen not in self.store.installed():
            QMessageBox.warning(self, "Model not installed",
                                f"Install {chosen} first, or choose an installed model.")
            return
        settings.default_model = chosen
        settings.output_format = self.output_format.currentText()
        settings.output_dir = self.output_dir.text().strip()
        settings.api_enabled = self.api_enabled.isChecked()
        settings.api_port = self.api_port.value()
        settings.allow_private_urls = self.private_urls.isChecked()
        try:
            settings.save(self.core.paths.settings_file)
        except OSError as exc:
            QMessageBox.warning(self, "Settings not saved", str(exc))
            return
        self.core.apply_settings()
        self.accept()
