"""A citizen files an appeal with a photo through the portal form; the moderator sees the photo,
re-categorises the appeal and accepts it; the citizen sees the new topic and status on the card."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select
from test_citizen_journey import path_is, text_contains, until
from test_staff_journey import sign_in


def write_photo(path: Path, width: int = 64, height: int = 48) -> Path:
    """A real PNG (a colour gradient), so the browser has an image to decode and show."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    rows = b"".join(
        b"\x00" + b"".join(bytes((x * 4 % 256, y * 5 % 256, 128)) for x in range(width)) for y in range(height))
    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)) \
        + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")
    path.write_bytes(png)
    return path


def image_shown(driver: WebDriver, selector: str) -> bool:
    """True when the image at `selector` loaded and decoded (a broken image has naturalWidth 0)."""
    return bool(driver.execute_script(
        "const img = document.querySelector(arguments[0]);"
        "return img !== null && img.complete && img.naturalWidth > 0;", selector))


def test_citizen_files_moderator_recategorises_citizen_sees_it(server: str, driver: WebDriver, tmp_path: Path) -> None:
    photo = write_photo(tmp_path / "фото-телефона.png")
    sign_in(driver, server, "citizen@consumerdesk.test")
    driver.get(f"{server}/appeals/new?q=возврат+денег")
    until(driver, EC.presence_of_element_located((By.CSS_SELECTOR, "a[data-code='trade-refund-defective']")),
          "the topic in the search results").click()
    form = until(driver, EC.presence_of_element_located((By.ID, "appeal-form")), "form#appeal-form")
    form.find_element(By.ID, "text").send_keys("Коллекторы звонят по ночам и угрожают, хотя долг погашен.")
    Select(form.find_element(By.ID, "territoryId")).select_by_visible_text("Город-герой Волгоград")
    driver.execute_script("document.getElementById('q-purchaseDate').value = '2026-10-01'")
    form.find_element(By.CSS_SELECTOR, "input[name='answers[claimFiled]'][value='нет']").click()
    form.find_element(By.ID, "attachments").send_keys(str(photo))
    form.find_element(By.ID, "consent").click()
    driver.find_element(By.ID, "appeal-submit").click()
    number = until(driver, EC.presence_of_element_located((By.ID, "appeal-number")), "the appeal card").text
    assert "На модерации" in driver.find_element(By.ID, "appeal-status").text
    assert "фото-телефона.png" in driver.find_element(By.ID, "appeal-attachments").text
    until(driver, lambda d: image_shown(d, "#appeal-attachments img"), "the photo shown on the citizen's card")
    card_url = driver.current_url

    driver.delete_all_cookies()
    sign_in(driver, server, "moderator@consumerdesk.test")
    driver.get(f"{server}/moderation")
    until(driver, EC.presence_of_element_located((By.LINK_TEXT, number)), f"{number} in the queue").click()
    form = until(driver, EC.presence_of_element_located((By.ID, "recategorise-form")), "the recategorise form")
    until(driver, lambda d: image_shown(d, "#appeal-attachments img"), "the photo shown to the moderator")
    Select(form.find_element(By.ID, "subcategoryCode")).select_by_value("financial-services-collectors")
    driver.find_element(By.ID, "recategorise-submit").click()
    until(driver, text_contains((By.ID, "flash"), "сохранено"), "the decision saved")
    until(driver, EC.element_to_be_clickable((By.ID, "accept-submit")), "the accept button").click()
    until(driver, path_is("/moderation"), "back to the queue")

    driver.delete_all_cookies()
    sign_in(driver, server, "citizen@consumerdesk.test")
    driver.get(card_url)
    until(driver, text_contains((By.ID, "appeal-status"), "Направлено исполнителю"), "the new status")
    assert "Коллекторы" in driver.find_element(By.ID, "appeal-subcategory").text or \
        "коллектор" in driver.find_element(By.ID, "appeal-subcategory").text.lower()
    assert "уточнил тему" in driver.find_element(By.ID, "appeal-timeline").text
