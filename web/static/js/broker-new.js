// Posting a package: the form becomes the API's JSON; field errors are shown beside fields.
import { api } from "./api.js";
import { dateValue, highlightMissing, missingMessage, missingParts } from "./date-input.js";
import { el, showErrors } from "./dom.js";

const form = document.getElementById("package-form");
const visits = document.getElementById("visits");
const template = document.getElementById("visit-template");
let count = 0;

function addVisit() {
  const n = count++;
  const html = template.innerHTML.replace(/visits-N-/g, `visits-${n}-`).replace(/visits\[N\]/g, `visits[${n}]`);
  const holder = el("div", { "data-visit": String(n) });
  holder.innerHTML = html;  // our own template, no user data
  holder.querySelector(".app-visit-n").textContent = String(n + 1);
  visits.append(holder);
  return holder;
}

document.getElementById("add-visit").addEventListener("click", () => {
  addVisit().querySelector("input").focus();
});

function checked(name) {
  return [...form.querySelectorAll(`input[name="${name}"]:checked`)].map((i) => i.value);
}

function number(text) {
  const t = text.trim();
  return t === "" || isNaN(Number(t)) ? t : Number(t);
}

form.addEventListener("submit", async (e) => {
  e.preventDefault();
  const start = dateValue(new FormData(form), "start_date");
  const body = {
    postcode: form.postcode.value.trim(),
    urgency: checked("urgency")[0],
    service_type: checked("service_type")[0],
    client_group: checked("client_group")[0],
    hours_per_week: number(form.hours_per_week.value),
    start_date: start || undefined,
    visits: [...visits.querySelectorAll("[data-visit]")].map((holder) => {
      const n = holder.dataset.visit;
      return {
        days: checked(`visits-${n}-days`),
        band: checked(`visits-${n}-band`)[0],
        minutes: number(form[`visits-${n}-minutes`].value),
        carers: Number(checked(`visits-${n}-carers`)[0] || 1),
        time_critical: form[`visits-${n}-critical`].checked,
      };
    }),
    specialisms: checked("specialisms"),
  };
  const excluded = checked("excluded_providers");
  if (excluded.length) body.excluded_providers = excluded;
  for (const name of ["shareable_summary", "summary", "reference", "excluded_reason"]) {
    if (form[name].value.trim()) body[name] = form[name].value.trim();
  }
  const result = await api("POST", "/api/packages", body);
  if (!result.ok) {
    // A date missing a part is not sent (the API names it missing): say which part, with the rest.
    const missing = start === null ? missingParts(new FormData(form), "start_date") : [];
    const fields = (result.error && result.error.fields) || {};
    if (missing.length && result.error && result.error.fields) fields.start_date = missingMessage("The start date", missing);
    // "Visit pattern 1: days must include at least one" reads as a riddle to someone in a hurry.
    for (const key of Object.keys(fields)) {
      const m = /^visits\[(\d+)\]\.days$/.exec(key);
      if (m && /at least one/.test(fields[key])) fields[key] = `Select at least one day for visit pattern ${Number(m[1]) + 1}`;
    }
    showErrors(form, result.error);
    if (missing.length) highlightMissing(form, "start_date", missing);
    return;
  }
  location.assign(`/broker/packages/${encodeURIComponent(result.data.id)}/posted`);
});

function tick(name, value) {
  const input = form.querySelector(`input[name="${name}"][value="${value}"]`);
  if (input) input.checked = true;
}

// "Copy this package": the form starts with the needs of an earlier package.
async function copyFrom(id) {
  const result = await api("GET", `/api/packages/${encodeURIComponent(id)}`);
  if (!result.ok) return;
  const p = result.data;
  form.postcode.value = p.postcode || "";
  for (const name of ["urgency", "service_type", "client_group"]) tick(name, p[name]);
  form.hours_per_week.value = p.hours_per_week ?? "";
  for (const name of ["shareable_summary", "summary", "reference"]) form[name].value = p[name] || "";
  for (const s of p.specialisms || []) tick("specialisms", s);
  (p.visits || []).forEach((v, n) => {
    if (n > 0) addVisit();
    for (const d of v.days) tick(`visits-${n}-days`, d);
    tick(`visits-${n}-band`, v.band);
    form[`visits-${n}-minutes`].value = v.minutes;
    tick(`visits-${n}-carers`, String(v.carers));
    form[`visits-${n}-critical`].checked = !!v.time_critical;
  });
  document.getElementById("copy-note").hidden = false;
}

addVisit();
const copy = new URLSearchParams(location.search).get("copy");
if (copy) copyFrom(copy);
