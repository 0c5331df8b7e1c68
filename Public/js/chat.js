// The chat socket shared by the citizen's window, the operator's console and staff messages.
// Protocol: docs/chat-protocol.md. Keeps the last number seen per topic, reconnects with a growing
// pause and resubscribes from there, so nothing is lost or shown twice.
"use strict";

window.CDChat = (function () {
  const ERRORS = {
    too_long: "Сообщение длиннее 4000 символов — сократите его.",
    forbidden: "Нет доступа к этому разговору.",
    not_yours: "Писать в этот чат может только оператор, который его ведёт.",
    closed: "Консультация завершена.",
    malformed: "Сообщение не отправлено: ошибка формата.",
    invalid_field: "Сообщение пустое или заполнено неверно.",
    server_error: "Сервер не смог обработать сообщение, попробуйте ещё раз.",
  };

  function errorText(frame) {
    return frame.message || ERRORS[frame.code] || frame.reason || "Ошибка";
  }

  class Socket {
    constructor(handlers) {
      this.handlers = handlers; // onMessage(frame), onError(frame), onTyping(frame), onStatus(online), onSubscribed(frame)
      this.topics = new Map(); // topic -> {after, token}
      this.pending = [];
      this.delay = 500;
      this.closedByUs = false;
      this.open();
    }

    open() {
      const scheme = location.protocol === "https:" ? "wss" : "ws";
      const ws = new WebSocket(scheme + "://" + location.host + "/ws");
      this.ws = ws;
      ws.onopen = () => {
        this.delay = 500;
        if (this.handlers.onStatus) this.handlers.onStatus(true);
        for (const [topic, state] of this.topics) this.rawSubscribe(topic, state);
        const waiting = this.pending;
        this.pending = [];
        for (const frame of waiting) ws.send(JSON.stringify(frame));
      };
      ws.onmessage = (event) => this.receive(event.data);
      ws.onclose = () => {
        if (this.closedByUs) return; // closed on purpose («Новый чат»): nothing to report
        if (this.handlers.onStatus) this.handlers.onStatus(false);
        setTimeout(() => this.open(), this.delay);
        this.delay = Math.min(this.delay * 2, 10000);
      };
    }

    receive(data) {
      let frame;
      try { frame = JSON.parse(data); } catch (e) { return; }
      if (frame.type === "message") {
        const state = this.topics.get(frame.topic);
        if (!state || frame.seq <= state.after) return; // already shown
        state.after = frame.seq;
        if (this.handlers.onMessage) this.handlers.onMessage(frame);
      } else if (frame.type === "error") {
        if (this.handlers.onError) this.handlers.onError(frame, errorText(frame));
      } else if (frame.type === "typing") {
        if (this.handlers.onTyping) this.handlers.onTyping(frame);
      } else if (frame.type === "subscribed") {
        // Asked from further than there is (a huge `after`: only what comes next): start at the end.
        const state = this.topics.get(frame.topic);
        if (state && state.after > frame.lastSeq) state.after = frame.lastSeq;
        if (this.handlers.onSubscribed) this.handlers.onSubscribed(frame);
      } else if (frame.type === "ack") {
        if (this.handlers.onAck) this.handlers.onAck(frame);
      }
    }

    rawSubscribe(topic, state) {
      const frame = { type: "subscribe", topic: topic, after: state.after };
      if (state.token) frame.token = state.token;
      this.ws.send(JSON.stringify(frame));
    }

    subscribe(topic, after, token) {
      const state = { after: after || 0, token: token || null };
      this.topics.set(topic, state);
      if (this.ws.readyState === WebSocket.OPEN) this.rawSubscribe(topic, state);
    }

    lastSeen(topic) {
      const state = this.topics.get(topic);
      return state ? state.after : 0;
    }

    send(frame) {
      if (this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(frame));
      else this.pending.push(frame);
    }

    say(topic, text) {
      const ref = String(Date.now()) + Math.random().toString(16).slice(2, 8);
      this.send({ type: "send", topic: topic, text: text, ref: ref });
      return ref;
    }

    close() {
      this.closedByUs = true;
      this.ws.close();
    }
  }

  // A message as a list item: author, time, text (always as text), the bot's source as a link.
  function renderMessage(frame, mine) {
    const item = document.createElement("li");
    item.className = "chat-msg chat-" + frame.authorKind + (mine ? " chat-mine" : "");
    item.dataset.seq = frame.seq;
    const head = document.createElement("div");
    head.className = "chat-meta";
    const at = new Date(frame.at);
    const time = at.toLocaleTimeString("ru-RU", { hour: "2-digit", minute: "2-digit" });
    head.textContent = "[" + time + "] " + frame.authorName;
    const body = document.createElement("div");
    body.className = "chat-text";
    body.textContent = frame.text;
    item.append(head, body);
    const meta = frame.meta || {};
    const links = [];
    if (meta.source) links.push(meta.source);
    for (const s of meta.suggestions || []) links.push(s);
    for (const link of links) {
      if (typeof link.url !== "string" || !link.url.startsWith("/")) continue;
      const a = document.createElement("a");
      a.href = link.url;
      a.target = "_blank";
      a.rel = "noopener";
      a.textContent = (link === meta.source ? "Источник: " : "Может быть: ") + link.title;
      const p = document.createElement("p");
      p.className = "chat-link";
      p.append(a);
      item.append(p);
    }
    return item;
  }

  async function post(url, body, csrf, extraHeaders) {
    const headers = Object.assign({ "Content-Type": "application/json", Accept: "application/json" }, extraHeaders || {});
    if (csrf) headers["X-CSRF-Token"] = csrf;
    const response = await fetch(url, { method: "POST", headers: headers, body: JSON.stringify(body || {}), credentials: "same-origin" });
    let data = null;
    try { data = await response.json(); } catch (e) { data = null; }
    return { ok: response.ok, status: response.status, data: data };
  }

  // The API's `fields[].message` is English: people see these (the same words as the portal's forms, Strings.ru).
  const FIELD_ERRORS = {
    required: "Заполните это поле.",
    tooLong: "Слишком длинное значение.",
    invalidEmail: "Проверьте адрес электронной почты: например, ivanov@mail.ru.",
    invalidPhone: "Укажите российский номер телефона: например, +7 917 123-45-67.",
    invalidName: "Используйте буквы, пробел, дефис или апостроф.",
    consentRequired: "Нужно согласие на обработку персональных данных.",
    emailOrPhoneRequired: "Укажите адрес электронной почты или телефон.",
    invalidValue: "Недопустимое значение.",
    notFound: "Не найдено.",
    dateInFuture: "Дата не может быть в будущем.",
    invalidDate: "Укажите дату полностью: день, месяц и год.",
    retired: "Эта тема больше не используется, выберите другую.",
    invalidINN: "ИНН должен состоять из 10 или 12 цифр с верной контрольной суммой.",
  };

  function fieldErrors(data) {
    const result = {};
    for (const f of (data && data.fields) || []) {
      result[f.field] = (result[f.field] ? result[f.field] + " " : "") + (FIELD_ERRORS[f.code] || "Проверьте это поле.");
    }
    return result;
  }

  return { Socket, renderMessage, post, fieldErrors, errorText };
})();
