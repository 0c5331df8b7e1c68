"""A citizen registers, confirms the email from the SMTP sink, signs in and signs out.

HTML contract these tests rely on (the server implements it):
  /register       form#register-form: surname, name, patronymic, email, phone, password,
                  passwordConfirm, checkbox consent; submit #register-submit.
                  Success -> #flash containing «письмо». Bad input -> the same form with Russian
                  per-field errors in .field-error, nothing saved.
  mail            subject contains «Подтверждение»; text/plain body has <base>/confirm-email?token=...
  /confirm-email  #flash containing «подтвержд»
  /login          form#login-form: login (email or phone), password; submit #login-submit.
                  Success -> /account with #user-name = «Surname Name».
  header          form#logout-form with #logout-submit; signed out: a#login-link «Войти».
                  /account signed out -> redirect to /login.
"""

from __future__ import annotations

import re
import uuid
from urllib.parse import urlparse

from conftest import mail_text, read_mails, wait_for_mail
from selenium.common.exceptions import (
    ElementClickInterceptedException,
    ElementNotInteractableException,
    StaleElementReferenceException,
    TimeoutException,
    WebDriverException,
)
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

WAIT = 15  # seconds for any page change
STRONG_PASSWORD = "Kv7#pLq2-Zr9!mWx"
CYRILLIC = re.compile(r"[А-Яа-яЁё]")


# --- helpers -------------------------------------------------------------------------------------


def new_citizen() -> dict[str, str]:
    tag = uuid.uuid4().hex
    digits = f"{int(tag[:12], 16) % 10**9:09d}"
    return {
        "surname": "Иванова",
        "name": "Мария",
        "patronymic": "Петровна",
        "email": f"citizen-{tag}@example.test",
        "phone": f"+79{digits}",
        "password": STRONG_PASSWORD,
        "passwordConfirm": STRONG_PASSWORD,
    }


def until(driver: WebDriver, condition, what: str, timeout: float = WAIT):
    """WebDriverWait with a readable failure: what we waited for, where the browser is, what it shows."""
    try:
        return WebDriverWait(
            driver, timeout, ignored_exceptions=(StaleElementReferenceException,)
        ).until(condition)
    except TimeoutException:
        try:
            shown = driver.find_element(By.TAG_NAME, "body").text[:1500]
        except Exception:
            shown = "<no page>"
        raise AssertionError(
            f"timed out after {timeout} s waiting for {what}; at {driver.current_url}; page text:\n{shown}"
        ) from None


def text_contains(locator: tuple[str, str], needle: str):
    """Condition: the first element at locator exists and its text contains needle (case-insensitive)."""

    def check(d: WebDriver):
        found = d.find_elements(*locator)
        return found[0] if found and needle.lower() in found[0].text.lower() else False

    return check


def gone(element: WebElement):
    """Condition: the element left the document (the page changed). Chromium sometimes reports a node
    of the old page as «does not belong to the document» instead of stale; both mean the same here."""

    def check(_: WebDriver) -> bool:
        try:
            element.is_enabled()
            return False
        except StaleElementReferenceException:
            return True
        except WebDriverException as error:
            return "does not belong to the document" in str(error)

    return check


def path_is(path: str):
    return lambda d: urlparse(d.current_url).path == path


def open_form(driver: WebDriver, url: str, form_id: str) -> WebElement:
    driver.get(url)
    return until(driver, EC.presence_of_element_located((By.ID, form_id)), f"form#{form_id} at {url}")


def fill(form: WebElement, fields: dict[str, str]) -> None:
    for name, value in fields.items():
        field = form.find_element(By.NAME, name)
        field.clear()
        field.send_keys(value)


def tick(driver: WebDriver, checkbox: WebElement) -> None:
    if checkbox.is_selected():
        return
    try:
        checkbox.click()
    except (ElementNotInteractableException, ElementClickInterceptedException):
        driver.execute_script("arguments[0].click();", checkbox)  # a visually restyled checkbox
    assert checkbox.is_selected(), "the consent checkbox could not be ticked"


def submit(driver: WebDriver, form: WebElement, button_id: str) -> None:
    """Clicks the submit button and waits for the browser to leave the current page."""
    driver.find_element(By.ID, button_id).click()
    until(driver, gone(form), f"the page to change after clicking #{button_id}")


