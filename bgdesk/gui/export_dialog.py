"""Export: which folder, how files are named, and in which format — asked in one dialog."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QWidget,
)

from bgdesk.core.naming import OUTPUT_SUFFIX
from bgdesk.request.formats import FORMATS


class ExportAllDialog(QDialog):
    """Asks where, how named and in which format to export; `choice()` once accepted."""

    def __init__(self, folder: Path, fmt: str, count: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Export {count} cutout{'s' if count != 1 else ''}")
        self.folder = QLineEdit(str(folder))
        self.folder.setAccessibleName("Export folder")
        browse = QPushButton("&Browse…")
        browse.clicked.connect(self._browse)
        row = QHBoxLayout()
        row.addWidget(self.folder)
        row.addWidget(browse)
        self.pattern = QLineEdit("{name}" + OUTPUT_SUFFIX)
        self.pattern.setToolTip(
            "{name}: the photo's name, {n}: its number in the export (01, 02… as many "
            "digits as the last one needs)"
        )
        self.pattern.setAccessibleName("Name pattern")
        self.format = QComboBox()
        self.format.setAccessibleName("Format")
        for spec in FORMATS.values():
            self.format.addItem(spec.label, spec.name)
        self.format.setCurrentIndex(max(0, self.format.findData(fmt)))
        form = QFormLayout(self)
        folder_label = QLabel("&Folder")  # a row of two widgets: the label needs its buddy
        folder_label.setBuddy(self.folder)
        form.addRow(folder_label, row)
        form.addRow("&Names", self.pattern)
        form.addRow("F&ormat", self.format)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        buttons.addButton("&Export", QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def _browse(self) -> None:
        chosen = QFileDialog.getExistingDirectory(self, "Export to", self.folder.text())
        if chosen:
            self.folder.setText(chosen)

    def choice(self) -> tuple[Path, str, str]:
        """(folder, name pattern, format)."""
        return (
            Path(self.folder.text().strip()).expanduser(),
            self.pattern.text().strip(),
            str(self.format.currentData()),
        )
