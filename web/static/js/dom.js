// Small DOM helpers: building elements safely (text, never HTML), announcing, errors.
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "class") node.className = value;
    else if (name === "text") node.textContent = value;
    else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export function announce(text) {
  const region = document.getElementById("announce");
  if (!region) return;
  region.textContent = "";
  setTimeout(() => { region.textContent = text; }, 50);
}

export function clearErrors(form) {
  form.querySelectorAll(".govuk-form-group--error").forEach((g) => g.classList.remove("govuk-form-group--error"));
  form.querySelectorAll(".govuk-error-message").forEach((m) => m.remove());
  form.querySelectorAll(".govuk-input--error, .govuk-textarea--error").forEach((i) => i.classList.remove("govuk-input--error", "govuk-textarea--error"));
  form.querySelectorAll("[data-error-described]").forEach((i) => {
    i.setAttribute("aria-describedby", i.getAttribute("aria-describedby").replace(/\s*\S+-error$/, "").trim());
    i.removeAttribute("data-error-described");
  });
  const summary = document.getElementById("page-errors");
  if (summary) summary.replaceChildren();
}

function sentence(field, message) {
  const label = field.replace(/^visits\[(\d+)\]\.(\w+)$/, (_, n, part) => `Visit pattern ${Number(n) + 1}: ${part}`).replace(/_/g, " ").replace(/\[(\d+)\]/g, (_, n) => " " + (Number(n) + 1));
  return /^[A-Z]/.test(message) ? message : label.charAt(0).toUpperCase() + label.slice(1) + " " + message;
}

// Show an API error: each of `fields` beside its field, and a summary at the top.
export function showErrors(form, error) {
  clearErrors(form);
  const items = [];
  const fields = (error && error.fields) || {};
  for (const [field, message] of Object.entries(fields)) {
    const group = form.querySelector(`[data-field="${CSS.escape(field)}"]`) || form.querySelector(`[data-field="${CSS.escape(field.split(/[.[]/)[0])}"]`);
    const text = sentence(field, message);
    let target = "#" + (group?.querySelector("input, textarea, select")?.id || form.id);
    if (group) {
      group.classList.add("govuk-form-group--error");
      const id = (group.querySelector("input, textarea, select")?.id || field.replace(/\W/g, "-")) + "-error";
      const msg = el("p", { class: "govuk-error-message", id }, el("span", { class: "govuk-visually-hidden", text: "Error:" }), " " + text);
      const anchor = group.querySelector(".govuk-date-input, .govuk-input__wrapper, .govuk-checkboxes, .govuk-radios, input, textarea, .app-inline-fields");
      if (anchor) anchor.before(msg); else group.prepend(msg);
      group.querySelectorAll("input:not([type=checkbox]):not([type=radio]), textarea").forEach((input) => {
        input.classList.add(input.tagName === "TEXTAREA" ? "govuk-textarea--error" : "govuk-input--error");
        input.setAttribute("aria-describedby", ((input.getAttribute("aria-describedby") || "") + " " + id).trim());
        input.setAttribute("data-error-described", "");
      });
    }
    items.push([target, text]);
  }
  if (!items.length) items.push(["#" + form.id, (error && error.message) || "Something went wrong."]);
  const summary = document.getElementById("page-errors");
  if (!summary) return;
  const box = el("div", { class: "govuk-error-summary", tabindex: "-1" },
    el("div", { role: "alert" },
      el("h2", { class: "govuk-error-summary__title", text: "There is a problem" }),
      el("div", { class: "govuk-error-summary__body" },
        el("ul", { class: "govuk-list govuk-error-summary__list" }, items.map(([href, text]) => el("li", {}, el("a", { href, text })))))));
  summary.replaceChildren(box);
  box.focus();
}

export function pageError(message) {
  const summary = document.getElementById("page-errors");
  if (!summary) return;
  const box = el("div", { class: "govuk-error-summary", tabindex: "-1" },
    el("div", { role: "alert" }, el("h2", { class: "govuk-error-summary__title", text: "There is a problem" }),
      el("div", { class: "govuk-error-summary__body" }, el("p", { class: "govuk-body", text: message }))));
  summary.replaceChildren(box);
}

export function summaryList(rows) {
  return el("dl", { class: "govuk-summary-list" }, rows.filter((r) => r && r[1] !== null && r[1] !== undefined && r[1] !== "").map(([key, value]) =>
    el("div", { class: "govuk-summary-list__row" }, el("dt", { class: "govuk-summary-list__key", text: key }), el("dd", { class: "govuk-summary-list__value" }, value))));
}
