"""The whole processing path in a real browser: a citizen files an appeal; the moderator accepts it;
the coordinator finds it in «Новые» and assigns the executor; the executor takes it and prepares the
answer; the manager approves; the citizen opens the rating link from the answer email without
signing in, the score is recorded at once, then adds a comment; the card shows the answer."""

from __future__ import annotations

import re

from conftest import mail_text, wait_for_mail
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select
from test_citizen_journey import path_is, text_contains, until
from test_staff_journey import sign_in


def test_moderator_coordinator_executor_manager_and_the_citizens_rating(server: str, driver: WebDriver) -> None:
    sign_in(driver, server, "citizen@consumerdesk.test")
    driver.get(f"{server}/appeals/new?q=возврат+денег")
    until(driver, EC.presence_of_element_located((By.CSS_SELECTOR, "a[data-code='trade-refund-defective']")),
          "the topic in the search results").click()
    form = until(driver, EC.presence_of_element_located((By.ID, "appeal-form")), "form#appeal-form")
    form.find_element(By.ID, "text").send_keys("Магазин «Техномир» не возвращает деньги за неисправный пылесос.")
    Select(form.find_element(By.ID, "territoryId")).select_by_visible_text("Ленинский муниципальный район")
    driver.execute_script("document.getElementById('q-purchaseDate').value = '2026-10-01'")
    form.find_element(By.CSS_SELECTOR, "input[name='answers[claimFiled]'][value='да']").click()
    form.find_element(By.ID, "consent").click()
    driver.find_element(By.ID, "appeal-submit").click()
    number = until(driver, EC.presence_of_element_located((By.ID, "appeal-number")), "the appeal card").text
    card_url = driver.current_url

    # Moderator: accept.
    driver.delete_all_cookies()
    sign_in(driver, server, "moderator@consumerdesk.test")
    driver.get(f"{server}/moderation/{number}")
    until(driver, EC.element_to_be_clickable((By.ID, "accept-submit")), "the accept button").click()
    until(driver, path_is("/moderation"), "back to the queue")

    # Coordinator: «Новые» has it with both countdowns; assign to the executor.
    driver.delete_all_cookies()
    sign_in(driver, server, "coordinator@consumerdesk.test")
    driver.get(f"{server}/desk")
    until(driver, text_contains((By.ID, "folder-new"), "1"), "one new appeal in the folder count")
    row = until(driver, EC.presence_of_element_located((By.CSS_SELECTOR, f"tr[data-number='{number}']")), "the row")
    assert " / до " in row.text, row.text
    row.find_element(By.LINK_TEXT, "Открыть").click()
    form = until(driver, EC.presence_of_element_located((By.ID, "assign-form")), "the assign form")
    Select(form.find_element(By.ID, "assign-executor")).select_by_visible_text("Волкова Елена Андреевна")
    driver.find_element(By.ID, "assign-submit").click()
    until(driver, text_contains((By.ID, "appeal-executor"), "Волкова"), "the executor on the card")

    # Executor: take, answer, send for approval.
    driver.delete_all_cookies()
    sign_in(driver, server, "executor@consumerdesk.test")
    driver.get(f"{server}/desk?folder=in_work")
    until(driver, EC.presence_of_element_located((By.CSS_SELECTOR, f"tr[data-number='{number}'] a")), "the executor's row").click()
    until(driver, EC.element_to_be_clickable((By.ID, "take-submit")), "take in work").click()
    until(driver, text_contains((By.ID, "flash"), "сохранено"), "taken")
    # An empty answer is refused with a message, and nothing changes.
    Select(driver.find_element(By.ID, "answer-outcome")).select_by_value("satisfied")
    driver.find_element(By.ID, "answer-submit").click()
    until(driver, EC.presence_of_element_located((By.ID, "action-error")), "the empty answer refused")
    driver.find_element(By.ID, "answer-text").send_keys("Продавец обязан вернуть деньги в течение 10 дней (ст. 22 ЗоЗПП).")
    Select(driver.find_element(By.ID, "answer-outcome")).select_by_value("satisfied")
    driver.find_element(By.ID, "answer-submit").click()
    until(driver, text_contains((By.ID, "appeal-status"), "Ответ на согласовании"), "sent for approval")

    # Manager: approve from «Подготовлен ответ».
    driver.delete_all_cookies()
    sign_in(driver, server, "manager@consumerdesk.test")
    driver.get(f"{server}/desk?folder=answer_prepared")
    until(driver, EC.presence_of_element_located((By.CSS_SELECTOR, f"tr[data-number='{number}'] a")), "the manager's row").click()
    until(driver, EC.element_to_be_clickable((By.ID, "approve-submit")), "approve").click()
    until(driver, text_contains((By.ID, "appeal-status"), "Дан ответ"), "answered")

    # Citizen: the email's link records the score without signing in.
    driver.delete_all_cookies()
    body = mail_text(wait_for_mail("citizen@consumerdesk.test", f"Ответ на обращение № {number}", body_contains=server))
    assert "в течение 10 дней" in body
    link = re.search(re.escape(server) + r"/rate/[A-Za-z0-9_-]+/4", body)
    assert link, f"no rating link in the answer email:\n{body}"
    driver.get(link.group(0))
    until(driver, text_contains((By.ID, "rate-recorded"), "4 из 5"), "the score recorded at once")
    driver.find_element(By.ID, "comment").send_keys("Спасибо, деньги вернули.")
    driver.find_element(By.ID, "rate-comment-submit").click()
    until(driver, EC.presence_of_element_located((By.ID, "rate-done")), "the comment saved")
    # The same link again only confirms the score.
    driver.get(link.group(0))
    until(driver, EC.presence_of_element_located((By.ID, "rate-done")), "the used link shows the result")

    sign_in(driver, server, "citizen@consumerdesk.test")
    driver.get(card_url)
    until(driver, text_contains((By.ID, "appeal-status"), "Закрыто"), "closed after rating")
    assert "в течение 10 дней" in driver.find_element(By.ID, "appeal-answer").text
    assert "4 из 5" in driver.find_element(By.ID, "appeal-answer").text
