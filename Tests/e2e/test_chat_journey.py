"""The online consultation in real browsers (issue 7, «done when»).

1. Office hours (a server with CHAT_HOURS=always): the operator signs in, opens /operator and goes
   «На связи»; an anonymous citizen opens the home page, «Начать онлайн-консультацию», and is greeted by
   the operator by name. They talk; what the citizen types as HTML reaches the operator as text. After a
   reload (another page) the window shows the same conversation, nothing twice.
2. The operator turns the chat into an appeal («В обращение»: a topic, the card pre-filled with the
   citizen's name and words); back on /operator with «Обращение № … зарегистрировано», and the citizen's
   window says «По переписке зарегистрировано обращение № …». The citizen mails themselves a copy.
3. After hours (a second server with CHAT_HOURS=never): the bot greets with «нерабочее время», shows its
   menu, is unsure about an unknown question; an editor teaches it (/editor/bot, «Научить»), and the same
   question then gets the FAQ answer with «Источник:» and a link. «Оставить сообщение» turns the chat
   into an appeal from the window itself.
4. A message over 4,000 characters is refused in the browser with a Russian error and is not sent; the
   server refuses it too (`too_long`) when a client skips that check.

HTML contract (layout.leaf, chat/console.leaf, editor/bot.leaf, appeals/*.leaf; chat-widget.js,
operator.js): #start-consultation[data-open-chat], #chat-open, #chat-panel, form#chat-start (#chat-name,
#chat-email, #chat-first, #chat-begin), #chat-body, ol#chat-log > li.chat-msg[data-seq] .chat-text,
#chat-input, #chat-submit, #chat-error, #chat-menu buttons, #chat-leave, form#chat-appeal, #chat-mail,
form#chat-mail-form (#chat-mail-to); /operator: #presence-status, #presence-save, #presence-now,
#mine-list, ol#console-log, #console-input, #console-submit, a#to-appeal; /appeals/new: #chat-pending,
a[data-code], form#appeal-form, #chat-attached, #appeal-submit, #flash; /editor/bot: ol#bot-queue > li
with the question in <strong>, select[name=faq], «Научить».

Each scenario starts its own server (the time of day cannot be chosen); a failed test prints the tail of
that server's log, which is also copied to $E2E_ARTIFACTS (chat-office.log, chat-night.log).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
import uuid
from pathlib import Path

import pytest
from conftest import (
    _REPORTS,
    ARTIFACTS,
    REPO_ROOT,
    _free_port,
    _require_env,
    _safe_name,
    _stop,
    _tail,
    _wait_ready,
    mail_text,
    new_chrome,
    spawn_server,
    wait_for_mail,
)
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select
from test_citizen_journey import path_is, text_contains, tick, until
from test_staff_journey import sign_in

WAIT = 15  # seconds for anything to appear (WebDriverWait)
QUIET = 2.0  # seconds of nothing new that show a message was not sent
GREETING = "Здравствуйте! Меня зовут Татьяна. Чем могу Вам помочь?"
UNKNOWN_QUESTION = "почему соседская собака лает по ночам"
CAPITAL_REPAIR = "housing-capital-repair"  # a topic without required extra questions


def cyrillic_tag(tag: str) -> str:
    """A run's tag in letters only: names on an appeal card are letters, spaces, hyphens."""
    return tag.translate(str.maketrans("0123456789abcdef", "абвгдежзиклмнопр")).capitalize()


# --- servers -----------------------------------------------------------------------------------------


class Server:
    def __init__(self, name: str, proc: subprocess.Popen, base_url: str, log_path: Path, log_file) -> None:
        self.name = name
        self.proc = proc
        self.base_url = base_url
        self.log_path = log_path
        self.log_file = log_file


