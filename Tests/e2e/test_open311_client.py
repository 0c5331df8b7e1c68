"""Open311 with a client nobody wrote for us: the admin issues a partner key in the browser, the
partner files a request with a plain form POST (GeoReport v2 as the specification shows it), and PyPI's
unmodified `georeport` client lists the services, reads a definition and follows the request in JSON
and XML."""

from __future__ import annotations

import requests
from georeport import GeoReport
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support import expected_conditions as EC
from test_citizen_journey import fill, open_form, submit, until
from test_staff_journey import sign_in


def test_a_partner_files_and_a_stock_client_follows(server: str, driver: WebDriver) -> None:
    sign_in(driver, server, "admin@consumerdesk.test")
    form = open_form(driver, f"{server}/admin/partners", "partner-form")
    fill(form, {"name": "Приложение «Город без проблем»", "contact": "dev@city.example"})
    submit(driver, form, "partner-submit")
    key = until(driver, EC.presence_of_element_located((By.ID, "api-key")), "the issued key").text.strip()
    assert key.startswith("o311_")

    endpoint = f"{server}/open311/v2"
    client = GeoReport(endpoint, api_key=key)
    services = client.get_service_list()
    codes = {service["service_code"] for service in services}
    assert "trade-refund-defective" in codes
    definition = client.get_service_definition("trade-refund-defective")
    required = [a["code"] for a in definition["attributes"] if a["required"]]
    assert required == ["purchaseDate", "claimFiled"]

    filed = requests.post(
        f"{endpoint}/requests.json",
        data={
            "api_key": key, "service_code": "trade-refund-defective", "lat": "48.786", "long": "44.752",
            "first_name": "Ольга", "last_name": "Петрова", "email": "olga@example.ru",
            "description": "Магазин не возвращает деньги за неисправный пылесос.",
            "attribute[purchaseDate]": "2026-10-20", "attribute[claimFiled]": "да", "jurisdiction_id": "",
        },
        timeout=30,
    )
    assert filed.status_code == 201, filed.text
    number = filed.json()[0]["service_request_id"]

    followed = client.get_service_request(number)
    assert followed["status"] == "open"
    assert followed["service_code"] == "trade-refund-defective"
    assert followed["address_id"] == "vlg-volzhsky"
    assert followed["description"] is None  # the public sees no citizen's words
    listed = client.get_service_requests(status="open", service_code="trade-refund-defective")
    assert number in [request["service_request_id"] for request in listed]

    xml_client = GeoReport(endpoint, output_format="xml")
    assert any(service["service_code"] == "trade-refund-defective" for service in xml_client.get_service_list())
    one = xml_client.get_service_request(number)
    assert one["service_request_id"] == number and one["status"] == "open"
    assert one["agency_responsible"], one  # routed to the Volzhsky department at once
