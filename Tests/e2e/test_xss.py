"""Cross-site scripting in a real browser: XSS payloads go into the text fields citizens and staff fill in,
and every page that shows the text again is checked for three things.

1. Nothing ran. A script injected before each page's own (Chrome DevTools `Page.addScriptToEvaluateOnNewDocument`,
   which the site's Content-Security-Policy does not govern) traps `window.xssFired` (what every payload
   assigns) and records `securitypolicyviolation` events; the browser's console log is read for CSP reports
   too. The site's CSP (`script-src 'self'`) would block an injected inline script or handler, so a
   violation is as much a finding as an assignment: something tried to run.
2. Nothing was built from the payload. No element carries `data-xss` (a harmless tag in every payload), an
   `on…` attribute, a `javascript:`/`vbscript:`/`data:text/html` address, or is an inline `<script>`, an
   `<img src="x">`, an `<iframe>`/`<object>`/`<embed>`/`<base>`.
3. The text is shown as text: a text node (or a form field's value, or the document title) holds the whole
   payload literally — `<img src=x …>` as characters, `{{7*7}}#(7*7)` not evaluated. Where a page shows an
   excerpt only, the field's marker must be there as text.

Markdown (news, events, FAQ) gets its own payload: raw HTML must come out as text, `javascript:`/`data:`
links must lose their address and keep their label as text, and an ordinary link must still be a link (so
the check is not passing only because nothing was rendered at all).

A self-check at the start proves the probe sees an injected handler and element (positive control).

Covered (field → where it is shown again):
  appeal form (citizen): text, problem address, organisation, its address, actions taken, desired result, a
    text answer (seller), surname/name/patronymic/e-mail/phone/INN → the refused form (values echoed); the
    accepted ones → citizen's card, moderator's queue and card, desk list and card; a surname with an
    apostrophe → moderator's and staff cards; a photo's file name → the cards' file lists and the image's alt
  moderator's re-categorisation comment → desk history, citizen's timeline
  coordinator's staff note → desk card; desk search box → the list's search field
  staff chat on the appeal (coordinator's message) → /messages log (live and from history, another staff
    member), /messages search results
  executor's request for information → citizen's card; citizen's reply → executor's card history
  executor's answer → desk card, citizen's card after approval, the answer letter (plain text; an HTML
    part, should one appear, must not carry it as markup); citizen's rating comment → desk history
  registration (refused): all fields echoed; portal search and topic search boxes (reflected); a
    javascript: address as the login page's `next`
  claim template (претензия): addresses, seller, item, receipt, facts, bank details → document page, the
    edit form
  editor: news title/summary/Markdown body → /news, /news/<slug> (heading, <title>, og:title), editor list;
    FAQ question/Markdown answer/references → preview, /faq/<slug>, /search snippet (HTML built by the
    server), bot training select; event title/place/online link/Markdown description → editor form (refused
    javascript: link echoed), /events list and month, /events/<slug>; a citizen's sign-up name → the
    editor's people table
  bot question (public API) → the editor's training queue
  admin: organisation full/short name, address (and a refused INN/e-mail/phone echoed) → the refused form,
    organisations list, its page, the new-channel form (a coordinator); staff channel title and message →
    channel list and heading, live log, log from history
  online consultation (a server with CHAT_HOURS=always): the citizen's name and messages → citizen's window,
    operator console (list, title, log), the appeal card the operator makes from the chat (pre-filled values)
"""

from __future__ import annotations

import re
import shutil
import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pytest
import requests
from conftest import (
    _REPORTS,
    ARTIFACTS,
    CHROME_ARGS,
    CHROME_PREFS,
    _require_env,
    _safe_name,
    _stop,
    mail_text,
    wait_for_mail,
)
from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select
from test_appeal_journey import write_photo
from test_chat_journey import _start_server, cyrillic_tag, wait_for_item
from test_citizen_journey import gone, path_is, text_contains, until
from test_staff_journey import sign_in

# --- payloads ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Payload:
    marker: str  # unique per field: finds where the text is shown
    text: str  # what is typed into the field


def full(marker: str) -> Payload:
    """For free-text fields (≤ 200 characters): script, attribute break-out, SVG, a harmless tag, template
    expressions of Leaf and of JS frameworks, a javascript: address."""
    m = marker
    return Payload(m, f"{m} <script>xssFired='{m}'</script> \"><img src=x onerror=xssFired='{m}'> "
                      f"'><svg onload=xssFired='{m}'> <b data-xss>{{{{7*7}}}}#(7*7)</b> javascript:xssFired='{m}'")


def short(marker: str) -> Payload:
    """For fields of at most 100 characters (names, short names)."""
    m = marker
    return Payload(m, f"{m}\"><img src=x onerror=xssFired='{m}'>'><svg onload=xssFired=1><b data-xss>{{{{7*7}}}}")


@dataclass(frozen=True)
class MarkdownPayload:
    marker: str
    source: str
    raw_html: tuple[str, ...]  # must show literally as text
    bad_links: tuple[str, ...]  # labels whose javascript:/data: address must be dropped
    good_link: str  # label of an ordinary link that must stay a link


def markdown(marker: str) -> MarkdownPayload:
    m = marker
    raw = (
        f"<script>xssFired='{m}'</script>",
        f"<img src=x onerror=xssFired='{m}'>",
        f"<a href=\"javascript:xssFired='{m}'\">raw{m}</a>",
        "<b data-xss>{{7*7}}#(7*7)</b>",
    )
    source = "\n".join([
        f"## Заголовок {m}",
        "",
        f"{m} {raw[0]} {raw[1]}",
        "",
        f"{raw[2]} <b data-xss>{{{{7\\*7}}}}#(7\\*7)</b>",
        "",
        f"- [js{m}](javascript:xssFired='{m}')",
        f"- [mixed{m}](JaVaScRiPt:xssFired=1)",
        f"- [data{m}](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
        f"- [vb{m}](vbscript:msgbox(1))",
        f"- [ok{m}](/faq)",
        "",
        f"<javascript:xssFired='{m}'>",
    ])
    return MarkdownPayload(m, source, raw, (f"js{m}", f"mixed{m}", f"data{m}", f"vb{m}"), f"ok{m}")