def _start_server(name: str, chat_hours: str, workdir: Path) -> Server:
    binary = os.environ.get("CONSUMERDESK_BIN") or str(REPO_ROOT / ".build" / "debug" / "consumerdesk")
    if not os.access(binary, os.X_OK):
        pytest.fail(f"server binary not found or not executable: {binary} (set CONSUMERDESK_BIN)", pytrace=False)
    smtp_port = _require_env("SMTP_SINK_PORT")
    _require_env("MAIL_DIR")
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "DATABASE_SCHEMA", "SQLITE_PATH", "PORT", "HOST", "CHAT_HOURS")
    }
    env.update(
        HOST="127.0.0.1",
        PORT=str(port),
        SQLITE_PATH=str(workdir / f"chat-{name}.sqlite"),
        ATTACHMENTS_DIR=str(workdir / f"attachments-{name}"),
        DEMO="true",
        SMTP_HOST="127.0.0.1",
        SMTP_PORT=smtp_port,
        SMTP_SECURITY="none",
        PUBLIC_URL=base_url,
        LOG_LEVEL="info",
        CHAT_HOURS=chat_hours,
    )
    log_path = workdir / f"chat-{name}.log"
    proc, log_file = spawn_server(binary, env, log_path)
    server = Server(name, proc, base_url, log_path, log_file)
    try:
        _wait_ready(proc, base_url, log_path)
    except BaseException:
        _stop(proc)
        log_file.close()
        raise
    return server


def _server_fixture(name: str, chat_hours: str, tmp_path_factory: pytest.TempPathFactory):
    server = _start_server(name, chat_hours, tmp_path_factory.mktemp(f"chat-{name}"))
    try:
        yield server
    finally:
        _stop(server.proc)
        server.log_file.close()
        try:
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(server.log_path, ARTIFACTS / server.log_path.name)
        except OSError:
            pass


@pytest.fixture(scope="module")
def office_server(tmp_path_factory: pytest.TempPathFactory):
    """Operators take chats at any time."""
    yield from _server_fixture("office", "always", tmp_path_factory)


@pytest.fixture(scope="module")
def night_server(tmp_path_factory: pytest.TempPathFactory):
    """Never office hours: every chat goes to the bot."""
    yield from _server_fixture("night", "never", tmp_path_factory)


def _with_log_on_failure(request: pytest.FixtureRequest, server: Server):
    offset = server.log_path.stat().st_size if server.log_path.exists() else 0
    yield server.base_url
    if any(r.failed for r in request.node.stash.get(_REPORTS, {}).values()):
        print(f"\n--- {server.name} server ({server.base_url}) log during this test ---\n{_tail(server.log_path, offset, lines=150)}")


@pytest.fixture
def office(request: pytest.FixtureRequest, office_server: Server):
    yield from _with_log_on_failure(request, office_server)


@pytest.fixture
def night(request: pytest.FixtureRequest, night_server: Server):
    yield from _with_log_on_failure(request, night_server)


# --- a second browser ----------------------------------------------------------------------------------


@pytest.fixture
def staff_driver(request: pytest.FixtureRequest):
    """Another headless chromium (its own cookies and storage): the operator or the editor."""
    drv = new_chrome()
    try:
        yield drv
    finally:
        if any(r.failed for r in request.node.stash.get(_REPORTS, {}).values()):
            try:
                ARTIFACTS.mkdir(parents=True, exist_ok=True)
                png = ARTIFACTS / f"{_safe_name(request.node.nodeid)}-staff.png"
                drv.save_screenshot(str(png))
                png.with_suffix(".html").write_text(f"<!-- {drv.current_url} -->\n{drv.page_source}", encoding="utf-8")
                print(f"\nstaff browser artifacts: {png} (url {drv.current_url})")
            except Exception as e:  # a broken browser must not hide the test's own failure
                print(f"\ncould not save the staff browser's artifacts: {e!r}")
        drv.quit()


# --- reading the chat logs -------------------------------------------------------------------------------

