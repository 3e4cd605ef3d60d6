"""Help → Quick Guide (shortcuts, where files go, the API) and About (version, model,
licences)."""

from __future__ import annotations

from html import escape

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QMessageBox,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from bgdesk import __version__
from bgdesk.inference.catalog import CATALOG, Plan

LIBRARIES = (
    ("Qt 6 and PySide6", "LGPL-3.0"),
    ("ONNX Runtime", "MIT"),
    ("NumPy", "BSD-3-Clause"),
    ("Pillow", "MIT-CMU"),
    ("FastAPI and Starlette", "MIT"),
    ("Uvicorn", "BSD-3-Clause"),
    ("peewee", "MIT"),
    ("ISA-L (isal)", "BSD-3-Clause"),
    ("httpx", "BSD-3-Clause"),
    ("Swagger UI", "Apache-2.0"),
)


def guide_html(api_url: str | None, keys: list[tuple[str, str]]) -> str:
    """The guide; `keys` are (keys, what they do) pairs."""
    rows = "".join(
        f"<tr><td><b>{escape(key)}</b></td><td>{escape(what)}</td></tr>" for key, what in keys
    )
    api = (
        f'The API runs at <a href="{api_url}/docs">{api_url}</a> while this window is open. '
        if api_url
        else "The API is switched off in Settings. "
    )
    return (
        "<h3>Cutting out</h3><p>Drop photos, folders or image links on the window, open them "
        "with Ctrl+O, or paste. Each photo becomes a job in the list and costs one credit; a "
        "failed job is refunded.</p>"
        "<h3>Where cutouts go</h3><p>Beside each photo as <i>NAME-nobg.png</i>, or in the "
        "output folder chosen in Settings. Pasted pictures and links go to bgdesk's own "
        "folder; File → Save As puts them anywhere. Nothing is overwritten.</p>"
        f"<h3>Keys</h3><table cellspacing='4'>{rows}</table>"
        f"<h3>Scripts and other programs</h3><p>{api}Create a key with Account → API Keys; "
        "each call costs one credit, like a cutout made here.</p>"
    )


def show_guide(parent: QWidget, api_url: str | None, keys: list[tuple[str, str]]) -> QDialog:
    dialog = QDialog(parent)
    dialog.setWindowTitle("bgdesk Quick Guide")
    text = QTextBrowser()
    text.setOpenExternalLinks(True)
    text.setHtml(guide_html(api_url, keys))
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
    buttons.rejected.connect(dialog.reject)
    column = QVBoxLayout(dialog)
    column.addWidget(text)
    column.addWidget(buttons)
    dialog.resize(560, 620)
    dialog.open()
    return dialog


def about_html(plan: Plan) -> str:
    names = [name for name in (plan.model, plan.second_opinion) if name]
    licences = sorted({CATALOG[name].licence for name in names if name in CATALOG})
    licence = ", ".join(licences) or "see the model's own terms (imported)"
    libraries = "".join(f"<li>{escape(name)}: {escape(kind)}</li>" for name, kind in LIBRARIES)
    return (
        f"<h3>bgdesk {__version__}</h3><p>Removes image backgrounds on this computer. "
        "No photo leaves it.</p>"
        f"<p>Model in use: <b>{escape(plan.describe())}</b> — licence {escape(licence)}.</p>"
        "<p>The sample photo is NASA's portrait of Eileen Collins (public domain).</p>"
        f"<p>Built with:</p><ul>{libraries}</ul>"
    )


def show_about(parent: QWidget, plan: Plan) -> None:
    QMessageBox.about(parent, "About bgdesk", about_html(plan))
