"""A headless Chromium, when the machine has one: prints the bulletin to PDF (A4).

No PDF renderer on PyPI works without system libraries or a browser download (WeasyPrint
needs Pango; Playwright fetches its own browser), so the PDF comes from the Chromium the
system package manager installs (Debian: ``apt-get install chromium``). Without one the
bulletin is HTML only and the caller says so.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

BROWSER_ENV = "WORKCOMP_BROWSER"
CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


class BrowserError(RuntimeError):
    pass


def find_browser() -> str | None:
    """The browser named by WORKCOMP_BROWSER, else the first Chromium on PATH."""
    named = os.environ.get(BROWSER_ENV)
    if named:
        return shutil.which(named) or (named if Path(named).is_file() else None)
    return next((path for name in CANDIDATES if (path := shutil.which(name))), None)


def _run(browser: str, *args: str, timeout: int = 120) -> subprocess.CompletedProcess:
    with tempfile.TemporaryDirectory(prefix="workcomp-chromium-") as profile:
        cmd = [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-dev-shm-usage",
            "--disable-extensions",
            "--mute-audio",
            f"--user-data-dir={profile}",
            *args,
        ]
        try:
            done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired as exc:
            raise BrowserError(f"{browser} did not finish in {timeout} s") from exc
    if done.returncode != 0:
        raise BrowserError(f"{browser} failed ({done.returncode}): {done.stderr[-2000:]}")
    return done


def print_to_pdf(html: Path, pdf: Path, browser: str | None = None) -> Path:
    """Print a local HTML file to PDF; page size and margins come from its @page rule."""
    browser = browser or find_browser()
    if browser is None:
        raise BrowserError("no Chromium found (set WORKCOMP_BROWSER or install chromium)")
    pdf.parent.mkdir(parents=True, exist_ok=True)
    _run(browser, "--no-pdf-header-footer", f"--print-to-pdf={pdf}", html.resolve().as_uri())
    if not pdf.exists() or pdf.stat().st_size == 0:
        raise BrowserError(f"{browser} wrote no PDF for {html}")
    return pdf


def rendered_dom(html: Path, browser: str | None = None) -> str:
    """The page's DOM after the browser laid it out (what a reader's browser would show)."""
    browser = browser or find_browser()
    if browser is None:
        raise BrowserError("no Chromium found (set WORKCOMP_BROWSER or install chromium)")
    return _run(browser, "--dump-dom", html.resolve().as_uri()).stdout