_READ_LOG = """
return Array.from(document.querySelectorAll(arguments[0] + ' > li')).map((li) => ({
  seq: li.dataset.seq ? Number(li.dataset.seq) : null,
  kind: li.className,
  text: (li.querySelector('.chat-text') || li).textContent,
  links: Array.from(li.querySelectorAll('a')).map((a) => ({href: a.getAttribute('href'), text: a.textContent})),
  bold: li.querySelectorAll('.chat-text *').length,
}));
"""


def log_items(driver: WebDriver, log_id: str) -> list[dict]:
    return driver.execute_script(_READ_LOG, "#" + log_id)


def wait_for_item(driver: WebDriver, log_id: str, needle: str, what: str, after: int = 0) -> dict:
    """The first message (from index `after` on) whose text contains needle."""

    def found(d: WebDriver):
        for item in log_items(d, log_id)[after:]:
            if needle in item["text"]:
                return item
        return False

    return until(driver, found, f"{what} in #{log_id} (text containing {needle!r})")


def assert_no_duplicates(items: list[dict], where: str) -> None:
    seqs = [i["seq"] for i in items if i["seq"] is not None]
    assert seqs, f"{where}: no numbered messages"
    assert len(seqs) == len(set(seqs)), f"{where}: a message is shown twice: {seqs}"
    assert seqs == sorted(seqs), f"{where}: messages out of order: {seqs}"


def click_fresh(driver: WebDriver, locator: tuple[str, str], what: str) -> None:
    """Find and click in one step, again if the element was redrawn between the two: the operator's
    console redraws its lists on every refresh, so a button found a moment ago may be gone."""

    def attempt(d: WebDriver) -> bool:
        found = [e for e in d.find_elements(*locator) if e.is_displayed() and e.is_enabled()]
        if not found:
            return False
        try:
            found[0].click()
        except StaleElementReferenceException:
            return False
        return True

    until(driver, attempt, what)


def visible(element_id: str):
    return EC.visibility_of_element_located((By.ID, element_id))


# --- the citizen's window ---------------------------------------------------------------------------------


def start_chat(driver: WebDriver, base: str, name: str, first: str = "", email: str = "") -> None:
    """From the home page: «Начать онлайн-консультацию», the start form, «Начать чат»."""
    driver.get(base + "/")
    button = until(driver, EC.element_to_be_clickable((By.ID, "start-consultation")), "«Начать онлайн-консультацию»")
    assert "Начать онлайн-консультацию" in button.text
    button.click()
    until(driver, visible("chat-start"), "the chat's start form")
    assert driver.find_element(By.ID, "chat-panel").is_displayed()
    assert not driver.find_element(By.ID, "chat-open").is_displayed(), "the corner button gives way to the window"
    position = driver.execute_script("return getComputedStyle(document.getElementById('chat-widget')).position")
    assert position == "fixed", f"the window sits in the corner of the page, not in its flow ({position})"
    driver.find_element(By.ID, "chat-name").clear()
    driver.find_element(By.ID, "chat-name").send_keys(name)
    if email:
        driver.find_element(By.ID, "chat-email").send_keys(email)
    if first:
        driver.find_element(By.ID, "chat-first").send_keys(first)
    driver.find_element(By.ID, "chat-begin").click()
    until(driver, visible("chat-input"), "the chat's message box after «Начать чат»")
    assert not driver.find_element(By.ID, "chat-start").is_displayed(), "the start form gives way to the chat"


def say(driver: WebDriver, text: str) -> None:
    box = until(driver, visible("chat-input"), "the citizen's message box")
    box.send_keys(text)
    driver.find_element(By.ID, "chat-submit").click()
    until(driver, lambda d: d.find_element(By.ID, "chat-input").get_attribute("value") == "", "the message box to empty after sending")


# --- 1 and 2: a citizen and an operator --------------------------------------------------------------------