def new_tag() -> str:
    return uuid.uuid4().hex[:6]


# --- the probe: installed before every page's own scripts -----------------------------------------------

PROBE = r"""
(() => {
  if (window.__xssProbe) return;
  const hits = [], violations = [];
  Object.defineProperty(window, 'xssFired', {
    configurable: false, get: () => hits[hits.length - 1], set: (v) => { hits.push(String(v)); } });
  Object.defineProperty(window, '__xssProbe', { value: { hits, violations } });
  document.addEventListener('securitypolicyviolation', (e) => violations.push({
    directive: e.effectiveDirective || e.violatedDirective, blocked: e.blockedURI, sample: e.sample,
    source: e.sourceFile, line: e.lineNumber }), true);
})();
"""

SCAN = r"""
const out = [];
const show = (el) => el.outerHTML.slice(0, 240);
const urlAttrs = ['href', 'src', 'action', 'formaction', 'data', 'xlink:href', 'srcdoc', 'poster', 'background', 'ping'];
for (const el of document.querySelectorAll('*')) {
  const tag = el.tagName.toLowerCase();
  for (const a of Array.from(el.attributes)) {
    const name = a.name.toLowerCase();
    if (name.startsWith('on')) out.push('event-handler attribute «' + name + '»: ' + show(el));
    if (name === 'data-xss') out.push('element built from a payload: ' + show(el));
    if (urlAttrs.includes(name)) {
      const v = a.value.replace(/[\u0000-\u0020\u007f]/g, '').toLowerCase();
      if (v.startsWith('javascript:') || v.startsWith('vbscript:') || v.startsWith('data:text/html'))
        out.push('script address in «' + name + '»: ' + show(el));
    }
  }
  if (tag === 'script' && !el.getAttribute('src')) out.push('inline script: ' + show(el));
  if (tag === 'img' && el.getAttribute('src') === 'x') out.push('payload image: ' + show(el));
  if (['iframe', 'frame', 'object', 'embed', 'base'].includes(tag)) out.push('embedding element: ' + show(el));
  if (tag === 'meta' && (el.getAttribute('http-equiv') || '').toLowerCase() === 'refresh') out.push('meta refresh: ' + show(el));
}
const probe = window.__xssProbe || null;
return { injected: out, probe: probe ? { hits: probe.hits.slice(), violations: probe.violations.slice() } : null };
"""

FIND = r"""
const [marker, within] = arguments;
const root = within ? document.querySelector(within) : document.documentElement;
if (!root) return null;
const where = (el) => {
  if (!el) return '?';
  const own = el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + (el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\s+/).join('.') : '');
  const holder = el.parentElement ? el.parentElement.closest('[id]') : null;
  return holder && holder !== el ? own + ' in #' + holder.id : own;
};
const found = [];
const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
let node;
while ((node = walker.nextNode())) {
  if (node.data.includes(marker)) found.push({ kind: 'text', where: where(node.parentElement), text: node.data });
}
for (const el of root.querySelectorAll('input, textarea, select')) {
  if (el.value && el.value.includes(marker)) found.push({ kind: 'value', where: where(el), text: el.value });
}
for (const el of root.querySelectorAll('*')) {
  for (const a of Array.from(el.attributes)) {
    if (a.name !== 'value' && a.value.includes(marker)) found.push({ kind: 'attribute ' + a.name, where: where(el), text: a.value });
  }
}
if (!within && document.title.includes(marker)) found.push({ kind: 'title', where: 'document.title', text: document.title });
return found;
"""


def squash(text: str) -> str:
    return " ".join(text.split())


class Browser:
    """One headless chromium with the probe installed in every page it opens."""

    def __init__(self, name: str) -> None:
        self.name = name
        opts = Options()
        opts.binary_location = _require_env("CHROME_BIN")
        for arg in CHROME_ARGS:
            opts.add_argument(arg)
        opts.add_experimental_option("prefs", CHROME_PREFS)
        opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        self.d: WebDriver = webdriver.Chrome(service=Service(_require_env("CHROMEDRIVER")), options=opts)
        self.d.set_page_load_timeout(30)
        self.d.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": PROBE})

    def csp_console(self) -> list[str]:
        """CSP reports in the console since the last call (the browser log is drained by reading it)."""
        try:
            entries = self.d.get_log("browser")
        except Exception:  # a driver without the log must not hide the other checks
            return []
        return [e["message"] for e in entries
                if e.get("source") == "security" or "Content Security Policy" in e.get("message", "")]

    def check(self, where: str, *fields, partial=(), within: str | None = None) -> None:
        """The page is clean (nothing ran, nothing built) and each field's payload is shown as text.
        `fields`: Payloads whose whole text must be there literally; `partial`: markers of excerpts."""
        d = self.d
        scan = d.execute_script(SCAN)
        problems = []
        if scan["probe"] is None:
            problems.append("the probe is missing on this page (it must run before the page's own scripts)")
        else:
            if scan["probe"]["hits"]:
                problems.append(f"PAYLOAD EXECUTED: window.xssFired was set to {scan['probe']['hits']}")
            if scan["probe"]["violations"]:
                problems.append(f"CSP violations (something tried to run): {scan['probe']['violations']}")
        problems += scan["injected"]
        console = self.csp_console()
        if console:
            problems.append(f"CSP reports in the console (this or an earlier page): {console}")
        for field in fields:
            found = d.execute_script(FIND, field.marker, within) or []
            shown = [f for f in found if f["kind"] in ("text", "value", "title")]
            if not any(field.text in f["text"] or squash(field.text) in squash(f["text"]) for f in shown):
                problems.append(
                    f"{field.marker}: the payload is not shown literally as text"
                    + (f" in {within}" if within else "") + f"; where its marker is: {found[:6]}")
        for marker in partial:
            found = d.execute_script(FIND, marker, within) or []
            if not any(f["kind"] in ("text", "value") for f in found):
                problems.append(f"{marker}: not shown as text" + (f" in {within}" if within else "") + f" ({found[:4]})")
        assert not problems, f"[{self.name}] {where} ({d.current_url}):\n  - " + "\n  - ".join(problems)

    def clean_so_far(self, where: str) -> None:
        """Only the console: reports from pages passed through (redirects, pages left at once)."""
        console = self.csp_console()
        assert not console, f"[{self.name}] {where}: CSP reports in the console: {console}"

    def quit(self) -> None:
        self.d.quit()


