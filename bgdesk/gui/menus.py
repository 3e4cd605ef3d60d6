"""The window's menus as data: every command, named by what it does, with its label (and
access key), what it does and its shortcut; then which menu shows it. The Quick Guide lists
the same shortcuts for people.

The commands act on a `MenuHost`, what the window offers them, not on the window's class,
so the window can import this module without this module importing the window."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import Protocol

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QComboBox, QMenuBar, QWidget

from bgdesk.core.app import Core
from bgdesk.gui.backgrounds import BackgroundMenu
from bgdesk.gui.embedded_api import EmbeddedApi
from bgdesk.gui.help import show_about, show_guide
from bgdesk.gui.job_actions import JobActions
from bgdesk.gui.preview import ZOOM_STEP, BeforeAfterView
from bgdesk.gui.queue import JobQueue
from bgdesk.gui.touch_up import SIZE_STEP, TouchUp
from bgdesk.request.options import OutputOptions

StandardKey = QKeySequence.StandardKey


class MenuHost(Protocol):
    """What the menus' commands act on: the main window, as far as they reach into it."""

    core: Core
    api: EmbeddedApi
    queue: JobQueue
    preview: BeforeAfterView
    job_actions: JobActions
    touch_up: TouchUp
    backgrounds: BackgroundMenu
    backdrop_choice: QComboBox

    def window(self) -> QWidget: ...
    def menuBar(self) -> QMenuBar: ...
    def close(self) -> bool: ...
    def open_files(self) -> None: ...
    def paste(self) -> None: ...
    def open_settings(self) -> None: ...
    def toggle_touch_up(self) -> None: ...
    def fix_with_clicks(self) -> None: ...
    def open_keys(self) -> None: ...
    def grant_credits(self) -> None: ...
    def open_webhooks(self) -> None: ...
    def open_api_docs(self) -> None: ...
    def open_in_browser(self) -> None: ...


@dataclass(frozen=True)
class Item:
    """A menu item: its label with its access key, what it does, its shortcut, whether
    it is on or off rather than done once, and what the status bar says of it."""

    label: str
    run: Callable[[MenuHost], object]
    shortcut: QKeySequence.StandardKey | str | None = None
    checkable: bool = False
    tip: str = ""


def next_backdrop(window: MenuHost) -> None:
    choice = window.backdrop_choice
    choice.setCurrentIndex((choice.currentIndex() + 1) % choice.count())


def quick_guide(window: MenuHost) -> None:
    show_guide(window.window(), window.api.status.url, key_rows())


def about(window: MenuHost) -> None:
    show_about(window.window(), window.core.engine.plan_for(OutputOptions()))


