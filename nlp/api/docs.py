"""``/docs``: the API reference rendered by ReDoc from package data, with no CDN.

FastAPI's default docs pages load Swagger UI/ReDoc and Google fonts from public CDNs, so on the
intranets where finance bureaus run this service (or offline) ``/docs`` was a blank page. The
ReDoc bundle ships in ``nlp/api/static/`` (see its README). ReDoc's sidebar shows a "Redocly"
logo from its own CDN; the page's Content-Security-Policy only allows this server, so the browser
never fetches it (ReDoc hides the image when it fails) and nothing leaves the network.
"""
from __future__ import annotations

from functools import lru_cache
from importlib import resources

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response

BUNDLE = "redoc.standalone.js"
DOCS_CSP = ("default-src 'self'; script-src 'self' blob:; worker-src 'self' blob:; style-src 'self' 'unsafe-inline'; "
            "img-src 'self' data:; font-src 'self' data:; connect-src 'self'")

router = APIRouter(include_in_schema=False)


@router.get("/docs")
async def docs() -> HTMLResponse:
    return HTMLResponse(_page(), headers={"Content-Security-Policy": DOCS_CSP})


@router.get(f"/docs/{BUNDLE}")
async def bundle() -> Response:
    return Response(_bundle(), media_type="text/javascript", headers={"Cache-Control": "public, max-age=86400"})


def _page() -> str:
    """ReDoc's element form (no inline script, so the policy need not allow one)."""
    return ('<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>indicator-qc API</title>'
            '<meta name="viewport" content="width=device-width, initial-scale=1"></head>\n'
            f'<body style="margin:0"><redoc spec-url="/openapi.json"></redoc><script src="/docs/{BUNDLE}"></script>'
            '</body></html>\n')


@lru_cache(maxsize=1)
def _bundle() -> bytes:
    return resources.files("nlp.api").joinpath("static", BUNDLE).read_bytes()
