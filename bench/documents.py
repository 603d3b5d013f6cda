"""Document rendering: a sealed 2-page Chinese contract against bare WeasyPrint.

Baseline, measured in the same run: WeasyPrint alone on the *same* HTML (same text,
tables, header/footer, QR) with the system Chinese font (WenQuanYi Micro Hei) in place of
our cached reduced fonts, no seal. Ours: the whole ``issue_document`` (template in the
sandbox, layout, font subsets, PDF, PAdES seal with its image).

Also: the PDF size, characters lost in text extraction, verification time, how well a
batch uses every core, and the API's p99 on a light request while a batch renders
(starts ``market serve`` on a throw-away home, like bench/start.py).

    .venv/bin/python bench/documents.py
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from io import BytesIO
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pypdf import PdfReader  # noqa: E402
from weasyprint import HTML  # noqa: E402
from weasyprint.pdf import fonts as weasy_fonts  # noqa: E402

from contracts import (  # noqa: E402
    DocumentKind,
    RenderPool,
    RenderSettings,
    SealConfig,
    issue_document,
    load_seal,
    prepare_fonts,
    verify_pdf,
)
from contracts.rendering import compose_html  # noqa: E402
from contracts.samples import sample_document  # noqa: E402
from contracts.workers import default_workers, usable_cpus  # noqa: E402

_CJK = re.compile(r"[\u3400-\u9fff]")


@contextlib.contextmanager
def fonttools_subsetting() -> Iterator[None]:
    """WeasyPrint without HarfBuzz's subsetter, i.e. subsetting with fontTools."""
    saved = weasy_fonts.harfbuzz_subset
    weasy_fonts.harfbuzz_subset = None
    try:
        yield
    finally:
        weasy_fonts.harfbuzz_subset = saved


def timed(function, repeat: int) -> float:  # type: ignore[no-untyped-def]
    """Median wall time of ``repeat`` calls, in seconds."""
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def baseline_html(html: str, family: str) -> str:
    """The same document with the system font instead of our cached ones."""
    without_faces = re.sub(r"@font-face \{[^}]*\}\n", "", html)
    return re.sub(r"html \{ font-family: [^;]*; \}", f'html {{ font-family: "{family}"; }}',
                  without_faces)


def main() -> None:
    scratch = Path(tempfile.mkdtemp(prefix="market-bench-documents-"))
    try:
        run(scratch)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def run(scratch: Path) -> None:
    settings = RenderSettings(base_url="https://jy.shaoguan.example",
                              cache_dir=scratch / "cache")
    seal = SealConfig.development(scratch / "seal")
    started = time.perf_counter()
    fonts = prepare_fonts(settings.cache_dir)
    load_seal(seal)
    setup = time.perf_counter() - started

    contract = sample_document(DocumentKind.SERVICE_CONTRACT)
    issued = issue_document(contract, settings, seal)  # warm-up: imports, caches
    html, _ids = compose_html(contract, settings)
    bare = baseline_html(html, fonts.source.family)
    HTML(string=bare).write_pdf()  # warm-up

    ours = timed(lambda: issue_document(contract, settings, seal), 7)
    layout = timed(lambda: HTML(string=html).render(), 5)
    # The goal's baseline is WeasyPrint as the issue measured it (~1.2 s): subsetting the
    # system font with fontTools. Where Debian's libharfbuzz-subset0 is installed (make
    # installs it), WeasyPrint subsets with HarfBuzz instead and is itself close to layout
    # time; that figure is printed too, for information.
    with fonttools_subsetting():
        baseline = timed(lambda: HTML(string=bare).write_pdf(), 3)
    harfbuzz = timed(lambda: HTML(string=bare).write_pdf(), 3) if weasy_fonts.harfbuzz_subset else None

    reader = PdfReader(BytesIO(issued.pdf))
    text = "".join(page.extract_text() for page in reader.pages)
    body = re.sub(r"<style.*?</style>|<head.*?</head>|<[^>]+>", "", html, flags=re.S)
    missing = set(_CJK.findall(body)) - set(text)
    trust = load_seal(seal).trust_roots
    verify = timed(lambda: verify_pdf(issued.pdf, trust), 5)
    assert verify_pdf(issued.pdf, trust).issued_by_platform

    print(f"figure contract_pages = {len(reader.pages)} pages (goal == 2)")
    print(f"figure contract_baseline_s = {baseline:.3f} s (baseline: bare WeasyPrint, "
          f"{fonts.source.family}, fontTools subsetting)")
    if harfbuzz is not None:
        print(f"figure bare_weasyprint_harfbuzz_subset_s = {harfbuzz:.3f} s (info: bare WeasyPrint "
              "with HarfBuzz's subsetter)")
    print(f"figure contract_sealed_s = {ours:.3f} s (info)")
    print(f"figure contract_layout_ms = {layout * 1000:.0f} ms (info: layout only)")
    print(f"figure contract_render_ratio = {ours / baseline:.2f} x (goal <= 0.30)")
    print(f"figure contract_pdf_kb = {len(issued.pdf) / 1024:.0f} KB (goal <= 150)")
    print(f"figure contract_missing_chars = {len(missing)} chars (goal == 0)")
    print(f"figure verify_ms = {verify * 1000:.0f} ms (info)")
    print(f"figure first_use_setup_s = {setup:.1f} s (info: font cache + dev seal, once)")

    batch = [sample_document(kind) for kind in DocumentKind] * 3
    # How well a batch scales over processes: a pool on every core, as issue_batch runs.
    with RenderPool(settings, seal, usable_cpus()) as pool:
        pool.issue_many(batch[: pool.max_workers])  # start and warm the workers
        sequential = timed(lambda: [issue_document(d, settings, seal) for d in batch], 1)
        parallel = timed(lambda: pool.issue_many(batch), 1)
        cores = pool.max_workers
        speedup = sequential / parallel
        print(f"figure batch_docs_per_s = {len(batch) / parallel:.1f} docs/s (info: "
              f"{cores} workers)")
        print(f"figure batch_core_efficiency = {speedup / cores:.2f} x (goal >= 0.70)")
    # The API under a batch: the pool a server runs by default (MARKET_RENDER_WORKERS=0).
    renders = Renders(settings, seal, batch)
    try:
        api_p99_while_batch_renders(renders)
    finally:
        renders.close()