@pytest.fixture
def browsers(request: pytest.FixtureRequest):
    """Opens probed browsers on demand: browsers("citizen"). On failure each leaves a screenshot and its page
    in $E2E_ARTIFACTS."""
    opened: list[Browser] = []

    def open_browser(name: str) -> Browser:
        b = Browser(name)
        opened.append(b)
        return b

    try:
        yield open_browser
    finally:
        failed = any(r.failed for r in request.node.stash.get(_REPORTS, {}).values())
        for b in opened:
            if failed:
                try:
                    ARTIFACTS.mkdir(parents=True, exist_ok=True)
                    png = ARTIFACTS / f"{_safe_name(request.node.nodeid)}-{b.name}.png"
                    b.d.save_screenshot(str(png))
                    png.with_suffix(".html").write_text(f"<!-- {b.d.current_url} -->\n{b.d.page_source}", encoding="utf-8")
                    print(f"\n{b.name} browser artifacts: {png} (url {b.d.current_url})")
                except Exception as e:  # a broken browser must not hide the test's own failure
                    print(f"\ncould not save the {b.name} browser's artifacts: {e!r}")
            b.quit()


# --- page helpers -------------------------------------------------------------------------------------------


def present(d: WebDriver, css: str, what: str):
    return until(d, EC.presence_of_element_located((By.CSS_SELECTOR, css)), what)


def open_page(b: Browser, url: str, css: str, what: str):
    b.d.get(url)
    return present(b.d, css, what)


def put(d: WebDriver, element, value: str) -> None:
    """Sets a field as a paste would, without the browser's maxlength or type checks (the server must cope
    with whatever a client sends), and lets the page's scripts hear about it."""
    d.execute_script(
        "arguments[0].value = arguments[1];"
        "arguments[0].dispatchEvent(new Event('input', {bubbles: true}));"
        "arguments[0].dispatchEvent(new Event('change', {bubbles: true}));", element, value)


def put_all(d: WebDriver, form, values: dict[str, str], by=By.NAME) -> None:
    for key, value in values.items():
        put(d, form.find_element(by, key), value)


def click_and_leave(d: WebDriver, css: str, what: str) -> None:
    """Clicks a submit button and waits for the next page."""
    button = present(d, css, what)
    button.click()
    until(d, gone(button), f"the page to change after {what}")


def click_fresh(d: WebDriver, css: str, what: str) -> None:
    """Find and click in one step (lists redraw)."""

    def attempt(drv: WebDriver) -> bool:
        found = [e for e in drv.find_elements(By.CSS_SELECTOR, css) if e.is_displayed() and e.is_enabled()]
        if not found:
            return False
        try:
            found[0].click()
        except StaleElementReferenceException:
            return False
        return True

    until(d, attempt, what)


def switch_user(b: Browser, server: str, login: str) -> None:
    b.d.delete_all_cookies()
    sign_in(b.d, server, login)


def flash(b: Browser, needle: str, what: str) -> None:
    until(b.d, text_contains((By.ID, "flash"), needle), what)


def wait_text(b: Browser, css: str, marker: str, what: str) -> None:
    until(b.d, lambda d: any(marker in e.get_attribute("textContent") for e in d.find_elements(By.CSS_SELECTOR, css)), what)


def check_markdown(b: Browser, where: str, md: MarkdownPayload, container: str) -> None:
    """Raw HTML shown as text, script links without an address, the ordinary link still a link."""
    d = b.d
    text = squash(present(d, container, f"the rendered Markdown ({container})").get_attribute("textContent"))
    problems = [f"raw HTML not shown as text: {raw!r}" for raw in md.raw_html if squash(raw) not in text]
    links = d.execute_script(
        "return Array.from(document.querySelectorAll(arguments[0] + ' a')).map(a => [a.textContent, a.getAttribute('href')]);",
        container)
    for label in md.bad_links:
        if label not in text:
            problems.append(f"the label {label!r} of a script link is gone (it should stay as text)")
        problems += [f"a script link kept an address: {label!r} → {href!r}" for t, href in links if label in t]
    if not any(md.good_link in t and href == "/faq" for t, href in links):
        problems.append(f"the ordinary link {md.good_link!r} → /faq is not a link any more: {links}")
    if f"Заголовок {md.marker}" not in [h.text for h in d.find_elements(By.CSS_SELECTOR, f"{container} h2")]:
        problems.append("the Markdown heading was not rendered (is Markdown rendered at all?)")
    assert not problems, f"[{b.name}] {where} ({d.current_url}):\n  - " + "\n  - ".join(problems)
    b.check(where)


def self_check(b: Browser, server: str) -> None:
    """Positive control: the probe must see an injected handler and element, or the test proves nothing."""
    d = b.d
    open_page(b, f"{server}/faq", "#main", "the FAQ page")
    b.check("the FAQ page before the self-check")
    d.execute_script("document.body.insertAdjacentHTML('beforeend', '<img src=x onerror=\"xssFired=1\" data-xss>')")
    until(d, lambda drv: drv.execute_script("return window.__xssProbe.violations.length") > 0,
          "the probe to see the CSP violation of a deliberately injected handler")
    with pytest.raises(AssertionError, match="data-xss"):
        b.check("the self-check")
    d.get(f"{server}/faq")  # a fresh document; the console's report was read by the failed check
    b.check("the FAQ page after the self-check")