class Command(Enum):
    """Every command the menus offer, by what it does."""

    _value_: Item

    OPEN = Item("&Open…", lambda w: w.open_files(), StandardKey.Open)
    SAVE = Item("&Save", lambda w: w.job_actions.save(), StandardKey.Save)
    SAVE_AS = Item("Save &As…", lambda w: w.job_actions.save_as(), "Ctrl+Shift+S")
    EXPORT = Item("&Export…", lambda w: w.job_actions.export(), "Ctrl+E")
    SHOW_IN_FOLDER = Item("Show in &Folder", lambda w: w.job_actions.reveal(), "Ctrl+Shift+R")
    QUIT = Item("&Quit", lambda w: w.close(), StandardKey.Quit)

    COPY_CUTOUT = Item("&Copy Cutout", lambda w: w.job_actions.copy(), StandardKey.Copy)
    COPY_PATH = Item("Copy Cutout's Pat&h", lambda w: w.job_actions.copy_path(), "Ctrl+Alt+C")
    PASTE = Item("&Paste", lambda w: w.paste(), StandardKey.Paste)
    SELECT_ALL_JOBS = Item(
        "Select &All Jobs", lambda w: w.queue.list.selectAll(), StandardKey.SelectAll
    )
    RETRY = Item("&Retry", lambda w: w.job_actions.retry(), "Ctrl+R")
    CANCEL_WAITING = Item("Ca&ncel Waiting", lambda w: w.job_actions.cancel(), "Ctrl+Shift+X")
    REMOVE_FROM_HISTORY = Item(
        "Re&move from History", lambda w: w.job_actions.remove(), StandardKey.Delete
    )
    SETTINGS = Item("Se&ttings…", lambda w: w.open_settings(), "Ctrl+,")

    ZOOM_IN = Item("Zoom &In", lambda w: w.preview.zoom_by(ZOOM_STEP), "+")
    ZOOM_OUT = Item("Zoom &Out", lambda w: w.preview.zoom_by(1 / ZOOM_STEP), "-")
    FIT_IN_WINDOW = Item("&Fit in Window", lambda w: w.preview.reset_view(), "0")
    ACTUAL_SIZE = Item("&Actual Size", lambda w: w.preview.actual_size(), "1")
    NEXT_BACKDROP = Item("Next &Backdrop", next_backdrop, "B")
    NEXT_MASK_VIEW = Item("Next &Mask View", lambda w: w.touch_up.next_view(), "F")
    FAINT_PHOTO = Item(
        "Faint &Photo Behind the Cutout",
        lambda w: w.touch_up.show_faint_photo(not w.preview.faint_photo),
        "P",
        checkable=True,
    )

    TOUCH_UP = Item("&Touch Up", lambda w: w.toggle_touch_up(), "T", checkable=True)
    CLICK_SELECT = Item(
        "Select with Clic&ks and a Box", lambda w: w.fix_with_clicks(), "W", checkable=True
    )
    CUT_OUT_AGAIN = Item(
        "Cut Out A&gain with a Stronger Model", lambda w: w.job_actions.recut(), "Shift+W"
    )
    ERASE_BRUSH = Item("&Erase Brush", lambda w: w.touch_up.use(restore=False), "E", checkable=True)
    RESTORE_BRUSH = Item(
        "&Restore Brush", lambda w: w.touch_up.use(restore=True), "R", checkable=True
    )
    SMALLER_BRUSH = Item("&Smaller Brush", lambda w: w.touch_up.grow(1 / SIZE_STEP), "[")
    LARGER_BRUSH = Item("&Larger Brush", lambda w: w.touch_up.grow(SIZE_STEP), "]")
    UNDO_STROKE = Item("&Undo Touch-Up", lambda w: w.touch_up.undo(), "Ctrl+Z")
    REDO_STROKE = Item("Re&do Touch-Up", lambda w: w.touch_up.redo(), "Ctrl+Shift+Z")
    RESET_TO_MODEL_MASK = Item("Reset to the &Model's Mask", lambda w: w.touch_up.reset())
    DONE_TOUCHING_UP = Item("Do&ne Touching Up", lambda w: w.touch_up.stop())
    TRANSPARENT_BACKGROUND = Item("Tr&ansparent Background", lambda w: w.backgrounds.apply({}))
    BACKGROUND_COLOUR = Item("Background &Colour…", lambda w: w.backgrounds.pick_colour())
    BACKGROUND_PICTURE = Item("Background &Picture…", lambda w: w.backgrounds.pick_picture())
    BLURRED_PHOTO_BACKGROUND = Item("&Blurred Photo Background", lambda w: w.backgrounds.blur())

    OPEN_IN_BROWSER = Item(
        "Open in &Browser",
        lambda w: w.open_in_browser(),
        tip="Open the web page of this window's API in your browser, signed in",
    )
    API_KEYS = Item("API &Keys…", lambda w: w.open_keys())
    GRANT_CREDITS = Item("&Grant Credits…", lambda w: w.grant_credits())
    WEBHOOK_DELIVERIES = Item("&Webhook Deliveries…", lambda w: w.open_webhooks())

    QUICK_GUIDE = Item("&Quick Guide", quick_guide, StandardKey.HelpContents)
    API_DOCUMENTATION = Item(
        "API &Documentation",
        lambda w: w.open_api_docs(),
        tip="The interactive documentation of this window's API, in your browser",
    )
    ABOUT = Item("&About bgdesk", about)


