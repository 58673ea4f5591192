"""The admin console as an admin uses it, in headless Chromium against the real service.

Needs the Debian packages `chromium` and `chromium-driver` (scripts/ensure-chromium.sh installs
them; `make test` runs it first). Nothing here downloads a browser.
"""

from __future__ import annotations

import shutil
import tempfile
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from aggregator.runtime.service import Service
from tests.support.admin import BOARD_ITEMS, PASSWORD, RSS, rss, running_service
from tests.support.feedserver import FeedServer

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
SCREENSHOT = Path("/tmp/admin-sources.png")  # what the sources page looks like on a phone
LISTING = b"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Reviews - Northshire SAB</title></head>
<body><nav><a href="/">Home</a></nav>
<main><h1>Safeguarding adults reviews</h1>
<ul class="reviews">
  <li class="review">
    <h3><a href="/reviews/sar-adult-k">SAR Adult K: learning for all agencies</a></h3>
    <time datetime="2026-01-14">14 January 2026</time>
    <p class="teaser">The board has published the review about Adult K and its action plan.</p></li>
  <li class="review"><h3><a href="/reviews/sar-adult-l">SAR Adult L: self-neglect</a></h3>
    <time datetime="2026-01-07">7 January 2026</time>
    <p class="teaser">Findings on self-neglect and hoarding, with a seven-minute briefing.</p></li>
  <li class="review"><h3><a href="/reviews/sar-adult-m">SAR Adult M: transitions</a></h3>
    <time datetime="2025-12-18">18 December 2025</time>
    <p class="teaser">Moving from children's to adult services: what went wrong.</p></li>
</ul></main></body></html>
"""


def _skip_loudly(reason: str) -> None:
    pytest.skip(f"BROWSER TEST NOT RUN: {reason}. Run scripts/ensure-chromium.sh (needs apt-get).")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
        _skip_loudly(f"{CHROMIUM} or {CHROMEDRIVER} is missing")
    webdriver = pytest.importorskip(
        "selenium.webdriver", reason="BROWSER TEST NOT RUN: no selenium"
    )
    from selenium.webdriver.chrome.service import Service as DriverService

    profile = Path(tempfile.mkdtemp(prefix="chromium-admin-"))
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--window-size=420,900",
        f"--user-data-dir={profile}",
    ):  # fmt: skip  (a phone-sized window: the console must work there)
        options.add_argument(argument)
    driver = webdriver.Chrome(service=DriverService(str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture
def site(tmp_path: Path) -> Iterator[tuple[Service, str, FeedServer]]:
    with FeedServer() as feeds:
        feeds.set("/board/feed", rss(BOARD_ITEMS), RSS)
        feeds.set("/reviews/", LISTING, "text/html; charset=utf-8")
        with running_service(tmp_path, feeds) as service:
            server = service.start()
            try:
                yield service, server.url, feeds
            finally:
                service.shutdown()


def fetch(url: str) -> str:
    with urllib.request.urlopen(url, timeout=10) as response:
        return str(response.read().decode("utf-8"))


@pytest.mark.slow
def test_admin_adds_an_html_source_previews_polls_and_hides_an_item(
    browser: Any, site: tuple[Service, str, FeedServer]
) -> None:
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select, WebDriverWait

    service, base, feeds = site
    find, find_all = browser.find_element, browser.find_elements

    def submit(button: Any, until: Any) -> None:
        """Click, then wait for the next page (a click returns before navigation ends)."""
        button.click()
        # The old page's elements go stale while the new one loads: keep looking.
        WebDriverWait(browser, 20, ignored_exceptions=(StaleElementReferenceException,)).until(
            until
        )

    def flash_says(text: str) -> Any:
        return lambda d: any(text in e.text for e in d.find_elements(By.CSS_SELECTOR, ".flash"))

    browser.get(base + "/admin/sources")
    assert "/admin/login" in browser.current_url  # signed out: sent to sign in
    find(By.ID, "name").send_keys("alice")
    find(By.ID, "password").send_keys(PASSWORD)
    submit(
        find(By.CSS_SELECTOR, "form button[type=submit]"),
        lambda d: d.current_url.endswith("/admin/sources"),
    )
    assert find(By.ID, "source-board").is_displayed()

    submit(find(By.LINK_TEXT, "Add a source"), lambda d: d.find_elements(By.ID, "f-id"))
    for field, value in (
        ("f-id", "northshire-reviews"),
        ("f-name", "Northshire SAB reviews"),
        ("f-url", feeds.url("/reviews/")),
        ("f-select-item", "li.review"),
        ("f-select-date", "time@datetime"),
        ("f-select-summary", "p.teaser"),
    ):
        find(By.ID, field).send_keys(value)
    Select(find(By.ID, "f-type")).select_by_value("html")
    Select(find(By.ID, "f-category")).select_by_value("reviews")
    submit(
        find(By.CSS_SELECTOR, "button[value=preview]"),
        lambda d: d.find_elements(By.ID, "preview-heading"),
    )
    previewed = [e.text for e in find_all(By.CSS_SELECTOR, ".preview-title")]
    assert previewed == [
        "SAR Adult K: learning for all agencies",
        "SAR Adult L: self-neglect",
        "SAR Adult M: transitions",
    ]
    assert service.watcher.current.source("northshire-reviews") is None  # preview saved nothing

    submit(
        find(By.CSS_SELECTOR, "button[value=save]"),
        flash_says("Source northshire-reviews added."),
    )
    assert 'id = "northshire-reviews"' in service.sources_path.read_text()
    browser.save_screenshot(str(SCREENSHOT))
    row = find(By.ID, "source-northshire-reviews")
    submit(
        row.find_element(By.CSS_SELECTOR, "button[name=poll]"),
        flash_says("Polled northshire-reviews: "),
    )
    # "3 new", unless the scheduler's own tick polled the new source first.
    assert "failed" not in find(By.CSS_SELECTOR, ".flash").text
    assert "SAR Adult K: learning for all agencies" in fetch(base + "/all.atom")

    browser.get(base + "/admin/items?q=Adult+K")
    rows = find_all(By.CSS_SELECTOR, "tbody tr")
    assert len(rows) == 1
    submit(rows[0].find_element(By.CSS_SELECTOR, "button[name=hide]"), flash_says("hidden"))

    atom = fetch(base + "/all.atom")
    assert "SAR Adult K" not in atom and "SAR Adult L: self-neglect" in atom
    browser.get(base + "/latest.html")
    shown = find(By.TAG_NAME, "body").text
    assert "SAR Adult L: self-neglect" in shown and "SAR Adult K" not in shown
