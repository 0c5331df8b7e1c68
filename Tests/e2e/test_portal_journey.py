"""The citizen portal in a real browser: search with an inflected query, an FAQ answer and its vote, a
claim composed through the guided form and downloaded as DOCX (opened with python-docx), the version
for the visually impaired, keyboard use, phones, and axe-core on the main pages.

HTML contract these tests rely on (the server implements it):
  /                 form#home-search with input#home-q; a#make-claim; section#consultation
  /search?q=        ol#search-results with links to /faq/<slug> and /kb/<sphere>/<slug>; <mark> in snippets
  /faq/<slug>       #faq-answer, #faq-references, buttons #vote-yes / #vote-no, then #vote-thanks
  /claims           ul#claim-types with links /claims/<type>
  /claims/<type>    form#claim-form, one input per field named as ClaimField, .field-error#<field>-error,
                    submit #compose-claim
  /claims/d/<token> article#claim-document, a#download-docx, #penalty-total, a#attach-claim
  header            a#a11y-on; with the version for the visually impaired <html class="a11y …"> and
                    #a11y-panel with a#a11y-off
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

import docx
import pytest
from axe_selenium_python import Axe
from conftest import CHROME_ARGS, CHROME_PREFS, _require_env
from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select, WebDriverWait

WAIT = 15


@pytest.fixture
def downloads() -> Path:
    with tempfile.TemporaryDirectory(prefix="cd-downloads-") as folder:
        yield Path(folder)


@pytest.fixture
def browser(driver: WebDriver, downloads: Path) -> WebDriver:
    """The shared driver, allowed to save downloads into a fresh folder."""
    driver.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})
    return driver


def wait(driver: WebDriver, condition, timeout: float = WAIT):
    return WebDriverWait(driver, timeout).until(condition)


def fill(driver: WebDriver, name: str, value: str) -> None:
    field = driver.find_element(By.NAME, name)
    if field.get_attribute("type") == "date":
        # Typing into a date input depends on the browser's locale; set the ISO value as a person's picker would.
        driver.execute_script("arguments[0].value = arguments[1]", field, value)
    else:
        field.clear()
        field.send_keys(value)


def wait_for_download(folder: Path, suffix: str, timeout: float = 30) -> Path:
    deadline = time.time() + timeout
    while time.time() < deadline:
        done = [p for p in folder.iterdir() if p.name.endswith(suffix)]
        if done and not any(p.name.endswith(".crdownload") for p in folder.iterdir()):
            return done[0]
        time.sleep(0.2)
    raise AssertionError(f"no {suffix} downloaded into {folder}: {list(folder.iterdir())}")


def test_a_citizen_finds_an_answer_and_downloads_a_claim(server: str, browser: WebDriver, downloads: Path) -> None:
    driver = browser
    driver.get(server + "/")
    box = wait(driver, EC.presence_of_element_located((By.ID, "home-q")))
    box.send_keys("вернуть телефон")
    box.send_keys(Keys.ENTER)
    results = wait(driver, EC.presence_of_element_located((By.ID, "search-results")))
    assert results.find_elements(By.TAG_NAME, "mark"), "matching words are highlighted"
    faq_links = [a for a in results.find_elements(By.CSS_SELECTOR, "a[href*='/faq/']")]
    assert faq_links, "an inflected query finds the FAQ about returning phones"
    faq_links[0].click()

    answer = wait(driver, EC.presence_of_element_located((By.ID, "faq-answer")))
    assert "телефон" in driver.find_element(By.TAG_NAME, "h1").text.lower() or "телефон" in answer.text.lower()
    assert driver.find_element(By.ID, "faq-references").text.strip(), "the answer cites the law"
    driver.find_element(By.ID, "vote-yes").click()
    thanks = wait(driver, EC.presence_of_element_located((By.ID, "vote-thanks")))
    assert "Спасибо" in thanks.text
    assert driver.find_element(By.ID, "helpful-count").text.strip() != "0"

    driver.get(server + "/claims")
    wait(driver, EC.presence_of_element_located((By.ID, "claim-types")))
    driver.find_element(By.CSS_SELECTOR, "a[href='/claims/penalty-delay']").click()
    wait(driver, EC.presence_of_element_located((By.ID, "claim-form")))
    values = {
        "consumerName": "Иванова Мария Сергеевна",
        "consumerAddress": "г. Волгоград, ул. Мира, д. 1, кв. 2",
        "sellerName": "ООО «Техномир»",
        "sellerINN": "7707083894",  # a wrong check digit first
        "sellerAddress": "г. Волгоград, пр. Ленина, д. 10",
        "item": "смартфон Model X",
        "purchaseDate": "2026-01-15",
        "price": "-40000",
        "demandDate": "2026-02-02",
    }
    for name, value in values.items():
        fill(driver, name, value)
    Select(driver.find_element(By.NAME, "penaltyBase")).select_by_value("goods")
    Select(driver.find_element(By.NAME, "demandKind")).select_by_value("replacement")
    driver.find_element(By.ID, "compose-claim").click()

    inn_error = wait(driver, EC.presence_of_element_located((By.ID, "sellerINN-error")))
    assert "ИНН" in inn_error.text
    assert driver.find_element(By.ID, "price-error").text.strip()
    assert driver.find_element(By.NAME, "sellerINN").get_attribute("aria-invalid") == "true"
    fill(driver, "sellerINN", "7707083893")
    fill(driver, "price", "40 000")
    driver.find_element(By.ID, "compose-claim").click()

    document = wait(driver, EC.presence_of_element_located((By.ID, "claim-document")))
    assert "Техномир" in document.text and "ПРЕТЕНЗИЯ" in document.text
    assert "ст. 23" in document.text
    total = driver.find_element(By.ID, "penalty-total").text
    assert total.endswith("₽")
    assert driver.find_element(By.ID, "attach-claim").get_attribute("href").split("?")[0].endswith("/appeals/new")

    driver.find_element(By.ID, "download-docx").click()
    path = wait_for_download(downloads, ".docx")
    word = docx.Document(str(path))
    text = "\n".join(p.text for p in word.paragraphs).replace("\xa0", " ")
    total = total.replace("\xa0", " ")
    assert "Техномир" in text, "the seller"
    assert "ТРЕБУЮ" in text.upper() and total in text, "the demand with the penalty to date"
    assert "ст. 23" in text and "2300-1" in text, "the article references"


def test_the_version_for_the_visually_impaired_and_the_keyboard(server: str, driver: WebDriver) -> None:
    driver.get(server + "/faq")
    body = wait(driver, EC.presence_of_element_located((By.TAG_NAME, "body")))
    body.send_keys(Keys.TAB)
    focused = driver.switch_to.active_element
    assert focused.get_attribute("class") == "skip-link", "the first Tab reaches «Перейти к содержанию»"
    outline = driver.execute_script("return getComputedStyle(arguments[0]).outlineStyle", focused)
    assert outline != "none", "focus is visible"

    driver.find_element(By.ID, "a11y-on").click()
    wait(driver, EC.presence_of_element_located((By.ID, "a11y-panel")))
    classes = driver.find_element(By.TAG_NAME, "html").get_attribute("class")
    assert "a11y" in classes and "a11y-large" in classes
    base = float(driver.execute_script("return parseFloat(getComputedStyle(document.documentElement).fontSize)"))
    assert base >= 20, "larger type"
    driver.find_element(By.CSS_SELECTOR, "#a11y-panel a.a11y-wb").click()
    wait(driver, lambda d: "a11y-wb" in d.find_element(By.TAG_NAME, "html").get_attribute("class"))
    background = driver.execute_script("return getComputedStyle(document.body).backgroundColor")
    assert background in ("rgb(0, 0, 0)", "rgba(0, 0, 0, 1)"), background
    assert driver.current_url.endswith("/faq"), "switching keeps the page"
    _assert_no_serious_violations(driver, "/faq (white on black)")
    driver.find_element(By.ID, "a11y-off").click()
    wait(driver, lambda d: "a11y" not in (d.find_element(By.TAG_NAME, "html").get_attribute("class") or ""))


def test_pages_fit_a_phone(server: str, driver: WebDriver) -> None:
    driver.set_window_size(375, 800)
    for path in ["/", "/kb/trade", "/faq", "/claims", "/claims/defective-refund", "/search?q=" + "возврат"]:
        driver.get(server + path)
        wait(driver, EC.presence_of_element_located((By.ID, "main")))
        overflow = driver.execute_script("return document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 1, f"{path} scrolls sideways by {overflow}px on a phone"


MAIN_PAGES = [
    "/",
    "/kb",
    "/kb/trade",
    "/faq",
    "/claims",
    "/claims/defective-refund",
    "/search?q=%D0%B2%D0%B5%D1%80%D0%BD%D1%83%D1%82%D1%8C+%D1%82%D0%B5%D0%BB%D0%B5%D1%84%D0%BE%D0%BD",
    "/login",
    "/register",
    "/news",
    "/events",
    "/events?view=month",
]


def _assert_no_serious_violations(driver: WebDriver, where: str) -> None:
    axe = Axe(driver)
    axe.inject()
    # The axe-core this package ships knows WCAG 2.0 A/AA and best practices (no wcag21 tags).
    results = axe.run(options={"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "best-practice"]}})
    serious = [v for v in results["violations"] if v.get("impact") in ("serious", "critical")]
    assert not serious, f"{where}: " + "; ".join(
        f"{v['id']} ({v['impact']}): {v['help']} — " + ", ".join(str(n.get('target')) for n in v["nodes"][:3]) for v in serious
    )


def test_axe_finds_no_serious_violations_on_the_main_pages(server: str, driver: WebDriver) -> None:
    driver.get(server + "/kb/trade")
    wait(driver, EC.presence_of_element_located((By.ID, "main")))
    article = driver.find_element(By.CSS_SELECTOR, ".article-list a").get_attribute("href")
    driver.get(server + "/faq")
    faq = driver.find_element(By.CSS_SELECTOR, "#faq-list a").get_attribute("href")
    for url in [server + p for p in MAIN_PAGES] + [article, faq]:
        driver.get(url)
        wait(driver, EC.presence_of_element_located((By.ID, "main")))
        _assert_no_serious_violations(driver, url)