SEPARATOR = None
MENUS: dict[str, list[Command | None]] = {
    "&File": [
        Command.OPEN,
        Command.SAVE,
        Command.SAVE_AS,
        Command.EXPORT,
        Command.SHOW_IN_FOLDER,
        SEPARATOR,
        Command.QUIT,
    ],
    "&Edit": [
        Command.COPY_CUTOUT,
        Command.COPY_PATH,
        Command.PASTE,
        SEPARATOR,
        Command.SELECT_ALL_JOBS,
        Command.RETRY,
        Command.CANCEL_WAITING,
        Command.REMOVE_FROM_HISTORY,
        SEPARATOR,
        Command.SETTINGS,
    ],
    "&View": [
        Command.ZOOM_IN,
        Command.ZOOM_OUT,
        Command.FIT_IN_WINDOW,
        Command.ACTUAL_SIZE,
        SEPARATOR,
        Command.NEXT_BACKDROP,
        Command.NEXT_MASK_VIEW,
        Command.FAINT_PHOTO,
    ],
    "&Image": [
        Command.TOUCH_UP,
        Command.CLICK_SELECT,
        Command.CUT_OUT_AGAIN,
        Command.ERASE_BRUSH,
        Command.RESTORE_BRUSH,
        Command.SMALLER_BRUSH,
        Command.LARGER_BRUSH,
        Command.UNDO_STROKE,
        Command.REDO_STROKE,
        Command.RESET_TO_MODEL_MASK,
        Command.DONE_TOUCHING_UP,
        SEPARATOR,
        Command.TRANSPARENT_BACKGROUND,
        Command.BACKGROUND_COLOUR,
        Command.BACKGROUND_PICTURE,
        Command.BLURRED_PHOTO_BACKGROUND,
    ],
    "&Account": [
        Command.OPEN_IN_BROWSER,
        SEPARATOR,
        Command.API_KEYS,
        Command.GRANT_CREDITS,
        Command.WEBHOOK_DELIVERIES,
    ],
    "&Help": [Command.QUICK_GUIDE, Command.API_DOCUMENTATION, SEPARATOR, Command.ABOUT],
}
# Keys the preview takes itself, beside the menus' shortcuts.
PREVIEW_KEYS = [
    ("Arrows", "pan the picture"),
    ("Space+drag", "pan the picture"),
    ("Shift+Left, Shift+Right", "move the before/after divider"),
    ("Double-click", "fit the picture"),
    ("Left-drag", "touching up: paint with the brush"),
    ("Esc", "touching up: done"),
]


def key_rows() -> list[tuple[str, str]]:
    """(keys, what they do) for every menu item with a shortcut, as the Quick Guide lists
    them, in this system's spelling of the keys."""
    rows = []
    for commands in MENUS.values():
        for command in commands:
            if command is SEPARATOR or command.value.shortcut is None:
                continue
            shortcut = QKeySequence(command.value.shortcut)
            keys = shortcut.toString(QKeySequence.SequenceFormat.NativeText)
            if keys:  # a standard key this platform leaves unbound
                rows.append((keys, command.value.label.replace("&", "").rstrip("…")))
    return rows + PREVIEW_KEYS


def build_menus(window: MenuHost) -> dict[Command, QAction]:
    """Fill the window's menu bar from `MENUS`; returns the actions by command."""
    actions: dict[Command, QAction] = {}
    for title, commands in MENUS.items():
        menu = window.menuBar().addMenu(title)
        for command in commands:
            if command is SEPARATOR:
                menu.addSeparator()
                continue
            item = command.value
            action = QAction(item.label, window.window())
            action.setCheckable(item.checkable)
            action.setStatusTip(item.tip)
            if item.shortcut is not None:
                action.setShortcut(QKeySequence(item.shortcut))
            action.triggered.connect(lambda _=False, run=item.run: run(window))
            menu.addAction(action)
            actions[command] = action
    return actions
