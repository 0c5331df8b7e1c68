// The operator's console: presence, the queue, my chats, the selected chat, transfer, close, quick answers.
"use strict";

(function () {
  const root = document.getElementById("console");
  if (!root || !window.CDChat) return;
  const $ = (id) => document.getElementById(id);
  const csrf = root.dataset.csrf;
  let current = null; // the selected chat's id
  let lastState = null;
  const logs = new Map(); // chat id -> [li]

  const socket = new CDChat.Socket({
    onMessage: (frame) => {
      const item = CDChat.renderMessage(frame, frame.authorKind === "operator" && frame.authorName === (lastState && lastState.me.name.split(" ")[0]));
      if (!logs.has(frame.topic)) logs.set(frame.topic, []);
      logs.get(frame.topic).push(item);
      if (frame.topic === current) {
        $("console-log").append(item);
        item.scrollIntoView({ block: "nearest" });
        $("console-typing").textContent = "";
      } else {
        const row = document.querySelector('[data-chat="' + frame.topic + '"]');
        if (row) row.classList.add("has-unread");
      }
      if (frame.meta && frame.meta.state) refresh();
    },
    onError: (frame, text) => { $("console-error").textContent = text; },
    onTyping: (frame) => {
      if (frame.topic !== current) return;
      $("console-typing").textContent = frame.name + " печатает…";
      setTimeout(() => { $("console-typing").textContent = ""; }, 3000);
    },
  });

  function chatRow(chat, listName) {
    const li = document.createElement("li");
    const button = document.createElement("button");
    button.type = "button";
    button.className = "link-button";
    button.dataset.chat = chat.id;
    button.textContent = chat.citizenName + (chat.operatorName && !chat.mine ? " (" + chat.operatorName + ")" : "");
    if (chat.id === current) button.setAttribute("aria-current", "true");
    button.addEventListener("click", () => select(chat, listName));
    li.append(button);
    return li;
  }

  function findChat(id) {
    if (!lastState) return null;
    for (const list of [lastState.mine, lastState.queue, lastState.bot]) {
      const chat = list.find((c) => c.id === id);
      if (chat) return chat;
    }
    return null;
  }

  function select(chat) {
    current = chat.id;
    $("chat-title").textContent = chat.citizenName + " — " + chat.stateTitle;
    if (!socket.topics.has(chat.id)) { logs.set(chat.id, []); socket.subscribe(chat.id, 0); }
    $("console-log").replaceChildren(...(logs.get(chat.id) || []));
    const row = document.querySelector('[data-chat="' + chat.id + '"]');
    if (row) row.classList.remove("has-unread");
    showControls(chat);
  }

  function showControls(chat) {
    const mine = chat.mine && chat.state === "active";
    $("console-send").hidden = !mine;
    $("console-actions").hidden = !mine;
    $("take-button").hidden = !(chat.state === "waiting" || chat.state === "bot");
    $("to-appeal").href = "/operator/chats/" + chat.id + "/appeal";
    if (mine) $("console-input").focus();
  }

  async function refresh() {
    const response = await fetch("/operator/state", { headers: { Accept: "application/json" } });
    if (!response.ok) return;
    const state = await response.json();
    lastState = state;
    $("presence-now").textContent = state.me.statusTitle + ", чатов: " + state.me.active + " из " + state.me.capacity;
    $("office-hours").textContent = state.officeOpen ? "Рабочее время: чаты распределяются между операторами на связи." : "Нерабочее время: новые чаты ведёт виртуальный помощник.";
    if (document.activeElement !== $("presence-status")) $("presence-status").value = state.me.status;
    $("mine-list").replaceChildren(...state.mine.map((c) => chatRow(c, "mine")));
    $("queue-list").replaceChildren(...state.queue.map((c) => chatRow(c, "queue")));
    $("bot-list").replaceChildren(...state.bot.map((c) => chatRow(c, "bot")));
    $("colleague-list").replaceChildren(...state.colleagues.map((c) => {
      const li = document.createElement("li");
      li.textContent = c.name + " — " + c.statusTitle;
      return li;
    }));
    $("transfer-to").replaceChildren(...state.colleagues.filter((c) => c.status === "online").map((c) => {
      const o = document.createElement("option");
      o.value = c.id;
      o.textContent = c.name;
      return o;
    }));
    // Every chat of mine is followed, so new messages mark it even when another is open.
    for (const chat of state.mine) if (!socket.topics.has(chat.id)) { logs.set(chat.id, []); socket.subscribe(chat.id, 0); }
    if (current) {
      const chat = findChat(current);
      if (chat) { $("chat-title").textContent = chat.citizenName + " — " + chat.stateTitle; showControls(chat); }
      else { $("console-send").hidden = true; $("console-actions").hidden = true; $("take-button").hidden = true; $("chat-title").textContent = "Чат завершён"; }
    } else if (state.mine.length) {
      select(state.mine[0]);
    }
  }

  $("presence-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const result = await CDChat.post("/operator/presence", { status: $("presence-status").value, capacity: Number($("presence-capacity").value) }, csrf);
    if (!result.ok) $("presence-now").textContent = "Не сохранено: " + (CDChat.fieldErrors(result.data).capacity || "проверьте значения");
    refresh();
  });
  $("console-send").addEventListener("submit", (event) => {
    event.preventDefault();
    const text = $("console-input").value.trim();
    if (!text || !current) return;
    $("console-error").textContent = "";
    socket.say(current, text);
    $("console-input").value = "";
  });
  $("console-input").addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey) { event.preventDefault(); $("console-send").requestSubmit(); }
  });
  let lastTyping = 0;
  $("console-input").addEventListener("input", () => {
    if (!current || Date.now() - lastTyping < 2000) return;
    lastTyping = Date.now();
    socket.send({ type: "typing", topic: current });
  });
  $("take-button").addEventListener("click", async () => {
    const result = await CDChat.post("/operator/chats/" + current + "/take", {}, csrf);
    if (!result.ok) $("console-error").textContent = (result.data && result.data.reason) || "Не удалось взять чат.";
    refresh();
  });
  $("transfer-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const to = $("transfer-to").value;
    if (!to) { $("console-error").textContent = "Нет коллег на связи."; return; }
    const result = await CDChat.post("/operator/chats/" + current + "/transfer", { to: to }, csrf);
    if (!result.ok) $("console-error").textContent = "Не удалось передать чат.";
    refresh();
  });
  $("close-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const result = await CDChat.post("/operator/chats/" + current + "/close", { outcome: $("close-outcome").value, sphere: $("close-sphere").value }, csrf);
    if (!result.ok) $("console-error").textContent = "Не удалось завершить чат.";
    refresh();
  });
  $("quick-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const response = await fetch("/operator/quick?q=" + encodeURIComponent($("quick-q").value), { headers: { Accept: "application/json" } });
    const answers = response.ok ? await response.json() : [];
    $("quick-list").replaceChildren(...answers.map((a) => {
      const li = document.createElement("li");
      const title = document.createElement("strong");
      title.textContent = a.question;
      const use = document.createElement("button");
      use.type = "button";
      use.className = "button button-small button-secondary quick-use";
      use.textContent = "Вставить";
      use.addEventListener("click", () => {
        $("console-input").value = a.answer + "\n\nПодробнее: " + location.origin + a.url;
        $("console-input").focus();
      });
      li.append(title, document.createElement("br"), use);
      return li;
    }));
    if (!answers.length) $("quick-list").textContent = "Ничего не найдено.";
  });

  refresh();
  setInterval(refresh, 3000);
})();
