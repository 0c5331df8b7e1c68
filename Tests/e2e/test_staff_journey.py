"""A platform administrator signs in with a demo account, opens an organisation, adds a staff member;
the new employee confirms the address from the welcome letter and signs in. An organisation-scoped
administrator is refused another organisation's staff form."""

from __future__ import annotations

import uuid

from conftest import mail_text, wait_for_mail
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support import expected_conditions as EC
from test_citizen_journey import fill, open_form, path_is, submit, text_contains, until
import re


def sign_in(driver: WebDriver, base: str, login: str, password: str = "demo2026") -> None:
    form = open_form(driver, f"{base}/login", "login-form")
    fill(form, {"login": login, "password": password})
    submit(driver, form, "login-submit")
    until(driver, path_is("/account"), f"/account after signing in as {login}")


def test_admin_adds_staff_who_then_signs_in(server: str, driver: WebDriver) -> None:
    sign_in(driver, server, "admin@consumerdesk.test")
    driver.get(f"{server}/admin/organisations")
    link = until(
        driver, EC.presence_of_element_located((By.PARTIAL_LINK_TEXT, "в городе Камышине")), "the Kamyshin department"
    )
    link.click()
    until(driver, EC.presence_of_element_located((By.ID, "new-staff")), "the «add staff» button").click()

    email = f"staff-{uuid.uuid4().hex[:10]}@example.test"
    form = until(driver, EC.presence_of_element_located((By.ID, "staff-form")), "form#staff-form")
    fill(form, {"surname": "Григорьев", "name": "Антон", "email": email, "password": "Kv7pLq2Zr9x"})
    form.find_element(By.CSS_SELECTOR, "input[name='roles[]'][value='executor']").click()
    submit(driver, form, "staff-submit")
    until(driver, text_contains((By.ID, "flash"), "сохранены"), "#flash after creating the account")
    assert "Исполнитель" in driver.find_element(By.ID, "grants").text

    letter = wait_for_mail(email, "учётная запись")
    match = re.search(re.escape(server) + r"/confirm-email\?token=\S+", mail_text(letter))
    assert match, mail_text(letter)
    driver.delete_all_cookies()
    driver.get(match.group(0))
    until(driver, text_contains((By.ID, "flash"), "подтвержд"), "the address confirmed")
    sign_in(driver, server, email, "Kv7pLq2Zr9x")
    assert "Григорьев Антон" in driver.find_element(By.ID, "user-name").text


def test_scoped_admin_is_refused_another_organisation(server: str, driver: WebDriver) -> None:
    sign_in(driver, server, "admin.volgograd@consumerdesk.test")
    driver.get(f"{server}/admin/organisations")
    link = until(
        driver, EC.presence_of_element_located((By.PARTIAL_LINK_TEXT, "в городе Волжском")), "the Volzhsky department"
    )
    link.click()
    until(driver, EC.presence_of_element_located((By.ID, "organisation-form")), "the organisation page")
    assert not driver.find_elements(By.ID, "new-staff"), "a scoped admin sees «add staff» elsewhere"
    assert not driver.find_elements(By.ID, "organisation-submit"), "a scoped admin may save another organisation"
    driver.get(driver.current_url + "/staff/new")
    until(driver, text_contains((By.TAG_NAME, "h1"), "Доступ запрещён"), "the 403 page")
