"""Screenshots of the web console for docs/ (`make screenshots`): a real `ftgate serve`, Debian's
chromium driven by Playwright, examples of the README in English and French, on a desktop and a
phone. docs/console-screenshots.sha256 records the sources they were taken from
(tests/http/test_console_languages.py fails when those changed and the screenshots did not)."""

from __future__ import annotations

import hashlib
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO / "tests"), str(REPO / "tests/http")]

from browser import chromium, launch  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402
from serverproc import start_server  # noqa: E402

SHOTS = [  # (file under docs/, example, value to spoil or None, language, width)
    ("console.png", "low-volume-roi.yaml", None, "en-US", 1366),
    ("console-fine-tune.png", "support-ticket-classifier.yaml", None, "en-US", 1366),
    ("console-invalid.png", "support-ticket-classifier.yaml", ("target_score", "1.5"), "en-US",
     1366),
    ("console-fr.png", "low-volume-roi.yaml", None, "fr-FR", 1366),
    ("console-phone-fr.png", "hr-policies-assistant.yaml", None, "fr-FR", 390),
]
# What the screenshots show comes from these files.
SOURCES = ["service/ftgate/server/http/console/index.html",
           "service/ftgate/server/http/console/console.js",
           "service/ftgate/server/http/console/console.css",
           "service/ftgate/server/http/console_data.py",
           "service/ftgate/present/console_words.py",
           "service/ftgate/present/labels.py"]
STAMP = REPO / "docs" / "console-screenshots.sha256"


def sources_digest() -> str:
    """One line per source: its sha256 and path."""
    return "".join(f"{hashlib.sha256((REPO / path).read_bytes()).hexdigest()}  {path}\n"
                   for path in SOURCES)


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
            for name, example, spoil, lang, width in SHOTS:
                page = browser.new_context(  # type: ignore[attr-defined]
                    viewport={"width": width, "height": 900}, locale=lang).new_page()
                page.goto(server.http_url + "/")
                page.wait_for_selector("body[data-ready=true]")
                page.click(f"button[data-example='{example}']")
                if spoil:
                    page.fill(f"[name='{spoil[0]}']", spoil[1])
                page.click("#submit")
                page.wait_for_selector("#e-target_score:not(:empty)" if spoil
                                       else "#verdict[data-verdict^=VERDICT_]")
                if width < 600:  # a phone: the screen the decision opens on
                    page.evaluate("document.getElementById('result').scrollIntoView()")
                page.screenshot(path=str(REPO / "docs" / name), full_page=width >= 600)
                print(f"docs/{name}")
            STAMP.write_text(sources_digest(), encoding="utf-8")
            browser.close()  # type: ignore[attr-defined]
        finally:
            playwright.stop()
            server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
