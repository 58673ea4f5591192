"""The latest-news block as a person sees it: rendered by headless Chromium inside a page.

Needs the Debian packages `chromium` and `chromium-driver`: scripts/ensure-chromium.sh installs
them (`make test` runs it first). Nothing here downloads a browser.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from aggregator.config.types import DEFAULT_FEEDS, Settings
from aggregator.publish import render_block
from aggregator.publish.block import block_columns
from aggregator.publish.select import publication_order
from tests.fixtures.publish.support import by_id, load_items

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
SCREENSHOT = Path("/tmp/block.png")
SETTINGS = Settings(site_url="https://feeds.example-partnership.org.uk", block_items=4)
HOSTILE_TITLE = "Board update <script>window.__pwned = 'title'</script>"
HOSTILE_SUMMARY = (
    "<img src=x onerror=\"window.__pwned = 'summary'\"> Minutes of the January meeting"
)

PAGE = """<!doctype html>
<html lang="en-GB">
<head>
<meta charset="utf-8">
<title>Partner site</title>
<style>
  body {{ font-family: sans-serif; margin: 2rem; color: #222; }}
  .sg-latest {{ display: grid; grid-template-columns: 1fr 1fr; gap: 2rem; max-width: 60rem; }}
  .sg-latest__list {{ list-style: none; padding: 0; }}
  .sg-latest__entry {{ display: flex; gap: 1rem; margin-bottom: 1rem; }}
  .sg-latest__date {{ display: flex; flex-direction: column; align-items: center; min-width: 3.5rem;
    background: #1d4f91; color: #fff; border-radius: .3rem; padding: .3rem; }}
  .sg-latest__day {{ font-size: 1.5rem; font-weight: bold; }}
  .sg-latest__title {{ font-size: 1rem; margin: 0 0 .3rem; }}
  .sg-latest__summary {{ margin: 0; }}
</style>
</head>
<body>
<h1>Partner site</h1>
{fragment}
</body>
</html>
"""


def _skip_loudly(reason: str) -> None:
    pytest.skip(f"BROWSER TEST NOT RUN: {reason}. Run scripts/ensure-chromium.sh (needs apt-get).")


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
        _skip_loudly(f"{CHROMIUM} or {CHROMEDRIVER} is missing")
    webdriver = pytest.importorskip(
        "selenium.webdriver", reason="BROWSER TEST NOT RUN: no selenium"
    )
    from selenium.webdriver.chrome.service import Service

    profile = Path(__import__("tempfile").mkdtemp(prefix="chromium-profile-"))
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in (
        "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run",
        "--window-size=1200,900", f"--user-data-dir={profile}",
    ):  # fmt: skip
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture(scope="module")
def page(browser: object, tmp_path_factory: pytest.TempPathFactory) -> object:
    items = sorted(load_items(), key=publication_order)
    hostile = replace(by_id(items, 104), id=900, title=HOSTILE_TITLE, summary=HOSTILE_SUMMARY)
    items = [hostile, *(i for i in items if i.id != 108)]
    fragment = render_block(block_columns(items, SETTINGS, DEFAULT_FEEDS), SETTINGS)
    path = tmp_path_factory.mktemp("block") / "page.html"
    path.write_text(PAGE.format(fragment=fragment), "utf-8")
    browser.get(path.as_uri())  # type: ignore[attr-defined]
    browser.save_screenshot(str(SCREENSHOT))  # type: ignore[attr-defined]
    return browser


def sections(driver: object) -> list:
    from selenium.webdriver.common.by import By

    return driver.find_elements(By.CSS_SELECTOR, "section")  # type: ignore[attr-defined,no-any-return]


def test_two_columns_with_their_headings(page: object) -> None:
    from selenium.webdriver.common.by import By

    headings = [s.find_element(By.TAG_NAME, "h2").text for s in sections(page)]
    assert headings == ["Latest News", "Training & Events"]
    news, training = sections(page)
    assert news.location["y"] == training.location["y"]  # side by side
    assert training.location["x"] > news.location["x"] + news.size["width"] / 2


def test_date_badges_show_month_over_day(page: object) -> None:
    from selenium.webdriver.common.by import By

    news, training = sections(page)
    articles = news.find_elements(By.TAG_NAME, "article")
    child_q = next(a for a in articles if "Child Q" in a.text)  # published 24 January
    badge = child_q.find_element(By.TAG_NAME, "time")
    assert badge.text.split() == ["Jan", "24"]
    month, day = badge.find_elements(By.TAG_NAME, "span")
    assert month.location["y"] < day.location["y"]  # stacked: month above day
    assert training.find_element(By.TAG_NAME, "time").text.split() == ["Mar", "4"]


def test_titles_are_links_to_the_original(page: object) -> None:
    from selenium.webdriver.common.by import By

    links = sections(page)[0].find_elements(By.CSS_SELECTOR, "article h3 a")
    texts = [link.text for link in links]
    assert "Child Safeguarding Practice Review: Child Q" in texts
    child_q = links[texts.index("Child Safeguarding Practice Review: Child Q")]
    assert child_q.get_attribute("href").startswith("https://www.gov.uk/government/publications/")


def test_long_summaries_are_cut_with_an_ellipsis(page: object) -> None:
    from selenium.webdriver.common.by import By

    summaries = [p.text for p in sections(page)[0].find_elements(By.CSS_SELECTOR, "article p")]
    cut = [s for s in summaries if s.endswith(" ...")]
    assert cut, summaries
    assert all(len(s) <= 84 for s in cut)
    assert "Free e-learning, available all year." in [
        p.text for p in sections(page)[1].find_elements(By.CSS_SELECTOR, "article p")
    ]


def test_hostile_markup_runs_no_script_and_shows_as_text(page: object) -> None:
    from selenium.webdriver.common.by import By

    assert page.execute_script("return typeof window.__pwned") == "undefined"  # type: ignore[attr-defined]
    assert page.find_elements(By.CSS_SELECTOR, "section script, section img") == []  # type: ignore[attr-defined]
    articles = sections(page)[0].find_elements(By.TAG_NAME, "article")
    hostile = next(a for a in articles if "Board update" in a.text)
    title = hostile.find_element(By.CSS_SELECTOR, "h3 a").text
    assert title == HOSTILE_TITLE
    summary = hostile.find_element(By.TAG_NAME, "p").text
    assert summary.startswith("<img src=x onerror=\"window.__pwned = 'summary'\"> Minutes")


def test_feed_links_are_offered(page: object) -> None:
    from selenium.webdriver.common.by import By

    hrefs = [
        a.get_attribute("href") for a in page.find_elements(By.CSS_SELECTOR, "a[rel=alternate]")
    ]  # type: ignore[attr-defined]
    assert hrefs == [
        "https://feeds.example-partnership.org.uk/reviews.atom",
        "https://feeds.example-partnership.org.uk/news.atom",
        "https://feeds.example-partnership.org.uk/training.atom",
    ]