def iso(day: date) -> str:
    return day.isoformat()


# --- 1. an appeal from the citizen's form through moderation, the desk and the answer ---------------------


def test_appeal_text_is_shown_as_text_to_citizen_and_staff(server: str, browsers, tmp_path: Path) -> None:
    tag = new_tag()
    citizen, staff = browsers("citizen"), browsers("staff")
    self_check(citizen, server)

    text, problem, conflict, conflict_addr, actions, desired, seller = (
        full(f"xtx{tag}"), full(f"xpa{tag}"), full(f"xcn{tag}"), full(f"xca{tag}"), full(f"xat{tag}"),
        full(f"xdr{tag}"), full(f"xse{tag}"))
    person = {"surname": short(f"xsu{tag}"), "name": short(f"xnm{tag}"), "patronymic": short(f"xpt{tag}"),
              "email": short(f"xem{tag}"), "phone": short(f"xph{tag}"), "conflictInn": short(f"xin{tag}")}
    surname = f"Д'Артаньян-{cyrillic_tag(tag)}"  # names take letters, spaces, hyphens and apostrophes only
    # A photo whose file name is a payload. The browser sends " as %22 (multipart/form-data's encoding of
    # file names); the server drops " < > : | ? * from names; the rest must be shown as text.
    raw_name = f"xfn{tag}\"><img src=x onerror='xssFired=1'>'><svg onload=xssFired=1>"
    photo = write_photo(tmp_path / f"{raw_name}.png")
    shown_name = Payload(f"xfn{tag}", "".join(ch for ch in raw_name.replace('"', "%22") if ch not in '"<>:|?*') + ".png")
    today = date.today()

    # The citizen fills every text field with a payload; names, contacts and the INN are refused, and the
    # form comes back with all the values in it.
    sign_in(citizen.d, server, "citizen@consumerdesk.test")
    form = open_page(citizen, f"{server}/appeals/new?subcategory=trade-replace-defective", "#appeal-form", "the appeal form")
    put_all(citizen.d, form, {"text": text.text, "problemAddress": problem.text, "conflictName": conflict.text,
                              "conflictAddress": conflict_addr.text, "actionsTaken": actions.text,
                              "desiredResult": desired.text, "q-seller": seller.text}, by=By.ID)
    put_all(citizen.d, form, {k: v.text for k, v in person.items()}, by=By.ID)
    Select(form.find_element(By.ID, "territoryId")).select_by_visible_text("Ленинский муниципальный район")
    put(citizen.d, form.find_element(By.ID, "q-purchaseDate"), iso(today - timedelta(days=20)))
    put(citizen.d, form.find_element(By.ID, "q-demandDate"), iso(today - timedelta(days=10)))
    form.find_element(By.ID, "consent").click()
    click_and_leave(citizen.d, "#appeal-submit", "sending the appeal with refused fields")
    form = present(citizen.d, "#appeal-form", "the appeal form shown again with errors")
    assert citizen.d.find_elements(By.CSS_SELECTOR, ".field-error"), "the refused fields have errors"
    citizen.check("the refused appeal form", text, problem, conflict, conflict_addr, actions, desired, seller, *person.values())

    # Valid names and contacts (a surname with an apostrophe); the rest stays as it was.
    put_all(citizen.d, form, {"surname": surname, "name": "Мария", "patronymic": "", "email": "citizen@consumerdesk.test",
                              "phone": "", "conflictInn": ""}, by=By.ID)
    form.find_element(By.ID, "attachments").send_keys(str(photo))
    if not form.find_element(By.ID, "consent").is_selected():
        form.find_element(By.ID, "consent").click()
    click_and_leave(citizen.d, "#appeal-submit", "sending the appeal")
    number = present(citizen.d, "#appeal-number", "the citizen's appeal card").text
    card_url = citizen.d.current_url
    citizen.check("the citizen's card", text, problem, conflict, shown_name)
    alts = [img.get_attribute("alt") for img in citizen.d.find_elements(By.CSS_SELECTOR, "#appeal-attachments img")]
    assert alts == [shown_name.text], f"the photo's alt text: {alts}"

    # Moderator: the queue (an excerpt) and the card; a re-categorisation with a comment, then accept.
    moderator_comment = full(f"xmc{tag}")
    sign_in(staff.d, server, "moderator@consumerdesk.test")
    open_page(staff, f"{server}/moderation", "#moderation-queue", "the moderation queue")
    staff.check("the moderation queue", partial=[text.marker])
    form = open_page(staff, f"{server}/moderation/{number}", "#recategorise-form", "the moderator's card")
    staff.check("the moderator's card", text, problem, conflict, Payload(surname, surname), shown_name)
    Select(form.find_element(By.ID, "subcategoryCode")).select_by_value("trade-refund-defective")
    put(staff.d, form.find_element(By.ID, "recategorise-comment"), moderator_comment.text)
    click_and_leave(staff.d, "#recategorise-submit", "re-categorising")
    flash(staff, "сохранено", "the re-categorisation saved")
    staff.check("the moderator's card after re-categorising")
    click_and_leave(staff.d, "#accept-submit", "accepting")
    until(staff.d, path_is("/moderation"), "back to the queue")

    # Coordinator: the list, the card; a note; the desk search box; the staff thread on the appeal.
    note, message, query = full(f"xnt{tag}"), full(f"xsm{tag}"), short(f"xq{tag}")
    switch_user(staff, server, "coordinator@consumerdesk.test")
    # (found by its number: in a full run other journeys' appeals share the folder)
    open_page(staff, f"{server}/desk?q={number}", f"tr[data-number='{number}']", "the appeal in the coordinator's list")
    staff.check("the desk list", problem, partial=[text.marker], within=f"tr[data-number='{number}']")
    staff.check("the desk list")
    open_page(staff, f"{server}/desk/appeals/{number}", "#assign-form", "the coordinator's card")
    staff.check("the coordinator's card", text, problem, conflict, Payload(surname, surname), moderator_comment, shown_name)
    put(staff.d, present(staff.d, "#note-text", "the note box"), note.text)
    click_and_leave(staff.d, "#note-form button[type=submit]", "adding a note")
    wait_text(staff, "#notes", note.marker, "the note on the card")
    staff.check("the card with the note", note, within="#notes")
    staff.check("the card with the note")

    staff.d.get(f"{server}/desk?q={requests.utils.quote(query.text)}")
    present(staff.d, "#workspace-filters", "the desk with a searched-for payload")
    staff.check("the desk search", query)

    open_page(staff, f"{server}/desk/appeals/{number}", "#appeal-thread-link", "the card").click()
    box = present(staff.d, "#channel-input", "the staff thread on the appeal")
    box.send_keys(message.text)
    staff.d.find_element(By.ID, "channel-submit").click()
    wait_text(staff, "#channel-log .chat-text", message.marker, "the coordinator's message in the thread")
    staff.check("the staff thread (live)", message, within="#channel-log")
    staff.check("the staff thread (live)")

    form = open_page(staff, f"{server}/desk/appeals/{number}", "#assign-form", "the coordinator's card")
    Select(form.find_element(By.ID, "assign-executor")).select_by_visible_text("Волкова Елена Андреевна")
    click_and_leave(staff.d, "#assign-submit", "assigning")
    until(staff.d, text_contains((By.ID, "appeal-executor"), "Волкова"), "the executor on the card")

    # Executor: take; ask the citizen for details.
    request_info = full(f"xri{tag}")
    switch_user(staff, server, "executor@consumerdesk.test")
    open_page(staff, f"{server}/desk/appeals/{number}", "#take-submit", "the executor's card")
    click_and_leave(staff.d, "#take-submit", "taking the appeal")
    put(staff.d, present(staff.d, "#request-info-comment", "the request for information"), request_info.text)
    click_and_leave(staff.d, "#request-info-form button[type=submit]", "asking the citizen")
    wait_text(staff, "#history", request_info.marker, "the request in the history")
    staff.check("the executor's card after asking", request_info, within="#history")

    # The citizen sees the question and replies.
    reply = full(f"xcr{tag}")
    open_page(citizen, card_url, "#appeal-question", "the question on the citizen's card")
    citizen.check("the citizen's card with the question", request_info, within="#appeal-question")
    citizen.check("the citizen's card with the question", text, problem, conflict, moderator_comment)
    put(citizen.d, citizen.d.find_element(By.ID, "reply-text"), reply.text)
    click_and_leave(citizen.d, "#reply-submit", "replying")
    flash(citizen, "Спасибо", "the reply sent")
    citizen.check("the citizen's card after replying")

    # Executor: the reply in the history; the thread from history; the answer.
    answer = full(f"xan{tag}")
    open_page(staff, f"{server}/desk/appeals/{number}", "#answer-form", "the executor's card")
    staff.check("the executor's card with the reply", reply, within="#history")
    open_page(staff, f"{server}/messages/appeal/{number}", "#channel-log", "the thread for another staff member")
    wait_text(staff, "#channel-log .chat-text", message.marker, "the coordinator's message from history")
    staff.check("the staff thread (history, another member)", message, within="#channel-log")
    open_page(staff, f"{server}/messages?q={message.marker}", "#search-results", "staff message search")
    staff.check("the staff message search", message, within="#search-results")
    open_page(staff, f"{server}/desk/appeals/{number}", "#answer-form", "the executor's card")
    put(staff.d, staff.d.find_element(By.ID, "answer-text"), answer.text)
    Select(staff.d.find_element(By.ID, "answer-outcome")).select_by_value("satisfied")
    click_and_leave(staff.d, "#answer-submit", "sending the answer for approval")
    until(staff.d, text_contains((By.ID, "appeal-status"), "Ответ на согласовании"), "sent for approval")
    staff.check("the card with the prepared answer", answer, within="#answers")
    staff.check("the card with the prepared answer")

    # Manager approves.
    switch_user(staff, server, "manager@consumerdesk.test")
    open_page(staff, f"{server}/desk/appeals/{number}", "#approve-submit", "the manager's card")
    staff.check("the manager's card", answer, text)
    click_and_leave(staff.d, "#approve-submit", "approving")
    until(staff.d, text_contains((By.ID, "appeal-status"), "Дан ответ"), "answered")

    # The citizen rates through the mail's link and comments; the answer is on the card.
    rating_comment = full(f"xrc{tag}")
    letter = wait_for_mail("citizen@consumerdesk.test", f"Ответ на обращение № {number}", body_contains=server)
    body = mail_text(letter)
    assert answer.text in body, "the answer's text in the letter, as typed"
    html = letter.get_body(("html",))  # the letters are plain text; should one come as HTML, the text is escaped
    assert html is None or "<img src=x" not in html.get_content(), "the answer's payload as markup in the HTML letter"
    link = re.search(re.escape(server) + r"/rate/[A-Za-z0-9_-]+/4", body)
    assert link, f"no rating link in the answer email:\n{body}"
    open_page(citizen, link.group(0), "#rate-recorded", "the score recorded")
    put(citizen.d, citizen.d.find_element(By.ID, "comment"), rating_comment.text)
    click_and_leave(citizen.d, "#rate-comment-submit", "sending the rating comment")
    present(citizen.d, "#rate-done", "the comment saved")
    citizen.check("the rating page after the comment")
    open_page(citizen, card_url, "#appeal-answer", "the answer on the citizen's card")
    citizen.check("the citizen's card with the answer", answer, within="#appeal-answer")
    citizen.check("the citizen's card with the answer", text, problem, conflict)

    open_page(staff, f"{server}/desk/appeals/{number}", "#history", "the manager's card after the rating")
    staff.check("the desk card after the rating", rating_comment, reply, request_info, moderator_comment, within="#history")
    staff.check("the desk card after the rating", answer, text, problem, conflict, Payload(surname, surname))
    citizen.clean_so_far("the citizen's pages")
    staff.clean_so_far("the staff pages")


