"""From document data to an unsigned PDF: template body, platform frame, WeasyPrint.

What "the same content" means: the same document data (compared as canonical JSON), the
same template version, the same frame version and the same document id give a
byte-identical unsigned PDF, on the same versions of WeasyPrint and fontTools and the same
system font. For that, every date in the PDF comes from the data (``issued_on``), the PDF
``/ID`` is derived from the content digest, and the embedded font subsets carry a fixed
timestamp (see :data:`FONT_TIMESTAMP_EPOCH`). The signature added afterwards differs
between runs (signing time).
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, time
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import jinja2
import segno
from markupsafe import Markup
from weasyprint import HTML
from weasyprint.urls import URLFetcher

from contracts.context import CHINA_TIME, build_context
from contracts.errors import InvalidDocumentData
from contracts.fonts import FontSet, SourceFont, prepare_fonts
from contracts.model import DOCUMENT_TYPES, Document, DocumentKind, canonical_json
from contracts.templating import TemplateSource, builtin_template, render_body

#: Bump whenever the frame (header, footer, QR, CSS in ``_frame.html.j2``) changes: it is
#: part of every content digest, so old and new renderings are told apart.
FRAME_VERSION = "frame-1"

#: ``id`` of the element a template places where the platform seal goes.
SEAL_SLOT_ID = "platform-seal"

#: Where WeasyPrint subsets fonts with fontTools (it prefers HarfBuzz, which keeps the
#: font's own time, when ``libharfbuzz-subset`` >= 4.1 is installed), fontTools writes the
#: wall-clock time into every subset it saves (the ``head`` table): two renders a second
#: apart would differ. fontTools honours the reproducible-builds variable SOURCE_DATE_EPOCH
#: instead. The environment belongs to the process, not to this library: writing it while
#: rendering (possibly in a thread) would race every other thread's ``getenv``. So the
#: :class:`~contracts.workers.RenderPool` workers set it to this constant when they start,
#: unless the operator already has; a program that renders in its own process sets it
#: itself. It only affects font timestamps.
FONT_TIMESTAMP_EPOCH = "1767225600"  # 2026-01-01T00:00:00Z

_DOCUMENT_ID_RE = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
_PX_TO_PT = 0.75  # CSS px are 1/96 in, PDF points 1/72 in


@dataclass(frozen=True)
class RenderSettings:
    """What the application passes in to render documents.

    ``base_url`` is the public address of the platform (QR codes point to
    ``{base_url}/verify/{document_id}``); ``cache_dir`` is where the reduced fonts are
    built on first use (the app passes ``MARKET_HOME/cache``); ``source_font`` overrides
    the system Chinese font looked up by :func:`contracts.fonts.find_source_font`.
    """

    base_url: str
    cache_dir: Path
    platform_name: str = "韶关市公共资源交易中心 电子交易平台"
    issuer_name: str = "韶关市公共资源交易中心"
    source_font: SourceFont | None = None

    def __post_init__(self) -> None:
        parts = urlsplit(self.base_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise InvalidDocumentData("base_url", "must be an absolute http(s) URL")
        object.__setattr__(self, "base_url", self.base_url.rstrip("/"))
        object.__setattr__(self, "cache_dir", Path(self.cache_dir))

    def verify_url(self, document_id: str) -> str:
        """The verification address printed in the QR code."""
        return f"{self.base_url}/verify/{document_id}"


@dataclass(frozen=True)
class SealPlacement:
    """Where the visible seal goes: 0-based page index and a box in PDF points
    (origin bottom-left)."""

    page: int
    box: tuple[int, int, int, int]


@dataclass(frozen=True)
class UnsignedDocument:
    """A rendered, not yet sealed, document and what identifies it."""

    document_id: str
    kind: DocumentKind
    document_number: str
    procurement_reference: str
    template_version: str
    content_digest: str
    verify_url: str
    pdf: bytes = field(repr=False)
    page_count: int
    seal: SealPlacement


def content_digest(document: Document, template: TemplateSource) -> str:
    """SHA-256 (hex) over the canonical data, the template version and the frame version.

    This is the "校验码" printed in every footer (first 16 hex digits). It can be computed
    before rendering, unlike the hash of the final PDF, and it stays the same when the
    same data is re-rendered, so it identifies the *content* of a document. The PDF's own
    SHA-256 (of the signed file) identifies the *file* and is what the verify page shows.
    """
    hasher = hashlib.sha256()
    for part in (canonical_json(document), template.version.encode(), FRAME_VERSION.encode()):
        hasher.update(len(part).to_bytes(8, "big"))
        hasher.update(part)
    return hasher.hexdigest()


def default_document_id(digest: str) -> str:
    """Document id derived from the content digest (24 lowercase base32 characters)."""
    raw = hashlib.sha256(b"document-id|" + digest.encode()).digest()
    return base64.b32encode(raw).decode().lower()[:24]


def qr_data_uri(url: str) -> str:
    """A PNG ``data:`` URI of a QR code for ``url`` (error correction level M).

    PNG rather than SVG: WeasyPrint embeds one image XObject shared by every page
    (~0.5 KB, 1 bit per module, drawn without smoothing), where SVG would repeat the
    drawing in each page's content.
    """
    return str(segno.make(url, error="m", micro=False).png_data_uri(scale=8, border=0))


def _css_string(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return escaped.replace("\n", "\\A ").replace("\r", "")


def _frame_environment() -> jinja2.Environment:
    # The frame is ours (not uploaded), so a normal environment is fine; autoescape still
    # protects it from data.
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined,
                             keep_trailing_newline=True)
    env.filters["css_string"] = _css_string
    return env


_FRAME = _frame_environment().from_string(
    resources.files("contracts").joinpath("templates", "_frame.html.j2")
    .read_text(encoding="utf-8"))


class _LocalOnlyFetcher(URLFetcher):  # type: ignore[misc]
    """Lets WeasyPrint load ``data:`` URIs and our cached font files, nothing else.

    An uploaded template could otherwise make the renderer read local files or reach
    internal hosts (``<img src="file:///etc/passwd">``, ``http://10.0.0.1/``).
    """

    def __init__(self, allowed_files: frozenset[Path]) -> None:
        super().__init__(allowed_protocols=("data", "file"), allow_redirects=False)
        self._allowed = {path.resolve() for path in allowed_files}

    def fetch(self, url: str, headers: Any = None) -> Any:
        """Fetch ``url`` if it is a data URI or one of the allowed files."""
        if url.startswith("file:"):
            path = Path(unquote(urlsplit(url).path)).resolve()
            if path not in self._allowed:
                raise ValueError(f"resource not allowed in documents: {url}")
        elif not url.startswith("data:"):
            raise ValueError(f"resource not allowed in documents: {url}")
        return super().fetch(url, headers)


def compose_html(document: Document, settings: RenderSettings,
                 template: TemplateSource | None = None, document_id: str | None = None,
                 fonts: FontSet | None = None) -> tuple[str, dict[str, str]]:
    """Render the template body in the sandbox and wrap it in the platform frame.

    Returns the full HTML and the identifiers used (``document_id``, ``digest``,
    ``template_version``, ``verify_url``). Exposed for the benchmark and for previews.
    """
    if not isinstance(document, tuple(DOCUMENT_TYPES.values())):
        raise InvalidDocumentData("document", f"not a document: {type(document).__name__}")
    chosen = template or builtin_template(document.kind)
    if chosen.kind is not document.kind:
        raise InvalidDocumentData(
            "template", f"is a {chosen.kind.value} template, not {document.kind.value}")
    digest = content_digest(document, chosen)
    doc_id = document_id or default_document_id(digest)
    if not isinstance(doc_id, str) or not _DOCUMENT_ID_RE.match(doc_id):
        raise InvalidDocumentData("document_id", "must be 8-64 characters of A-Z a-z 0-9 _ -")
    verify_url = settings.verify_url(doc_id)
    font_set = fonts or prepare_fonts(settings.cache_dir, settings.source_font)
    context = build_context(document, platform_name=settings.platform_name,
                            issuer_name=settings.issuer_name, document_id=doc_id,
                            verify_url=verify_url, digest=digest)
    body = render_body(chosen, context)
    issued = datetime.combine(document.issued_on, time(0, 0), CHINA_TIME)
    html = _FRAME.render(
        title=f"{document.kind.label} {document.document_number}",
        issuer_name=settings.issuer_name, platform_name=settings.platform_name,
        description=f"{document.procurement.title}（{document.procurement.reference}）",
        keywords=f"document_id={doc_id}; digest={digest}; template={chosen.version}",
        frame_version=FRAME_VERSION, created=issued.isoformat(),
        font_css=Markup(font_set.css()), number=document.document_number,  # noqa: S704
        short_digest=digest[:16], verify_url=verify_url, qr_data_uri=qr_data_uri(verify_url),
        body=Markup(body),  # noqa: S704 - produced by the sandboxed, autoescaped template
        has_seal_slot=f'id="{SEAL_SLOT_ID}"' in body)
    ids = {"document_id": doc_id, "digest": digest, "template_version": chosen.version,
           "verify_url": verify_url}
    return html, ids


def render_unsigned(document: Document, settings: RenderSettings,
                    template: TemplateSource | None = None,
                    document_id: str | None = None) -> UnsignedDocument:
    """Render ``document`` to a PDF without the seal (deterministic; see module doc).

    ``template`` defaults to the built-in template of the document's kind;
    ``document_id`` defaults to :func:`default_document_id` of the content digest.
    Raises :class:`InvalidDocumentData` or a :class:`TemplateRejected` subclass.
    """
    fonts = prepare_fonts(settings.cache_dir, settings.source_font)
    html, ids = compose_html(document, settings, template, document_id, fonts)
    rendered = HTML(string=html, url_fetcher=_LocalOnlyFetcher(fonts.files)).render()
    identifier = hashlib.sha256(f"{ids['document_id']}|{ids['digest']}".encode()).digest()[:16]
    pdf = rendered.write_pdf(pdf_identifier=identifier)
    return UnsignedDocument(
        document_id=ids["document_id"], kind=document.kind,
        document_number=document.document_number,
        procurement_reference=document.procurement.reference,
        template_version=ids["template_version"], content_digest=ids["digest"],
        verify_url=ids["verify_url"], pdf=pdf, page_count=len(rendered.pages),
        seal=_seal_placement(rendered.pages))


def _seal_placement(pages: Any) -> SealPlacement:
    for index, page in enumerate(pages):
        anchors: Mapping[str, tuple[float, float, float, float]] = page.anchors
        if SEAL_SLOT_ID in anchors:
            x1, y1, x2, y2 = anchors[SEAL_SLOT_ID]
            height = page.height
            if x2 - x1 >= 20 and y2 - y1 >= 20:
                return SealPlacement(index, (
                    round(x1 * _PX_TO_PT), round((height - y2) * _PX_TO_PT),
                    round(x2 * _PX_TO_PT), round((height - y1) * _PX_TO_PT)))
    # No usable slot (e.g. a template hid it): bottom right of the last page.
    last = pages[-1]
    width_pt, height_pt = last.width * _PX_TO_PT, last.height * _PX_TO_PT
    del height_pt
    return SealPlacement(len(pages) - 1, (round(width_pt - 180), 100,
                                          round(width_pt - 67), 213))
