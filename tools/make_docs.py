"""Write the static (no-kernel) snapshots in docs/: one HTML page per explorer, sharing
one plotly.min.js, and a PNG of each taken in headless Chromium.

    python tools/make_docs.py            # needs Debian's chromium at /usr/bin/chromium for the PNGs

The HTML renders from file:// with no kernel and no internet.
"""

from __future__ import annotations

import sys
from pathlib import Path

import chainviz as cv
from chainviz.widgets import demos

DOCS = Path(__file__).resolve().parents[1] / "docs"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def explorers() -> dict:
    chain = cv.ChainRuleExplorer()
    chain.set_options(show_weight_grads=True)
    step = cv.ChainRuleExplorer()
    step.set_step(1)
    return {
        "chain_rule": chain,
        "backward_step": step,
        "jacobian": demos.jacobian_demo(),
        "composition": demos.composition_demo(),
        "mode_cost": demos.scale_demo(),
    }


def main() -> int:
    DOCS.mkdir(exist_ok=True)
    pages = []
    for name, app in explorers().items():
        path = DOCS / f"{name}.html"
        app.to_html(path, plotlyjs="directory")
        pages.append(path)
        print("wrote", path.relative_to(DOCS.parent))
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        print("playwright is not installed: no PNGs")
        return 0
    if not Path("/usr/bin/chromium").exists():
        print("/usr/bin/chromium is missing: no PNGs")
        return 0
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1180, "height": 800})
        for path in pages:
            page.goto(path.as_uri())
            page.wait_for_selector(".js-plotly-plot .main-svg")
            page.wait_for_timeout(300)
            png = path.with_suffix(".png")
            page.screenshot(path=str(png), full_page=True)
            print("wrote", png.relative_to(DOCS.parent))
        browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
