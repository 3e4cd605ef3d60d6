"""Interactive API docs served from local files, so they work on a machine with no internet
(FastAPI's default page loads Swagger UI from a CDN)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from bgdesk.paths import bundle_root

ASSETS = "/docs-assets"


def _swagger_ui_static() -> Path:
    bundled = bundle_root() / "swagger_ui" / "static"  # the installed app carries only these
    if bundled.is_dir():
        return bundled
    spec = importlib.util.find_spec("swagger_ui")  # located, not imported: it pulls in jinja2
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("The swagger-ui-py package is missing; reinstall bgdesk.")
    return Path(next(iter(spec.submodule_search_locations))) / "static"


def install(app: FastAPI) -> None:
    """Serve Swagger UI at /docs with its assets under /docs-assets."""
    app.mount(ASSETS, StaticFiles(directory=_swagger_ui_static()), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title=f"{app.title} API",
            swagger_js_url=f"{ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS}/favicon-32x32.png",
        )
