"""The API explorer at ``/schema``, served entirely by the platform.

Litestar's own render plugins load their UI from a CDN and start it with an inline script;
the platform runs on government networks that may have no internet, and its CSP allows
neither. This plugin serves Swagger UI from a pinned copy under ``web/static/vendor`` (see
the README there) and starts it from ``web/static/api-docs.js``. Swagger UI rather than
Redoc: Redoc injects ``<style>`` elements at run time, which a strict ``style-src`` refuses.
"""

from __future__ import annotations

import html
from typing import Any

from litestar import Request
from litestar.enums import MediaType
from litestar.openapi.plugins import OpenAPIRenderPlugin

SWAGGER_UI_VERSION = "5.35.0"
VENDOR = f"/static/vendor/swagger-ui-{SWAGGER_UI_VERSION}"
# Subresource Integrity of the vendored files, as published in swagger-ui-dist on npm: the
# browser refuses a copy that was altered after it was pinned.
SWAGGER_UI_JS_SRI = "sha384-gjRm0bEPMeTmMh5jT2cHccIwCUZSTd8YC+j0d0sXw0MdGEfScduGpSyF3ZSSLkX9"
SWAGGER_UI_CSS_SRI = "sha384-WlYgdmXYOOBWL5apwjDEZwN+U3HmXSSu5R6V5aGxEcf7z+KuRNwBhoxKVN1i3D5I"


class OfflineSwaggerUI(OpenAPIRenderPlugin):
    """Swagger UI from the platform's own static files, started without inline script."""

    def __init__(self, *, title: str, csrf_cookie: str, path: tuple[str, ...] = ("/", "/swagger")) -> None:
        super().__init__(path=list(path), media_type=MediaType.HTML, favicon="", style="")
        self.title = title
        self.csrf_cookie = csrf_cookie

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        spec_url = html.escape(self.get_openapi_json_route(request), quote=True)
        title = html.escape(self.title)
        page = f"""<!doctype html>
<html lang="zh-CN">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>接口文档 — {title}</title>
  <link rel="stylesheet" href="{VENDOR}/swagger-ui.css" integrity="{SWAGGER_UI_CSS_SRI}">
  <link rel="stylesheet" href="/static/api-docs.css">
</head>
<body>
  <div id="swagger-ui" data-spec-url="{spec_url}" data-csrf-cookie="{html.escape(self.csrf_cookie)}"></div>
  <script src="{VENDOR}/swagger-ui-bundle.js" integrity="{SWAGGER_UI_JS_SRI}"></script>
  <script src="/static/api-docs.js"></script>
</body>
</html>
"""
        return page.encode()
