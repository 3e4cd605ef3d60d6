"""Settings: the model (what each costs and gives, installs with a progress bar or from a
file), output defaults, the API's switch and port, private URLs. Saved to settings.json."""

from __future__ import annotations

import threading
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from bgdesk.core.app import Core
from bgdesk.errors import BgdeskError, SettingsError
from bgdesk.gui.notices import warn
from bgdesk.gui.setting_editors import SettingEditor, editor_for
from bgdesk.inference.models import ModelStatus, ModelStore
from bgdesk.inference.speed import ModelSpeeds, speed_text
from bgdesk.request.presets import PRESETS
from bgdesk.settings import Settings


class SpeedProbe(QObject):
    """Measures a model's speed on a worker thread; `measured` brings the seconds."""

    measured = Signal(str, float)

    def __init__(self, speeds: ModelSpeeds, store: ModelStore, name: str) -> None:
        super().__init__()
        self.speeds, self.store, self.name = speeds, store, name

    def run(self) -> None:
        try:
            self.measured.emit(self.name, self.speeds.measure(self.store, self.name))
        except Exception:  # an unloadable model says so when it is used; no speed to show
            return


def model_summary(status: ModelStatus, seconds: float | None) -> str:
    """Size, speed here, what it is good at, and its licence, in one paragraph."""
    spec = status.spec
    state = "installed" if status.installed else "not installed"
    return (
        f"{spec.size_mb:g} MB, {state}; {speed_text(seconds)}.\n{spec.description}\n"
        f"Licence: {spec.licence}."
    )


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
            self.store.pull(
                self.name, lambda done, total: self.progress.emit(done >> 10, (total or 0) >> 10)
            )
        except BgdeskError as exc:
            self.finished.emit(exc.message)
            return
        self.finished.emit("")


