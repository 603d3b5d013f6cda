"""Reduced Chinese fonts, built once from the system font and cached on disk.

Why: WeasyPrint spends almost all of a Chinese document's time subsetting the font it
embeds (about 1.1 s of 1.2 s for two pages with WenQuanYi Micro Hei, 5-9 s with Noto
CJK), because fontTools has to read and rewrite every glyph slot of a 30 000-50 000 glyph
font even to keep a few hundred. Layout itself takes 30-40 ms. The subsetting cost grows
with the number of glyphs in the source font, not with the number used, so we give
WeasyPrint a small source font instead of the system one:

* ``core``: ASCII, Latin-1, punctuation, full-width forms, the GB 2312 symbol rows and the
  3 755 level-1 hanzi of GB 2312 (常用字, which cover more than 99.7 % of modern text).
  Composite glyphs are decomposed, so the font holds ~4 600 glyphs instead of ~8 000 and
  WeasyPrint subsets it in ~40 ms.
* ``extended``: the 3 008 level-2 hanzi of GB 2312, used by some personal and place names.
  Its own file, so a document that needs none of them does not pay for it.
* anything else (rare characters, 生僻字) falls back, per character, to the system font
  itself: slower, but every character still renders.

The CSS font stack is ``MarketCJK, MarketCJKExtended, <system family>``; Pango picks the
first family that has each character.

Alternatives measured and rejected: ``full_fonts=True`` (no subsetting) embeds 1-5 MB per
PDF; WeasyPrint's HarfBuzz subsetter is fast but needs ``libharfbuzz-subset`` >= 4.1
which the target system does not ship; a per-document font built from the document's
characters costs the same fontTools pass we are trying to avoid.

The cache is deterministic: the same source font, character set, builder version and
fontTools version give byte-identical files (timestamps are not recalculated). File names
carry a digest of all of these, so a changed system font or library builds a new file and
never reuses a stale one. Files are written to a temporary name and renamed, so several
worker processes building at once cannot leave a half-written font.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
import threading
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path

import fontTools  # type: ignore[import-untyped]
from fontTools import subset
from fontTools.pens.recordingPen import DecomposingRecordingPen  # type: ignore[import-untyped]
from fontTools.pens.ttGlyphPen import TTGlyphPen  # type: ignore[import-untyped]
from fontTools.ttLib import TTFont  # type: ignore[import-untyped]

from contracts.errors import ContractsError

#: Bump when the way the reduced fonts are built changes; it is part of the cache key.
FONT_BUILDER_VERSION = "1"

#: Family names the document CSS uses for the two cached fonts.
CORE_FAMILY = "MarketCJK"
EXTENDED_FAMILY = "MarketCJKExtended"

#: Where the system font is looked for first, with the face index inside the collection.
KNOWN_SOURCES: tuple[tuple[str, int, str], ...] = (
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0, "WenQuanYi Micro Hei"),
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 2, "Noto Sans CJK SC"),
)


class FontUnavailable(ContractsError):
    """No Chinese system font was found (install fonts-wqy-microhei or fonts-noto-cjk)."""


@dataclass(frozen=True)
class SourceFont:
    """A system font file (face ``index`` inside a .ttc collection) and its family name."""

    path: Path
    index: int
    family: str


@dataclass(frozen=True)
class FontSet:
    """The cached reduced fonts and the system family used as last resort."""

    core: Path
    extended: Path
    source: SourceFont

    @property
    def families(self) -> tuple[str, ...]:
        """The font stack, most preferred first."""
        return (CORE_FAMILY, EXTENDED_FAMILY, self.source.family)

    def css(self) -> str:
        """``@font-face`` rules and the ``--cjk`` stack for the document stylesheet."""
        stack = ", ".join(f'"{family}"' for family in self.families)
        return (
            f'@font-face {{ font-family: "{CORE_FAMILY}"; src: url("{self.core.as_uri()}"); }}\n'
            f'@font-face {{ font-family: "{EXTENDED_FAMILY}"; '
            f'src: url("{self.extended.as_uri()}"); }}\n'
            f"html {{ font-family: {stack}, sans-serif; }}\n"
        )

    @property
    def files(self) -> frozenset[Path]:
        """Files the renderer's URL fetcher may read."""
        return frozenset({self.core, self.extended})


def _gb2312_rows(first: int, last: int) -> set[int]:
    chars: set[int] = set()
    for row in range(first, last + 1):
        for cell in range(0xA1, 0xFF):
            try:
                chars.add(ord(bytes((row, cell)).decode("gb2312")))
            except UnicodeDecodeError:
                continue
    return chars


def core_characters() -> frozenset[int]:
    """Code points of the ``core`` font (see the module docstring)."""
    chars = set(range(0x20, 0x7F)) | set(range(0xA0, 0x100))
    chars |= set(range(0x2000, 0x2070)) | set(range(0x3000, 0x3040))
    chars |= set(range(0xFF01, 0xFF5F)) | {0x2116, 0x2103, 0x00A5, 0x2460, 0x2461, 0x2462}
    chars |= _gb2312_rows(0xA1, 0xA9)  # symbols, numerals, kana, Greek, Cyrillic, boxes
    chars |= _gb2312_rows(0xB0, 0xD7)  # level-1 hanzi
    return frozenset(chars)


