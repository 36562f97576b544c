"""Screenshots of the web console for docs/ (`make screenshots`): a real `ftgate serve`, Debian's
chromium driven by Playwright, three examples of the README."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO / "tests"), str(REPO / "tests/http")]

from browser import chromium, launch  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402
from serverproc import start_server  # noqa: E402

SHOTS = [  # (file under docs/, example, value to spoil or None)
    ("console.png", "low-volume-roi.yaml", None),
    ("console-fine-tune.png", "support-ticket-classifier.yaml", None),
    ("console-invalid.png", "support-ticket-classifier.yaml", ("target_score", "1.5")),
]


def main() -> int:
    executable = chromium()
    if executable is None:
        print("make screenshots: chromium is not installed and cannot be installed here",
              file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory() as tmp:
        server = start_server(Path(tmp), "--workers", "1")
        playwright = sync_playwright().start()
        try:
            browser = launch(playwright, executable)
            page = browser.new_page(viewport={"width": 1366, "height": 900})  # type: ignore[attr-defined]
            for name, example, spoil in SHOTS:
                page.goto(server.http_url + "/")
                page.wait_for_selector("body[data-ready=true]")
                page.click(f"button[data-example='{example}']")
                if spoil:
                    page.fill(f"[name='{spoil[0]}']", spoil[1])
                page.click("#submit")
                page.wait_for_selector("#e-target_score:not(:empty)" if spoil
                                       else "#verdict[data-verdict^=VERDICT_]")
                page.screenshot(path=str(REPO / "docs" / name), full_page=not spoil)
                print(f"docs/{name}")
            browser.close()  # type: ignore[attr-defined]
        finally:
            playwright.stop()
            server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
