"""A citizen files an appeal through the portal form; the moderator re-categorises it and accepts it;
the citizen sees the new topic and status on the appeal's card. (Attachments come with the next step
of the intake issue.)"""

from __future__ import annotations

from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select
from test_citizen_journey import path_is, text_contains, until
from test_staff_journey import sign_in


def test_citizen_files_moderator_recategorises_citizen_sees_it(server: str, driver: WebDriver) -> None:
    sign_in(driver, server, "citizen@consumerdesk.test")
    driver.get(f"{server}/appeals/new?q=возврат+денег")
    until(driver, EC.presence_of_element_located((By.CSS_SELECTOR, "a[data-code='trade-refund-defective']")),
          "the topic in the search results").click()
    form = until(driver, EC.presence_of_element_located((By.ID, "appeal-form")), "form#appeal-form")
    form.find_element(By.ID, "text").send_keys("Коллекторы звонят по ночам и угрожают, хотя долг погашен.")
    Select(form.find_element(By.ID, "territoryId")).select_by_visible_text("Город-герой Волгоград")
    driver.execute_script("document.getElementById('q-purchaseDate').value = '2026-10-01'")
    form.find_element(By.CSS_SELECTOR, "input[name='answers[claimFiled]'][value='нет']").click()
    form.find_element(By.ID, "consent").click()
    driver.find_element(By.ID, "appeal-submit").click()
    number = until(driver, EC.presence_of_element_located((By.ID, "appeal-number")), "the appeal card").text
    assert "На модерации" in driver.find_element(By.ID, "appeal-status").text
    card_url = driver.current_url

    driver.delete_all_cookies()
    sign_in(driver, server, "moderator@consumerdesk.test")
    driver.get(f"{server}/moderation")
    until(driver, EC.presence_of_element_located((By.LINK_TEXT, number)), f"{number} in the queue").click()
    form = until(driver, EC.presence_of_element_located((By.ID, "recategorise-form")), "the recategorise form")
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