# --- 2. the portal's forms: registration, search, claim templates ------------------------------------------


def test_portal_forms_show_what_was_typed_as_text(server: str, browsers) -> None:
    tag = new_tag()
    b = browsers("visitor")
    d = b.d

    # Registration refused: every value comes back in its field, as text.
    reg = {"surname": short(f"xrs{tag}"), "name": short(f"xrn{tag}"), "patronymic": short(f"xrp{tag}"),
           "email": short(f"xre{tag}"), "phone": short(f"xrf{tag}")}
    form = open_page(b, f"{server}/register", "#register-form", "the registration form")
    put_all(d, form, {k: v.text for k, v in reg.items()})
    put_all(d, form, {"password": "x", "passwordConfirm": "y"})
    form.find_element(By.NAME, "consent").click()
    click_and_leave(d, "#register-submit", "registering with payloads")
    present(d, "#register-form", "the registration form with errors")
    b.check("the refused registration", *reg.values())

    # The portal's search box: the query comes back in the box and in the heading.
    query = full(f"xqs{tag}")
    d.get(f"{server}/search?q={requests.utils.quote(query.text)}")
    present(d, "#main", "portal search")
    b.check("portal search", query)

    # Where to go after signing in: a script address must not become a link or a redirect.
    open_page(b, f"{server}/login?next={requests.utils.quote(f'javascript:xssFired=1//{tag}')}", "#login-form", "the login form")
    b.check("the login form with a javascript: next")

    # Signed in, the topic search of a new appeal.
    sign_in(d, server, "citizen@consumerdesk.test")
    query = full(f"xqt{tag}")
    d.get(f"{server}/appeals/new?q={requests.utils.quote(query.text)}")
    present(d, "#main", "topic search")
    b.check("topic search", query)

    # A claim: the document page shows every text as text, and so does the form to edit it.
    claim = {"consumerAddress": full(f"xka{tag}"), "sellerName": full(f"xks{tag}"), "sellerAddress": full(f"xkd{tag}"),
             "item": full(f"xki{tag}"), "receipt": full(f"xkr{tag}"), "facts": full(f"xkf{tag}"),
             "bankDetails": full(f"xkb{tag}")}
    consumer = f"Д'Артаньян-{cyrillic_tag(tag)}"
    form = open_page(b, f"{server}/claims/penalty-delay", "#claim-form", "the claim form")
    put_all(d, form, {k: v.text for k, v in claim.items()})
    put_all(d, form, {"consumerName": consumer, "sellerINN": "7707083893", "purchaseDate": "2026-01-15", "price": "40000",
                      "demandDate": "2026-02-02"})
    Select(d.find_element(By.NAME, "penaltyBase")).select_by_value("goods")
    Select(d.find_element(By.NAME, "demandKind")).select_by_value("replacement")
    click_and_leave(d, "#compose-claim", "composing the claim")
    present(d, "#claim-document", "the claim document")
    b.check("the claim document", *claim.values(), Payload(consumer, consumer))
    click_and_leave(d, "#edit-claim", "editing the claim")
    present(d, "#claim-form", "the claim form again")
    b.check("the claim form to edit", *claim.values(), Payload(consumer, consumer))
    b.clean_so_far("the portal pages")


