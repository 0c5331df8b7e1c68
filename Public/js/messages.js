// Staff messages: the open channel live, the others' unread counts kept current, read marks sent.
"use strict";

(function () {
  if (!window.CDChat) return;
  const $ = (id) => document.getElementById(id);
  const box = $("channel");
  const current = box ? box.dataset.topic : null;
  const socket = new CDChat.Socket({
    onMessage: (frame) => {
      if (frame.topic === current) {
        const item = CDChat.renderMessage(frame, false);
        $("channel-log").append(item);
        item.scrollIntoView({ block: "nearest" });
        $("channel-typing").textContent = "";
        if (!document.hidden) socket.send({ type: "read", topic: current, seq: frame.seq });
      } else {
        const badge = document.querySelector('[data-unread="' + frame.topic + '"]');
        if (badge) {
          badge.textContent = String(Number(badge.textContent || "0") + 1);
          badge.hidden = false;
        }
      }
    },
    onError: (frame, text) => { if ($("channel-error")) $("channel-error").textContent = text; },
    onTyping: (frame) => {
      if (frame.topic !== current) return;
      $("channel-typing").textContent = frame.name + " печатает…";
      setTimeout(() => { $("channel-typing").textContent = ""; }, 3000);
    },
  });
  // The open channel from its recent history; the others only for what arrives from now on.
  for (const link of document.querySelectorAll("[data-channel]")) {
    const id = link.dataset.channel;
    if (id === current) socket.subscribe(id, 0);
    else socket.subscribe(id, Number.MAX_SAFE_INTEGER);
  }
  if (!current) return;
  const badge = document.querySelector('[data-unread="' + current + '"]');
  if (badge) badge.hidden = true;
  $("channel-send").addEventListener("submit", (event) => {
    event.preventDefault();
    const text = $("channel-input").value.trim();
    if (!text) return;
    $("channel-error").textContent = "";
    socket.say(current, text);
    $("channel-input").value = "";
  });
  $("channel-input").addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey) { event.preventDefault(); $("channel-send").requestSubmit(); }
  });
  let lastTyping = 0;
  $("channel-input").addEventListener("input", () => {
    if (Date.now() - lastTyping < 2000) return;
    lastTyping = Date.now();
    socket.send({ type: "typing", topic: current });
  });
})();