def test_citizen_and_operator_chat_and_the_chat_becomes_an_appeal(office: str, driver: WebDriver, staff_driver: WebDriver) -> None:
    citizen, operator = driver, staff_driver
    tag = uuid.uuid4().hex[:8]
    name = f"Мария {cyrillic_tag(tag)}"
    email = f"chat-{tag}@example.test"
    first = f"Здравствуйте, управляющая компания не отвечает на заявление о капремонте ({tag})"

    # The operator comes online.
    sign_in(operator, office, "operator@consumerdesk.test")
    operator.get(office + "/operator")
    status = until(operator, EC.presence_of_element_located((By.ID, "presence-status")), "the operator's status")
    until(operator, text_contains((By.ID, "presence-now"), "чатов"), "the console's first refresh")
    Select(status).select_by_value("online")
    operator.find_element(By.ID, "presence-save").click()
    until(operator, text_contains((By.ID, "presence-now"), "На связи"), "«На связи» after saving the status")

    # An anonymous citizen starts a consultation from the home page and is greeted by name.
    start_chat(citizen, office, name, first=first, email=email)
    wait_for_item(citizen, "chat-log", GREETING, "the operator's greeting")
    wait_for_item(citizen, "chat-log", first, "the citizen's first question")
    until(citizen, text_contains((By.ID, "chat-status"), "Татьяна"), "the window to name the operator")
    # The window redraws its controls as the consultation's state frames come in: wait for the settled
    # state rather than read an element that may be replaced between finding and asking.
    until(
        citizen,
        lambda d: not any(d.find_element(By.ID, c).is_displayed() for c in ("chat-ask-operator", "chat-leave", "chat-menu"))
        and d.find_element(By.ID, "chat-end").is_displayed(),
        "the bot's controls hidden and «Завершить» shown while an operator is on the chat",
    )

    # The operator has it in «Мои чаты» and answers.
    until(operator, text_contains((By.ID, "mine-list"), name), "the chat in «Мои чаты»")
    click_fresh(operator, (By.CSS_SELECTOR, "#mine-list button"), "a click on the chat in «Мои чаты»")
    wait_for_item(operator, "console-log", first, "the citizen's question in the console")
    wait_for_item(operator, "console-log", GREETING, "the greeting in the console")
    assert not operator.find_element(By.ID, "take-button").is_displayed(), "my own chat is not to be taken"
    reply = f"Добрый день! Уточните, пожалуйста, адрес дома ({tag})."
    box = until(operator, visible("console-input"), "the operator's message box")
    box.send_keys(reply)
    operator.find_element(By.ID, "console-submit").click()
    wait_for_item(citizen, "chat-log", reply, "the operator's reply at the citizen's")

    # What the citizen writes as HTML is text at the operator's.
    markup = f"г. Волгоград, ул. Мира, д. 1 — <b>жирный</b> <script>alert(1)</script> ({tag})"
    say(citizen, markup)
    shown = wait_for_item(operator, "console-log", markup, "the citizen's HTML-looking message, literally")
    assert shown["bold"] == 0, "the message is shown as text, not as markup"
    assert not operator.find_elements(By.CSS_SELECTOR, "#console-log b"), "no <b> element in the console"
    wait_for_item(citizen, "chat-log", markup, "the citizen's own message in the window")
    assert not citizen.find_elements(By.CSS_SELECTOR, "#chat-log b")

    # Another page: the window, reopened, shows the same conversation, each message once.
    before = log_items(citizen, "chat-log")
    assert_no_duplicates(before, "the citizen's window")
    citizen.get(office + "/faq")
    opener = until(citizen, EC.element_to_be_clickable((By.ID, "chat-open")), "the chat's corner button on /faq")
    opener.click()
    until(citizen, visible("chat-log"), "the conversation after reopening the window")
    until(citizen, lambda d: len(log_items(d, "chat-log")) >= len(before), "the earlier messages after the reload")
    time.sleep(QUIET)  # anything shown twice would have arrived by now
    after = log_items(citizen, "chat-log")
    assert_no_duplicates(after, "the window after a reload")
    assert [(i["seq"], i["text"]) for i in after] == [(i["seq"], i["text"]) for i in before], "the same conversation"
    assert citizen.find_element(By.ID, "chat-input").is_displayed(), "the chat goes on (no start form)"
    assert not citizen.find_element(By.ID, "chat-start").is_displayed()

    # The operator: «В обращение» → a topic → the card pre-filled from the chat.
    to_appeal = until(operator, EC.element_to_be_clickable((By.ID, "to-appeal")), "«В обращение»")
    assert to_appeal.text.strip() == "В обращение"
    click_fresh(operator, (By.ID, "to-appeal"), "a click on «В обращение»")
    until(operator, EC.presence_of_element_located((By.ID, "chat-pending")), "the topic choice for the chat's appeal")
    operator.find_element(By.CSS_SELECTOR, f"a[data-code='{CAPITAL_REPAIR}']").click()
    form = until(operator, EC.presence_of_element_located((By.ID, "appeal-form")), "the appeal card")
    assert operator.find_element(By.ID, "chat-attached").is_displayed(), "the card says it is made from the chat"
    assert form.find_element(By.NAME, "chat").get_attribute("value"), "the chat's id is carried"
    assert form.find_element(By.NAME, "name").get_attribute("value") == name, "the citizen's name"
    assert form.find_element(By.NAME, "email").get_attribute("value") == email, "the citizen's email"
    text = form.find_element(By.NAME, "text").get_attribute("value")
    assert first in text and markup in text, f"the citizen's words: {text!r}"
    assert reply not in text and GREETING not in text, "only the citizen's words"
    form.find_element(By.NAME, "surname").send_keys("Иванова")
    territory = Select(form.find_element(By.NAME, "territoryId"))
    territory.select_by_index(1)
    tick(operator, form.find_element(By.NAME, "consent"))
    operator.find_element(By.ID, "appeal-submit").click()
    until(operator, path_is("/operator"), "the console after registering the appeal")
    flash = until(operator, text_contains((By.ID, "flash"), "зарегистрировано"), "the flash with the appeal's number")
    match = re.search(r"Обращение № (\S+) зарегистрировано", flash.text)
    assert match, f"flash: {flash.text!r}"
    number = match.group(1)

    # The citizen's window says so, and the chat is over.
    wait_for_item(citizen, "chat-log", f"По переписке зарегистрировано обращение № {number}", "the appeal's number at the citizen's")
    until(citizen, EC.invisibility_of_element_located((By.ID, "chat-input")), "the message box to go once the chat is closed")
    assert not citizen.find_element(By.ID, "chat-end").is_displayed(), "nothing to end any more"
    assert citizen.find_element(By.ID, "chat-new").is_displayed(), "«Новый чат»"
    assert_no_duplicates(log_items(citizen, "chat-log"), "the window at the end")

    # A copy of the conversation by mail.
    citizen.find_element(By.ID, "chat-mail").click()
    to = until(citizen, visible("chat-mail-to"), "the address for the copy")
    to.send_keys(email)
    citizen.find_element(By.CSS_SELECTOR, "#chat-mail-form button[type=submit]").click()
    until(citizen, text_contains((By.ID, "chat-error"), "отправлена"), "«Копия переписки отправлена на почту»")
    mail = wait_for_mail(email, "Копия онлайн-консультации")
    body = mail_text(mail)
    assert first in body and reply in body and markup in body and number in body, body