# --- 3. the editor's content (Markdown), an event and its sign-up, the bot's training queue ---------------


def test_editor_content_and_what_citizens_send_to_it(server: str, browsers) -> None:
    tag = new_tag()
    editor, visitor = browsers("editor"), browsers("visitor")
    e = editor.d
    sign_in(e, server, "editor@consumerdesk.test")

    # The bot gets a payload as a question (the public API its chat answers come from); unsure, it queues
    # the question for the specialists. Asked first: the FAQ entry below would answer it.
    bot_question = full(f"xbq{tag}")
    reply = requests.post(f"{server}/api/v1/bot/ask", json={"question": bot_question.text}, timeout=30)
    assert reply.status_code == 200 and reply.json()["kind"] == "unsure", reply.text

    # News: title and summary as text, the body's Markdown without its raw HTML and script links.
    news_title, news_summary, news_body = full(f"xnt{tag}"), full(f"xns{tag}"), markdown(f"xnb{tag}")
    published_on = min(date.today() - timedelta(days=1), date(2026, 1, 20))  # in the past, below other journeys' news
    form = open_page(editor, f"{server}/editor/news/new", "#news-form", "the news form")
    put_all(e, form, {"title": news_title.text, "summary": news_summary.text, "body": news_body.source,
                      "slug": f"xss-{tag}", "publishAt": f"{iso(published_on)}T10:00"})
    form.find_element(By.ID, "published").click()
    click_and_leave(e, "#save-news", "saving the news item")
    news_url = present(e, "#view-news", "the saved news item").get_attribute("href")
    editor.check("the news form after saving", news_title, news_summary)
    open_page(editor, f"{server}/editor/news", "#news-table", "the editor's news list")
    editor.check("the editor's news list", news_title)

    visitor.d.get(news_url)
    present(visitor.d, "#news-item", "the news item on the portal")
    visitor.check("the news item", news_title)
    assert news_title.text in visitor.d.title, f"<title>: {visitor.d.title!r}"
    og = visitor.d.find_element(By.CSS_SELECTOR, "meta[property='og:title']").get_attribute("content")
    assert og == news_title.text, f"og:title: {og!r}"
    check_markdown(visitor, "the news item's body", news_body, "#news-item .prose")
    open_page(visitor, f"{server}/news", "#news-list", "the news list")
    visitor.check("the news list", news_title, news_summary)

    # FAQ: the preview, the page, the search snippet (HTML the server builds), the bot's select.
    question, answer, references = full(f"xfq{tag}"), markdown(f"xfa{tag}"), full(f"xfr{tag}")
    form = open_page(editor, f"{server}/editor/faq/new", "#faq-form", "the FAQ form")
    put_all(e, form, {"question": question.text, "answer": answer.source, "references": references.text, "slug": f"xss-{tag}"})
    Select(form.find_element(By.ID, "sphere")).select_by_value("trade")
    click_and_leave(e, "#preview-button", "previewing the FAQ entry")
    present(e, "#preview", "the preview")
    editor.check("the FAQ preview", question, references)
    check_markdown(editor, "the FAQ preview", answer, "#preview .prose")
    form = present(e, "#faq-form", "the FAQ form under the preview")
    if not form.find_element(By.ID, "status").is_selected():
        form.find_element(By.ID, "status").click()
    click_and_leave(e, "#save-faq", "saving the FAQ entry")
    editor.check("the FAQ form after saving", question)

    visitor.d.get(f"{server}/faq/xss-{tag}")
    present(visitor.d, "#faq-entry", "the FAQ entry on the portal")
    visitor.check("the FAQ entry", question, references)
    check_markdown(visitor, "the FAQ answer", answer, "#faq-answer")
    open_page(visitor, f"{server}/search?q={answer.marker}", "#search-results", "search results for the FAQ answer")
    visitor.check("the search results (snippet)", question, partial=[answer.marker], within="#search-results")
    visitor.check("the search results")

    # An event: a javascript: link is refused (and echoed as text); then saved with an https link whose
    # query holds a payload; the page, the list, the month.
    title, place, description = full(f"xet{tag}"), full(f"xep{tag}"), markdown(f"xed{tag}")
    bad_link = Payload(f"xeu{tag}", f"javascript:xssFired='xeu{tag}'")
    # A web address may not hold " < > (refused), but may hold ' — enough to leave a single-quoted attribute.
    good_link = Payload(f"xeg{tag}", f"https://example.test/?q=xeg{tag}'onfocus='xssFired=1'autofocus='&r=javascript:xssFired=1")
    day = date.today() + timedelta(days=12)
    form = open_page(editor, f"{server}/editor/events/new", "#event-form", "the event form")
    put_all(e, form, {"title": title.text, "place": place.text, "description": description.source, "onlineURL": bad_link.text,
                      "capacity": "5", "startsAt": f"{iso(day)}T10:30", "endsAt": f"{iso(day)}T12:30"})
    Select(form.find_element(By.NAME, "audience")).select_by_value("public")
    Select(form.find_element(By.NAME, "format")).select_by_value("seminar")
    Select(form.find_element(By.NAME, "sphere")).select_by_value("trade")
    Select(form.find_element(By.NAME, "organisers[]")).select_by_visible_text("Управление Роспотребнадзора")
    form.find_element(By.ID, "published").click()
    click_and_leave(e, "#save-event", "saving the event with a javascript: link")
    form = present(e, "#event-form", "the event form")
    assert e.find_elements(By.ID, "onlineURL-error"), "a javascript: link is refused"
    editor.check("the refused event form", title, place, bad_link)
    put(e, form.find_element(By.NAME, "onlineURL"), good_link.text)
    if not form.find_element(By.ID, "published").is_selected():
        form.find_element(By.ID, "published").click()
    click_and_leave(e, "#save-event", "saving the event")
    slug = present(e, "#view-event", "the saved event").get_attribute("href").rsplit("/", 1)[-1]
    editor.check("the event form after saving", title, place, good_link)

    v = visitor.d
    open_page(visitor, f"{server}/events/{slug}", "#signup-form", "the event page")
    visitor.check("the event page", title, place, within="#main")
    visitor.check("the event page")
    online = v.find_elements(By.ID, "event-online")
    assert online and online[0].get_dom_attribute("href") == good_link.text, f"the online link: {online and online[0].get_dom_attribute('href')}"
    assert good_link.text in online[0].text, online[0].text
    check_markdown(visitor, "the event's description", description, "#event .markdown")
    open_page(visitor, f"{server}/events", "#events-list", "the events list")
    visitor.check("the events list", title)
    open_page(visitor, f"{server}/events?view=month&month={day.year:04d}-{day.month:02d}", "#month-grid", "the month")
    visitor.check("the month", partial=[title.marker])

    # A citizen signs up with a payload as the name; the editor sees it in the people table.
    name = full(f"xsn{tag}")
    form = open_page(visitor, f"{server}/events/{slug}", "#signup-form", "the sign-up form")
    put_all(v, form, {"name": name.text, "email": f"xss-{tag}@example.test"})
    form.find_element(By.ID, "consent").click()
    click_and_leave(v, "#signup-submit", "signing up")
    present(v, "#signup-result", "the sign-up's result")
    visitor.check("the sign-up result")

    open_page(editor, f"{server}/editor/events", "#main", "the editor's events")
    editor.check("the editor's events list", title)
    until(e, lambda drv: drv.find_element(By.PARTIAL_LINK_TEXT, title.marker), "the event in the editor's list").click()
    present(e, "#people-table", "the people signed up")
    editor.check("the editor's people table", name, within="#people-table")
    editor.check("the editor's event page")

    open_page(editor, f"{server}/editor/bot", "#bot-queue", "the bot's training queue")
    editor.check("the bot's training queue", bot_question, within="#bot-queue")
    editor.check("the bot's training queue (FAQ select)", question)
    editor.clean_so_far("the editor's pages")
    visitor.clean_so_far("the visitor's pages")


