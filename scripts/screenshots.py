"""Take screenshots of a running Pathscore with headless Chromium, for a visual check.

    python scripts/screenshots.py --base http://127.0.0.1:8000 --user liqiang --out /tmp/shots \
        / /org/people/ /org/departments/

Each path is captured at desktop (1366×900) and phone (390×844) size.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from playwright.sync_api import sync_playwright

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", default="http://127.0.0.1:8000")
    parser.add_argument("--user", default="liqiang")
    parser.add_argument("--password", default="pathscore-demo")
    parser.add_argument("--out", default="var/screenshots")
    parser.add_argument("--lang", default="")
    parser.add_argument("paths", nargs="*", default=["/"])
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        for label, viewport in (("desktop", (1366, 900)), ("phone", (390, 844))):
            page = browser.new_page(viewport={"width": viewport[0], "height": viewport[1]})
            page.goto(args.base + "/accounts/login/")
            page.screenshot(path=out / f"{label}-login.png", full_page=True)
            page.fill("#id_username", args.user)
            page.fill("#id_password", args.password)
            page.click("[data-testid=login-submit]")
            if args.lang:
                # The language form sits in the user menu; submitting it saves the choice.
                page.goto(args.base + "/accounts/profile/")
                page.select_option("#language-select-profile", args.lang)
                page.wait_for_load_state()
            for path in args.paths:
                page.goto(args.base + path)
                name = path.strip("/").replace("/", "_") or "home"
                page.screenshot(path=out / f"{label}-{name}.png", full_page=True)
            page.close()
        browser.close()


if __name__ == "__main__":
    main()
