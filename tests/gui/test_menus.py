"""The menus' table: every command in one menu, access keys a person can tell apart, and
the Quick Guide's keys taken from the same table."""

from __future__ import annotations

from collections import Counter

from PySide6.QtWidgets import QApplication

from bgdesk.gui.menus import MENUS, SEPARATOR, Command, key_rows


def access_key(label: str) -> str:
    return label[label.index("&") + 1].lower()


def test_every_command_is_in_exactly_one_menu() -> None:
    placed = Counter(command for commands in MENUS.values() for command in commands)
    del placed[SEPARATOR]
    assert placed == Counter(set(Command))


def test_each_menu_has_an_access_key_per_item_and_no_two_alike() -> None:
    for title, commands in MENUS.items():
        keys = [access_key(c.value.label) for c in commands if c is not SEPARATOR]
        assert len(keys) == len(set(keys)), title


def test_the_guide_lists_the_shortcuts_of_the_menus(qapp: QApplication) -> None:
    rows = {what: keys for keys, what in key_rows()}
    assert rows["Save As"] == "Ctrl+Shift+S" and rows["Erase Brush"] == "E"
    assert "Transparent Background" not in rows, "no shortcut, no row"
