"""Account → API Keys: list, create (plaintext shown once, with a ready curl line), revoke."""

from __future__ import annotations

from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from bgdesk.core.app import Core
from bgdesk.core.keys import NewKey
from bgdesk.gui.formatting import local_time

COLUMNS = ["Name", "Key", "Created", "Last used", "State"]


def curl_example(base_url: str, plaintext: str) -> str:
    return (
        f'curl -H "Authorization: Bearer {plaintext}" -F image_file=@photo.jpg \\\n'
        f"     {base_url}/api/v1/remove-bg"
    )


class NewKeyDialog(QDialog):
    """Shows a new key's plaintext once, with copy buttons."""

    def __init__(self, new: NewKey, base_url: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("New API key")
        self.plaintext = new.plaintext
        layout = QVBoxLayout(self)
        kept = (
            "A copy is kept in the system keyring."
            if new.in_keyring
            else "No system keyring is available: store it somewhere safe."
        )
        layout.addWidget(QLabel(f"This is the only time the key is shown. {kept}"))
        key = QPlainTextEdit(new.plaintext)
        key.setReadOnly(True)
        key.setMaximumHeight(48)
        layout.addWidget(key)
        layout.addWidget(QLabel("Try it:"))
        example = QPlainTextEdit(curl_example(base_url, new.plaintext))
        example.setReadOnly(True)
        layout.addWidget(example)
        buttons = QHBoxLayout()
        for label, text in (
            ("Copy key", new.plaintext),
            ("Copy curl example", curl_example(base_url, new.plaintext)),
        ):
            button = QPushButton(label)
            button.clicked.connect(lambda _=False, t=text: QGuiApplication.clipboard().setText(t))
            buttons.addWidget(button)
        layout.addLayout(buttons)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.accept)
        layout.addWidget(close)


class KeysDialog(QDialog):
    """The owner's API keys."""

    def __init__(self, core: Core, base_url: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.core = core
        self.base_url = base_url
        self.setWindowTitle("API keys")
        self.resize(720, 360)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        create = QPushButton("Create key…")
        create.clicked.connect(self.ask_and_create)
        revoke = QPushButton("Revoke")
        revoke.clicked.connect(self.revoke_selected)
        buttons = QHBoxLayout()
        buttons.addWidget(create)
        buttons.addWidget(revoke)
        buttons.addStretch()
        layout = QVBoxLayout(self)
        layout.addWidget(self.table)
        layout.addLayout(buttons)
        self.refresh()

    def refresh(self) -> None:
        keys = self.core.keys.list(self.core.accounts.owner())
        self.table.setRowCount(len(keys))
        for row, key in enumerate(keys):
            cells = [
                key.name,
                f"{key.prefix}…",
                local_time(key.created_at),
                local_time(key.last_used_at, never="never"),
                "revoked" if key.revoked_at else "active",
            ]
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setData(256, key.id)
                self.table.setItem(row, column, item)
        self.table.resizeColumnsToContents()

    def create_key(self, name: str) -> NewKey:
        new = self.core.keys.create(self.core.accounts.owner(), name)
        self.refresh()
        return new

    def ask_and_create(self) -> None:
        name, ok = QInputDialog.getText(self, "Create API key", "A name for the key:")
        if ok:
            NewKeyDialog(self.create_key(name), self.base_url, self).exec()

    def revoke_selected(self) -> None:
        item = self.table.currentItem()
        if item is None:
            return
        answer = QMessageBox.question(
            self, "Revoke key", "Scripts using this key will stop working. Revoke it?"
        )
        if answer == QMessageBox.StandardButton.Yes:
            self.core.keys.revoke(int(item.data(256)))
            self.refresh()