def free_port() -> int:
    """An unused local TCP port."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _latencies(url: str, count: int) -> list[float]:
    samples = []
    for _ in range(count):
        started = time.perf_counter()
        with urllib.request.urlopen(url, timeout=10) as response:
            response.read()
        samples.append(time.perf_counter() - started)
    return samples


def _p99(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=100)[98]


def _render_while(settings: RenderSettings, seal: SealConfig, batch: list,  # type: ignore[type-arg]
                  rendering: Any, ready: Any, stop: Any) -> None:
    """In a process of its own: a server's default pool renders ``batch`` over and over
    while ``rendering`` is set. The driver must not share the measuring client's process:
    its thread would hold the client's GIL while it handles each finished document, and
    the figure would measure the bench instead of the API."""
    with RenderPool(settings, seal) as pool:
        chunk = (batch * 2)[: 2 * pool.max_workers]
        pool.issue_many(chunk[: pool.max_workers])  # start and warm the workers
        ready.set()
        while not stop.is_set():
            if rendering.wait(timeout=0.1):
                pool.issue_many(chunk)


class Renders:
    """A render process (:func:`_render_while`) kept busy while the ``with`` block runs."""

    def __init__(self, settings: RenderSettings, seal: SealConfig, batch: list) -> None:  # type: ignore[type-arg]
        context = multiprocessing.get_context("spawn")
        self.rendering, ready, self.stop = context.Event(), context.Event(), context.Event()
        self.process = context.Process(
            target=_render_while, args=(settings, seal, batch, self.rendering, ready, self.stop)
        )
        self.process.start()
        if not ready.wait(timeout=120):
            raise RuntimeError("the render process did not start")
        self.workers = default_workers()

    @contextlib.contextmanager
    def busy(self) -> Iterator[None]:
        self.rendering.set()
        time.sleep(0.5)  # the first documents reach the workers
        try:
            yield
        finally:
            self.rendering.clear()
            time.sleep(1.0)  # the documents in hand finish before the idle window

    def close(self) -> None:
        self.stop.set()
        self.rendering.clear()
        self.process.join(timeout=60)


def api_p99_while_batch_renders(renders: Renders) -> None:
    """API p99 on ``/healthz`` while the pool renders, against idle, same server: 600
    requests each, in four alternating windows.

    Starts ``market serve`` (embedded PostgreSQL) on a throw-away home. If the app cannot
    start here, prints the figure as not measured instead of failing the bench.
    """
    home = Path(tempfile.mkdtemp(prefix="market-bench-api-"))
    home.chmod(0o755)  # the embedded server may run as the 'postgres' user
    port = free_port()
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("MARKET_") and k != "DATABASE_URL"}
    env["MARKET_HOME"] = str(home / "home")
    process = subprocess.Popen(
        [sys.executable, "-c", "from web.cli import run; run()", "serve", "--port", str(port)],
        env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/healthz"
    try:
        deadline = time.perf_counter() + 60
        while True:
            if process.poll() is not None or time.perf_counter() > deadline:
                print("figure api_p99_batch_ratio = n/a x (goal <= 2) "
                      "# TODO: market serve did not start here")
                return
            try:
                with urllib.request.urlopen(url, timeout=1) as response:
                    if response.status == 200:
                        break
            except OSError:
                time.sleep(0.05)
        _latencies(url, 50)  # warm-up
        # Idle and busy windows alternate, so that a change in the machine's other load
        # during the run falls on both sides of the ratio, not on one.
        idle: list[float] = []
        busy: list[float] = []
        for _ in range(4):
            idle += _latencies(url, 150)
            with renders.busy():
                busy += _latencies(url, 150)
        print(f"figure api_idle_p99_ms = {_p99(idle) * 1000:.1f} ms (baseline; {renders.workers} "
              f"render workers on {usable_cpus()} CPUs)")
        print(f"figure api_p99_batch_ratio = {_p99(busy) / _p99(idle):.2f} x (goal <= 2)")
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