# --- 3: after hours, the bot ---------------------------------------------------------------------------------


def test_after_hours_the_bot_answers_learns_and_takes_a_message(night: str, driver: WebDriver, staff_driver: WebDriver) -> None:
    citizen, editor = driver, staff_driver
    tag = uuid.uuid4().hex[:8]
    email = f"night-{tag}@example.test"
    start_chat(citizen, night, f"Пётр {cyrillic_tag(tag)}", email=email)
    greeting = wait_for_item(citizen, "chat-log", "нерабочее время", "the bot's after-hours greeting")
    assert "chat-bot" in greeting["kind"], greeting
    until(citizen, text_contains((By.ID, "chat-status"), "помощник"), "the window to say the bot answers")

    # The bot's menu: a sphere, then a question, then its answer in the window.
    until(citizen, visible("chat-menu"), "the bot's menu")
    spheres = until(
        citizen, lambda d: [b for b in d.find_elements(By.CSS_SELECTOR, "#chat-menu button") if b.is_displayed()], "the menu's buttons"
    )
    assert "Торговля" in [b.text for b in spheres], [b.text for b in spheres]
    next(b for b in spheres if b.text == "Торговля").click()
    until(citizen, text_contains((By.ID, "chat-menu"), "Назад"), "the sphere's questions with «← Назад»")
    items = [b for b in citizen.find_elements(By.CSS_SELECTOR, "#chat-menu button.chat-menu-item") if b.is_displayed()]
    assert items, "questions under «Торговля»"
    shown = len(log_items(citizen, "chat-log"))
    items[0].click()
    until(citizen, lambda d: len(log_items(d, "chat-log")) > shown, "the menu answer in the window")
    answer = log_items(citizen, "chat-log")[-1]
    assert answer["text"].strip() and answer["links"], f"an answer with a link: {answer}"

    # A question the bot does not know.
    shown = len(log_items(citizen, "chat-log"))
    say(citizen, UNKNOWN_QUESTION)
    unsure = wait_for_item(citizen, "chat-log", "не уверен", "the bot being unsure", after=shown)
    assert not any(link["text"].startswith("Источник") for link in unsure["links"]), unsure

    # An editor links it to an FAQ entry.
    sign_in(editor, night, "editor@consumerdesk.test")
    editor.get(night + "/editor/bot")
    queue = until(editor, EC.presence_of_element_located((By.ID, "bot-queue")), "the bot's training queue")
    entry = next((li for li in queue.find_elements(By.CSS_SELECTOR, ":scope > li") if li.find_element(By.TAG_NAME, "strong").text == UNKNOWN_QUESTION), None)
    assert entry is not None, f"the question in the queue: {queue.text[:800]}"
    choice = Select(entry.find_element(By.NAME, "faq"))
    slug = "holodnye-batarei-v-kvartire"
    choice.select_by_value(slug)
    title = choice.first_selected_option.text
    entry.find_element(By.XPATH, ".//button[normalize-space()='Научить']").click()
    until(editor, text_contains((By.ID, "flash"), "научен"), "«Помощник научен»")
    assert UNKNOWN_QUESTION not in editor.find_element(By.ID, "main").text, "the question left the queue"

    # The same question now has an answer with its source.
    shown = len(log_items(citizen, "chat-log"))
    say(citizen, UNKNOWN_QUESTION)
    answer = wait_for_item(citizen, "chat-log", "Источник:", "the bot's answer with its source", after=shown)
    assert "не уверен" not in answer["text"]
    assert title in answer["text"], f"the source named: {answer['text']!r}"
    assert any(link["href"] == f"/faq/{slug}" and link["text"].startswith("Источник:") for link in answer["links"]), answer["links"]

    # «Оставить сообщение»: the appeal form in the window.
    leave = until(citizen, EC.element_to_be_clickable((By.ID, "chat-leave")), "«Оставить сообщение»")
    leave.click()
    appeal = until(citizen, visible("chat-appeal"), "the appeal form in the window")
    text = until(citizen, visible("chat-appeal-text"), "the appeal's text box")
    assert UNKNOWN_QUESTION in text.get_attribute("value"), "the chat's words are the appeal's text"
    assert appeal.find_element(By.NAME, "email").get_attribute("value") == email
    # Sent empty-handed first: the form says what is missing, in Russian.
    citizen.find_element(By.ID, "chat-appeal-submit").click()
    until(citizen, text_contains((By.ID, "chat-appeal-error"), "Проверьте"), "the form's errors")
    assert citizen.find_element(By.ID, "chat-appeal-surname-error").text.strip(), "the surname is required"
    consent_error = citizen.find_element(By.ID, "chat-appeal-consent-error").text
    assert "согласие" in consent_error, f"the consent's error in Russian: {consent_error!r}"
    Select(appeal.find_element(By.NAME, "subcategoryCode")).select_by_value(CAPITAL_REPAIR)
    Select(appeal.find_element(By.NAME, "territoryId")).select_by_index(1)
    appeal.find_element(By.NAME, "surname").send_keys("Петров")
    tick(citizen, appeal.find_element(By.NAME, "consent"))
    citizen.find_element(By.ID, "chat-appeal-submit").click()
    done = until(citizen, text_contains((By.ID, "chat-error"), "зарегистрировано"), "the appeal's number in the window")
    match = re.search(r"Обращение № (\S+) зарегистрировано", done.text)
    assert match, done.text
    wait_for_item(citizen, "chat-log", f"По переписке зарегистрировано обращение № {match.group(1)}", "the system message")
    assert not citizen.find_element(By.ID, "chat-appeal").is_displayed()
    assert not citizen.find_element(By.ID, "chat-leave").is_displayed(), "one appeal per chat"


