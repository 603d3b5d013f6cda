"""Fixed font timestamps without the library writing the process environment: the render
workers set SOURCE_DATE_EPOCH when they start, and fontTools stamps the font subsets it
writes with it."""

from __future__ import annotations

import os
from io import BytesIO

import pytest
from fontTools.misc.timeTools import timestampSinceEpoch  # type: ignore[import-untyped]
from fontTools.ttLib import TTFont  # type: ignore[import-untyped]
from pypdf import PdfReader

from contracts import DocumentKind, RenderPool, RenderSettings, SealConfig, render_unsigned
from contracts.rendering import FONT_TIMESTAMP_EPOCH
from contracts.samples import sample_document

FIXED = timestampSinceEpoch(int(FONT_TIMESTAMP_EPOCH))


def _font_timestamps(pdf: bytes) -> set[int]:
    """``head.modified`` of every font embedded in ``pdf``."""
    stamps = set()
    for page in PdfReader(BytesIO(pdf)).pages:
        for font in page["/Resources"]["/Font"].values():
            for descendant in font.get_object().get("/DescendantFonts", []):
                descriptor = descendant.get_object()["/FontDescriptor"].get_object()
                for key in ("/FontFile2", "/FontFile3"):
                    if key in descriptor:
                        data = descriptor[key].get_object().get_data()
                        stamps.add(TTFont(BytesIO(data))["head"].modified)
    assert stamps, "no embedded font found"
    return stamps


def _render_with_fonttools(settings: RenderSettings) -> tuple[set[int], str | None]:
    """In this process: render with WeasyPrint's fontTools subsetter (the path of machines
    without libharfbuzz-subset, where the timestamp is written) and report the stamps and
    the process's SOURCE_DATE_EPOCH. Module level so that a worker can run it."""
    import weasyprint.pdf.fonts

    weasyprint.pdf.fonts.harfbuzz_subset = None
    unsigned = render_unsigned(sample_document(DocumentKind.RESULT_NOTICE), settings)
    return _font_timestamps(unsigned.pdf), os.environ.get("SOURCE_DATE_EPOCH")


def test_rendering_leaves_the_process_environment_alone(
        settings: RenderSettings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    render_unsigned(sample_document(DocumentKind.RESULT_NOTICE), settings)
    assert "SOURCE_DATE_EPOCH" not in os.environ


def test_a_render_worker_stamps_font_subsets_with_the_fixed_time(
        settings: RenderSettings, seal_config: SealConfig, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    with RenderPool(settings, seal_config, max_workers=1) as pool:
        stamps, epoch = pool.executor.submit(_render_with_fonttools, settings).result()
    assert epoch == FONT_TIMESTAMP_EPOCH
    assert stamps == {FIXED}
    assert "SOURCE_DATE_EPOCH" not in os.environ
