#!/usr/bin/env python3
"""Render resources/bgdesk.svg into the icon files the installers need.

    .venv/bin/python packaging/icons.py

Writes packaging/windows/bgdesk.ico and packaging/macos/bgdesk.icns (both committed, so the
Windows and macOS builds need no image tools), and packaging/linux/bgdesk-256.png.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

from PIL import Image
from PySide6.QtCore import QBuffer, QIODevice, Qt
from PySide6.QtGui import QGuiApplication, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

HERE = Path(__file__).resolve().parent
SOURCE = HERE.parent / "resources" / "bgdesk.svg"


def render(side: int) -> Image.Image:
    image = QImage(side, side, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    QSvgRenderer(str(SOURCE)).render(painter)
    painter.end()
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    return Image.open(io.BytesIO(bytes(buffer.data().data()))).convert("RGBA")


def main() -> None:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # no screen is needed
    QGuiApplication([])
    big = render(1024)
    big.save(HERE / "macos" / "bgdesk.icns")
    render(256).save(
        HERE / "windows" / "bgdesk.ico",
        sizes=[(16, 16), (24, 24), (32, 32), (48, 48), (64, 64), (128, 128), (256, 256)],
    )
    render(256).save(HERE / "linux" / "bgdesk-256.png")
    print("Wrote bgdesk.ico, bgdesk.icns and bgdesk-256.png")


if __name__ == "__main__":
    main()