# --- 4. an administrator's organisation, seen by other staff; a staff channel ------------------------------


def test_organisation_and_staff_channel_names_are_text(server: str, browsers) -> None:
    tag = new_tag()
    b = browsers("staff")
    d = b.d
    org_name, org_short, org_address = full(f"xon{tag}"), short(f"xos{tag}"), full(f"xoa{tag}")
    refused = {"inn": short(f"xoi{tag}"), "email": short(f"xoe{tag}"), "phone": short(f"xop{tag}")}

    sign_in(d, server, "admin@consumerdesk.test")
    form = open_page(b, f"{server}/admin/organisations/new", "#organisation-form", "the new organisation form")
    put_all(d, form, {"name": org_name.text, "shortName": org_short.text, "address": org_address.text})
    put_all(d, form, {k: v.text for k, v in refused.items()})
    Select(form.find_element(By.ID, "kind")).select_by_value("partner")
    click_and_leave(d, "#organisation-submit", "saving with a refused INN, e-mail and phone")
    form = present(d, "#organisation-form", "the organisation form with errors")
    b.check("the refused organisation form", org_name, org_short, org_address, *refused.values())
    put_all(d, form, {"inn": "", "email": "", "phone": ""})
    click_and_leave(d, "#organisation-submit", "saving the organisation")
    present(d, "#organisation-form", "the saved organisation")
    b.check("the organisation's page", org_name, org_short, org_address)
    open_page(b, f"{server}/admin/organisations", "#organisations", "the organisations list")
    b.check("the organisations list", org_name)

    # A coordinator sees it among the organisations of a new channel; the channel's title and a message.
    channel_title, message = full(f"xct{tag}"), full(f"xcm{tag}")
    switch_user(b, server, "coordinator@consumerdesk.test")
    open_page(b, f"{server}/messages", "#new-channel", "the staff messages")
    b.check("the staff messages")
    d.find_element(By.XPATH, "//form[@id='new-channel']/parent::details/summary").click()
    labels = until(d, lambda drv: [l for l in drv.find_elements(By.CSS_SELECTOR, "#new-channel label.check") if l.is_displayed()],
                   "the organisations of a new channel")
    texts = [l.get_attribute("textContent") for l in labels]
    shown = [p for p in (org_name, org_short) if any(p.marker in t for t in texts)]
    assert shown, f"the new organisation among the channel's organisations: {texts}"
    b.check("the new channel form", *shown, within="#new-channel")
    put(d, d.find_element(By.ID, "channel-title"), channel_title.text)
    for label in labels:  # all of them: «at least two, yours among them»
        box = label.find_element(By.TAG_NAME, "input")
        if not box.is_selected():
            box.click()
    click_and_leave(d, "#new-channel button[type=submit]", "creating the channel")
    box = present(d, "#channel-input", "the new channel")
    b.check("the new channel", channel_title)
    box.send_keys(message.text)
    d.find_element(By.ID, "channel-submit").click()
    wait_text(b, "#channel-log .chat-text", message.marker, "the message in the channel")
    b.check("the channel (live)", message, within="#channel-log")
    d.refresh()
    wait_text(b, "#channel-log .chat-text", message.marker, "the message from history")
    b.check("the channel (history)", message, within="#channel-log")
    b.check("the channel list", channel_title, within="#channel-list")
    b.clean_so_far("the staff pages")


