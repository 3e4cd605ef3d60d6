"""The web page every bgdesk server serves at `/`: a small page without a framework, from the
package's own files (nothing from a CDN), under a Content-Security-Policy that lets only its
own script and style run: no inline script, no other site's anything."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import FileResponse

from bgdesk.errors import NotFound
from bgdesk.paths import resource

POLICY = "; ".join(
    (
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' blob: data:",  # the photo before upload is shown from the browser
        "connect-src 'self'",
        "form-action 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    )
)
HEADERS = {
    "Content-Security-Policy": POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}
SCRIPT = "text/javascript; charset=utf-8"
FILES = {  # what /web/ serves: name → (the file in resources/, its media type)
    **{
        f"{module}.js": (f"web/{module}.js", SCRIPT)
        for module in (
            "app",
            "api",
            "ui",
            "remove",
            "options",
            "history",
            "account",
            "installation",
        )
    },
    "app.css": ("web/app.css", "text/css; charset=utf-8"),
    "bgdesk.svg": ("bgdesk.svg", "image/svg+xml"),
}

page = APIRouter(include_in_schema=False)


@page.get("/")
def index() -> FileResponse:
    return FileResponse(
        resource("web/index.html"), media_type="text/html; charset=utf-8", headers=HEADERS
    )


@page.get("/web/{name}")
def web_file(name: str) -> FileResponse:
    if name not in FILES:
        raise NotFound(f"The web page has no file {name!r}.")
    path, media_type = FILES[name]
    return FileResponse(resource(path), media_type=media_type, headers=HEADERS)
