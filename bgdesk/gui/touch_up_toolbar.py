"""The touch-up toolbar: click-and-box selection, the brush's tools, size and hardness, and
the history, shown while a cutout is touched up; it keeps every touch-up command in step with
the touch-up."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QActionGroup
from PySide6.QtWidgets import QComboBox, QLabel, QSlider, QStatusBar, QToolBar

from bgdesk.gui.mask_views import MaskView
from bgdesk.gui.menus import Command
from bgdesk.gui.touch_up import MAX_SIZE, MIN_SIZE, TouchUp

# Enabled only while a cutout is touched up.
BRUSH_COMMANDS = (
    Command.ERASE_BRUSH,
    Command.RESTORE_BRUSH,
    Command.SMALLER_BRUSH,
    Command.LARGER_BRUSH,
    Command.UNDO_STROKE,
    Command.REDO_STROKE,
    Command.RESET_TO_MODEL_MASK,
    Command.DONE_TOUCHING_UP,
    Command.NEXT_MASK_VIEW,
    Command.FAINT_PHOTO,
)
TOOLS = (Command.CLICK_SELECT, Command.ERASE_BRUSH, Command.RESTORE_BRUSH)  # one is in hand
HISTORY = (Command.UNDO_STROKE, Command.REDO_STROKE, Command.RESET_TO_MODEL_MASK)
SIZE_STEPS = 1000  # the size slider's positions, on a log scale from MIN_SIZE to MAX_SIZE
HINT = (
    "Touching up: paint with the left button; [ and ] size the brush, E erases, R restores, "
    "W selects by clicks, F changes the view, Space+drag pans, Ctrl+Z undoes, Esc is done."
)
SELECT_HINT = (
    "Selecting: click what belongs to the subject, Alt+click or right-click what does not, "
    "drag a box around the subject; E or R takes the brush, Ctrl+Z undoes, Esc is done."
)


def slider(name: str, steps: int, moved: Callable[[int], None]) -> QSlider:
    control = QSlider(Qt.Orientation.Horizontal)
    control.setRange(0, steps)
    control.setFixedWidth(120)
    control.setAccessibleName(name)
    control.valueChanged.connect(moved)
    return control


class TouchUpBar(QToolBar):
    """The tools of `touch_up`, made of the menus' `commands`; tells how to paint on `status`
    while a cutout is touched up."""

    def __init__(
        self, touch_up: TouchUp, commands: Mapping[Command, QAction], status: QStatusBar
    ) -> None:
        super().__init__("Touch up")
        self.touch_up = touch_up
        self.commands = commands
        self.status = status
        self.setMovable(False)
        tools = QActionGroup(self)
        for command in TOOLS:
            tools.addAction(commands[command])
            self.addAction(commands[command])
        self.size_slider = slider("Brush size", SIZE_STEPS, self._size_chosen)
        self.size_text = QLabel()
        self.hardness_slider = slider(
            "Brush hardness", 100, lambda value: touch_up.set_hardness(value / 100)
        )
        for widget in (
            QLabel("  Size "),
            self.size_slider,
            self.size_text,
            QLabel("  Hardness "),
            self.hardness_slider,
        ):
            self.addWidget(widget)
        self.view_choice = QComboBox()
        self.view_choice.addItems([view.value for view in MaskView])
        self.view_choice.setAccessibleName("Mask view")
        self.view_choice.setToolTip("How the cutout is shown while touching up (F)")
        self.view_choice.activated.connect(lambda index: touch_up.show_as(list(MaskView)[index]))
        self.addSeparator()
        self.addWidget(QLabel(" View "))
        self.addWidget(self.view_choice)
        commands[Command.FAINT_PHOTO].setIconText("Faint photo")
        self.addAction(commands[Command.FAINT_PHOTO])
        self.addSeparator()
        for command in (*HISTORY, Command.DONE_TOUCHING_UP):
            self.addAction(commands[command])
        self.setVisible(False)
        touch_up.changed.connect(self.refresh)

    def refresh(self) -> None:
        """Show the touch-up as it is now: whether a cutout is touched up, the brush, and
        what can be undone."""
        painting, brush = self.touch_up.painting, self.touch_up.view.brush
        on = painting is not None
        self.commands[Command.TOUCH_UP].setChecked(self.touch_up.job_id is not None)
        self.setVisible(on)
        for command in BRUSH_COMMANDS:
            self.commands[command].setEnabled(on)
        if painting is not None:
            self.commands[Command.UNDO_STROKE].setEnabled(painting.can_undo)
            self.commands[Command.REDO_STROKE].setEnabled(painting.can_redo)
            self.commands[Command.RESET_TO_MODEL_MASK].setEnabled(bool(painting.marks))
        tool = Command.RESTORE_BRUSH if brush.restore else Command.ERASE_BRUSH
        selecting = self.touch_up.view.selecting
        self.commands[Command.CLICK_SELECT if selecting else tool].setChecked(True)
        size_step = round(SIZE_STEPS * math.log(brush.size / MIN_SIZE, MAX_SIZE / MIN_SIZE))
        for control, value in (
            (self.size_slider, size_step),
            (self.hardness_slider, round(brush.hardness * 100)),
        ):
            control.blockSignals(True)
            control.setValue(value)
            control.blockSignals(False)
        self.size_text.setText(f"{brush.size:.0f} px")
        view = self.touch_up.view
        self.view_choice.setCurrentIndex(list(MaskView).index(view.mask_view))
        self.commands[Command.FAINT_PHOTO].setChecked(view.faint_photo)
        self.commands[Command.FAINT_PHOTO].setEnabled(on and view.mask_view is MaskView.CUTOUT)
        hint = SELECT_HINT if selecting else HINT
        if on:
            self.status.showMessage(hint)
        elif self.status.currentMessage() in (HINT, SELECT_HINT):
            self.status.clearMessage()

    def _size_chosen(self, step: int) -> None:
        self.touch_up.set_size(MIN_SIZE * (MAX_SIZE / MIN_SIZE) ** (step / SIZE_STEPS))