# --- 5. the online consultation: the citizen's name and messages at the operator's -------------------------


@pytest.fixture(scope="module")
def chat_server(tmp_path_factory: pytest.TempPathFactory):
    """Operators take chats at any time (the main server's office hours depend on the clock)."""
    srv = _start_server("xss", "always", tmp_path_factory.mktemp("chat-xss"))
    try:
        yield srv.base_url
    finally:
        _stop(srv.proc)
        srv.log_file.close()
        try:
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(srv.log_path, ARTIFACTS / srv.log_path.name)  # chat-xss.log
        except OSError:
            pass


def test_consultation_name_and_messages_are_text_at_the_operator(chat_server: str, browsers) -> None:
    tag = new_tag()
    citizen, operator = browsers("citizen"), browsers("operator")
    c, o = citizen.d, operator.d
    name, first, later = short(f"xcn{tag}"), full(f"xc1{tag}"), full(f"xc2{tag}")

    sign_in(o, chat_server, "operator@consumerdesk.test")
    status = open_page(operator, chat_server + "/operator", "#presence-status", "the operator's console")
    until(o, text_contains((By.ID, "presence-now"), "чатов"), "the console's first refresh")
    Select(status).select_by_value("online")
    o.find_element(By.ID, "presence-save").click()
    until(o, text_contains((By.ID, "presence-now"), "На связи"), "«На связи»")

    open_page(citizen, chat_server + "/", "#start-consultation", "the home page").click()
    until(c, EC.visibility_of_element_located((By.ID, "chat-start")), "the chat's start form")
    put(c, c.find_element(By.ID, "chat-name"), name.text)
    put(c, c.find_element(By.ID, "chat-first"), first.text)
    c.find_element(By.ID, "chat-begin").click()
    box = until(c, EC.visibility_of_element_located((By.ID, "chat-input")), "the chat's message box")
    wait_for_item(c, "chat-log", first.marker, "the first message in the window")
    box.send_keys(later.text)
    c.find_element(By.ID, "chat-submit").click()
    wait_for_item(c, "chat-log", later.marker, "the second message in the window")
    citizen.check("the citizen's chat window", first, later, within="#chat-log")
    citizen.check("the citizen's chat window")

    until(o, text_contains((By.ID, "mine-list"), name.marker), "the chat in «Мои чаты»")
    operator.check("the console's list", name, within="#mine-list")
    click_fresh(o, "#mine-list button", "opening the chat")
    wait_for_item(o, "console-log", later.marker, "the citizen's messages in the console")
    until(o, text_contains((By.ID, "chat-title"), name.marker), "the chat's title")
    operator.check("the console's log", first, later, within="#console-log")
    operator.check("the console's title", name, within="#chat-title")
    operator.check("the console")

    click_fresh(o, "#to-appeal", "«В обращение»")
    present(o, "#chat-pending", "the topic choice for the chat's appeal")
    o.find_element(By.CSS_SELECTOR, "a[data-code='housing-capital-repair']").click()
    form = present(o, "#appeal-form", "the appeal card made from the chat")
    assert form.find_element(By.NAME, "name").get_attribute("value") == name.text, "the citizen's name, as typed"
    operator.check("the appeal card from the chat", name, first, later)
    citizen.clean_so_far("the citizen's pages")
    operator.clean_so_far("the operator's pages")
