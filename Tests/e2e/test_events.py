"""A public seminar as its organisers and visitors live it: the editor publishes a seminar with two seats in
the browser; three people sign up and the third waits; one cancels through the link in her letter, the
third is moved up and mailed; the .ics of the letter and of the page open in PyPI's icalendar at the
region's time, in the region's zone."""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
import requests
from conftest import mail_text, wait_for_mail
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select
from test_citizen_journey import fill, open_form, submit, text_contains, until
from test_portal_journey import _assert_no_serious_violations
from test_staff_journey import sign_in

ZONE = ZoneInfo("Europe/Volgograd")


def set_value(driver: WebDriver, form, name: str, value: str) -> None:
    """datetime-local fields take their value in one piece (typing depends on the browser's locale)."""
    driver.execute_script("arguments[0].value = arguments[1]", form.find_element(By.NAME, name), value)


def sign_up(driver: WebDriver, server: str, slug: str, name: str, email: str) -> str:
    """Signs up on the event's page and returns the result's heading."""
    driver.delete_all_cookies()
    form = open_form(driver, f"{server}/events/{slug}", "signup-form")
    fill(form, {"name": name, "email": email})
    form.find_element(By.ID, "consent").click()
    submit(driver, form, "signup-submit")
    return until(driver, EC.presence_of_element_located((By.ID, "signup-result")), "the sign-up's result").text


def ics_event(data: bytes):
    calendar = icalendar.Calendar.from_ical(data)
    events = list(calendar.walk("VEVENT"))
    assert len(events) == 1, events
    return events[0]


def assert_volgograd_time(event, start: datetime) -> None:
    dtstart = event.decoded("DTSTART")
    assert dtstart.tzinfo is not None, "a zoned time, not a floating one"
    assert getattr(dtstart.tzinfo, "key", str(dtstart.tzinfo)) == "Europe/Volgograd", dtstart.tzinfo
    assert dtstart == start, (dtstart, start)
    assert dtstart.utcoffset() == timedelta(hours=3)
    assert (dtstart.hour, dtstart.minute) == (start.hour, start.minute)


