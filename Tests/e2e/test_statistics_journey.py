"""Statistics in a real browser: an operator records a hotline call with money returned and a visit to
the reception; the curator opens the dashboard for this month, follows the sphere chart to the contacts
behind the bar, opens the official report and downloads it. openpyxl reads the XLSX and finds the totals
as numbers equal to the dashboard's; the CSV round-trips Cyrillic."""

from __future__ import annotations

import csv
import io
import re
import urllib.request

import openpyxl
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select
from test_citizen_journey import path_is, text_contains, until
from test_staff_journey import sign_in


def _download(driver: WebDriver, url: str) -> bytes:
    """Fetches a file with the browser's session cookie (headless downloads are awkward to catch)."""
    cookie = "; ".join(f"{c['name']}={c['value']}" for c in driver.get_cookies())
    request = urllib.request.Request(url, headers={"Cookie": cookie})
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 200, response.status
        return response.read()


def _number(text: str) -> float:
    """«1 234», «2 500,00 ₽» → 1234, 2500.0."""
    cleaned = re.sub(r"[^\d,.-]", "", text).replace(",", ".")
    return float(cleaned)


def test_contacts_dashboard_drill_down_and_report_downloads(server: str, driver: WebDriver) -> None:
    sign_in(driver, server, "operator@consumerdesk.test")
    driver.get(f"{server}/contacts")
    form = until(driver, EC.presence_of_element_located((By.ID, "contact-form")), "the contact form")
    Select(form.find_element(By.ID, "contact-kind")).select_by_value("hotline")
    Select(form.find_element(By.ID, "contact-sphere")).select_by_visible_text("Жилищно-коммунальные услуги")
    Select(form.find_element(By.ID, "contact-help")).select_by_visible_text("Помощь в составлении претензии")
    Select(form.find_element(By.ID, "contact-result")).select_by_visible_text("Удовлетворено добровольно")
    form.find_element(By.ID, "contact-money").send_keys("2 500")
    driver.find_element(By.ID, "contact-submit").click()
    until(driver, text_contains((By.ID, "flash"), "учтён"), "the call recorded")
    form = until(driver, EC.presence_of_element_located((By.ID, "contact-form")), "the form again")
    Select(form.find_element(By.ID, "contact-kind")).select_by_value("reception")
    Select(form.find_element(By.ID, "contact-sphere")).select_by_visible_text("Торговля")
    driver.find_element(By.ID, "contact-submit").click()
    until(driver, text_contains((By.ID, "recent-contacts"), "Личный приём"), "the visit in the recent list")

    driver.delete_all_cookies()
    sign_in(driver, server, "curator@consumerdesk.test")
    driver.get(f"{server}/stats")
    until(driver, EC.presence_of_element_located((By.LINK_TEXT, "Этот месяц")), "the presets").click()
    tile = until(driver, EC.presence_of_element_located((By.CSS_SELECTOR, "#tile-contacts .stat-tile-value")), "the contacts tile")
    contacts = _number(tile.text)
    assert contacts >= 2, tile.text
    chart = driver.find_element(By.ID, "chart-by-sphere")
    assert chart.get_attribute("role") == "img"
    assert "Жилищно-коммунальные услуги" in chart.find_element(By.TAG_NAME, "desc").get_attribute("textContent")

    # The bar of the housing sphere leads to what it counted.
    bar = driver.find_element(By.CSS_SELECTOR, "#chart-by-sphere a[href*='value=housing']")
    driver.execute_script("arguments[0].dispatchEvent(new MouseEvent('click', {bubbles: true}))", bar)
    until(driver, path_is("/stats/appeals"), "the drill-down page")
    until(driver, text_contains((By.ID, "drill-title"), "Жилищно-коммунальные услуги"), "the sphere in the title")
    table = driver.find_element(By.ID, "drill-contacts")
    assert "Горячая линия" in table.text and "Помощь в составлении претензии" in table.text, table.text

    driver.find_element(By.ID, "stats-back").click()
    until(driver, EC.presence_of_element_located((By.ID, "official-report-link")), "the dashboard again").click()
    until(driver, EC.presence_of_element_located((By.ID, "official-table")), "the official report")
    xlsx_url = driver.find_element(By.ID, "download-xlsx").get_attribute("href")
    csv_url = driver.find_element(By.ID, "download-csv").get_attribute("href")

    workbook = openpyxl.load_workbook(io.BytesIO(_download(driver, xlsx_url)))
    sheet = workbook["Сведения"]
    assert sheet["A1"].value == "Сведения о работе по защите прав потребителей"
    assert sheet.freeze_panes == "B4"
    headers = [cell.value for cell in sheet[3]]
    total = next(row for row in sheet.iter_rows(min_row=4, values_only=True) if row[0] == "Итого")
    assert isinstance(total[1], (int, float)) and total[1] == contacts, (total, contacts)
    money = total[headers.index("Возвращено добровольно, ₽")]
    assert isinstance(money, (int, float)) and money >= 2500, total
    housing = next(row for row in sheet.iter_rows(min_row=4, values_only=True) if row[0] == "Жилищно-коммунальные услуги")
    assert housing[headers.index("Помощь в составлении претензии")] >= 1, housing
    assert "Сроки" in workbook.sheetnames

    data = _download(driver, csv_url)
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["Сведения о работе по защите прав потребителей"]
    assert rows[2][0] == "Сфера" and rows[2][1] == "Всего обращений и консультаций"
    csv_total = next(row for row in rows if row and row[0] == "Итого")
    assert int(csv_total[1]) == contacts
