"""Headless Chromium for the console tests and `make screenshots`: Debian's chromium (installed by
ensure-chromium.sh when missing) driven by Playwright, which may not download a browser of its own."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

HERE = Path(__file__).resolve().parent


def chromium() -> str | None:
    """The chromium binary, installed first when possible; None when it cannot be had."""
    if not shutil.which("chromium"):
        subprocess.run(["bash", str(HERE / "ensure-chromium.sh")], timeout=900, check=False)
    return shutil.which("chromium")


def launch(playwright: object, executable: str) -> object:
    # --no-sandbox: the tests run as root in a container, where Chromium's sandbox cannot start.
    return playwright.chromium.launch(  # type: ignore[attr-defined]
        executable_path=executable, headless=True, args=["--no-sandbox"])