def test_seminar_with_two_seats_waiting_list_and_cancellation(server: str, driver: WebDriver) -> None:
    tag = uuid.uuid4().hex[:8]
    day = (datetime.now(ZONE) + timedelta(days=10)).date()
    start = datetime(day.year, day.month, day.day, 10, 30, tzinfo=ZONE)
    title = f"Семинар «Покупки в интернете» {tag}"

    # The editor publishes a seminar with two seats.
    sign_in(driver, server, "editor@consumerdesk.test")
    form = open_form(driver, f"{server}/editor/events/new", "event-form")
    fill(form, {"title": title, "place": "Волгоград, пр. Ленина, 50, зал 3", "capacity": "2",
                "description": "## Программа\n\nВозврат товара, купленного дистанционно."})
    Select(form.find_element(By.NAME, "audience")).select_by_value("public")
    Select(form.find_element(By.NAME, "format")).select_by_value("seminar")
    Select(form.find_element(By.NAME, "sphere")).select_by_value("trade")
    Select(form.find_element(By.NAME, "organisers[]")).select_by_visible_text("Управление Роспотребнадзора")
    set_value(driver, form, "startsAt", start.strftime("%Y-%m-%dT%H:%M"))
    set_value(driver, form, "endsAt", (start + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"))
    form.find_element(By.ID, "published").click()
    submit(driver, form, "save-event")
    view = until(driver, EC.presence_of_element_located((By.ID, "view-event")), "the saved event")
    slug = view.get_attribute("href").rsplit("/", 1)[-1]
    assert slug.endswith(day.isoformat()), slug

    # It is on the portal, in the list and in the month.
    driver.delete_all_cookies()
    driver.get(f"{server}/events")
    until(driver, text_contains((By.ID, "events-list"), title), "the seminar in the list")
    driver.get(f"{server}/events?view=month&month={day.year:04d}-{day.month:02d}")
    until(driver, text_contains((By.ID, "month-grid"), f"10:30 {title}"), "the seminar in the month")
    driver.get(f"{server}/events/{slug}")
    until(driver, EC.presence_of_element_located((By.ID, "signup-form")), "the sign-up form")
    _assert_no_serious_violations(driver, "the event's page")

    # Three people sign up: two seats, the third waits.
    people = [(f"Анна Петрова {tag}", f"anna-{tag}@example.test"), (f"Борис Орлов {tag}", f"boris-{tag}@example.test"),
              (f"Вера Ким {tag}", f"vera-{tag}@example.test")]
    assert sign_up(driver, server, slug, *people[0]) == "Вы записаны"
    assert sign_up(driver, server, slug, *people[1]) == "Вы записаны"
    assert sign_up(driver, server, slug, *people[2]) == "Вы в листе ожидания"
    assert "1-й в очереди" in driver.find_element(By.ID, "signup-done").text

    anna = wait_for_mail(people[0][1], "Вы записаны", body_contains=server)
    attachments = list(anna.iter_attachments())
    assert [a.get_filename() for a in attachments] == ["event.ics"], attachments
    assert attachments[0].get_content_type() == "text/calendar"
    assert_volgograd_time(ics_event(attachments[0].get_payload(decode=True)), start)
    waiting = wait_for_mail(people[2][1], "Лист ожидания", body_contains=server)
    assert not list(waiting.iter_attachments())

    # The page now says there are no seats left.
    driver.get(f"{server}/events/{slug}")
    until(driver, text_contains((By.ID, "event-seats"), "свободно: 0"), "no seats left")
    assert "в листе ожидания: 1" in driver.find_element(By.ID, "event-seats").text
    assert driver.find_element(By.ID, "waitlist-note").is_displayed()

    # Anna cancels through the link in her letter.
    link = re.search(r"https?://\S+/events/cancel/[A-Za-z0-9_-]+", mail_text(anna))
    assert link, mail_text(anna)
    driver.get(link.group(0))
    cancel = until(driver, EC.presence_of_element_located((By.ID, "cancel-form")), "the cancel form")
    submit(driver, cancel, "cancel-submit")
    until(driver, text_contains((By.ID, "cancel-result"), "Запись отменена"), "the cancellation confirmed")

    # Vera is moved up and mailed, with the .ics.
    moved = wait_for_mail(people[2][1], "Место освободилось", body_contains=server)
    files = [a for a in moved.iter_attachments() if a.get_filename() == "event.ics"]
    assert files, "the letter carries the .ics"
    event = ics_event(files[0].get_payload(decode=True))
    assert_volgograd_time(event, start)
    assert str(event.get("SUMMARY")) == title
    assert str(event.get("LOCATION")) == "Волгоград, пр. Ленина, 50, зал 3"

    # The editor sees who is coming.
    sign_in(driver, server, "editor@consumerdesk.test")
    driver.get(f"{server}/editor/events")
    driver.find_element(By.LINK_TEXT, title).click()
    table = until(driver, EC.presence_of_element_located((By.ID, "people-table")), "the people signed up")
    rows = {r.find_elements(By.TAG_NAME, "td")[0].text: r.find_elements(By.TAG_NAME, "td")[2].text
            for r in table.find_elements(By.CSS_SELECTOR, "tbody tr")}
    assert rows == {people[0][0]: "отменил запись", people[1][0]: "записан", people[2][0]: "записан"}, rows

    # The page's .ics and the sphere's feed open in icalendar too.
    page_ics = requests.get(f"{server}/events/{slug}/event.ics", timeout=30)
    assert page_ics.headers["Content-Type"].startswith("text/calendar")
    assert_volgograd_time(ics_event(page_ics.content), start)
    feed = icalendar.Calendar.from_ical(requests.get(f"{server}/events/calendar.ics?sphere=trade", timeout=30).content)
    assert title in [str(e.get("SUMMARY")) for e in feed.walk("VEVENT")]