class ModelPicker(QWidget):
    """The model setting's editor: the installed and installable models, what the chosen one
    costs and gives, Install (with a progress bar) and Import file…."""

    def __init__(self, core: Core, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = ModelStore.of(core.paths)
        self.speeds = ModelSpeeds(core.paths.model_speeds)
        self.model = QComboBox()
        for choice in (*PRESETS, *self.store.catalog):
            self.model.addItem(choice, choice)
        self._relabel()
        self.model.setAccessibleName("Model")
        # Line by line, unwrapped: a wrapped label inside a form row is given the height of
        # fewer lines than it wraps to, and its last lines are cut off.
        self.model_info = QLabel()
        self._probes: list[SpeedProbe] = []
        self.install = QPushButton("Install")
        self.install.clicked.connect(self.pull_selected)
        import_button = QPushButton("Import file…")
        import_button.clicked.connect(self.import_file)
        self.progress = QProgressBar()
        self.progress.hide()
        row = QHBoxLayout()
        for widget in (self.model, self.install, import_button):
            row.addWidget(widget)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(row)
        layout.addWidget(self.model_info)
        layout.addWidget(self.progress)
        self._pull: ModelPull | None = None
        self.choose(core.settings.default_model)
        self.model.currentIndexChanged.connect(lambda _: self._describe_model())
        self._describe_model()

    def _relabel(self) -> None:
        """Say what each preset means now and which models are not installed yet."""
        installed = set(self.store.installed())
        for index in range(self.model.count()):
            choice = self.model.itemData(index)
            if choice in PRESETS:
                label = f"{choice.capitalize()}: {PRESETS[choice]}"
                plan = self.store.resolve(choice)
                label += f" (now {plan.describe()})" if plan.model not in label else ""
            else:
                spec = self.store.spec(choice)
                size = f"  (not installed, {spec.size_mb:g} MB)"
                label = choice + ("" if choice in installed else size)
            self.model.setItemText(index, label)

    def editor(self) -> SettingEditor:
        return SettingEditor("default_model", self, "Model", self.chosen, self.choose)

    def chosen(self) -> str:
        return str(self.model.currentData())

    def choose(self, name: str) -> None:
        self.model.setCurrentIndex(max(0, self.model.findData(name)))

    def _on_measured(self, name: str, seconds: float) -> None:
        if name == self._status().spec.name:
            self._describe_model()

    def _status(self) -> ModelStatus:
        """The chosen model's status; a preset's is that of the model it means now."""
        name = self.store.resolve(self.chosen()).model
        return next(s for s in self.store.statuses() if s.spec.name == name)

    def _describe_model(self) -> None:
        """Show what the chosen model is; measure its speed here once, in the background."""
        status = self._status()
        seconds = self.speeds.get(status.spec.name)
        second = self.store.resolve(self.chosen()).second_opinion
        asks = f"Where {status.spec.name} is unsure (about one photo in five), {second} is asked.\n"
        self.model_info.setText((asks if second else "") + model_summary(status, seconds))
        self.install.setVisible(not status.installed)
        if (
            status.installed
            and seconds is None
            and not any(probe.name == status.spec.name for probe in self._probes)
        ):
            probe = SpeedProbe(self.speeds, self.store, status.spec.name)
            probe.measured.connect(self._on_measured)  # a bound slot: dropped with the dialog
            self._probes.append(probe)
            # Not a daemon: quitting waits for the measurement (seconds at most) rather than
            # stopping ONNX Runtime mid-run, which aborts the process.
            threading.Thread(target=probe.run, name="bgdesk-speed").start()

    def pull_selected(self) -> None:
        """Install the chosen model on a worker thread with a progress bar."""
        self._pull = ModelPull(self.store, self._status().spec.name)
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
        if not error:
            self._relabel()
            self._describe_model()
            return
        if warn(
            self,
            "Model not installed",
            f"{self._status().spec.name} could not be downloaded: {error}",
            hint="If you have the model file (from another computer, say), import it instead.",
            action="Import a File…",
        ):
            self.import_file()

    def import_file(self) -> None:
        name, _ = QFileDialog.getOpenFileName(self, "Import a model", "", "ONNX (*.onnx)")
        if not name:
            return
        try:
            imported = self.store.import_file(Path(name))
        except BgdeskError as exc:
            warn(self, "Model not imported", exc.message)
            return
        self._relabel()
        self.choose(imported)

    def confirm(self, current: str) -> bool:
        """Whether the chosen model can be saved: it is installed, and a non-commercial licence
        (when the choice changes to one) is accepted."""
        chosen = self.store.resolve(self.chosen()).model
        if chosen not in self.store.installed():
            warn(
                self,
                "Model not installed",
                f"Install {chosen} first, or choose an installed model.",
            )
            return False
        spec = self.store.spec(chosen)
        return (
            spec.commercial_use
            or chosen == self.store.resolve(current).model
            or QMessageBox.question(
                self,
                "Non-commercial model",
                f"{chosen} is licensed {spec.licence}. Cutouts made with it may not be "
                "used commercially. Use it anyway?",
            )
            == QMessageBox.StandardButton.Yes
        )


def labelled(message: str, name: str, label: str) -> str:
    """A setting's error as the dialog says it: by the label a person sees, not the name a
    settings file uses ("Setting canvas: canvas must be…" → "Product shot canvas must be…")."""
    if not label:
        return message
    for prefix in (f"Setting {name}: {name} ", f"Setting {name}: ", f"Setting {name} "):
        if message.startswith(prefix):
            return f"{label} {message.removeprefix(prefix)}"
    return message


class SettingsDialog(QDialog):
    """Edits `core.settings`, one editor per declared setting, and saves them; `notes` says,
    under a setting's editor, what is wrong with its value now (the API's port in use)."""

    def __init__(
        self, core: Core, parent: QWidget | None = None, notes: dict[str, str] | None = None
    ) -> None:
        super().__init__(parent)
        self.core = core
        self.setWindowTitle("Settings")
        self.models = ModelPicker(core)
        self.editors = {
            name: self.models.editor()
            if name == "default_model"
            else editor_for(core.settings, name)
            for name in Settings.editable()
        }
        form = QFormLayout()
        for name, editor in self.editors.items():
            form.addRow(editor.label, editor.widget)
            if note := (notes or {}).get(name):
                problem = QLabel(f"⚠ {note}")
                problem.setWordWrap(True)
                problem.setObjectName(f"{name}_problem")
                form.addRow("", problem)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(buttons)

    def save(self) -> None:
        settings = self.core.settings
        if not self.models.confirm(settings.default_model):
            return
        for name, editor in self.editors.items():
            try:
                settings.set(name, editor.value())
            except SettingsError as exc:
                warn(self, "Settings not saved", labelled(exc.message, name, editor.label))
                editor.widget.setFocus()
                return
        try:
            settings.save(self.core.paths.settings_file)
        except OSError as exc:
            warn(
                self,
                "Settings not saved",
                f"Cannot write {exc.filename or 'the settings'}: {exc.strerror or exc}",
            )
            return
        self.core.apply_settings()
        self.accept()
