"""``/docs`` (Swagger UI) and ``/redoc`` (ReDoc) from vendored assets: no CDN, so the
API documentation works offline (assets and versions: ``api/static/README.md``)."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

STATIC = Path(__file__).resolve().parents[1] / "static"
ASSETS = "/static/docs"  # where STATIC is mounted

router = APIRouter(include_in_schema=False)


def mount_assets(app: FastAPI) -> None:
    """Serve the vendored Swagger UI and ReDoc files under ``ASSETS``."""
    app.mount(ASSETS, StaticFiles(directory=STATIC), name="docs-assets")


def _urls(request: Request) -> tuple[str, str]:
    """(the OpenAPI document, the assets folder), behind any proxy prefix (root_path)."""
    root = request.scope.get("root_path", "").rstrip("/")
    return root + (request.app.openapi_url or "/openapi.json"), root + ASSETS


@router.get("/docs")
def swagger_ui(request: Request) -> HTMLResponse:
    """Swagger UI; the online validator badge is off (it would call validator.swagger.io)."""
    openapi, assets = _urls(request)
    return get_swagger_ui_html(
        openapi_url=openapi,
        title=f"{request.app.title} – API",
        swagger_js_url=f"{assets}/swagger-ui/swagger-ui-bundle.js",
        swagger_css_url=f"{assets}/swagger-ui/swagger-ui.css",
        swagger_favicon_url=f"{assets}/swagger-ui/favicon-32x32.png",
        swagger_ui_parameters={"validatorUrl": None},
    )


@router.get("/redoc")
def redoc(request: Request) -> HTMLResponse:
    """ReDoc, with the system fonts (Google Fonts would need the network)."""
    openapi, assets = _urls(request)
    return get_redoc_html(
        openapi_url=openapi,
        title=f"{request.app.title} – API reference",
        redoc_js_url=f"{assets}/redoc/redoc.standalone.js",
        redoc_favicon_url=f"{assets}/swagger-ui/favicon-32x32.png",
        with_google_fonts=False,
    )