# --- 4: bad input -------------------------------------------------------------------------------------------

_RAW_SEND = """
const [topic, token, text, done] = arguments;
const ws = new WebSocket((location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/ws');
const frames = [];
const finish = () => { try { ws.close(); } catch (e) {} done(frames); };
ws.onopen = () => ws.send(JSON.stringify({type: 'subscribe', topic: topic, after: 1000000, token: token}));
ws.onmessage = (event) => {
  const frame = JSON.parse(event.data);
  frames.push(frame);
  if (frame.type === 'subscribed') ws.send(JSON.stringify({type: 'send', topic: topic, text: text, ref: 'long'}));
  if (frame.type === 'error' || frame.type === 'ack') finish();
};
ws.onerror = () => finish();
setTimeout(finish, 10000);
"""


def test_an_overlong_message_is_refused_and_not_sent(night: str, driver: WebDriver) -> None:
    citizen = driver
    start_chat(citizen, night, "Анна")
    wait_for_item(citizen, "chat-log", "нерабочее время", "the bot's greeting")
    shown = log_items(citizen, "chat-log")

    long_text = "Очень длинное сообщение. " * 170  # 4,250 characters; maxlength stops typing, a paste may not
    assert len(long_text.strip()) > 4000
    box = citizen.find_element(By.ID, "chat-input")
    citizen.execute_script("arguments[0].value = arguments[1]", box, long_text)
    citizen.find_element(By.ID, "chat-submit").click()
    error = until(citizen, text_contains((By.ID, "chat-error"), "4000"), "the error about the length")
    assert re.search(r"[А-Яа-яЁё]", error.text) and "сократите" in error.text, error.text
    time.sleep(QUIET)
    assert log_items(citizen, "chat-log") == shown, "nothing was sent"
    assert box.get_attribute("value") == long_text, "the text stays to be shortened"

    # The server refuses it as well, for a client that does not check.
    chat = citizen.execute_script("return JSON.parse(localStorage.getItem('cd-chat'))")
    assert chat and chat.get("id") and chat.get("token"), chat
    citizen.set_script_timeout(WAIT)
    frames = citizen.execute_async_script(_RAW_SEND, chat["id"], chat["token"], long_text)
    errors = [f for f in frames if f.get("type") == "error"]
    assert errors and errors[0].get("code") == "too_long", frames
    assert not [f for f in frames if f.get("type") == "ack"], frames
    time.sleep(QUIET)
    assert log_items(citizen, "chat-log") == shown, "the server stored nothing"

    # A normal message still goes through.
    box.clear()
    say(citizen, "короткий вопрос о возврате")
    until(citizen, lambda d: len(log_items(d, "chat-log")) > len(shown), "a short message after the long one")
    assert citizen.find_element(By.ID, "chat-error").text == "", "the error is cleared"
