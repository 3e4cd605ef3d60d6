"""Editors made from the settings' declarations: a yes/no is a check box, a number a spin box
within its declared range, a choice a drop-down of the allowed values, a folder a line with
Browse… (which adds one more to a list of folders), other text a line; each says its help
text as a tooltip."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import Field, dataclass
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QWidget,
)

from bgdesk.settings import Settings

INT_RANGE = (-(2**31), 2**31 - 1)  # what a spin box holds
MEGABYTE = 1024 * 1024


@dataclass
class SettingEditor:
    """One setting's widget, the label for its form row, and how to read and set its value."""

    name: str
    widget: QWidget
    label: str  # empty for a check box, which carries its own
    value: Callable[[], Any]
    set_value: Callable[[Any], None]


def editor_for(settings: Settings, name: str) -> SettingEditor:
    declared = Settings.declared(name)
    meta, value = declared.metadata, getattr(settings, name)
    label: str = meta["label"]
    editor = _editor(declared, value)
    editor.widget.setToolTip(meta["help"])
    editor.widget.setAccessibleName(label)
    return editor


def _editor(declared: Field[Any], value: Any) -> SettingEditor:
    name, meta = declared.name, declared.metadata
    if meta["choices"] is not None:
        return _choice(name, meta, value)
    if meta["folder"] or meta["folders"]:
        return _folder(name, meta, value)
    if isinstance(value, bool):
        box = QCheckBox(meta["label"])
        box.setChecked(value)
        return SettingEditor(name, box, "", box.isChecked, box.setChecked)
    if isinstance(value, int) and name.endswith("_bytes"):
        return _megabytes(name, meta, value)
    if isinstance(value, int):
        spin = QSpinBox()
        spin.setRange(
            int(max(meta["low"] if meta["low"] is not None else INT_RANGE[0], INT_RANGE[0])),
            int(min(meta["high"] if meta["high"] is not None else INT_RANGE[1], INT_RANGE[1])),
        )
        spin.setValue(value)
        return SettingEditor(name, spin, meta["label"], spin.value, spin.setValue)
    if isinstance(value, float):
        real = QDoubleSpinBox()
        real.setDecimals(2)
        real.setRange(meta["low"] or 0.0, meta["high"] or 1e9)
        real.setValue(value)
        return SettingEditor(name, real, meta["label"], real.value, real.setValue)
    if meta["suggestions"] is not None:
        return _suggested(name, meta, value)
    line = QLineEdit(str(value))
    line.setPlaceholderText(meta["shown"].strip("()").capitalize())
    return SettingEditor(name, line, meta["label"], lambda: line.text().strip(), line.setText)


def _suggested(name: str, meta: Any, value: Any) -> SettingEditor:
    """A text setting whose usual values are listed by what they are; others are typed."""
    combo = QComboBox()
    combo.setEditable(True)
    combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
    for suggested, shown in meta["suggestions"]().items():
        combo.addItem(shown, suggested)

    def read() -> str:
        typed = combo.currentText().strip()
        listed = combo.findText(typed)
        return str(combo.itemData(listed)) if listed >= 0 else typed

    def show(chosen: Any) -> None:
        listed = combo.findData(str(chosen))
        if listed >= 0:
            combo.setCurrentIndex(listed)
        else:
            combo.setEditText(str(chosen))

    show(value)
    return SettingEditor(name, combo, meta["label"], read, show)


def _megabytes(name: str, meta: Any, value: int) -> SettingEditor:
    """A size in bytes, shown and typed in megabytes; a size that is no whole number of them
    is kept as it is unless changed."""
    spin = QSpinBox()
    spin.setSuffix(" MB")
    spin.setRange(1, max(1, int(meta["high"]) // MEGABYTE))
    kept = [value]

    def show(size: int) -> None:
        kept[0] = size
        spin.setValue(max(1, round(size / MEGABYTE)))

    def read() -> int:
        shown = spin.value()
        return kept[0] if shown == max(1, round(kept[0] / MEGABYTE)) else shown * MEGABYTE

    show(value)
    return SettingEditor(name, spin, meta["label"], read, show)


def _choice(name: str, meta: Any, value: Any) -> SettingEditor:
    """The allowed values (those offered on this system, and the one set) in a list."""
    combo = QComboBox()
    allowed = meta["choices"]()
    offered = meta["offered"]() if meta["offered"] is not None else allowed
    for choice, shown in allowed.items():
        if choice in offered or choice == value:
            combo.addItem(shown, choice)

    def choose(chosen: Any) -> None:
        combo.setCurrentIndex(max(0, combo.findData(chosen)))

    choose(value)
    return SettingEditor(name, combo, meta["label"], combo.currentData, choose)


def _folder(name: str, meta: Any, value: Any) -> SettingEditor:
    row = QWidget()
    line = QLineEdit(str(value))
    line.setPlaceholderText(meta["shown"].strip("()").capitalize())
    line.setClearButtonEnabled(True)
    line.setAccessibleName(meta["label"])
    browse = QPushButton("&Browse…")

    def ask() -> None:
        current = line.text().strip()
        start = current.split(os.pathsep)[-1] if current else str(Path.home())
        chosen = QFileDialog.getExistingDirectory(row, meta["label"], start)
        if chosen and meta["folders"] and current:  # one more folder
            line.setText(f"{current}{os.pathsep}{chosen}")
        elif chosen:
            line.setText(chosen)

    browse.clicked.connect(ask)
    layout = QHBoxLayout(row)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.addWidget(line)
    layout.addWidget(browse)
    return SettingEditor(name, row, meta["label"], lambda: line.text().strip(), line.setText)
