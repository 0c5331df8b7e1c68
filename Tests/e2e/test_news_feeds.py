"""News as readers take it: the editor publishes in the browser, and PyPI's feedparser reads the RSS 2.0
and Atom feeds (all and per sphere) with no bozo flag and the right items."""

from __future__ import annotations

import feedparser
import requests
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support import expected_conditions as EC
from test_citizen_journey import fill, open_form, submit, until
from test_staff_journey import sign_in


def publish(driver: WebDriver, server: str, title: str, sphere: str, at: str) -> None:
    form = open_form(driver, f"{server}/editor/news/new", "news-form")
    fill(form, {"title": title, "summary": f"Кратко: {title}", "body": f"## {title}\n\nПодробности & детали."})
    driver.execute_script("arguments[0].value = arguments[1]", form.find_element(By.ID, "publishAt"), at)
    if sphere:
        driver.execute_script("arguments[0].value = arguments[1]", form.find_element(By.ID, "sphere"), sphere)
    form.find_element(By.ID, "published").click()
    submit(driver, form, "save-news")
    until(driver, EC.presence_of_element_located((By.ID, "view-news")), "the saved news item")


def test_feeds_read_cleanly_with_the_right_items(server: str, driver: WebDriver) -> None:
    sign_in(driver, server, "editor@consumerdesk.test")
    publish(driver, server, "Семинар для потребителей «Покупки в интернете»", "trade", "2026-02-01T10:00")
    publish(driver, server, "Приём граждан в общественной приёмной", "", "2026-02-03T09:30")

    rss = feedparser.parse(requests.get(f"{server}/news/rss.xml", timeout=30).content)
    assert not rss.bozo, rss.get("bozo_exception")
    assert rss.version == "rss20"
    titles = [entry.title for entry in rss.entries]
    assert titles[:2] == ["Приём граждан в общественной приёмной", "Семинар для потребителей «Покупки в интернете»"], titles
    assert rss.entries[0].link.startswith(server + "/news/")
    assert rss.entries[1].published_parsed[:4] == (2026, 2, 1, 7), "10:00 in Volgograd is 07:00 UTC"

    atom = feedparser.parse(requests.get(f"{server}/news/atom.xml?sphere=trade", timeout=30).content)
    assert not atom.bozo, atom.get("bozo_exception")
    assert atom.version == "atom10"
    assert [entry.title for entry in atom.entries] == ["Семинар для потребителей «Покупки в интернете»"]
    assert atom.entries[0].summary == "Кратко: Семинар для потребителей «Покупки в интернете»"

    # The page offers the feeds and a preview for social networks.
    driver.get(f"{server}/news")
    assert driver.find_element(By.ID, "rss-link").get_attribute("href").endswith("/news/rss.xml")
    driver.find_element(By.LINK_TEXT, "Семинар для потребителей «Покупки в интернете»").click()
    og = driver.find_element(By.CSS_SELECTOR, "meta[property='og:title']").get_attribute("content")
    assert og == "Семинар для потребителей «Покупки в интернете»"
