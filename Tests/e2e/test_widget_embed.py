"""The widget on another site, in a real browser: the admin allows a municipal site, the site's page
(served here from another origin) carries the one-line script, a visitor clicks «Сообщить о проблеме»,
files an appeal inside the frame and gets its number. Chromium enforces the frame's CSP
(frame-ancestors), so the frame only loads because the site is on the list."""

from __future__ import annotations

import http.server
import re
import socket
import threading
from pathlib import Path

from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select
from test_citizen_journey import fill, open_form, submit, tick, until
from test_staff_journey import sign_in


def _serve(directory: Path) -> tuple[http.server.ThreadingHTTPServer, int]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    handler = lambda *args: http.server.SimpleHTTPRequestHandler(*args, directory=str(directory))  # noqa: E731
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd, port


def test_a_visitor_files_through_the_widget_on_a_municipal_site(server: str, driver: WebDriver, tmp_path: Path) -> None:
    site_dir = tmp_path / "site"
    site_dir.mkdir()
    httpd, port = _serve(site_dir)
    site = f"http://localhost:{port}"
    try:
        sign_in(driver, server, "admin@consumerdesk.test")
        form = open_form(driver, f"{server}/admin/widget", "widget-site-form")
        fill(form, {"origin": site})
        submit(driver, form, "widget-site-submit")
        until(driver, EC.text_to_be_present_in_element((By.ID, "widget-sites"), site), "the site in the list")
        snippets = driver.find_element(By.CSS_SELECTOR, "dl.snippets").text
        match = re.search(r"Администрация городского округа — город Волжский\s+(<script[^\n]+</script>)", snippets)
        assert match, snippets[:500]
        (site_dir / "index.html").write_text(
            "<!doctype html><html lang=\"ru\"><head><meta charset=\"utf-8\"><title>Администрация г. Волжского</title></head>"
            f"<body><h1>Администрация города Волжского</h1><p>Обращения граждан</p>{match.group(1)}</body></html>",
            encoding="utf-8",
        )

        driver.get(f"{site}/index.html")
        until(driver, EC.element_to_be_clickable((By.CLASS_NAME, "consumerdesk-widget-button")), "the widget button").click()
        frame = until(driver, EC.presence_of_element_located((By.CLASS_NAME, "consumerdesk-widget-frame")), "the frame")
        driver.switch_to.frame(frame)
        choose = until(driver, EC.presence_of_element_located((By.ID, "widget-choose")), "the topic choice in the frame")
        Select(choose.find_element(By.NAME, "subcategory")).select_by_value("trade-refund-defective")
        submit(driver, choose, "widget-next")
        card = until(driver, EC.presence_of_element_located((By.ID, "widget-form")), "the card in the frame")
        fill(card, {"surname": "Морозова", "name": "Елена", "email": "elena@example.ru", "text": "Не вернули деньги за кофеварку."})
        driver.execute_script("arguments[0].value = '2026-11-02';", card.find_element(By.NAME, "answers[purchaseDate]"))
        Select(card.find_element(By.NAME, "answers[claimFiled]")).select_by_value("да")
        tick(driver, card.find_element(By.NAME, "consent"))
        submit(driver, card, "widget-submit")
        number = until(driver, EC.presence_of_element_located((By.ID, "widget-number")), "the appeal number").text
        assert re.fullmatch(r"\d{2}-\d{4}-\d{6}", number), number
        driver.switch_to.default_content()
        # The visitor closes the dialog and is back on the municipal page.
        driver.find_element(By.CLASS_NAME, "consumerdesk-widget-close").click()
        until(driver, EC.invisibility_of_element_located((By.CLASS_NAME, "consumerdesk-widget-dialog")), "the dialog closed")

        # Staff see it in the moderation queue.
        driver.get(f"{server}/")
        driver.delete_all_cookies()
        sign_in(driver, server, "moderator@consumerdesk.test")
        driver.get(f"{server}/moderation")
        until(driver, EC.presence_of_element_located((By.TAG_NAME, "main")), "the moderation queue")
        assert number in driver.page_source
    finally:
        httpd.shutdown()