def extended_characters() -> frozenset[int]:
    """Code points of the ``extended`` font: GB 2312 level-2 hanzi."""
    return frozenset(_gb2312_rows(0xD8, 0xF7))


def find_source_font(path: Path | None = None, index: int = 0,
                     family: str | None = None) -> SourceFont:
    """Locate the system Chinese font to reduce.

    An explicit ``path`` wins; otherwise WenQuanYi Micro Hei (TrueType outlines, the fastest
    to subset) then Noto Sans CJK SC at their Debian paths, then whatever fontconfig
    proposes for ``:lang=zh-cn``. Raises :class:`FontUnavailable` if none exists.
    """
    if path is not None:
        if not path.is_file():
            raise FontUnavailable(f"font file {path} does not exist")
        return SourceFont(path, index, family or _family_of(path, index))
    for known_path, known_index, known_family in KNOWN_SOURCES:
        if Path(known_path).is_file():
            return SourceFont(Path(known_path), known_index, known_family)
    fc_match = shutil.which("fc-match")
    if fc_match:
        result = subprocess.run(
            [fc_match, "-f", "%{file}\n%{index}", ":lang=zh-cn"],
            capture_output=True, text=True, check=False, timeout=10)
        lines = result.stdout.splitlines()
        if result.returncode == 0 and len(lines) == 2 and Path(lines[0]).is_file():
            found = Path(lines[0])
            return SourceFont(found, int(lines[1]), _family_of(found, int(lines[1])))
    raise FontUnavailable(
        "no Chinese font found; install fonts-wqy-microhei or fonts-noto-cjk")


def _family_of(path: Path, index: int) -> str:
    font = TTFont(path, fontNumber=index, lazy=True)
    return str(font["name"].getBestFamilyName())


_lock = threading.Lock()
_prepared: dict[tuple[Path, SourceFont], FontSet] = {}


def prepare_fonts(cache_dir: Path | str, source: SourceFont | None = None) -> FontSet:
    """Return the reduced fonts in ``cache_dir``, building them on first use.

    ``cache_dir`` is created if needed (the application passes ``MARKET_HOME/cache``).
    The first call in a fresh cache takes a few seconds; later calls, in any process, find
    the files by name. Results are also memoised per process.
    """
    directory = Path(cache_dir).resolve()
    source_font = source or find_source_font()
    key = (directory, source_font)
    with _lock:
        cached = _prepared.get(key)
        if cached is not None:
            return cached
        directory.mkdir(parents=True, exist_ok=True)
        digest = _source_digest(source_font)
        fonts = FontSet(
            core=_build(directory, source_font, digest, "core", core_characters()),
            extended=_build(directory, source_font, digest, "extended", extended_characters()),
            source=source_font,
        )
        _prepared[key] = fonts
        return fonts


def _source_digest(source: SourceFont) -> str:
    hasher = hashlib.sha256()
    hasher.update(f"{FONT_BUILDER_VERSION}|{fontTools.version}|{source.index}|".encode())
    with source.path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            hasher.update(block)
    return hasher.hexdigest()


def _build(directory: Path, source: SourceFont, source_digest: str, tier: str,
           chars: frozenset[int]) -> Path:
    chars_digest = hashlib.sha256(",".join(map(str, sorted(chars))).encode()).hexdigest()
    key = hashlib.sha256(f"{source_digest}|{tier}|{chars_digest}".encode()).hexdigest()[:20]
    target = directory / f"market-cjk-{tier}-{key}.ttf"
    if target.is_file():
        return target
    data = reduce_font(source, chars)
    handle, temporary = tempfile.mkstemp(dir=directory, prefix=".font-", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return target


def _subset_options() -> subset.Options:
    options = subset.Options()
    options.hinting = False
    options.desubroutinize = True
    options.layout_features = []
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    options.notdef_outline = True
    options.glyph_names = False
    options.recalc_timestamp = False
    options.drop_tables += [
        "GSUB", "GPOS", "GDEF", "BASE", "JSTF", "DSIG", "EBDT", "EBLC", "EBSC", "LTSH",
        "PCLT", "VDMX", "hdmx", "kern", "gasp", "vhea", "vmtx", "FFTM", "VORG"]
    return options


def reduce_font(source: SourceFont, chars: frozenset[int]) -> bytes:
    """Subset ``source`` to ``chars``, decompose composite glyphs, drop hinting and
    layout tables, and return the TrueType/OpenType file bytes (deterministic)."""
    font = TTFont(source.path, fontNumber=source.index, recalcTimestamp=False)
    subsetter = subset.Subsetter(_subset_options())
    subsetter.populate(unicodes=chars)
    subsetter.subset(font)
    if "glyf" in font:
        # Decomposing lets the second subset drop the component glyphs: fewer glyph slots
        # is exactly what makes WeasyPrint's per-document subsetting fast.
        glyph_set = font.getGlyphSet()
        glyf = font["glyf"]
        for name in font.getGlyphOrder():
            if glyf[name].isComposite():
                recording = DecomposingRecordingPen(glyph_set)
                glyph_set[name].draw(recording)
                pen = TTGlyphPen(None)
                recording.replay(pen)
                glyf[name] = pen.glyph()
        subsetter = subset.Subsetter(_subset_options())
        subsetter.populate(unicodes=font.getBestCmap().keys())
        subsetter.subset(font)
    if "post" in font:
        font["post"].formatType = 3.0
    output = BytesIO()
    font.save(output)
    return output.getvalue()
