"""Editors made from the settings' declarations: a yes/no is a check box, a number a spin box
within its declared range, text a line; each says its help text as a tooltip."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtWidgets import QCheckBox, QDoubleSpinBox, QLineEdit, QSpinBox, QWidget

from bgdesk.settings import Settings

INT_RANGE = (-(2**31), 2**31 - 1)  # what a spin box holds


@dataclass
class SettingEditor:
    """One setting's widget, the label for its form row, and how to read its value."""

    name: str
    widget: QWidget
    label: str  # empty for a check box, which carries its own
    value: Callable[[], Any]


def editor_for(settings: Settings, name: str) -> SettingEditor:
    declared = Settings.declared(name)
    meta, value = declared.metadata, getattr(settings, name)
    label: str = meta["label"]
    editor: SettingEditor
    if isinstance(value, bool):
        box = QCheckBox(label)
        box.setChecked(value)
        editor = SettingEditor(name, box, "", box.isChecked)
    elif isinstance(value, int):
        spin = QSpinBox()
        spin.setRange(
            int(max(meta["low"] if meta["low"] is not None else INT_RANGE[0], INT_RANGE[0])),
            int(min(meta["high"] if meta["high"] is not None else INT_RANGE[1], INT_RANGE[1])),
        )
        spin.setValue(value)
        editor = SettingEditor(name, spin, label, spin.value)
    elif isinstance(value, float):
        real = QDoubleSpinBox()
        real.setDecimals(2)
        real.setRange(meta["low"] or 0.0, meta["high"] or 1e9)
        real.setValue(value)
        editor = SettingEditor(name, real, label, real.value)
    else:
        line = QLineEdit(str(value))
        editor = SettingEditor(name, line, label, lambda: line.text().strip())
    editor.widget.setToolTip(meta["help"])
    editor.widget.setAccessibleName(label)
    return editor
