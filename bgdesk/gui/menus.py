"""The window's menus as one table: each item's label (with its access key), what it does,
and its shortcut. The Quick Guide lists the same shortcuts for people."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtGui import QAction, QKeySequence

from bgdesk.gui.help import show_about, show_guide
from bgdesk.gui.preview import ZOOM_STEP
from bgdesk.gui.touch_up import SIZE_STEP
from bgdesk.request.options import OutputOptions

if TYPE_CHECKING:
    from bgdesk.gui.main_window import MainWindow

StandardKey = QKeySequence.StandardKey
Handler = Callable[["MainWindow"], object]
Item = tuple[str, Handler, QKeySequence.StandardKey | str | None]
SEPARATOR = None


def next_backdrop(window: MainWindow) -> None:
    choice = window.backdrop_choice
    choice.setCurrentIndex((choice.currentIndex() + 1) % choice.count())


MENUS: dict[str, list[Item | None]] = {
    "&File": [
        ("&Open…", lambda w: w.open_files(), StandardKey.Open),
        ("&Save", lambda w: w.job_actions.save(), StandardKey.Save),
        ("Save &As…", lambda w: w.job_actions.save_as(), "Ctrl+Shift+S"),
        ("&Export…", lambda w: w.job_actions.export(), "Ctrl+E"),
        ("Show in &Folder", lambda w: w.job_actions.reveal(), "Ctrl+Shift+R"),
        SEPARATOR,
        ("&Quit", lambda w: w.close(), StandardKey.Quit),
    ],
    "&Edit": [
        ("&Copy Cutout", lambda w: w.job_actions.copy(), StandardKey.Copy),
        ("&Paste", lambda w: w.paste(), StandardKey.Paste),
        SEPARATOR,
        ("Select &All Jobs", lambda w: w.queue.list.selectAll(), StandardKey.SelectAll),
        ("&Retry", lambda w: w.job_actions.retry(), "Ctrl+R"),
        ("Ca&ncel Waiting", lambda w: w.job_actions.cancel(), "Ctrl+Shift+X"),
        ("Re&move from History", lambda w: w.job_actions.remove(), StandardKey.Delete),
        SEPARATOR,
        ("Se&ttings…", lambda w: w.open_settings(), "Ctrl+,"),
    ],
    "&View": [
        ("Zoom &In", lambda w: w.preview.zoom_by(ZOOM_STEP), "+"),
        ("Zoom &Out", lambda w: w.preview.zoom_by(1 / ZOOM_STEP), "-"),
        ("&Fit in Window", lambda w: w.preview.reset_view(), "0"),
        ("&Actual Size", lambda w: w.preview.actual_size(), "1"),
        SEPARATOR,
        ("Next &Backdrop", next_backdrop, "B"),
    ],
    "&Image": [
        ("&Touch Up", lambda w: w.toggle_touch_up(), "T"),
        ("&Erase Brush", lambda w: w.touch_up.use(restore=False), "E"),
        ("&Restore Brush", lambda w: w.touch_up.use(restore=True), "R"),
        ("&Smaller Brush", lambda w: w.touch_up.grow(1 / SIZE_STEP), "["),
        ("&Larger Brush", lambda w: w.touch_up.grow(SIZE_STEP), "]"),
        ("&Undo Stroke", lambda w: w.touch_up.undo(), "Ctrl+Z"),
        ("Re&do Stroke", lambda w: w.touch_up.redo(), "Ctrl+Shift+Z"),
        ("Reset to the &Model's Mask", lambda w: w.touch_up.reset(), None),
        ("Do&ne Touching Up", lambda w: w.touch_up.stop(), None),
        SEPARATOR,
        ("Tr&ansparent Background", lambda w: w.backgrounds.apply({}), None),
        ("Background &Colour…", lambda w: w.backgrounds.pick_colour(), None),
        ("Background &Picture…", lambda w: w.backgrounds.pick_picture(), None),
        ("&Blurred Photo Background", lambda w: w.backgrounds.blur(), None),
    ],
    "&Account": [
        ("API &Keys…", lambda w: w.open_keys(), None),
        ("&Grant Credits…", lambda w: w.grant_credits(), None),
        ("&Webhook Deliveries…", lambda w: w.open_webhooks(), None),
    ],
    "&Help": [
        (
            "&Quick Guide",
            lambda w: show_guide(w, w.api.status.url, key_rows()),
            StandardKey.HelpContents,
        ),
        ("API &Documentation", lambda w: w.open_api_docs(), None),
        SEPARATOR,
        ("&About bgdesk", lambda w: show_about(w, w.core.engine.plan_for(OutputOptions())), None),
    ],
}


# Keys the preview takes itself, beside the menus' shortcuts.
PREVIEW_KEYS = [
    ("Arrows", "pan the picture"),
    ("Double-click", "fit the picture"),
    ("Left-drag", "touching up: paint with the brush"),
    ("Esc", "touching up: done"),
]
# The touch-up's brush and history, enabled only while a cutout is touched up.
BRUSH_ITEMS = (
    "&Erase Brush",
    "&Restore Brush",
    "&Smaller Brush",
    "&Larger Brush",
    "&Undo Stroke",
    "Re&do Stroke",
    "Reset to the &Model's Mask",
    "Do&ne Touching Up",
)


def key_rows() -> list[tuple[str, str]]:
    """(keys, what they do) for every menu item with a shortcut, as the Quick Guide lists
    them, in this system's spelling of the keys."""
    rows = []
    for items in MENUS.values():
        for item in items:
            if item is not SEPARATOR and item[2] is not None:
                label, _, shortcut = item[0], item[1], item[2]
                keys = QKeySequence(shortcut).toString(QKeySequence.SequenceFormat.NativeText)
                if keys:  # a standard key this platform leaves unbound
                    rows.append((keys, label.replace("&", "").rstrip("…")))
    return rows + PREVIEW_KEYS


def build_menus(window: MainWindow) -> dict[str, QAction]:
    """Fill the window's menu bar from `MENUS`; returns the actions by label."""
    actions: dict[str, QAction] = {}
    for title, items in MENUS.items():
        menu = window.menuBar().addMenu(title)
        for item in items:
            if item is SEPARATOR:
                menu.addSeparator()
                continue
            label, handler, shortcut = item
            action = QAction(label, window)
            if shortcut is not None:
                action.setShortcut(QKeySequence(shortcut))
            action.triggered.connect(lambda _=False, run=handler: run(window))
            menu.addAction(action)
            actions[label] = action
    return actions
