"""Sign-in through Госуслуги, played by oidc-provider-mock on 127.0.0.1: the citizen clicks «Войти через
Госуслуги», picks themselves on the provider's page, and comes back signed in to a new account that has
their name; a refusal at the provider, and a return the site did not start, end on a clear page."""

from __future__ import annotations

from conftest import OIDC_USER
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support import expected_conditions as EC
from test_citizen_journey import until


def test_a_citizen_signs_in_with_the_provider(server: str, driver: WebDriver) -> None:
    driver.get(f"{server}/login?next=/account")
    until(driver, EC.element_to_be_clickable((By.ID, "oidc-sign-in")), "the provider's button").click()
    # The provider's own page: the predefined person.
    pick = until(
        driver, EC.element_to_be_clickable((By.CSS_SELECTOR, f"button[name=sub][value='{OIDC_USER['sub']}']")),
        "the provider's user button")
    pick.click()
    # A first sign-in: consent to the processing of personal data, as at registration.
    until(driver, EC.element_to_be_clickable((By.ID, "consent")), "the consent box").click()
    driver.find_element(By.ID, "oidc-consent-submit").click()
    until(driver, EC.url_to_be(f"{server}/account"), "back on the account page")
    body = driver.find_element(By.TAG_NAME, "body").text
    assert "Иванова" in body and "Мария" in body, body[:500]

    # In a fresh browser session again: the same account, with the name it got the first time.
    driver.delete_all_cookies()
    driver.get(f"{server}/login")
    until(driver, EC.element_to_be_clickable((By.ID, "oidc-sign-in")), "the provider's button").click()
    until(
        driver, EC.element_to_be_clickable((By.CSS_SELECTOR, f"button[name=sub][value='{OIDC_USER['sub']}']")),
        "the provider's user button").click()
    until(driver, EC.url_contains("/account"), "the account page again")
    assert "Иванова" in driver.find_element(By.TAG_NAME, "body").text


def test_a_refusal_and_a_forged_return_end_on_a_clear_page(server: str, driver: WebDriver) -> None:
    driver.delete_all_cookies()
    driver.get(f"{server}/login")
    until(driver, EC.element_to_be_clickable((By.ID, "oidc-sign-in")), "the provider's button").click()
    until(driver, EC.element_to_be_clickable((By.CSS_SELECTOR, "button[name=action][value=deny]")), "deny").click()
    error = until(driver, EC.presence_of_element_located((By.ID, "oidc-error")), "the refusal page")
    assert "отменён" in error.text, error.text

    driver.get(f"{server}/auth/oidc/callback?code=forged&state=forged")
    error = until(driver, EC.presence_of_element_located((By.ID, "oidc-error")), "the refusal page")
    assert "устарела" in error.text, error.text
    driver.get(f"{server}/account")
    assert "/login" in driver.current_url