def register(driver: WebDriver, base: str, citizen: dict[str, str], server_side_only: bool = False) -> None:
    form = open_form(driver, f"{base}/register", "register-form")
    fill(form, citizen)
    tick(driver, form.find_element(By.NAME, "consent"))
    if server_side_only:
        # Skip the browser's own HTML5 checks (minlength, pattern...): this is about the server's answer.
        driver.execute_script("arguments[0].noValidate = true;", form)
    submit(driver, form, "register-submit")


def visible_field_errors(driver: WebDriver) -> list[str]:
    return [t for t in (e.text.strip() for e in driver.find_elements(By.CSS_SELECTOR, ".field-error")) if t]


def confirmation_link(base: str, to_addr: str) -> str:
    msg = wait_for_mail(to_addr, "Подтверждение")
    body = mail_text(msg)
    m = re.search(re.escape(base) + r"/confirm-email\?token=[^\s<>\"')\]]+", body)
    assert m, f"no {base}/confirm-email?token=... link in the confirmation mail:\n{body}"
    return m.group(0)


# --- tests ---------------------------------------------------------------------------------------


def test_register_confirm_sign_in_sign_out(server: str, driver: WebDriver) -> None:
    citizen = new_citizen()

    # Register.
    register(driver, server, citizen)
    until(driver, text_contains((By.ID, "flash"), "письмо"), "#flash saying a letter was sent («письмо»)")

    # Confirm the email through the link in the letter.
    link = confirmation_link(server, citizen["email"])
    driver.get(link)
    until(driver, text_contains((By.ID, "flash"), "подтвержд"), "#flash saying the email is confirmed")

    # Sign in with the email.
    form = open_form(driver, f"{server}/login", "login-form")
    fill(form, {"login": citizen["email"], "password": citizen["password"]})
    submit(driver, form, "login-submit")
    until(driver, path_is("/account"), "the redirect to /account after signing in")
    user_name = until(driver, EC.presence_of_element_located((By.ID, "user-name")), "#user-name on /account")
    assert " ".join(user_name.text.split()) == f"{citizen['surname']} {citizen['name']}"

    # Sign out from the page header.
    logout_form = until(
        driver, EC.presence_of_element_located((By.ID, "logout-form")), "form#logout-form in the header"
    )
    logout_form.find_element(By.ID, "logout-submit").click()
    until(driver, gone(logout_form), "the page to change after signing out")
    login_link = until(
        driver, EC.presence_of_element_located((By.CSS_SELECTOR, "a#login-link")), "a#login-link after signing out"
    )
    assert "Войти" in login_link.text
    assert not driver.find_elements(By.ID, "logout-form"), "still shows the sign-out form after signing out"

    # The account page is closed again.
    driver.get(f"{server}/account")
    until(driver, path_is("/login"), "the redirect from /account to /login when signed out")
    until(driver, EC.presence_of_element_located((By.ID, "login-form")), "form#login-form after the redirect")


def test_weak_and_mismatched_password_is_refused_in_russian(server: str, driver: WebDriver) -> None:
    citizen = new_citizen()
    bad = dict(citizen, password="12345", passwordConfirm="123456")

    register(driver, server, bad, server_side_only=True)
    until(driver, EC.presence_of_element_located((By.ID, "register-form")), "the registration form shown again")
    until(driver, lambda d: len(visible_field_errors(d)) >= 2, "errors under password and its confirmation")
    errors = visible_field_errors(driver)
    not_russian = [e for e in errors if not CYRILLIC.search(e)]
    assert not not_russian, f"field errors not in Russian: {not_russian} (all: {errors})"
    flash = driver.find_elements(By.ID, "flash")
    assert not (flash and "письмо" in flash[0].text.lower()), f"refused form still says a letter was sent: {flash[0].text}"
    assert read_mails(citizen["email"]) == [], "a mail was sent for a refused registration"

    # Nothing was saved: the same email and phone register fine now, and exactly one letter
    # (this one) reaches the address, so the refused attempt sent none either.
    register(driver, server, citizen)
    until(driver, text_contains((By.ID, "flash"), "письмо"), "#flash «письмо» when re-registering with valid data")
    wait_for_mail(citizen["email"], "Подтверждение")
    subjects = [str(m.get("Subject")) for m in read_mails(citizen["email"])]
    assert len(subjects) == 1, f"expected exactly one mail to {citizen['email']}, got {subjects}"
