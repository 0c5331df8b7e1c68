// The citizen's consultation window in the corner of every portal page. Without scripts the corner is a
// link to the FAQ. The chat survives moving between pages: its id, key and last message number are kept
// in this browser (localStorage) and the socket resumes from there.
"use strict";

(function () {
  const root = document.getElementById("chat-widget");
  if (!root || !window.CDChat) return;
  const $ = (id) => document.getElementById(id);
  const csrf = root.dataset.csrf;
  const KEY = "cd-chat";
  let chat = null; // {id, token}
  let socket = null;
  let state = null;

  function load() {
    try { return JSON.parse(localStorage.getItem(KEY) || "null"); } catch (e) { return null; }
  }
  function save() {
    if (chat) localStorage.setItem(KEY, JSON.stringify(chat)); else localStorage.removeItem(KEY);
  }

  const open = $("chat-open");
  const panel = $("chat-panel");
  function show(visible) {
    panel.hidden = !visible;
    open.setAttribute("aria-expanded", visible ? "true" : "false");
    open.hidden = visible;
    if (visible) (chat ? $("chat-input") : ($("chat-name").value ? $("chat-first") : $("chat-name"))).focus();
  }
  open.addEventListener("click", (event) => { event.preventDefault(); show(true); });
  for (const other of document.querySelectorAll("[data-open-chat]")) {
    other.addEventListener("click", (event) => { event.preventDefault(); show(true); });
  }
  $("chat-hide").addEventListener("click", () => { show(false); open.focus(); });
  if (root.dataset.name) $("chat-name").value = root.dataset.name;

  const STATES = { waiting: "в очереди", bot: "отвечает виртуальный помощник", active: "оператор на связи", closed: "завершена" };
  function setState(next, operatorName) {
    state = next;
    $("chat-status").textContent = next === "active" && operatorName ? "оператор " + operatorName : (STATES[next] || "");
    const closed = next === "closed";
    $("chat-send").hidden = closed;
    $("chat-end").hidden = closed;
    $("chat-ask-operator").hidden = next !== "bot";
    $("chat-leave").hidden = next === "active" || chat.appealNumber;
    $("chat-menu").hidden = next !== "bot" && next !== "waiting";
    if (closed && !$("chat-new")) {
      const again = document.createElement("button");
      again.type = "button";
      again.id = "chat-new";
      again.className = "button button-small";
      again.textContent = "Новый чат";
      again.addEventListener("click", reset);
      $("chat-error").before(again);
    }
  }

  function reset() {
    if (socket) socket.close();
    socket = null;
    chat = null;
    save();
    $("chat-log").replaceChildren();
    const again = $("chat-new");
    if (again) again.remove();
    $("chat-body").hidden = true;
    $("chat-start").hidden = false;
    $("chat-status").textContent = "";
  }

  function connect() {
    $("chat-start").hidden = true;
    $("chat-body").hidden = false;
    loadMenu();
    socket = new CDChat.Socket({
      onMessage: (frame) => {
        $("chat-log").append(CDChat.renderMessage(frame, frame.authorKind === "citizen"));
        $("chat-log").lastElementChild.scrollIntoView({ block: "nearest" });
        $("chat-typing").textContent = "";
        const meta = frame.meta || {};
        if (meta.appealNumber) { chat.appealNumber = meta.appealNumber; save(); $("chat-leave").hidden = true; }
        if (meta.state) setState(meta.state, meta.operatorName);
        if ((meta.offers || []).includes("appeal") && state !== "active") $("chat-leave").hidden = !!chat.appealNumber;
        if ((meta.offers || []).includes("operator")) $("chat-ask-operator").hidden = false;
      },
      onSubscribed: (frame) => { if (frame.state) setState(frame.state); },
      onError: (frame, text) => {
        if (frame.code === "forbidden") { reset(); return; } // the chat is gone: start afresh
        $("chat-error").textContent = text;
      },
      onTyping: (frame) => {
        $("chat-typing").textContent = frame.name + " печатает…";
        setTimeout(() => { $("chat-typing").textContent = ""; }, 3000);
      },
      onStatus: (online) => { if (!online) $("chat-error").textContent = "Связь потеряна, переподключаемся…"; else $("chat-error").textContent = ""; },
    });
    socket.subscribe(chat.id, 0, chat.token);
  }

  $("chat-start").addEventListener("submit", async (event) => {
    event.preventDefault();
    for (const f of ["name", "email", "text"]) $("chat-" + f + "-error").textContent = "";
    const result = await CDChat.post("/chat/start", {
      name: $("chat-name").value, email: $("chat-email").value, text: $("chat-first").value,
    }, csrf);
    if (result.status === 201) {
      chat = { id: result.data.id, token: result.data.token };
      save();
      $("chat-first").value = "";
      connect();
      $("chat-input").focus();
    } else if (result.status === 422) {
      const errors = CDChat.fieldErrors(result.data);
      for (const f of ["name", "email", "text"]) $("chat-" + f + "-error").textContent = errors[f] || "";
    } else if (result.status === 429) {
      $("chat-text-error").textContent = "Слишком много новых чатов подряд. Попробуйте через минуту.";
    } else {
      $("chat-text-error").textContent = "Не удалось начать чат. Попробуйте ещё раз.";
    }
  });

  $("chat-send").addEventListener("submit", (event) => {
    event.preventDefault();
    const input = $("chat-input");
    const text = input.value.trim();
    if (!text) return;
    if (text.length > 4000) { $("chat-error").textContent = "Сообщение длиннее 4000 символов — сократите его."; return; }
    $("chat-error").textContent = "";
    socket.say(chat.id, text);
    input.value = "";
  });
  $("chat-input").addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey) { event.preventDefault(); $("chat-send").requestSubmit(); }
  });
  let lastTyping = 0;
  $("chat-input").addEventListener("input", () => {
    if (!socket || Date.now() - lastTyping < 2000) return;
    lastTyping = Date.now();
    socket.send({ type: "typing", topic: chat.id });
  });

  const withToken = (body) => Object.assign({ token: chat.token }, body || {});
  $("chat-ask-operator").addEventListener("click", async () => {
    await CDChat.post("/chat/" + chat.id + "/operator", withToken(), csrf);
  });
  $("chat-end").addEventListener("click", async () => {
    await CDChat.post("/chat/" + chat.id + "/close", withToken(), csrf);
  });
  $("chat-mail").addEventListener("click", () => { $("chat-mail-form").hidden = false; $("chat-mail-to").focus(); });
  $("chat-mail-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const result = await CDChat.post("/chat/" + chat.id + "/transcript", withToken({ email: $("chat-mail-to").value }), csrf);
    if (result.status === 202) {
      $("chat-mail-form").hidden = true;
      $("chat-error").textContent = "Копия переписки отправлена на почту.";
    } else {
      $("chat-error").textContent = result.status === 429 ? "Слишком часто. Попробуйте через минуту." : "Укажите верный адрес электронной почты.";
    }
  });

  // The bot's menu: sphere → topic → answer, as buttons; an answer is shown in the chat window.
  let menu = null;
  async function loadMenu() {
    if (menu) return;
    try {
      const response = await fetch("/chat/menu", { headers: { Accept: "application/json" } });
      if (!response.ok) return;
      menu = await response.json();
      showMenu(menu.items, []);
    } catch (e) { /* the bot still answers typed questions */ }
  }
  function showMenu(items, path) {
    const box = $("chat-menu");
    const buttons = [];
    if (path.length) {
      const back = document.createElement("button");
      back.type = "button";
      back.className = "link-button";
      back.textContent = "← Назад";
      back.addEventListener("click", () => { path.pop(); showMenu(path.length ? path[path.length - 1].children : menu.items, path); });
      buttons.push(back);
    }
    for (const item of items) {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "button button-small button-secondary chat-menu-item";
      button.textContent = item.title;
      button.addEventListener("click", () => {
        if (item.children && item.children.length) { path.push(item); showMenu(item.children, path); return; }
        const answer = document.createElement("li");
        answer.className = "chat-msg chat-bot";
        const head = document.createElement("div");
        head.className = "chat-meta";
        head.textContent = "Виртуальный помощник по ЗПП";
        const body = document.createElement("div");
        body.className = "chat-text";
        body.textContent = item.answer || "";
        answer.append(head, body);
        if (item.url && item.url.startsWith("/")) {
          const a = document.createElement("a");
          a.href = item.url;
          a.target = "_blank";
          a.rel = "noopener";
          a.textContent = "Подробнее: " + item.title;
          const p = document.createElement("p");
          p.className = "chat-link";
          p.append(a);
          answer.append(p);
        }
        $("chat-log").append(answer);
        answer.scrollIntoView({ block: "nearest" });
      });
      buttons.push(button);
    }
    box.replaceChildren(...buttons);
  }

  // «Оставить сообщение»: the appeal card, with the chat's words and the topic's own questions.
  function field(label, name, type, value, options) {
    const wrap = document.createElement("div");
    wrap.className = "field";
    const id = "chat-appeal-" + name.replace(/\W/g, "-");
    const l = document.createElement("label");
    l.htmlFor = id;
    l.textContent = label;
    let input;
    if (type === "textarea") { input = document.createElement("textarea"); input.rows = 4; }
    else if (type === "select") {
      input = document.createElement("select");
      for (const [value, text] of options) {
        const o = document.createElement("option");
        o.value = value;
        o.textContent = text;
        input.append(o);
      }
    } else { input = document.createElement("input"); input.type = type; }
    input.id = id;
    input.name = name;
    if (value) input.value = value;
    const error = document.createElement("p");
    error.className = "field-error";
    error.id = id + "-error";
    wrap.append(l, input, error);
    return wrap;
  }

  let form = null;
  function renderQuestions() {
    const box = $("chat-appeal-questions");
    const topic = form.topics.find((t) => t.code === $("chat-appeal-subcategoryCode").value);
    box.replaceChildren();
    for (const q of (topic && topic.questions) || []) {
      const label = q.label + (q.required ? " *" : "");
      if (q.type === "yesno") box.append(field(label, "answers." + q.code, "select", "", [["", "—"], ["да", "да"], ["нет", "нет"]]));
      else if (q.type === "choice") box.append(field(label, "answers." + q.code, "select", "", [["", "—"]].concat((q.options || []).map((o) => [o, o]))));
      else box.append(field(label, "answers." + q.code, q.type === "date" ? "date" : "text", ""));
    }
  }
  $("chat-leave").addEventListener("click", async () => {
    const response = await fetch("/chat/" + chat.id + "/appeal-form", { headers: { Accept: "application/json", "X-Chat-Token": chat.token } });
    if (!response.ok) { $("chat-error").textContent = "Форма обращения сейчас недоступна."; return; }
    form = await response.json();
    const box = $("chat-appeal-fields");
    const topics = [["", "— выберите тему —"]].concat(form.topics.map((t) => [t.code, t.group + ": " + t.name]));
    box.replaceChildren(
      field("Тема обращения *", "subcategoryCode", "select", "", topics),
      Object.assign(document.createElement("div"), { id: "chat-appeal-questions" }),
      field("Где это произошло *", "territoryId", "select", "", [["", "— выберите —"]].concat(form.territories.map((t) => [t.id, t.name]))),
      field("Фамилия *", "surname", "text", ""),
      field("Имя *", "name", "text", $("chat-name").value),
      field("Электронная почта", "email", "email", $("chat-email").value),
      field("Телефон", "phone", "tel", ""),
      field("Текст обращения *", "text", "textarea", form.text),
    );
    const consent = document.createElement("p");
    consent.className = "field-check";
    consent.innerHTML = '<input type="checkbox" id="chat-appeal-consent" name="consent" value="1"> <label for="chat-appeal-consent">Согласен(на) на обработку персональных данных *</label><span class="field-error" id="chat-appeal-consent-error"></span>';
    box.append(consent);
    $("chat-appeal-subcategoryCode").addEventListener("change", renderQuestions);
    $("chat-body").hidden = true;
    $("chat-appeal").hidden = false;
    $("chat-appeal-subcategoryCode").focus();
  });
  $("chat-appeal-cancel").addEventListener("click", () => { $("chat-appeal").hidden = true; $("chat-body").hidden = false; });
  $("chat-appeal").addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = withToken({ answers: {} });
    for (const input of $("chat-appeal").querySelectorAll("input, select, textarea")) {
      if (input.type === "checkbox") { if (input.checked) body[input.name] = "1"; continue; }
      if (input.name.startsWith("answers.")) { if (input.value) body.answers[input.name.slice(8)] = input.value; }
      else body[input.name] = input.value;
    }
    for (const e of $("chat-appeal").querySelectorAll(".field-error")) e.textContent = "";
    const result = await CDChat.post("/chat/" + chat.id + "/appeal", body, csrf);
    if (result.status === 201) {
      chat.appealNumber = result.data.number;
      save();
      $("chat-appeal").hidden = true;
      $("chat-body").hidden = false;
      $("chat-leave").hidden = true;
      $("chat-error").textContent = "Обращение № " + result.data.number + " зарегистрировано. Ответ придёт на почту.";
    } else if (result.status === 422) {
      const errors = CDChat.fieldErrors(result.data);
      let any = false;
      for (const [name, text] of Object.entries(errors)) {
        const box = document.getElementById("chat-appeal-" + name.replace(/\W/g, "-") + "-error");
        if (box) { box.textContent = text; any = true; }
      }
      $("chat-appeal-error").textContent = any ? "Проверьте отмеченные поля." : "Проверьте поля формы.";
    } else if (result.status === 409) {
      // The operator already registered an appeal from this chat.
      chat.appealNumber = chat.appealNumber || "—";
      save();
      $("chat-appeal").hidden = true;
      $("chat-body").hidden = false;
      $("chat-leave").hidden = true;
      $("chat-error").textContent = "По этому чату обращение уже зарегистрировано — его номер есть в переписке.";
    } else {
      $("chat-appeal-error").textContent = "Не удалось отправить обращение. Попробуйте ещё раз.";
    }
  });

  chat = load();
  if (chat && chat.id && chat.token) { connect(); show(false); } else chat = null;
})();
