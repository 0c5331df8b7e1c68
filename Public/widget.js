/* ConsumerDesk widget for official websites.
 *   <script src="https://HOST/widget.js" data-org="ORGANISATION-ID" async></script>
 * Draws a «Сообщить о проблеме» button where the script stands; the button opens ConsumerDesk's
 * submission form for that organisation in a dialog with an iframe. The form itself runs on
 * ConsumerDesk (the site only hosts the frame); the site must be on the admin's list of allowed sites.
 */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script) { return; }
  var base = new URL(script.src).origin;
  var org = script.getAttribute("data-org") || "";
  var label = script.getAttribute("data-label") || "Сообщить о проблеме";

  var button = document.createElement("button");
  button.type = "button";
  button.className = "consumerdesk-widget-button";
  button.textContent = label;
  button.setAttribute("aria-haspopup", "dialog");
  button.style.cssText = "font:inherit;font-weight:600;padding:.6em 1.2em;border:0;border-radius:.4em;" +
    "background:#0b5cad;color:#fff;cursor:pointer";

  var dialog = null;
  var lastFocus = null;

  function close() {
    if (!dialog) { return; }
    dialog.parentNode.removeChild(dialog);
    dialog = null;
    document.removeEventListener("keydown", onKey, true);
    if (lastFocus) { lastFocus.focus(); }
  }

  function onKey(event) {
    if (event.key === "Escape") { close(); }
  }

  function open() {
    if (dialog) { return; }
    lastFocus = document.activeElement;
    dialog = document.createElement("div");
    dialog.className = "consumerdesk-widget-dialog";
    dialog.setAttribute("role", "dialog");
    dialog.setAttribute("aria-modal", "true");
    dialog.setAttribute("aria-label", label);
    dialog.style.cssText = "position:fixed;inset:0;z-index:2147483000;background:rgba(0,0,0,.45);" +
      "display:flex;align-items:center;justify-content:center";
    var panel = document.createElement("div");
    panel.style.cssText = "position:relative;width:min(640px,96vw);height:min(90vh,820px);background:#fff;" +
      "border-radius:.5em;box-shadow:0 8px 32px rgba(0,0,0,.3);overflow:hidden";
    var shut = document.createElement("button");
    shut.type = "button";
    shut.textContent = "×";
    shut.setAttribute("aria-label", "Закрыть");
    shut.className = "consumerdesk-widget-close";
    shut.style.cssText = "position:absolute;top:.3em;right:.4em;font-size:1.6em;line-height:1;border:0;" +
      "background:transparent;cursor:pointer;z-index:1";
    shut.addEventListener("click", close);
    var frame = document.createElement("iframe");
    frame.title = label;
    frame.className = "consumerdesk-widget-frame";
    frame.src = base + "/widget/form?org=" + encodeURIComponent(org) + "&site=" + encodeURIComponent(window.location.origin);
    frame.style.cssText = "width:100%;height:100%;border:0";
    panel.appendChild(shut);
    panel.appendChild(frame);
    dialog.appendChild(panel);
    dialog.addEventListener("click", function (event) { if (event.target === dialog) { close(); } });
    document.addEventListener("keydown", onKey, true);
    document.body.appendChild(dialog);
    shut.focus();
  }

  button.addEventListener("click", open);
  script.parentNode.insertBefore(button, script.nextSibling);
})();
