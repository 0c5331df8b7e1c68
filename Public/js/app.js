// Progressive enhancement only: every page works without JavaScript.
document.addEventListener("submit", (event) => {
  const form = event.target;
  const question = form.getAttribute("data-confirm");
  if (question && !window.confirm(question)) event.preventDefault();
});

// A choice that changes the page (the workspace's organisation) applies at once; without scripts the
// form has its own button.
document.addEventListener("change", (event) => {
  const field = event.target;
  if (field instanceof HTMLSelectElement && field.hasAttribute("data-submit-on-change") && field.form) field.form.submit();
});

// Tell about too many or too large files before a long upload; the server checks again.
document.addEventListener("change", (event) => {
  const input = event.target;
  if (!(input instanceof HTMLInputElement) || input.type !== "file" || !input.dataset.maxFiles) return;
  const box = document.getElementById(input.id + "-error");
  if (!box) return;
  const problems = [];
  const maxFiles = Number(input.dataset.maxFiles);
  const maxBytes = Number(input.dataset.maxBytes);
  if (input.files.length > maxFiles) problems.push("Не больше " + maxFiles + " файлов.");
  for (const file of input.files) {
    if (file.size > maxBytes) problems.push("«" + file.name + "»: файл больше 10 МБ.");
  }
  box.replaceChildren(...problems.map((text) => {
    const p = document.createElement("p");
    p.className = "field-error";
    p.textContent = text;
    return p;
  }));
});

// The rating link records the score as soon as the page opens in a browser (mail scanners that only
// fetch the link record nothing); without scripts the button does it.
document.addEventListener("DOMContentLoaded", () => {
  const form = document.querySelector("form[data-auto-submit]");
  if (form) form.submit();
});

// «Распечатать» (a claim, a news item): the page's print styles leave only the document.
document.addEventListener("click", (event) => {
  const button = event.target instanceof Element ? event.target.closest("[data-print]") : null;
  if (button) window.print();
});
